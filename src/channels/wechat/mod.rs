//! WeChat mini programs and official accounts: the push endpoint's protocol (signatures,
//! AES, XML/JSON messages) and the customer-service API that sends replies.

mod api;
pub mod crypto;
pub mod message;
mod outbox;

pub use api::{SendError, WechatApi};
pub use crypto::{CryptoError, WechatCrypto};
pub use message::{
    Common, Envelope, Format, ParseError, PushMessage, parse_envelope, parse_message, transfer_reply,
};

use crate::config::WechatConfig;
use crate::knowledge::Reply;
use crate::store::{Message, Store};

/// The channel name of a WeChat app's conversations.
pub fn channel_name(app: &str) -> String {
    format!("wechat:{app}")
}

/// One configured WeChat app: its push credentials and its API client.
pub struct WechatApp {
    /// The name in `[wechat.NAME]` and `/wechat/NAME`.
    pub name: String,
    /// AES for safe and compatible mode; `None` when no EncodingAESKey is configured.
    pub crypto: Option<WechatCrypto>,
    token: String,
    /// The push data format.
    pub format: Format,
    /// Hand-offs go to WeChat's own web tool (`transfer_customer_service`).
    pub transfer_to_wechat: bool,
    /// Messages allowed after a user message, within the window.
    pub window_messages: i64,
    /// The reply window, in hours.
    pub window_hours: i64,
    /// The API client.
    pub api: WechatApi,
    store: Store,
    outbox: outbox::Outbox,
}

impl WechatApp {
    /// Builds the app from its configuration.
    pub fn new(name: &str, config: &WechatConfig, store: Store) -> Result<WechatApp, CryptoError> {
        Ok(WechatApp {
            name: name.to_string(),
            crypto: if config.encoding_aes_key.is_empty() {
                None
            } else {
                Some(WechatCrypto::new(&config.token, &config.encoding_aes_key, &config.appid)?)
            },
            token: config.token.clone(),
            format: if config.format == "xml" { Format::Xml } else { Format::Json },
            transfer_to_wechat: config.handoff == "wechat",
            window_messages: config.window_messages,
            window_hours: config.window_hours,
            api: WechatApi::new(name, &config.api_base, &config.appid, &config.secret, store.clone()),
            store,
            outbox: outbox::Outbox::default(),
        })
    }

    /// Whether `signature` is the push Token's signature of `timestamp` and `nonce`.
    pub fn verify_signature(&self, timestamp: &str, nonce: &str, signature: &str) -> bool {
        crypto::verify_signature(&self.token, timestamp, nonce, signature)
    }

    /// Sends stored messages to `openid` in order: consecutive texts packed into one message
    /// (WeChat counts messages against a small quota); stops at a closed window.
    async fn deliver(&self, openid: &str, messages: &[Message]) {
        let store = &self.store;
        let replies: Vec<Reply> =
            messages.iter().filter_map(|m| serde_json::from_value(m.content.clone()).ok()).collect();
        let conversation_id = messages.first().map(|m| m.conversation_id);
        if let Some(id) = conversation_id
            && let Ok(Some(why)) = store.channel_blocked(id).await
        {
            tracing::info!(app = %self.name, conversation_id = id, why = %why, "not sending: WeChat closed the reply window");
            return;
        }
        for reply in pack_texts(replies) {
            match self.api.send(openid, &reply).await {
                Ok(()) => {}
                Err(error) if error.closes_window() => {
                    tracing::info!(app = %self.name, error = %error, "WeChat closed the reply window");
                    if let Some(id) = conversation_id
                        && let Err(store_error) =
                            store.set_channel_blocked(id, Some(&error.to_string())).await
                    {
                        tracing::error!(error = %store_error, "cannot mark the closed reply window");
                    }
                    return;
                }
                Err(error) => {
                    tracing::warn!(app = %self.name, error = %error, "WeChat send failed");
                    return;
                }
            }
        }
    }
}

impl WechatApp {
    /// What WeChat still lets the app send in a conversation: the window's end (ms), the
    /// messages left in it (an upper bound: packed texts count once) and why sends stopped.
    pub async fn limits(
        &self,
        store: &Store,
        conversation_id: i64,
    ) -> Result<serde_json::Value, crate::store::StoreError> {
        let (last_inbound, sent) = store.reply_window(conversation_id).await?;
        let blocked = store.channel_blocked(conversation_id).await?;
        let closes_at = last_inbound.map(|at| at + self.window_hours * 3_600_000);
        let open = closes_at.is_some_and(|at| at > crate::store::now_ms()) && blocked.is_none();
        Ok(serde_json::json!({
            "window_closes_at": closes_at,
            "messages_left": if open { (self.window_messages - sent).max(0) } else { 0 },
            "blocked": blocked,
        }))
    }
}

impl std::fmt::Debug for WechatApp {
    // The token is a secret: it stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatApp")
            .field("name", &self.name)
            .field("crypto", &self.crypto)
            .finish_non_exhaustive()
    }
}

/// Consecutive text replies joined into one (a blank line apart); rich replies stay apart.
pub fn pack_texts(replies: Vec<Reply>) -> Vec<Reply> {
    let mut packed: Vec<Reply> = Vec::with_capacity(replies.len());
    for reply in replies {
        match (packed.last_mut(), reply) {
            (Some(Reply::Text { text: previous }), Reply::Text { text }) => {
                previous.push_str("\n\n");
                previous.push_str(&text);
            }
            (_, reply) => packed.push(reply),
        }
    }
    packed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_texts_are_packed_and_cards_stay_apart() {
        let link = Reply::Link {
            title: "t".into(),
            description: String::new(),
            url: "https://x".into(),
            thumb_url: None,
        };
        let packed = pack_texts(vec![Reply::text("一"), Reply::text("二"), link.clone(), Reply::text("三")]);
        assert_eq!(packed, vec![Reply::text("一\n\n二"), link, Reply::text("三")]);
    }
}
