//! Store benchmarks: what SQLite costs a customer message — its unit of work (the message,
//! its event, the bot's reply and the conversation's new state, written together when the
//! bot's answer was worked out ahead) — one customer at a time, and 32 customers at once,
//! where the units share commits (group commit).
//! Run with `cargo bench --bench store`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;

use kefu::store::{NewEvent, NewMessage, Store};

/// One customer message through the store, as `receive` writes it.
async fn one_message(store: &Store, customer: &str, n: u64) {
    let mut tx = store.begin().await.unwrap();
    let found = tx.upsert_customer("app", customer, "").await.unwrap();
    let mut conversation = tx.current_conversation(found.id, "app").await.unwrap();
    let inbound = NewMessage {
        conversation_id: conversation.id,
        customer_id: found.id,
        inbound: true,
        content: json!({"type": "text", "text": "退款要几天才能到账啊"}),
        platform_msg_id: Some(format!("m{n}")),
        ..NewMessage::default()
    };
    let message = tx.insert_message(&inbound).await.unwrap().unwrap();
    let event = NewEvent {
        kind: "customer_message".into(),
        conversation_id: Some(conversation.id),
        payload: json!({"message_id": message.id}),
        ..NewEvent::default()
    };
    tx.append_event(event).await.unwrap();
    conversation.dialog_state = json!({"fallbacks": 0});
    tx.save_conversation(&conversation).await.unwrap();
    let reply = NewMessage {
        conversation_id: conversation.id,
        customer_id: found.id,
        content: json!({"type": "text", "text": "退款审核通过后 1–3 个工作日原路退回。"}),
        in_reply_to: Some(message.id),
        decision: Some(json!({"decision": "answer", "entry": "refund-time", "confidence": 0.93})),
        confidence: Some(0.93),
        ..NewMessage::default()
    };
    tx.insert_message(&reply).await.unwrap();
    tx.commit().await.unwrap();
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Arc::new(runtime.block_on(Store::open(&url)).unwrap());
    let mut counter = 0u64;

    c.bench_function("store one message and its reply (SQLite, one customer at a time)", |b| {
        b.iter(|| {
            counter += 1;
            runtime.block_on(one_message(&store, "one", counter));
        })
    });

    let mut group = c.benchmark_group("store messages from 32 customers at once (SQLite, per message)");
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("32 customers", |b| {
        b.iter_custom(|rounds| {
            let started = Instant::now();
            runtime.block_on(async {
                let tasks: Vec<_> = (0..32)
                    .map(|customer| {
                        let store = store.clone();
                        let base = counter;
                        tokio::spawn(async move {
                            for round in 0..rounds.div_ceil(32) {
                                one_message(&store, &format!("c{customer}"), base + round).await;
                            }
                        })
                    })
                    .collect();
                for task in tasks {
                    task.await.unwrap();
                }
            });
            counter += rounds;
            started.elapsed()
        })
    });
    group.finish();
}

criterion_group!(store, benches);
criterion_main!(store);
