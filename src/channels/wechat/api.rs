//! WeChat's customer-service API: access tokens (shared, single flight, refreshed before
//! expiry and once on rejection), sending text, image, link and mini-program replies, the
//! typing indicator, and image upload. Tokens and secrets never reach a log.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::knowledge::Reply;
use crate::store::{Store, now_ms};

/// Refresh a token this long before it expires.
const REFRESH_MARGIN_MS: i64 = 5 * 60 * 1000;
/// WeChat keeps uploaded temporary media 3 days; reuse a media id a bit less.
const MEDIA_LIFETIME_MS: i64 = (3 * 24 - 1) * 3600 * 1000;
/// Attempts on a busy (-1) answer or a network error.
const ATTEMPTS: u32 = 3;

/// Why a message could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// 45015: more than 48 hours since the user wrote — a business state, not retried.
    #[error("the reply window is closed (45015)")]
    WindowClosed,
    /// 45047: the messages allowed in the window are used up — not retried.
    #[error("the reply quota is used up (45047)")]
    QuotaUsed,
    /// 45009 / 45011: the app's API quota; back off.
    #[error("WeChat API rate limit ({0})")]
    RateLimited(i64),
    /// 40003: not a user of this app.
    #[error("invalid OpenID (40003)")]
    InvalidOpenid,
    /// 48001 and other configuration problems: an admin must act.
    #[error("WeChat refused the call: {code} {message}")]
    Refused {
        /// errcode.
        code: i64,
        /// errmsg.
        message: String,
    },
    /// Network trouble or repeated busy answers.
    #[error("WeChat could not be reached: {0}")]
    Unreachable(String),
}

impl SendError {
    /// True for the states that close the conversation's channel until the user writes again.
    pub fn closes_window(&self) -> bool {
        matches!(self, SendError::WindowClosed | SendError::QuotaUsed)
    }
}

/// The API client of one WeChat app.
pub struct WechatApi {
    name: String,
    http: reqwest::Client,
    api_base: String,
    appid: String,
    secret: String,
    store: Store,
    /// The cached token; the lock makes refreshes single-flight.
    token: Mutex<Option<(String, i64)>>,
    media: Mutex<HashMap<String, (String, i64)>>,
}

impl std::fmt::Debug for WechatApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatApi")
            .field("name", &self.name)
            .field("appid", &self.appid)
            .finish_non_exhaustive()
    }
}

impl WechatApi {
    /// A client for app `name`.
    pub fn new(name: &str, api_base: &str, appid: &str, secret: &str, store: Store) -> WechatApi {
        WechatApi {
            name: name.to_string(),
            http: reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default(),
            api_base: api_base.trim_end_matches('/').to_string(),
            appid: appid.to_string(),
            secret: secret.to_string(),
            store,
            token: Mutex::new(None),
            media: Mutex::new(HashMap::new()),
        }
    }

    /// A valid access token: cached, else the one another replica stored, else a new one.
    /// Concurrent callers wait for one fetch instead of each fetching (which would
    /// invalidate each other's tokens).
    async fn access_token(&self) -> Result<String, SendError> {
        let mut cached = self.token.lock().await;
        let now = now_ms();
        if let Some((token, expires_at)) = cached.as_ref()
            && *expires_at - REFRESH_MARGIN_MS > now
        {
            return Ok(token.clone());
        }
        if let Ok(Some((token, expires_at))) = self.store.wechat_token(&self.name).await
            && expires_at - REFRESH_MARGIN_MS > now
        {
            *cached = Some((token.clone(), expires_at));
            return Ok(token);
        }
        let fresh = self.fetch_token(false).await?;
        *cached = Some(fresh.clone());
        Ok(fresh.0)
    }

    /// A new token after WeChat rejected `stale`, unless another caller already replaced it.
    async fn refresh_token(&self, stale: &str) -> Result<String, SendError> {
        let mut cached = self.token.lock().await;
        if let Some((token, expires_at)) = cached.as_ref()
            && token != stale
            && *expires_at > now_ms()
        {
            return Ok(token.clone());
        }
        let fresh = self.fetch_token(true).await?;
        *cached = Some(fresh.clone());
        Ok(fresh.0)
    }

    async fn fetch_token(&self, force_refresh: bool) -> Result<(String, i64), SendError> {
        let url = format!("{}/cgi-bin/stable_token", self.api_base);
        let body = json!({ "grant_type": "client_credential", "appid": self.appid, "secret": self.secret, "force_refresh": force_refresh });
        let reply = self.post_json(&url, &body).await?;
        let token = reply.get("access_token").and_then(Value::as_str);
        let expires_in = reply.get("expires_in").and_then(Value::as_i64).unwrap_or(7200);
        let Some(token) = token else {
            return Err(api_error(&reply));
        };
        let expires_at = now_ms() + expires_in * 1000;
        if let Err(error) = self.store.save_wechat_token(&self.name, token, expires_at).await {
            tracing::warn!(app = %self.name, error = %error, "cannot share the access token");
        }
        tracing::info!(app = %self.name, expires_in, "fetched a WeChat access token");
        Ok((token.to_string(), expires_at))
    }

    /// POSTs JSON, retrying network errors and busy answers with backoff.
    async fn post_json(&self, url: &str, body: &Value) -> Result<Value, SendError> {
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 * 4u64.pow(attempt - 1))).await;
            }
            match self.http.post(url).json(body).send().await {
                Ok(response) => match response.json::<Value>().await {
                    Ok(reply) if errcode(&reply) == -1 => last = "busy (-1)".into(),
                    Ok(reply) => return Ok(reply),
                    Err(error) => last = format!("unreadable answer: {}", error.without_url()),
                },
                Err(error) => last = error.without_url().to_string(),
            }
        }
        Err(SendError::Unreachable(last))
    }

    /// Calls `path` with a token; refreshes it once when WeChat says it is invalid.
    async fn call(&self, path: &str, body: &Value) -> Result<Value, SendError> {
        let mut token = self.access_token().await?;
        for refreshed in [false, true] {
            let url = format!("{}{path}?access_token={token}", self.api_base);
            let reply = self.post_json(&url, body).await?;
            match errcode(&reply) {
                0 => return Ok(reply),
                40001 | 40014 | 42001 if !refreshed => token = self.refresh_token(&token).await?,
                _ => return Err(api_error(&reply)),
            }
        }
        Err(SendError::Unreachable("the access token was refused twice".into()))
    }

    /// Sends one reply to `openid`.
    pub async fn send(&self, openid: &str, reply: &Reply) -> Result<(), SendError> {
        let body = match reply {
            Reply::Text { text } => {
                json!({ "touser": openid, "msgtype": "text", "text": { "content": text } })
            }
            Reply::Image { url, media_id } => {
                let media_id = match (media_id, url) {
                    (Some(id), _) => id.clone(),
                    (None, Some(url)) => self.upload_image(url).await?,
                    (None, None) => return Ok(()),
                };
                json!({ "touser": openid, "msgtype": "image", "image": { "media_id": media_id } })
            }
            Reply::Link { title, description, url, thumb_url } => json!({
                "touser": openid,
                "msgtype": "link",
                "link": { "title": title, "description": description, "url": url, "thumb_url": thumb_url.clone().unwrap_or_default() },
            }),
            Reply::MiniProgram { title, pagepath, thumb_url, thumb_media_id } => {
                let thumb = match (thumb_media_id, thumb_url) {
                    (Some(id), _) => id.clone(),
                    (None, Some(url)) => self.upload_image(url).await?,
                    (None, None) => String::new(),
                };
                json!({ "touser": openid, "msgtype": "miniprogrampage", "miniprogrampage": { "title": title, "pagepath": pagepath, "thumb_media_id": thumb } })
            }
        };
        self.call("/cgi-bin/message/custom/send", &body).await.map(|_| ())
    }

    /// Shows or hides "typing…" to the user (best effort).
    pub async fn typing(&self, openid: &str, typing: bool) -> Result<(), SendError> {
        let command = if typing { "Typing" } else { "CancelTyping" };
        self.call("/cgi-bin/message/custom/typing", &json!({ "touser": openid, "command": command }))
            .await
            .map(|_| ())
    }

    /// The media id of the image at `url`: uploaded once, reused while WeChat keeps it.
    async fn upload_image(&self, url: &str) -> Result<String, SendError> {
        if let Some((id, expires_at)) = self.media.lock().await.get(url)
            && *expires_at > now_ms()
        {
            return Ok(id.clone());
        }
        let bytes = self
            .http
            .get(url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| SendError::Unreachable(format!("cannot fetch the image: {}", e.without_url())))?
            .bytes()
            .await
            .map_err(|e| SendError::Unreachable(format!("cannot fetch the image: {}", e.without_url())))?;
        let file_name = url.rsplit('/').next().filter(|n| n.contains('.')).unwrap_or("image.jpg").to_string();
        for refreshed in [false, true] {
            let token = if refreshed {
                self.refresh_token(&self.access_token().await?).await?
            } else {
                self.access_token().await?
            };
            let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(file_name.clone());
            let form = reqwest::multipart::Form::new().part("media", part);
            let endpoint = format!("{}/cgi-bin/media/upload?access_token={token}&type=image", self.api_base);
            let reply: Value = self
                .http
                .post(&endpoint)
                .multipart(form)
                .send()
                .await
                .map_err(|e| SendError::Unreachable(e.without_url().to_string()))?
                .json()
                .await
                .map_err(|e| SendError::Unreachable(e.without_url().to_string()))?;
            if let Some(id) = reply.get("media_id").and_then(Value::as_str) {
                self.media
                    .lock()
                    .await
                    .insert(url.to_string(), (id.to_string(), now_ms() + MEDIA_LIFETIME_MS));
                return Ok(id.to_string());
            }
            if !matches!(errcode(&reply), 40001 | 40014 | 42001) || refreshed {
                return Err(api_error(&reply));
            }
        }
        Err(SendError::Unreachable("the access token was refused twice".into()))
    }
}

fn errcode(reply: &Value) -> i64 {
    reply.get("errcode").and_then(Value::as_i64).unwrap_or(0)
}

fn api_error(reply: &Value) -> SendError {
    let code = errcode(reply);
    let message = reply.get("errmsg").and_then(Value::as_str).unwrap_or_default().to_string();
    match code {
        45015 => SendError::WindowClosed,
        45047 => SendError::QuotaUsed,
        45009 | 45011 => SendError::RateLimited(code),
        40003 => SendError::InvalidOpenid,
        _ => SendError::Refused { code, message },
    }
}
