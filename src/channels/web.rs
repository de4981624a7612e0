//! The website channel: visitors chat in the embeddable widget over `/ws/chat`. Every open
//! socket subscribes to its customer's feed; delivery fans committed messages out to them
//! (a visitor with two tabs open sees the chat in both).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::broadcast;

use crate::store::Message;

/// The channel name of the website channel.
pub const WEB: &str = "web";

/// Messages a slow socket may lag before it must reload the history.
const FEED_BUFFER: usize = 64;

/// Something to show in a visitor's open chat windows.
#[derive(Debug, Clone)]
pub enum WebPush {
    /// A committed message of the visitor's chat.
    Message(Box<Message>),
    /// The agent started or stopped typing.
    Typing(bool),
}

/// The live feeds of the visitors who have the chat open, by external id.
#[derive(Debug, Clone, Default)]
pub struct WebFeeds {
    feeds: Arc<Mutex<HashMap<String, broadcast::Sender<WebPush>>>>,
}

impl WebFeeds {
    /// Subscribes to a visitor's feed until the subscription is dropped.
    pub fn subscribe(&self, external_id: &str) -> WebSubscription {
        let mut feeds = self.feeds.lock().unwrap_or_else(PoisonError::into_inner);
        let receiver = feeds
            .entry(external_id.to_string())
            .or_insert_with(|| broadcast::channel(FEED_BUFFER).0)
            .subscribe();
        WebSubscription { feeds: self.clone(), external_id: external_id.to_string(), receiver }
    }

    /// Shows `push` in the visitor's open windows; false when none is open.
    pub fn push(&self, external_id: &str, push: WebPush) -> bool {
        let feeds = self.feeds.lock().unwrap_or_else(PoisonError::into_inner);
        feeds.get(external_id).is_some_and(|sender| sender.send(push).is_ok())
    }
}

/// A socket's subscription to its visitor's feed.
pub struct WebSubscription {
    feeds: WebFeeds,
    external_id: String,
    /// What arrives for the visitor.
    pub receiver: broadcast::Receiver<WebPush>,
}

impl Drop for WebSubscription {
    fn drop(&mut self) {
        let mut feeds = self.feeds.feeds.lock().unwrap_or_else(PoisonError::into_inner);
        // This subscription's receiver is still alive here: it is the last when the count is 1.
        if feeds.get(&self.external_id).is_some_and(|sender| sender.receiver_count() <= 1) {
            feeds.remove(&self.external_id);
        }
    }
}

/// Why a widget's identity was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// Neither a visitor id nor a signed user.
    #[error("connect with `visitor=ID` or with `user=ID&sig=HMAC`")]
    Missing,
    /// The visitor id is not 16–64 letters, digits, `-` or `_`.
    #[error("`visitor` must be 16 to 64 letters, digits, `-` or `_`")]
    BadVisitor,
    /// The user id is empty or too long.
    #[error("`user` must be 1 to 128 characters")]
    BadUser,
    /// Signed users are off (no `web.identity_secret`).
    #[error("signed users are not enabled on this server (web.identity_secret is empty)")]
    SigningOff,
    /// The signature does not match.
    #[error("the user signature is invalid")]
    BadSignature,
}

/// The customer's external id on the web channel: `v:VISITOR` for an anonymous browser,
/// `u:USER` for a user the host site signed (`sig` = hex HMAC-SHA256 of the id).
pub fn web_identity(
    secret: &str,
    visitor: Option<&str>,
    user: Option<&str>,
    sig: Option<&str>,
) -> Result<String, IdentityError> {
    match (user, visitor) {
        (Some(user), _) => {
            if user.is_empty() || user.chars().count() > 128 {
                return Err(IdentityError::BadUser);
            }
            if secret.is_empty() {
                return Err(IdentityError::SigningOff);
            }
            let sig = sig.and_then(|sig| hex::decode(sig.trim()).ok()).ok_or(IdentityError::BadSignature)?;
            let mut mac =
                Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| IdentityError::SigningOff)?;
            mac.update(user.as_bytes());
            // verify_slice compares in constant time.
            mac.verify_slice(&sig).map_err(|_| IdentityError::BadSignature)?;
            Ok(format!("u:{user}"))
        }
        (None, Some(visitor)) => {
            let valid = (16..=64).contains(&visitor.len())
                && visitor.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if valid { Ok(format!("v:{visitor}")) } else { Err(IdentityError::BadVisitor) }
        }
        (None, None) => Err(IdentityError::Missing),
    }
}

/// What a host site puts in `data-sig` for `user` (hex HMAC-SHA256 with the identity secret).
pub fn user_signature(secret: &str, user: &str) -> String {
    crate::webhooks::sign(secret, user.as_bytes()).trim_start_matches("sha256=").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_visitors_need_a_well_formed_id() {
        assert_eq!(web_identity("", Some("abcdefghijklmnop"), None, None), Ok("v:abcdefghijklmnop".into()));
        assert_eq!(web_identity("", Some("short"), None, None), Err(IdentityError::BadVisitor));
        assert_eq!(web_identity("", Some("abcdefghijklmnop<"), None, None), Err(IdentityError::BadVisitor));
        assert_eq!(web_identity("", None, None, None), Err(IdentityError::Missing));
    }

    #[test]
    fn signed_users_are_recognised_and_forgeries_refused() {
        let sig = user_signature("site-secret", "10086");
        assert_eq!(web_identity("site-secret", None, Some("10086"), Some(&sig)), Ok("u:10086".into()));
        assert_eq!(
            web_identity("site-secret", None, Some("10087"), Some(&sig)),
            Err(IdentityError::BadSignature)
        );
        assert_eq!(
            web_identity("site-secret", None, Some("10086"), Some("zz")),
            Err(IdentityError::BadSignature)
        );
        assert_eq!(web_identity("", None, Some("10086"), Some(&sig)), Err(IdentityError::SigningOff));
    }

    #[tokio::test]
    async fn a_feed_reaches_every_window_and_is_dropped_with_the_last() {
        let feeds = WebFeeds::default();
        assert!(!feeds.push("v:x", WebPush::Typing(true)), "nobody listens yet");
        let mut first = feeds.subscribe("v:x");
        let mut second = feeds.subscribe("v:x");
        assert!(feeds.push("v:x", WebPush::Typing(true)));
        assert!(matches!(first.receiver.recv().await, Ok(WebPush::Typing(true))));
        assert!(matches!(second.receiver.recv().await, Ok(WebPush::Typing(true))));
        drop(first);
        assert!(feeds.push("v:x", WebPush::Typing(false)), "one window is still open");
        drop(second);
        assert!(!feeds.push("v:x", WebPush::Typing(false)));
        assert!(feeds.feeds.lock().unwrap().is_empty());
    }
}
