//! One storage test suite, run against every backend: SQLite always, PostgreSQL when
//! `KEFU_TEST_DATABASE_URL` is set (each run in its own schema, dropped afterwards).

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;

use super::*;

/// A store to test, and what to clean up after it.
struct TestStore {
    name: &'static str,
    store: Store,
    _file: Option<tempfile::TempDir>,
    cleanup: Option<(String, String)>,
}

impl TestStore {
    async fn finish(self) {
        self.store.close().await;
        if let Some((url, schema)) = self.cleanup {
            sqlx::any::install_default_drivers();
            if let Ok(pool) = sqlx::AnyPool::connect(&url).await {
                let statement = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
                let _ = sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&pool).await;
            }
        }
    }
}

async fn test_stores() -> Vec<TestStore> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("kefu.db").display());
    let mut stores = vec![TestStore {
        name: "sqlite",
        store: Store::open(&url).await.unwrap(),
        _file: Some(dir),
        cleanup: None,
    }];
    match std::env::var("KEFU_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            static RUN: AtomicUsize = AtomicUsize::new(0);
            let schema = format!("kefu_test_{}_{}", std::process::id(), RUN.fetch_add(1, Ordering::SeqCst));
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&url).await.expect("KEFU_TEST_DATABASE_URL is reachable");
            let statement = format!("CREATE SCHEMA \"{schema}\"");
            sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&pool).await.unwrap();
            pool.close().await;
            let store = Store::open_with(&url, Some(&schema)).await.unwrap();
            stores.push(TestStore { name: "postgres", store, _file: None, cleanup: Some((url, schema)) });
        }
        _ => {
            static NOTICE: std::sync::Once = std::sync::Once::new();
            NOTICE.call_once(|| {
                eprintln!("KEFU_TEST_DATABASE_URL is not set: storage tests run on SQLite only")
            });
        }
    }
    stores
}

/// Runs `body` against every backend.
macro_rules! store_test {
    ($name:ident, |$store:ident| $body:block) => {
        #[tokio::test]
        async fn $name() {
            for test in test_stores().await {
                let $store = &test.store;
                let backend = test.name;
                let run = async { $body };
                if let Err(panic) = futures_catch(run).await {
                    test.finish().await;
                    panic!("[{backend}] {panic}");
                }
                test.finish().await;
            }
        }
    };
}

/// Runs a test body, turning its failure into an error so the backend can be cleaned up.
async fn futures_catch(body: impl std::future::Future<Output = Result<(), String>>) -> Result<(), String> {
    body.await
}

fn check(condition: bool, message: impl Into<String>) -> Result<(), String> {
    if condition { Ok(()) } else { Err(message.into()) }
}

async fn inbound(
    store: &Store,
    external: &str,
    platform_id: Option<&str>,
) -> (Customer, Conversation, Option<i64>) {
    let mut tx = store.begin().await.unwrap();
    let customer = tx.upsert_customer("app", external, "").await.unwrap();
    let conversation = tx.current_conversation(customer.id, "app").await.unwrap();
    let message = NewMessage {
        conversation_id: conversation.id,
        customer_id: customer.id,
        inbound: true,
        content: json!({"type": "text", "text": "你好"}),
        platform_msg_id: platform_id.map(str::to_string),
        ..NewMessage::default()
    };
    let id = tx.insert_message(&message).await.unwrap().map(|m| m.id);
    tx.commit().await.unwrap();
    (customer, conversation, id)
}

store_test!(messages_with_and_without_a_confidence_alternate, |store| {
    // PostgreSQL refused a confidence once a connection had stored a message without one.
    let (customer, conversation, _) = inbound(store, "u-confidence", None).await;
    for n in 0..40 {
        let mut tx = store.begin().await.unwrap();
        let reply = NewMessage {
            conversation_id: conversation.id,
            customer_id: customer.id,
            content: json!({"type": "text", "text": "好的"}),
            confidence: (n % 2 == 1).then_some(0.75),
            ..NewMessage::default()
        };
        tx.insert_message(&reply).await.map_err(|e| format!("message {n}: {e}"))?;
        tx.commit().await.unwrap();
    }
    let stored = store.messages(conversation.id).await.unwrap();
    check(stored.iter().filter(|m| m.confidence == Some(0.75)).count() == 20, "every confidence stored")
});

store_test!(a_customer_is_created_once_per_channel_id, |store| {
    let (first, _, _) = inbound(store, "u1", None).await;
    let (second, _, _) = inbound(store, "u1", None).await;
    check(first.id == second.id, "same customer")?;
    let mut tx = store.begin().await.unwrap();
    let other = tx.upsert_customer("wechat:shop", "u1", "小王").await.unwrap();
    tx.commit().await.unwrap();
    check(other.id != first.id && other.display_name == "小王", "another channel is another customer")?;
    let found = store.customer_by_external_id("app", "u1").await.unwrap();
    check(found.map(|c| c.id) == Some(first.id), "found by external id")
});

store_test!(a_repeated_platform_message_id_is_dropped, |store| {
    let (_, conversation, first) = inbound(store, "u2", Some("m-1")).await;
    let (_, _, again) = inbound(store, "u2", Some("m-1")).await;
    check(first.is_some() && again.is_none(), format!("first {first:?}, again {again:?}"))?;
    let (_, _, other_customer) = inbound(store, "u3", Some("m-1")).await;
    check(other_customer.is_some(), "the id is unique per customer only")?;
    let messages = store.messages(conversation.id).await.unwrap();
    check(messages.len() == 1, format!("{} messages", messages.len()))?;
    check(first == Some(messages[0].id), "the id returned is the stored message's")
});

store_test!(a_known_customer_is_left_as_is_until_a_new_name_comes, |store| {
    let mut tx = store.begin().await.unwrap();
    let created = tx.upsert_customer("app", "u-name", "").await.unwrap();
    tx.commit().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let mut tx = store.begin().await.unwrap();
    let known = tx.upsert_customer("app", "u-name", "").await.unwrap();
    let named = tx.upsert_customer("app", "u-name", "小李").await.unwrap();
    let unnamed = tx.upsert_customer("app", "u-name", "").await.unwrap();
    tx.commit().await.unwrap();
    check(known == created, format!("a message changes no field: {known:?} {created:?}"))?;
    check(
        named.id == created.id && named.display_name == "小李" && named.updated_at > created.updated_at,
        format!("a new name is stored: {named:?}"),
    )?;
    check(unnamed.display_name == "小李", "an empty name keeps the stored one")
});

store_test!(a_closed_conversation_gives_way_to_a_new_one, |store| {
    let (customer, first, _) = inbound(store, "u4", None).await;
    let mut tx = store.begin().await.unwrap();
    let mut closed = tx.conversation(first.id).await.unwrap().unwrap();
    closed.state = ConversationState::Closed;
    closed.closed_at = Some(now_ms());
    tx.save_conversation(&closed).await.unwrap();
    tx.commit().await.unwrap();
    let (_, second, _) = inbound(store, "u4", None).await;
    check(
        second.id != first.id && second.state == ConversationState::Bot,
        "a new conversation with the bot",
    )?;
    let all = store.conversations_of_customer(customer.id).await.unwrap();
    check(all.len() == 2, "both kept")
});

store_test!(conversation_state_and_dialog_state_round_trip, |store| {
    let (_, conversation, _) = inbound(store, "u5", None).await;
    let mut tx = store.begin().await.unwrap();
    let mut changed = tx.conversation(conversation.id).await.unwrap().unwrap();
    changed.state = ConversationState::Queued;
    changed.queued_at = Some(123);
    changed.dialog_state = json!({"consecutive_fallbacks": 2, "flow": {"flow": "order-status"}});
    changed.handoff_reason = Some(json!({"reason": "requested"}));
    changed.agent_group = Some("after-sales".into());
    tx.save_conversation(&changed).await.unwrap();
    tx.commit().await.unwrap();
    let stored = store.conversation(conversation.id).await.unwrap().unwrap();
    check(
        stored.state == ConversationState::Queued && stored.dialog_state == changed.dialog_state,
        format!("{stored:?}"),
    )?;
    check(
        stored.handoff_reason == changed.handoff_reason && stored.agent_group == changed.agent_group,
        "reason and group",
    )?;
    let queue = store.queue().await.unwrap();
    check(queue.iter().any(|c| c.id == conversation.id), "in the queue")
});

store_test!(an_uncommitted_transaction_changes_nothing, |store| {
    let before = store.message_count().await.unwrap();
    {
        let mut tx = store.begin().await.unwrap();
        let customer = tx.upsert_customer("app", "u6", "").await.unwrap();
        let conversation = tx.current_conversation(customer.id, "app").await.unwrap();
        let message = NewMessage {
            conversation_id: conversation.id,
            customer_id: customer.id,
            inbound: true,
            content: json!("x"),
            ..NewMessage::default()
        };
        tx.insert_message(&message).await.unwrap();
        // Dropped without commit.
    }
    check(store.message_count().await.unwrap() == before, "rolled back")?;
    check(store.customer_by_external_id("app", "u6").await.unwrap().is_none(), "no customer either")
});

store_test!(replies_and_polling_follow_message_order, |store| {
    let (customer, conversation, inbound_id) = inbound(store, "u7", Some("p-1")).await;
    let mut tx = store.begin().await.unwrap();
    for text in ["第一条", "第二条"] {
        let reply = NewMessage {
            conversation_id: conversation.id,
            customer_id: customer.id,
            content: json!({"type": "text", "text": text}),
            in_reply_to: inbound_id,
            decision: Some(json!({"decision": "answer"})),
            confidence: Some(0.9),
            ..NewMessage::default()
        };
        tx.insert_message(&reply).await.unwrap();
    }
    tx.commit().await.unwrap();
    let replies = store.replies_to(inbound_id.unwrap()).await.unwrap();
    check(replies.len() == 2 && replies[0].content["text"] == "第一条", format!("{replies:?}"))?;
    check(replies[0].sender == Sender::Bot && replies[0].confidence == Some(0.9), "bot with confidence")?;
    let polled = store.outgoing_after(customer.id, replies[0].id, 10).await.unwrap();
    check(polled.len() == 1 && polled[0].id == replies[1].id, "only later outgoing messages")
});

store_test!(agents_sessions_and_counts, |store| {
    let new = NewAgent {
        username: "mei".into(),
        display_name: "客服小美".into(),
        password_hash: "hash".into(),
        role: Role::Agent,
        groups: vec!["after-sales".into()],
        max_concurrent: 3,
    };
    let mut tx = store.begin().await.unwrap();
    let agent = tx.insert_agent(&new).await.unwrap().unwrap();
    let duplicate = tx.insert_agent(&new).await.unwrap();
    tx.commit().await.unwrap();
    check(duplicate.is_none(), "usernames are unique")?;
    let mut changed = store.agent_by_username("mei").await.unwrap().unwrap();
    check(changed.id == agent.id && changed.groups == vec!["after-sales"], "found by username")?;
    changed.status = AgentStatus::Online;
    let mut tx = store.begin().await.unwrap();
    tx.save_agent(&changed).await.unwrap();
    tx.commit().await.unwrap();
    check(store.agent(agent.id).await.unwrap().unwrap().status == AgentStatus::Online, "status saved")?;
    store.insert_session("tokenhash", agent.id, now_ms() + 60_000).await.unwrap();
    check(store.session_agent("tokenhash", now_ms()).await.unwrap() == Some(agent.id), "session valid")?;
    check(store.session_agent("tokenhash", now_ms() + 120_000).await.unwrap().is_none(), "session expires")?;
    store.delete_session("tokenhash").await.unwrap();
    check(store.session_agent("tokenhash", now_ms()).await.unwrap().is_none(), "session deleted")
});

store_test!(tickets_notes_filters_and_events, |store| {
    let (customer, conversation, _) = inbound(store, "u8", None).await;
    let mut tx = store.begin().await.unwrap();
    let mut ticket =
        tx.insert_ticket(customer.id, Some(conversation.id), "要求退款", Some("after-sales")).await.unwrap();
    tx.insert_ticket_note(ticket.id, None, "已联系仓库").await.unwrap();
    let event = tx
        .append_event(NewEvent {
            kind: "ticket_created".into(),
            ticket_id: Some(ticket.id),
            ..NewEvent::default()
        })
        .await
        .unwrap();
    ticket.status = TicketStatus::Pending;
    ticket.priority = "high".into();
    tx.save_ticket(&ticket).await.unwrap();
    tx.commit().await.unwrap();
    let open = store
        .tickets(&TicketFilter { status: Some(TicketStatus::Open), ..TicketFilter::default() })
        .await
        .unwrap();
    check(!open.iter().any(|t| t.id == ticket.id), "no longer open")?;
    let high = store
        .tickets(&TicketFilter { priority: Some("high".into()), ..TicketFilter::default() })
        .await
        .unwrap();
    check(high.iter().any(|t| t.id == ticket.id), "filtered by priority")?;
    check(store.ticket_notes(ticket.id).await.unwrap()[0].body == "已联系仓库", "note kept")?;
    let later = store.events_after(event.id - 1, 10).await.unwrap();
    check(later.first().map(|e| e.kind.as_str()) == Some("ticket_created"), "event log resumes after an id")?;
    let history = store.events_about(None, Some(ticket.id)).await.unwrap();
    check(history.len() == 1, "ticket history")
});

store_test!(migrations_are_applied_once, |store| {
    migrations::apply(store).await.map_err(|e| e.to_string())?;
    Ok(())
});
