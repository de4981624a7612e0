//! Operator webhooks against a fake shop backend: signed calls, and every failure mode
//! turned into the flow's error path — never a hang.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use crate::fake_backend::{FakeBackend, Script};
use kefu::config::WebhookConfig;
use kefu::webhooks::{WebhookClient, sign};

fn script(status: u16, body: &str) -> Script {
    Script { status, body: body.to_string(), delay: Duration::ZERO }
}

fn client(backend: &FakeBackend, timeout_ms: u64) -> WebhookClient {
    let hook = WebhookConfig { url: backend.url("/kefu/order-lookup"), secret: "s3cret".into(), timeout_ms };
    WebhookClient::new(BTreeMap::from([("order_lookup".to_string(), hook)]))
}

#[tokio::test]
async fn a_call_is_signed_and_its_json_object_reply_returned() {
    let backend = FakeBackend::start(script(200, r#"{"status": "shipped", "courier": "顺丰"}"#)).await;
    let payload = json!({"flow": "order-status", "values": {"order_no": "DD2024111900123"}});
    let reply = client(&backend, 2000).call("order_lookup", &payload, "wechat:oUser").await.unwrap();
    assert_eq!(reply, json!({"status": "shipped", "courier": "顺丰"}));
    let received = backend.received();
    assert_eq!(received.len(), 1);
    let body: serde_json::Value = serde_json::from_slice(&received[0].body).unwrap();
    assert_eq!(body["values"]["order_no"], "DD2024111900123");
    assert_eq!(body["customer"], "wechat:oUser");
    assert_eq!(received[0].signature.as_deref(), Some(sign("s3cret", &received[0].body).as_str()));
}

#[tokio::test]
async fn error_statuses_and_malformed_replies_are_failures() {
    for (status, body) in [(500, r#"{"error": "boom"}"#), (200, "not json"), (200, "[1, 2]"), (404, "")] {
        let backend = FakeBackend::start(script(status, body)).await;
        let failure = client(&backend, 2000).call("order_lookup", &json!({}), "c").await.unwrap_err();
        assert!(failure.0.contains("order_lookup"), "{status} {body}: {}", failure.0);
    }
}

#[tokio::test]
async fn a_slow_backend_times_out_instead_of_hanging() {
    let backend =
        FakeBackend::start(Script { status: 200, body: "{}".into(), delay: Duration::from_secs(30) }).await;
    // Had the client waited for the backend, it would have got `{}` and succeeded.
    let failure = client(&backend, 200).call("order_lookup", &json!({}), "c").await.unwrap_err();
    assert!(failure.0.contains("timed out"), "{}", failure.0);
}

#[tokio::test]
async fn an_unreachable_backend_and_an_unknown_webhook_are_failures() {
    let hook =
        WebhookConfig { url: "http://127.0.0.1:9/nothing".into(), secret: String::new(), timeout_ms: 1000 };
    let client = WebhookClient::new(BTreeMap::from([("down".to_string(), hook)]));
    assert!(client.call("down", &json!({}), "c").await.is_err());
    assert!(client.call("missing", &json!({}), "c").await.unwrap_err().0.contains("not configured"));
}
