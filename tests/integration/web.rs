//! The website channel over `/ws/chat`, and the endpoints behind the workbench and admin
//! pages: canned replies, colleagues, knowledge status and the bot's explanation.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::app::{TestApp, spawn_adjusted, spawn_app};

/// A visitor's widget, as the server sees it.
struct Widget {
    socket: WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>,
    seen: Vec<Value>,
}

impl Widget {
    async fn open(app: &TestApp, query: &str) -> Widget {
        let (socket, _) = connect_async(format!("ws://{}/ws/chat?{query}", app.address)).await.unwrap();
        Widget { socket, seen: Vec::new() }
    }

    async fn send(&mut self, frame: Value) {
        self.socket.send(Message::Text(frame.to_string().into())).await.unwrap();
    }

    async fn say(&mut self, client_id: &str, text: &str) {
        self.send(json!({ "type": "message", "client_id": client_id, "text": text })).await;
    }

    /// Reads frames until one matches; every frame read is kept in `seen`.
    async fn until(&mut self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let wait = async {
            loop {
                let Some(Ok(frame)) = self.socket.next().await else {
                    panic!("the chat closed waiting for {what}")
                };
                let Message::Text(text) = frame else { continue };
                let frame: Value = serde_json::from_str(&text).unwrap();
                self.seen.push(frame.clone());
                if matches(&frame) {
                    return frame;
                }
            }
        };
        match tokio::time::timeout(Duration::from_secs(10), wait).await {
            Ok(frame) => frame,
            Err(_) => panic!("no {what}; frames seen: {:#?}", self.seen),
        }
    }

    async fn message_containing(&mut self, text: &str) -> Value {
        self.until(text, |f| {
            f["type"] == "message" && f["message"]["text"].as_str().is_some_and(|t| t.contains(text))
        })
        .await
    }
}

const VISITOR: &str = "visitor=Vis1tor_0123456789ab";

#[tokio::test]
async fn a_visitor_is_greeted_answered_handed_to_an_agent_and_rates() {
    let app = spawn_app().await;
    let (_, agent) = app.online_agent("mei", 3).await;
    let mut widget = Widget::open(&app, &format!("{VISITOR}&name=小王")).await;
    let hello = widget.until("hello", |f| f["type"] == "hello").await;
    assert_eq!(hello["state"], "bot");
    assert_eq!(hello["messages"], json!([]), "{hello}");

    widget.send(json!({ "type": "open", "page": "https://shop.example.com/item/42" })).await;
    let greeting = widget.until("greeting", |f| f["type"] == "message").await;
    assert!(greeting["message"]["text"].as_str().unwrap().contains("\n1. "), "a numbered menu: {greeting}");

    widget.say("client-0001", "退款多久到账").await;
    let ack = widget.until("ack", |f| f["type"] == "ack").await;
    assert_eq!(ack["client_id"], "client-0001");
    assert_eq!(ack["duplicate"], false);
    let asked = ack["message_id"].as_i64().unwrap();
    let answer = widget.message_containing("原路退回").await;
    assert_eq!(answer["message"]["sender"], "bot");

    // The same client id again (a resend after a reconnect) is stored once.
    widget.say("client-0001", "退款多久到账").await;
    let again = widget.until("second ack", |f| f["type"] == "ack").await;
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["message_id"], asked);

    widget.say("client-0002", "转人工").await;
    widget.message_containing("客服mei已接入").await;
    let serving = widget.until("human state", |f| f["type"] == "state" && f["state"] == "human").await;
    assert_eq!(serving["agent"]["name"], "客服mei");
    let conversation = serving["conversation_id"].as_i64().unwrap();

    let path = |action: &str| format!("/api/v1/conversations/{conversation}/{action}");
    let (status, typing) =
        app.call(Method::POST, &path("typing"), Some(&agent), Some(json!({ "typing": true }))).await;
    assert_eq!((status, typing["sent"].clone()), (StatusCode::OK, json!(true)), "{typing}");
    widget.until("typing", |f| f["type"] == "typing" && f["on"] == true).await;
    let (status, _) = app
        .call(Method::POST, &path("messages"), Some(&agent), Some(json!({ "text": "您好，我来帮您看看" })))
        .await;
    assert_eq!(status, StatusCode::OK);
    let reply = widget.message_containing("我来帮您看看").await;
    assert_eq!(reply["message"]["sender"], "agent");

    let (status, _) = app.call(Method::POST, &path("close"), Some(&agent), None).await;
    assert_eq!(status, StatusCode::OK);
    widget.until("rating asked", |f| f["type"] == "state" && f["awaiting_rating"] == true).await;
    widget.say("client-0003", "5").await;
    widget.message_containing("感谢您的评价").await;
    let (_, detail) =
        app.call(Method::GET, &format!("/api/v1/conversations/{conversation}"), Some(&agent), None).await;
    assert_eq!(detail["conversation"]["satisfaction"], 5);
    assert_eq!(detail["customer"]["display_name"], "小王");
    assert_eq!(detail["customer"]["attributes"]["session_from"], "https://shop.example.com/item/42");
    drop(widget);

    // Coming back later (a reload): the history is there, in order, once.
    let mut widget = Widget::open(&app, VISITOR).await;
    let hello = widget.until("hello", |f| f["type"] == "hello").await;
    let ids: Vec<i64> =
        hello["messages"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let said: Vec<&str> =
        hello["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(said.iter().filter(|t| **t == "退款多久到账").count(), 1, "{said:?}");
    assert!(said.contains(&"您好，我来帮您看看"), "{said:?}");
    app.stop().await;
}

#[tokio::test]
async fn bad_frames_get_errors_and_the_chat_goes_on() {
    let app = spawn_app().await;
    let mut widget = Widget::open(&app, VISITOR).await;
    widget.until("hello", |f| f["type"] == "hello").await;
    widget.send(json!({ "type": "shout" })).await;
    let error = widget.until("error", |f| f["type"] == "error").await;
    assert_eq!(error["code"], "bad_request");
    widget.say("x", "hi").await;
    let error = widget.until("error", |f| f["type"] == "error").await;
    assert!(error["message"].as_str().unwrap().contains("client_id"), "{error}");
    widget.say("client-0009", "   ").await;
    let refused = widget.until("not sent", |f| f["type"] == "error").await;
    assert_eq!(refused["code"], "not_sent");
    assert_eq!(refused["client_id"], "client-0009");
    widget.say("client-0010", "发什么快递").await;
    widget.until("ack", |f| f["type"] == "ack").await;
    assert!(app.started.service.store.message_count().await.unwrap() > 1);
    app.stop().await;
}

#[tokio::test]
async fn signed_users_are_recognised_and_forged_or_malformed_identities_refused() {
    let app = spawn_adjusted(|config| config.web.identity_secret = "site-secret".into()).await;
    let sig = kefu::channels::web::user_signature("site-secret", "10086");
    let mut widget = Widget::open(&app, &format!("user=10086&sig={sig}")).await;
    widget.until("hello", |f| f["type"] == "hello").await;
    widget.say("client-0001", "发什么快递").await;
    widget.until("ack", |f| f["type"] == "ack").await;
    let customer = app.started.service.store.customer_by_external_id("web", "u:10086").await.unwrap();
    assert!(customer.is_some(), "the host site's user is the customer");

    let (status, body) = app.call(Method::GET, "/ws/chat?user=10087&sig=00", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body["message"].as_str().unwrap().contains("signature"), "{body}");
    let (status, _) = app.call(Method::GET, "/ws/chat?visitor=short", None, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app.call(Method::GET, "/ws/chat", None, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    app.stop().await;
}

#[tokio::test]
async fn origins_can_be_restricted_and_the_channel_switched_off() {
    let app =
        spawn_adjusted(|config| config.web.allowed_origins = vec!["https://shop.example.com".into()]).await;
    let response = app
        .http
        .get(app.url(&format!("/ws/chat?{VISITOR}")))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    app.stop().await;

    let app = spawn_adjusted(|config| config.web.enabled = false).await;
    let (status, _) = app.call(Method::GET, &format!("/ws/chat?{VISITOR}"), None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.call(Method::GET, "/widget.js", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.call(Method::GET, "/agent", None, None).await;
    assert_eq!(status, StatusCode::OK, "the workbench does not depend on the website channel");
    app.stop().await;
}

#[tokio::test]
async fn the_pages_are_served_with_their_types() {
    let app = spawn_app().await;
    for (path, kind) in [
        ("/", "text/html"),
        ("/widget.js", "text/javascript"),
        ("/agent", "text/html"),
        ("/static/common.js", "text/javascript"),
        ("/static/agent.js", "text/javascript"),
        ("/static/agent.css", "text/css"),
        ("/admin", "text/html"),
        ("/static/admin.js", "text/javascript"),
    ] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
        assert!(!response.text().await.unwrap().is_empty(), "{path} has content");
    }
    app.stop().await;
}

#[tokio::test]
async fn agents_find_canned_replies_and_colleagues_and_admins_see_the_knowledge() {
    let app = spawn_app().await;
    let (_, agent) = app.online_agent("lan", 2).await;
    let (status, all) = app.call(Method::GET, "/api/v1/canned", Some(&agent), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(all["canned"].as_array().unwrap().len() >= 5, "{all}");
    let (_, found) = app.call(Method::GET, "/api/v1/canned?q=/tuikuan", Some(&agent), None).await;
    assert_eq!(found["canned"][0]["shortcut"], "tuikuan", "{found}");
    let (_, found) = app.call(Method::GET, "/api/v1/canned?q=%E9%80%80%E6%AC%BE", Some(&agent), None).await;
    assert!(
        found["canned"].as_array().unwrap().iter().any(|c| c["shortcut"] == "tuikuan"),
        "by title: {found}"
    );
    let (status, _) = app.call(Method::GET, "/api/v1/canned", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (_, colleagues) = app.call(Method::GET, "/api/v1/agents", Some(&agent), None).await;
    let names: Vec<&str> =
        colleagues["agents"].as_array().unwrap().iter().map(|a| a["username"].as_str().unwrap()).collect();
    assert!(names.contains(&"lan") && names.contains(&"admin"), "{names:?}");
    assert!(colleagues["agents"][0].get("password_hash").is_none());

    let (status, _) = app.call(Method::GET, "/api/v1/admin/knowledge", Some(&agent), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admins only");
    let admin = app.login("admin", &app.admin_password).await;
    let (status, knowledge) = app.call(Method::GET, "/api/v1/admin/knowledge", Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(knowledge["entries"].as_u64().unwrap() > 100, "{knowledge}");
    assert!(knowledge["flows"].as_u64().unwrap() >= 4);
    assert!(knowledge["version"].as_str().unwrap().len() > 8);
    assert!(
        knowledge["files"].as_array().unwrap().iter().any(|f| f.as_str().unwrap().ends_with("refunds.yaml"))
    );

    let (status, explained) = app
        .call(Method::POST, "/api/v1/admin/ask", Some(&admin), Some(json!({ "text": "退款多久到账" })))
        .await;
    assert_eq!(status, StatusCode::OK, "{explained}");
    assert_eq!(explained["decision"]["decision"], "answer", "{explained}");
    assert!(explained["candidates"][0]["features"].as_object().unwrap().len() > 10);
    let (status, refused) =
        app.call(Method::POST, "/api/v1/admin/ask", Some(&admin), Some(json!({ "text": "" }))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    app.stop().await;
}
