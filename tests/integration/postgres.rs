//! The server on PostgreSQL, when `KEFU_TEST_DATABASE_URL` names one: customers at once, a
//! flow, a retry and a hand-off, in a database of the test's own (dropped afterwards).

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::app::{spawn_with, test_config, texts};

/// A fresh database on the test server: (its URL, the server's URL, its name).
async fn fresh_database() -> Option<(String, String, String)> {
    let url = match std::env::var("KEFU_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            eprintln!("KEFU_TEST_DATABASE_URL is not set: the PostgreSQL server test is skipped");
            return None;
        }
    };
    static RUN: AtomicUsize = AtomicUsize::new(0);
    let name = format!("kefu_it_{}_{}", std::process::id(), RUN.fetch_add(1, Ordering::SeqCst));
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.expect("KEFU_TEST_DATABASE_URL is reachable");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\""))).execute(&pool).await.unwrap();
    pool.close().await;
    let (base, _) = url.rsplit_once('/').expect("a database URL ends with /DATABASE");
    Some((format!("{base}/{name}"), url, name))
}

async fn drop_database(server: &str, name: &str) {
    let pool = sqlx::AnyPool::connect(server).await.unwrap();
    let statement = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&pool).await.unwrap();
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_at_once_a_flow_a_retry_and_a_hand_off_on_postgresql() {
    let Some((database, server, name)) = fresh_database().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&dir.path().join("unused.db"));
    config.database_url = database;
    let app = std::sync::Arc::new(spawn_with(config).await);

    // Every customer's second message reuses the statements the first one prepared, with
    // and without a confidence, on whichever connection the pool hands out.
    let mut customers = Vec::new();
    for n in 0..24 {
        let app = app.clone();
        customers.push(tokio::spawn(async move {
            let user = format!("pg-{n}");
            let faq = app.say(&user, "运费多少钱", None).await;
            assert!(!texts(&faq["replies"]).is_empty(), "{faq}");
            let flow = app.say(&user, "我要退货", None).await;
            assert!(texts(&flow["replies"]).join("").contains("订单号"), "{flow}");
            let retry = app.say(&user, "谢谢", Some("m-1")).await;
            let again = app.say(&user, "谢谢", Some("m-1")).await;
            assert_eq!(again["duplicate"], true, "{again}");
            assert_eq!(texts(&again["replies"]), texts(&retry["replies"]));
        }));
    }
    for customer in customers {
        customer.await.unwrap();
    }

    let (_, _agent) = app.online_agent("pg-agent", 3).await;
    let handed = app.say("pg-human", "转人工", None).await;
    assert_eq!(handed["state"], "human", "{handed}");
    assert!(texts(&handed["replies"]).join("\n").contains("客服pg-agent已接入"), "{handed}");

    let app = std::sync::Arc::into_inner(app).expect("every customer is done");
    app.stop().await;
    drop_database(&server, &name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_take_turns_on_one_customers_conversation() {
    let Some((database, server, name)) = fresh_database().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(&dir.path().join("unused.db"));
    config.database_url = database;
    let one = spawn_with(config.clone()).await;
    let two = spawn_with(config).await;
    // Each replica answers from what the database holds, whatever it saw of the customer.
    let first = one.say("pg-both", "？？？", None).await;
    assert_eq!(first["state"], "bot", "{first}");
    let answered = two.say("pg-both", "退款多久到账", None).await;
    assert!(texts(&answered["replies"])[0].contains("原路退回"), "{answered}");
    // Replica one last saw a fallback; the answer since reset the count: no hand-off.
    let again = one.say("pg-both", "？？？", None).await;
    assert_eq!(again["state"], "bot", "{again}");
    // Replica two last saw an answer; a fallback since: this second one in a row hands off.
    let handed = two.say("pg-both", "……!!", None).await;
    assert_ne!(handed["state"], "bot", "{handed}");
    assert_eq!(handed["conversation_id"], first["conversation_id"]);
    one.stop().await;
    two.stop().await;
    drop_database(&server, &name).await;
}
