//! Calling operator webhooks: the shop's own systems, reached by a signed JSON POST.
//!
//! The body is `{"flow", "values", "customer"}`; the header `X-Kefu-Signature:
//! sha256=HEX` is the HMAC-SHA256 of the exact body bytes with the webhook's secret, so the
//! shop can check the call comes from kefu. A timeout, a non-2xx status or a reply that is not
//! a JSON object is a [`WebhookFailure`] — the flow's error path — never a hang.

use std::collections::BTreeMap;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::config::WebhookConfig;
use crate::flows::WebhookFailure;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-Kefu-Signature";

/// Calls the configured webhooks.
#[derive(Debug, Clone)]
pub struct WebhookClient {
    http: reqwest::Client,
    hooks: BTreeMap<String, WebhookConfig>,
}

impl WebhookClient {
    /// A client for the configured webhooks.
    pub fn new(hooks: BTreeMap<String, WebhookConfig>) -> WebhookClient {
        WebhookClient { http: reqwest::Client::new(), hooks }
    }

    /// Calls webhook `name` with `payload` plus the customer reference.
    pub async fn call(&self, name: &str, payload: &Value, customer: &str) -> Result<Value, WebhookFailure> {
        let Some(hook) = self.hooks.get(name) else {
            return Err(WebhookFailure(format!("webhook `{name}` is not configured")));
        };
        let mut body = payload.clone();
        if let Some(object) = body.as_object_mut() {
            object.insert("customer".into(), Value::String(customer.to_string()));
        }
        let bytes = serde_json::to_vec(&body).map_err(|e| WebhookFailure(e.to_string()))?;
        let request = self
            .http
            .post(&hook.url)
            .timeout(Duration::from_millis(hook.timeout_ms))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, sign(&hook.secret, &bytes))
            .body(bytes);
        let response = request.send().await.map_err(|error| {
            let kind = if error.is_timeout() { "timed out" } else { "could not be reached" };
            tracing::warn!(webhook = name, "webhook {kind}");
            WebhookFailure(format!("webhook `{name}` {kind}"))
        })?;
        let status = response.status();
        if !status.is_success() {
            tracing::warn!(webhook = name, status = status.as_u16(), "webhook answered with an error status");
            return Err(WebhookFailure(format!("webhook `{name}` answered HTTP {}", status.as_u16())));
        }
        let text =
            response.text().await.map_err(|_| WebhookFailure(format!("webhook `{name}`: reply cut off")))?;
        match serde_json::from_str::<Value>(&text) {
            Ok(value) if value.is_object() => Ok(value),
            _ => {
                tracing::warn!(webhook = name, "webhook reply is not a JSON object");
                Err(WebhookFailure(format!("webhook `{name}`: the reply is not a JSON object")))
            }
        }
    }
}

/// `sha256=` + hex HMAC-SHA256 of `body` keyed with `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_rfc_4231_hmac() {
        // RFC 4231 test case 2.
        let signature = sign("Jefe", b"what do ya want for nothing?");
        assert_eq!(signature, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
