//! What the bot could not answer, from a seeded conversation history: the admin API's
//! clusters and patch, and `kefu gaps` on the same database.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::app::{TestApp, spawn_with, test_config};
use crate::cli::{kefu, run, stderr, stdout};

/// Customers asking what the knowledge does not cover, in several words, and one unhappy
/// with an answer.
async fn seed(app: &TestApp) {
    for (user, text) in [
        ("g1", "你们的猫粮是什么牌子"),
        ("g2", "你们的猫粮是什么牌子"),
        ("g3", "猫粮是什么牌子的"),
        ("g4", "钱怎么还没退回来"),
        ("g5", "钱怎么还没退回来啊"),
    ] {
        app.say(user, text, None).await;
    }
    let answered = app.say("g6", "退款多久到账", None).await;
    assert_eq!(answered["state"], "bot");
    app.say("g6", "转人工", None).await;
}

fn cluster_with<'a>(report: &'a Value, text: &str) -> &'a Value {
    report["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["texts"].as_array().unwrap().iter().any(|t| t["text"] == text))
        .unwrap_or_else(|| panic!("no cluster with {text}: {report:#}"))
}

#[tokio::test]
async fn unanswered_questions_cluster_into_proposals_and_a_patch() {
    // Our own folder: the database outlives the server, for the command line.
    let data = tempfile::tempdir().unwrap();
    let app = spawn_with(test_config(&data.path().join("kefu.db"))).await;
    seed(&app).await;
    let admin = app.login("admin", &app.admin_password).await;
    let (status, report) = app.call(Method::GET, "/api/v1/admin/gaps?since=1d", Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["messages"], 7);

    let cats = cluster_with(&report, "你们的猫粮是什么牌子");
    assert_eq!(cats["count"], 3, "{cats:#}");
    assert_eq!(cats["question"], "你们的猫粮是什么牌子");
    assert_eq!(cats["proposal"]["kind"], "new", "{cats:#}");
    let refunds = cluster_with(&report, "钱怎么还没退回来");
    assert_eq!(refunds["count"], 2, "{refunds:#}");
    assert_eq!(refunds["proposal"]["kind"], "extend");
    assert_eq!(refunds["proposal"]["entry"], "refunds-arrival-time", "{refunds:#}");
    let unhappy = cluster_with(&report, "退款多久到账");
    assert_eq!(unhappy["reasons"]["likely_wrong"], 1, "{unhappy:#}");
    assert_eq!(
        unhappy["proposal"]["kind"], "review",
        "the words matched; the answer did not help: {unhappy:#}"
    );
    assert_eq!(unhappy["proposal"]["entry"], "refunds-arrival-time");
    let entry =
        report["entries"].as_array().unwrap().iter().find(|e| e["entry"] == "refunds-arrival-time").unwrap();
    assert_eq!((entry["answers"].as_u64(), entry["likely_wrong"].as_u64()), (Some(1), Some(1)), "{entry}");
    assert_eq!(report["entries"][0]["entry"], "refunds-arrival-time", "worst first");

    let (status, only_big) =
        app.call(Method::GET, "/api/v1/admin/gaps?since=1d&min_count=3", Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(only_big["clusters"].as_array().unwrap().len(), 1, "{only_big:#}");
    let (status, _) = app.call(Method::GET, "/api/v1/admin/gaps?since=soon", Some(&admin), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The operator marks the clusters and downloads the patch.
    let items = json!({ "items": [
        { "entry": "refunds-arrival-time", "texts": ["钱怎么还没退回来", "钱怎么还没退回来啊"] },
        { "entry": null, "texts": ["你们的猫粮是什么牌子", "猫粮是什么牌子的"] },
    ] });
    let response = app
        .http
        .post(app.url("/api/v1/admin/gaps/patch"))
        .bearer_auth(&admin)
        .json(&items)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/yaml"));
    let patch = response.text().await.unwrap();
    assert!(patch.contains("refunds.yaml — entry `refunds-arrival-time`"), "{patch}");
    assert!(patch.contains("      - 钱怎么还没退回来啊\n"), "{patch}");
    assert!(patch.contains("    question: 你们的猫粮是什么牌子\n"), "{patch}");
    let bad = json!({ "items": [{ "entry": "no-such-entry", "texts": ["x"] }] });
    let (status, refused) = app.call(Method::POST, "/api/v1/admin/gaps/patch", Some(&admin), Some(bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");

    // The command line reads the same history.
    let database = app.stop().await;
    let url = format!("sqlite://{}", database.display());
    let table = run(kefu(&["gaps", "--since", "1d"]).env("KEFU_DATABASE_URL", &url));
    assert!(table.status.success(), "{}", stderr(&table));
    let text = stdout(&table);
    assert!(text.contains("#1 ×3  你们的猫粮是什么牌子"), "{text}");
    assert!(text.contains("extend `refunds-arrival-time`"), "{text}");
    assert!(text.contains("refunds-arrival-time") && text.contains("100%"), "likely-wrong rates: {text}");
    let yaml = run(kefu(&["gaps", "--since", "1d", "--format", "yaml"]).env("KEFU_DATABASE_URL", &url));
    assert!(
        stdout(&yaml).contains("  - id: new-question-1\n    question: 你们的猫粮是什么牌子\n"),
        "{}",
        stdout(&yaml)
    );
    let bad = run(kefu(&["gaps", "--since", "a week"]).env("KEFU_DATABASE_URL", &url));
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("--since"), "{}", stderr(&bad));
}
