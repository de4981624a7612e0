//! WeChat end to end: signed and encrypted pushes to `/wechat/{name}`, replies through a
//! fake customer-service API, tokens, retries, reply windows and hand-offs.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use kefu::channels::wechat::{Format, WechatCrypto, crypto, parse_envelope};
use kefu::config::WechatConfig;

use crate::app::{TestApp, spawn_adjusted};
use crate::fake_wechat::FakeWechat;

const TOKEN: &str = "kefu-push-token";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APPID: &str = "wx1234567890abcdef";
const GH: &str = "gh_0123456789ab";

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn wechat_config(fake: &FakeWechat, format: &str, aes: bool, handoff: &str) -> WechatConfig {
    serde_json::from_value(json!({
        "appid": APPID,
        "token": TOKEN,
        "encoding_aes_key": if aes { AES_KEY } else { "" },
        "secret": "app-secret",
        "format": format,
        "api_base": fake.base(),
        "handoff": handoff,
    }))
    .unwrap()
}

/// A server with `shop` (JSON, safe mode), `oa` (XML, plaintext) and `tw` (JSON, safe
/// mode, hand-offs to WeChat's tool), all on one fake API.
async fn spawn_wechat() -> (TestApp, FakeWechat) {
    let fake = FakeWechat::start().await;
    let app = spawn_adjusted(|config| {
        config.wechat.insert("shop".into(), wechat_config(&fake, "json", true, "kefu"));
        config.wechat.insert("oa".into(), wechat_config(&fake, "xml", false, "kefu"));
        config.wechat.insert("tw".into(), wechat_config(&fake, "json", true, "wechat"));
    })
    .await;
    (app, fake)
}

fn aes() -> WechatCrypto {
    WechatCrypto::new(TOKEN, AES_KEY, APPID).unwrap()
}

fn text(openid: &str, msg_id: u64, content: &str) -> Value {
    json!({ "ToUserName": GH, "FromUserName": openid, "CreateTime": now(), "MsgType": "text", "Content": content, "MsgId": msg_id })
}

/// The query and body of a safe-mode JSON push of `message`, signed by `crypto`.
fn sealed(crypto: &WechatCrypto, message: &Value, timestamp: i64) -> (String, String) {
    let encrypt = crypto.encrypt(&message.to_string(), [3; 16]);
    let (timestamp, nonce) = (timestamp.to_string(), "1234567".to_string());
    let query = format!(
        "signature={}&timestamp={timestamp}&nonce={nonce}&openid=o&encrypt_type=aes&msg_signature={}",
        crypto.signature(&timestamp, &nonce),
        crypto.msg_signature(&timestamp, &nonce, &encrypt),
    );
    (query, json!({ "ToUserName": GH, "Encrypt": encrypt }).to_string())
}

async fn post(app: &TestApp, path_and_query: &str, body: String) -> (StatusCode, String) {
    let response = app.http.post(app.url(path_and_query)).body(body).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// Pushes `message` to `app_name` in safe mode; returns the status and body once the
/// replies it caused have gone out.
async fn push(app: &TestApp, app_name: &str, message: &Value) -> (StatusCode, String) {
    let (query, body) = sealed(&aes(), message, now());
    let answer = post(app, &format!("/wechat/{app_name}?{query}"), body).await;
    sent(app).await;
    answer
}

/// Waits until the messages stored so far were sent.
async fn sent(app: &TestApp) {
    app.started.service.delivery().drain().await;
}

async fn push_ok(app: &TestApp, message: &Value) {
    let (status, body) = push(app, "shop", message).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "success"));
}

async fn conversation_of(app: &TestApp, channel: &str, openid: &str) -> Option<i64> {
    let store = &app.started.service.store;
    let customer = store.customer_by_external_id(channel, openid).await.unwrap()?;
    store.conversations_of_customer(customer.id).await.unwrap().first().map(|c| c.id)
}

#[tokio::test]
async fn url_verification_echoes_only_a_correctly_signed_check() {
    let (app, _fake) = spawn_wechat().await;
    let (timestamp, nonce) = (now().to_string(), "98765");
    let good = crypto::signature(TOKEN, &timestamp, nonce);
    let url = format!("/wechat/shop?signature={good}&timestamp={timestamp}&nonce={nonce}&echostr=hello-42");
    let response = app.http.get(app.url(&url)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "hello-42");

    let forged = url.replace(&good, &"0".repeat(40));
    let (status, body) = app.call(Method::GET, &forged, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["message"].is_string(), "a JSON error: {body}");
    let (status, _) = app.call(Method::GET, &url.replace("/shop", "/nope"), None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn an_encrypted_question_is_answered_through_the_send_api_once_even_when_retried() {
    let (app, fake) = spawn_wechat().await;
    let question = text("o-faq", 6054768590064713728, "退款多久到账");
    push_ok(&app, &question).await;
    let said = fake.texts_to("o-faq");
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("原路退回"), "{said:?}");
    assert_eq!(fake.tokens_issued(), 1);

    // WeChat retries a push it thinks went unanswered: stored once, answered once.
    push_ok(&app, &question).await;
    assert_eq!(fake.texts_to("o-faq").len(), 1);
    let conversation = conversation_of(&app, "wechat:shop", "o-faq").await.unwrap();
    let messages = app.started.service.store.messages(conversation).await.unwrap();
    let inbound: Vec<_> = messages.iter().filter(|m| m.direction == "in").collect();
    assert_eq!(inbound.len(), 1);
    assert_eq!(inbound[0].platform_msg_id.as_deref(), Some("6054768590064713728"), "every digit kept");
    app.stop().await;
}

#[tokio::test]
async fn forged_stale_foreign_and_malformed_pushes_are_refused_and_store_nothing() {
    let (app, fake) = spawn_wechat().await;
    let message = text("o-evil", 1, "退款多久到账");
    let (query, body) = sealed(&aes(), &message, now());

    let forged = query.replace("msg_signature=", "msg_signature=0");
    assert_eq!(post(&app, &format!("/wechat/shop?{forged}"), body.clone()).await.0, StatusCode::UNAUTHORIZED);
    let bad_signature = query.replacen("signature=", "signature=f", 1);
    assert_eq!(
        post(&app, &format!("/wechat/shop?{bad_signature}"), body.clone()).await.0,
        StatusCode::UNAUTHORIZED
    );
    // Same body, signed by someone who knows the key but not the push token.
    let (other_query, _) =
        sealed(&WechatCrypto::new("other-token", AES_KEY, APPID).unwrap(), &message, now());
    assert_eq!(
        post(&app, &format!("/wechat/shop?{other_query}"), body.clone()).await.0,
        StatusCode::UNAUTHORIZED
    );

    let (stale_query, stale_body) = sealed(&aes(), &message, now() - 3600);
    let (status, refused) = post(&app, &format!("/wechat/shop?{stale_query}"), stale_body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a replay an hour later: {refused}");

    // Encrypted for another app with the same key: the appid inside does not match.
    let (foreign_query, foreign_body) =
        sealed(&WechatCrypto::new(TOKEN, AES_KEY, "wx0000000000000000").unwrap(), &message, now());
    assert_eq!(
        post(&app, &format!("/wechat/shop?{foreign_query}"), foreign_body).await.0,
        StatusCode::UNAUTHORIZED
    );

    // A plaintext push to an app with a key: its signature covers no body, so it is refused.
    let (timestamp, nonce) = (now().to_string(), "55");
    let plain = format!(
        "/wechat/shop?signature={}&timestamp={timestamp}&nonce={nonce}",
        crypto::signature(TOKEN, &timestamp, nonce)
    );
    assert_eq!(post(&app, &plain, message.to_string()).await.0, StatusCode::UNAUTHORIZED);

    let (status, error) = post(&app, &format!("/wechat/shop?{query}"), "{not json".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(serde_json::from_str::<Value>(&error).unwrap()["message"].is_string());

    assert!(conversation_of(&app, "wechat:shop", "o-evil").await.is_none(), "nothing stored");
    assert_eq!(fake.attempts(), 0, "nothing sent");
    // The genuine push still goes through.
    assert_eq!(post(&app, &format!("/wechat/shop?{query}"), body).await, (StatusCode::OK, "success".into()));
    app.stop().await;
}

#[tokio::test]
async fn a_plaintext_xml_app_is_answered_and_refuses_doctype_bodies() {
    let (app, fake) = spawn_wechat().await;
    let (timestamp, nonce) = (now().to_string(), "4242");
    let query = format!(
        "signature={}&timestamp={timestamp}&nonce={nonce}&openid=o-xml",
        crypto::signature(TOKEN, &timestamp, nonce)
    );
    let body = format!(
        "<xml><ToUserName><![CDATA[{GH}]]></ToUserName><FromUserName><![CDATA[o-xml]]></FromUserName>\
         <CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>\
         <Content><![CDATA[发票怎么开]]></Content><MsgId>77</MsgId></xml>"
    );
    assert_eq!(post(&app, &format!("/wechat/oa?{query}"), body).await, (StatusCode::OK, "success".into()));
    sent(&app).await;
    assert_eq!(fake.texts_to("o-xml").len(), 1, "{:?}", fake.sends());

    let xxe = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>\
         <xml><ToUserName>{GH}</ToUserName><FromUserName>o-xxe</FromUserName><CreateTime>1</CreateTime>\
         <MsgType>text</MsgType><Content>&e;</Content><MsgId>78</MsgId></xml>"
    );
    assert_eq!(post(&app, &format!("/wechat/oa?{query}"), xxe).await.0, StatusCode::BAD_REQUEST);
    assert!(conversation_of(&app, "wechat:oa", "o-xxe").await.is_none());
    app.stop().await;
}

#[tokio::test]
async fn a_rejected_token_is_refreshed_once_and_a_busy_api_is_retried() {
    let (app, fake) = spawn_wechat().await;
    push_ok(&app, &text("o-tok", 1, "发票怎么开")).await;
    assert_eq!(fake.tokens_issued(), 1);
    fake.expire_token();
    fake.script(&[-1]);
    push_ok(&app, &text("o-tok", 2, "退款多久到账")).await;
    assert_eq!(fake.tokens_issued(), 2, "one refresh after 40001");
    let said = fake.texts_to("o-tok");
    assert_eq!(said.len(), 2, "the busy answer was retried: {said:?}");
    assert!(said[1].contains("原路退回"));
    app.stop().await;
}

#[tokio::test]
async fn an_agent_answers_through_wechat_until_the_window_closes_and_again_after_the_customer_writes() {
    let (app, fake) = spawn_wechat().await;
    let (_, agent) = app.online_agent("mei", 3).await;
    push_ok(&app, &text("o-human", 1, "转人工")).await;
    let conversation = conversation_of(&app, "wechat:shop", "o-human").await.unwrap();
    let said = fake.texts_to("o-human");
    assert_eq!(said.len(), 2, "{said:?}");
    assert!(said[0].contains("正在为您转接") && said[1].contains("客服mei已接入"), "{said:?}");

    let reply = |text: &'static str| {
        let path = format!("/api/v1/conversations/{conversation}/messages");
        let app = &app;
        let agent = agent.clone();
        async move {
            let (status, body) =
                app.call(Method::POST, &path, Some(&agent), Some(json!({ "text": text }))).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            sent(app).await;
            body
        }
    };
    reply("您好，我是小美").await;
    assert_eq!(fake.texts_to("o-human").last().unwrap(), "您好，我是小美");

    let (status, typed) = app
        .call(
            Method::POST,
            &format!("/api/v1/conversations/{conversation}/typing"),
            Some(&agent),
            Some(json!({ "typing": true })),
        )
        .await;
    assert_eq!((status, &typed["sent"]), (StatusCode::OK, &json!(true)));
    assert_eq!(fake.typing(), vec![json!({ "touser": "o-human", "command": "Typing" })]);

    // Four messages since the customer wrote: the agent is told the next one is the last.
    let warned = reply("还在吗？").await;
    assert!(warned["warning"].as_str().unwrap().contains("1 条"), "{warned}");
    // WeChat refuses the fifth (the quota is used up) ...
    fake.script(&[45047]);
    let last = reply("请问还有什么问题吗？").await;
    assert!(last["warning"].as_str().unwrap().contains("无法再发送"), "{last}");
    // ... and kefu does not try again until the customer writes.
    let attempts = fake.attempts();
    let refused = reply("还有别的需要吗？").await;
    assert!(refused["warning"].as_str().unwrap().contains("无法再发送"), "{refused}");
    assert_eq!(fake.attempts(), attempts, "no more sends once WeChat closed the window");
    let detail_path = format!("/api/v1/conversations/{conversation}");
    let (_, detail) = app.call(Method::GET, &detail_path, Some(&agent), None).await;
    assert!(detail["channel_limits"]["blocked"].as_str().unwrap().contains("45047"), "{detail}");
    assert_eq!(detail["channel_limits"]["messages_left"], 0);

    push_ok(&app, &text("o-human", 2, "在的")).await;
    let (_, detail) = app.call(Method::GET, &detail_path, Some(&agent), None).await;
    assert!(detail["channel_limits"]["blocked"].is_null(), "the customer reopened the window: {detail}");
    assert_eq!(detail["channel_limits"]["messages_left"], 5);
    reply("好的，马上为您处理").await;
    assert_eq!(fake.texts_to("o-human").last().unwrap(), "好的，马上为您处理");
    app.stop().await;
}

#[tokio::test]
async fn with_handoff_to_wechat_the_push_answer_transfers_the_session() {
    let (app, fake) = spawn_wechat().await;
    let (timestamp, nonce) = (now().to_string(), "1234567");
    let (status, body) = push(&app, "tw", &text("o-tw", 9, "转人工")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let envelope = parse_envelope(&body, Format::Json).unwrap();
    let encrypt = envelope.encrypt.expect("an encrypted answer");
    let reply: Value = serde_json::from_str(&body).unwrap();
    let crypto = aes();
    // The answer is signed over its own timestamp and the request's nonce.
    let signed_at = reply["TimeStamp"].to_string();
    assert!(signed_at.trim_matches('"').parse::<i64>().unwrap() >= timestamp.parse::<i64>().unwrap() - 5);
    assert_eq!(reply["Nonce"], nonce);
    assert!(crypto.verify_msg_signature(
        signed_at.trim_matches('"'),
        nonce,
        &encrypt,
        reply["MsgSignature"].as_str().unwrap()
    ));
    let transfer: Value = serde_json::from_str(&crypto.decrypt(&encrypt).unwrap()).unwrap();
    assert_eq!(transfer["MsgType"], "transfer_customer_service");
    assert_eq!(transfer["ToUserName"], "o-tw");
    assert_eq!(transfer["FromUserName"], GH);

    let conversation = conversation_of(&app, "wechat:tw", "o-tw").await.unwrap();
    let stored = app.started.service.store.conversation(conversation).await.unwrap().unwrap();
    assert_eq!(stored.state.as_str(), "closed", "WeChat's tool has the customer now");
    let queue = app.started.service.store.queue().await.unwrap();
    assert!(queue.is_empty(), "nothing queued for kefu's agents");
    assert!(
        fake.texts_to("o-tw").iter().all(|t| !t.contains("已为您留言")),
        "no ticket notice: {:?}",
        fake.sends()
    );
    app.stop().await;
}

#[tokio::test]
async fn opening_the_chat_greets_once_with_a_menu_answered_by_number() {
    let (app, fake) = spawn_wechat().await;
    let created = now();
    let enter = json!({ "ToUserName": GH, "FromUserName": "o-new", "CreateTime": created, "MsgType": "event", "Event": "user_enter_tempsession", "SessionFrom": "goods-123" });
    push_ok(&app, &enter).await;
    push_ok(&app, &enter).await;
    let said = fake.texts_to("o-new");
    assert_eq!(said.len(), 1, "a retried event greets once: {said:?}");
    assert!(said[0].contains("欢迎") && said[0].contains("\n1. ") && said[0].contains("\n3. "), "{said:?}");

    // The default menu lists the flows in file order; "4" is the order lookup.
    push_ok(&app, &text("o-new", 31, "4")).await;
    let conversation = conversation_of(&app, "wechat:shop", "o-new").await.unwrap();
    let messages = app.started.service.store.messages(conversation).await.unwrap();
    let decision = messages.iter().rev().find_map(|m| m.decision.clone()).unwrap();
    assert_eq!(decision["decision"], "flow", "{decision}");
    assert_eq!(decision["flow"], "order-status", "{decision}");
    assert_eq!(fake.texts_to("o-new").len(), 2);
    let store = &app.started.service.store;
    let customer = store.customer_by_external_id("wechat:shop", "o-new").await.unwrap().unwrap();
    assert_eq!(customer.attributes["session_from"], "goods-123", "agents see where the chat was opened");

    // Looking the order up calls a webhook: the customer sees "typing…" meanwhile.
    push_ok(&app, &text("o-new", 32, "DD2024111900123")).await;
    assert!(
        fake.typing().contains(&json!({ "touser": "o-new", "command": "Typing" })),
        "{:?}",
        fake.typing()
    );
    app.stop().await;
}

#[tokio::test]
async fn an_image_is_kept_for_the_agent_and_acknowledged() {
    let (app, fake) = spawn_wechat().await;
    let image = json!({ "ToUserName": GH, "FromUserName": "o-img", "CreateTime": now(), "MsgType": "image", "PicUrl": "https://mmbiz.example/pic.jpg", "MediaId": "MEDIA_IN", "MsgId": 501 });
    push_ok(&app, &image).await;
    let said = fake.texts_to("o-img");
    assert_eq!(said.len(), 1);
    assert!(said[0].contains("收到您发来的内容"), "{said:?}");
    let conversation = conversation_of(&app, "wechat:shop", "o-img").await.unwrap();
    let messages = app.started.service.store.messages(conversation).await.unwrap();
    let inbound = messages.iter().find(|m| m.direction == "in").unwrap();
    assert_eq!(inbound.content["type"], "image", "{}", inbound.content);
    assert_eq!(inbound.content["media_id"], "MEDIA_IN");
    app.stop().await;
}
