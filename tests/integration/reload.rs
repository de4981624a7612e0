//! Hot reload under a running server: edits go live in seconds, broken edits change nothing
//! and are reported with their place, and conversations never notice a reload.

use std::path::Path;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::app::{TestApp, spawn_with, test_config, texts};

/// A server on its own copy of the shipped knowledge and flows (the test edits them).
async fn spawn_on_copy() -> (TestApp, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy_dir(&root.join("knowledge"), &data.path().join("knowledge"));
    copy_dir(&root.join("flows"), &data.path().join("flows"));
    let mut config = test_config(&data.path().join("kefu.db"));
    config.knowledge_dir = data.path().join("knowledge");
    config.flows_dir = data.path().join("flows");
    (spawn_with(config).await, data)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

const DIGITAL_RMB: &str = "version: 1
category: 支付
entries:
  - id: payment-digital-rmb
    question: 支持数字人民币吗？
    similar: [能用数字人民币付款吗, 数币可以付吗]
    answer: 支持，在收银台选择「数字人民币」即可。
";

async fn knowledge(app: &TestApp, admin: &str) -> Value {
    let (status, body) = app.call(Method::GET, "/api/v1/admin/knowledge", Some(admin), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Polls until `check` holds (the watcher reloads a moment after an edit).
async fn eventually<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not within 10 s: {what}");
}

#[tokio::test]
async fn an_edit_goes_live_within_seconds_and_answers_carry_the_new_version() {
    let (app, data) = spawn_on_copy().await;
    let admin = app.login("admin", &app.admin_password).await;
    let before = knowledge(&app, &admin).await;
    let asked = app.say("u-rmb-0", "支持数字人民币吗", None).await;
    assert!(!texts(&asked["replies"]).join("").contains("收银台"), "not known yet: {asked}");

    std::fs::write(data.path().join("knowledge/payment-new.yaml"), DIGITAL_RMB).unwrap();
    let mut attempt = 0;
    eventually("the new entry answers", || {
        attempt += 1;
        let user = format!("u-rmb-{attempt}");
        let app = &app;
        async move {
            texts(&app.say(&user, "支持数字人民币吗", None).await["replies"]).join("").contains("收银台")
        }
    })
    .await;
    let after = knowledge(&app, &admin).await;
    assert_ne!(after["version"], before["version"]);
    assert_eq!(after["entries"], before["entries"].as_u64().unwrap() + 1);
    assert!(after["reload"]["reloads"].as_u64().unwrap() >= 1, "{after}");

    // The answer records the version that gave it.
    let answered = app.say("u-rmb-check", "支持数字人民币吗", None).await;
    let id = answered["conversation_id"].as_i64().unwrap();
    let (_, detail) = app.call(Method::GET, &format!("/api/v1/conversations/{id}"), Some(&admin), None).await;
    let bot = detail["messages"].as_array().unwrap().iter().find(|m| m["sender"] == "bot").unwrap().clone();
    assert_eq!(bot["knowledge_version"], after["version"], "{bot}");
    let (_, health) = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(health["knowledge_version"], after["version"]);
    app.stop().await;
}

#[tokio::test]
async fn a_broken_edit_keeps_the_old_answers_and_reports_file_and_line_until_fixed() {
    let (app, data) = spawn_on_copy().await;
    let admin = app.login("admin", &app.admin_password).await;
    let version = knowledge(&app, &admin).await["version"].clone();
    let file = data.path().join("knowledge/refunds.yaml");
    let good = std::fs::read_to_string(&file).unwrap();
    // An entry without its answer, appended at the end.
    std::fs::write(&file, format!("{good}\n  - id: refunds-broken\n    question: 坏掉的条目\n")).unwrap();

    let (status, refused) = app.call(Method::POST, "/api/v1/admin/reload", Some(&admin), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"], "invalid_knowledge");
    let errors: Vec<String> =
        refused["errors"].as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_string()).collect();
    let line = good.lines().count() + 2;
    assert!(
        errors.iter().any(|e| e.contains(&format!("refunds.yaml:{line}:")) && e.contains("answer")),
        "the error points at the entry: {errors:?}"
    );
    // Nothing changed: same version, same answers.
    let status_now = knowledge(&app, &admin).await;
    assert_eq!(status_now["version"], version);
    assert_eq!(status_now["errors"].as_array().unwrap().len(), errors.len(), "{status_now}");
    let answer = app.say("u-broken", "退款多久到账", None).await;
    assert!(texts(&answer["replies"])[0].contains("原路退回"), "{answer}");
    let metrics = app.http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("kefu_reloads_total{result=\"error\"}"), "{metrics}");

    // The fix clears the error without anyone asking.
    std::fs::write(&file, &good).unwrap();
    eventually("the error cleared", || {
        let (app, admin) = (&app, &admin);
        async move { knowledge(app, admin).await["errors"].as_array().is_some_and(Vec::is_empty) }
    })
    .await;
    let (status, _) = app.call(Method::GET, "/api/v1/admin/reload", Some(&admin), None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_conversations_go_on_through_twenty_reloads_without_a_failed_request() {
    let (app, data) = spawn_on_copy().await;
    let admin = app.login("admin", &app.admin_password).await;
    let questions = ["退款多久到账", "发什么快递", "支持哪些支付方式", "怎么开发票", "优惠券在哪里看"];
    let app = std::sync::Arc::new(app);
    let mut customers = Vec::new();
    for customer in 0..50 {
        let app = app.clone();
        customers.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            for turn in 0..8 {
                let text = questions[(customer + turn) % questions.len()];
                let body = json!({ "user_id": format!("load-{customer}"), "text": text });
                let (status, reply) = app
                    .call(Method::POST, "/api/v1/app/messages", Some(crate::app::API_KEY), Some(body))
                    .await;
                if status != StatusCode::OK || reply["replies"].as_array().is_none_or(Vec::is_empty) {
                    failures.push(format!("{status}: {reply}"));
                }
            }
            failures
        }));
    }
    let file = data.path().join("knowledge/payment-new.yaml");
    let mut swapped = 0;
    for round in 0..20 {
        // Each round is a real change: the entry gains or loses a phrasing.
        let extra = if round % 2 == 0 { "\n    keywords: [数字人民币]" } else { "" };
        std::fs::write(&file, format!("{}{extra}\n", DIGITAL_RMB.trim_end())).unwrap();
        let (status, body) = app.call(Method::POST, "/api/v1/admin/reload", Some(&admin), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // The watcher may have been first; either way the change is served.
        if body["result"] == "swapped" {
            swapped += 1;
        }
    }
    let mut failures = Vec::new();
    for customer in customers {
        failures.extend(customer.await.unwrap());
    }
    assert!(failures.is_empty(), "{} failed requests: {failures:?}", failures.len());
    let status = knowledge(&app, &admin).await;
    assert_eq!(status["reload"]["failures"], 0, "{status}");
    // Each round's content differs from the last, so each was swapped in once (by the API
    // or, a moment earlier, by the watcher).
    assert!(swapped >= 1, "{status}");
    assert!(status["reload"]["reloads"].as_u64().unwrap() >= 20, "every change was loaded: {status}");
    let app = std::sync::Arc::into_inner(app).expect("the customers are done");
    app.stop().await;
}
