//! The app channel's optional push: every message kefu sends to an app user is POSTed to
//! the app's backend, signed like operator webhooks (`X-Kefu-Signature: sha256=HEX`).

use std::time::Duration;

use serde_json::json;

use crate::store::Message;
use crate::webhooks::{SIGNATURE_HEADER, sign};

/// A message as the app channel shows it: id, sender, text, and the full reply (rich
/// replies — images, links, mini-program cards — keep their fields).
pub fn message_json(message: &Message) -> serde_json::Value {
    let reply: Option<crate::knowledge::Reply> = serde_json::from_value(message.content.clone()).ok();
    let text = match &reply {
        Some(crate::knowledge::Reply::Text { text }) => text.clone(),
        Some(other) => other.summary(),
        None => message.content.as_str().unwrap_or_default().to_string(),
    };
    json!({
        "id": message.id,
        "sender": message.sender,
        "text": text,
        "content": message.content,
        "created_at": message.created_at,
    })
}

/// Attempts per message before giving up (the app can still poll).
const ATTEMPTS: u32 = 3;

/// Pushes outgoing messages to the app's backend.
#[derive(Debug, Clone)]
pub struct AppPush {
    http: reqwest::Client,
    url: String,
    secret: String,
}

impl AppPush {
    /// A pusher to `url`, signing with `secret`.
    pub fn new(url: &str, secret: &str) -> AppPush {
        AppPush { http: reqwest::Client::new(), url: url.to_string(), secret: secret.to_string() }
    }

    /// Sends the messages in order, in a background task, retrying failed posts.
    pub fn push(&self, user_id: String, messages: Vec<Message>) {
        let push = self.clone();
        tokio::spawn(async move {
            for message in messages {
                push.send(&user_id, &message).await;
            }
        });
    }

    async fn send(&self, user_id: &str, message: &Message) {
        let body = json!({
            "user_id": user_id,
            "conversation_id": message.conversation_id,
            "message": message_json(message),
        });
        let bytes = body.to_string().into_bytes();
        let signature = sign(&self.secret, &bytes);
        for attempt in 1..=ATTEMPTS {
            let result = self
                .http
                .post(&self.url)
                .timeout(Duration::from_secs(5))
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(SIGNATURE_HEADER, &signature)
                .body(bytes.clone())
                .send()
                .await;
            match result {
                Ok(response) if response.status().is_success() => return,
                Ok(response) => {
                    tracing::warn!(status = response.status().as_u16(), attempt, "app push refused")
                }
                Err(error) => tracing::warn!(error = %error, attempt, "app push failed"),
            }
            tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
        }
    }
}
