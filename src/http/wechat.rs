//! The WeChat push endpoint `/wechat/{name}`: URL verification (GET) and message push
//! (POST), in plain, compatible or safe (AES) mode, with XML or JSON bodies.
//!
//! A push is answered only once the message is stored: WeChat retries a push that gets no
//! answer within 5 s, and the retry is dropped by its `MsgId`. Replies go out through the
//! customer-service API; the push answer is `success`, or the hand-off to WeChat's own tool.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde::Deserialize;

use super::extract::ApiPath;
use super::{ApiError, AppState};
use crate::channels::wechat::{self, Common, Format, PushMessage, WechatApp};
use crate::conversation::{Inbound, Service};
use crate::knowledge::Reply;

/// How far a push's timestamp may be from our clock before it is refused as a replay.
const MAX_CLOCK_SKEW_SECS: i64 = 300;
/// How long a push waits for its message to be handled; WeChat gives up after 5 s.
const ANSWER_DEADLINE: Duration = Duration::from_millis(4000);

/// The query string WeChat signs a request with.
#[derive(Debug, Deserialize)]
pub struct Signed {
    signature: Option<String>,
    timestamp: Option<String>,
    nonce: Option<String>,
    echostr: Option<String>,
    encrypt_type: Option<String>,
    msg_signature: Option<String>,
}

/// `GET /wechat/{name}`: the console's URL check; echoes `echostr` when the signature holds.
pub async fn verify(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    Query(signed): Query<Signed>,
) -> Result<Response, ApiError> {
    let app = app(&state.service, &name)?;
    let (timestamp, nonce) = signed_clock(&signed)?;
    let signature = signed.signature.as_deref().unwrap_or_default();
    if !app.verify_signature(timestamp, nonce, signature) {
        return Err(refused(&name, "URL verification with a bad signature"));
    }
    let echostr = signed.echostr.ok_or_else(|| ApiError::bad_request("echostr is missing"))?;
    Ok(plain(echostr))
}

/// `POST /wechat/{name}`: one pushed message or event.
pub async fn push(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    Query(signed): Query<Signed>,
    body: String,
) -> Result<Response, ApiError> {
    let app = app(&state.service, &name)?.clone();
    let (timestamp, nonce) = signed_clock(&signed)?;
    let signature = signed.signature.as_deref().unwrap_or_default();
    if !app.verify_signature(timestamp, nonce, signature) {
        return Err(refused(&name, "push with a bad signature"));
    }
    fresh(timestamp).map_err(|error| refused(&name, error))?;
    let encrypted = signed.encrypt_type.as_deref() == Some("aes");
    let plaintext = if encrypted {
        let Some(crypto) = &app.crypto else {
            return Err(refused(&name, "an encrypted push, but no encoding_aes_key is configured"));
        };
        let envelope = wechat::parse_envelope(&body, app.format).map_err(|error| malformed(&name, &error))?;
        let encrypt = envelope.encrypt.ok_or_else(|| malformed(&name, &"no Encrypt field"))?;
        let msg_signature = signed.msg_signature.as_deref().unwrap_or_default();
        if !crypto.verify_msg_signature(timestamp, nonce, &encrypt, msg_signature) {
            return Err(refused(&name, "push with a bad msg_signature"));
        }
        crypto
            .decrypt(&encrypt)
            .map_err(|error| refused(&name, format!("cannot decrypt the push: {error}")))?
    } else if app.crypto.is_some() {
        // A plaintext push's signature does not cover its body: with a key configured, only
        // encrypted pushes are trusted.
        return Err(refused(&name, "a plaintext push to an app configured for encrypted pushes"));
    } else {
        body
    };
    let message = wechat::parse_message(&plaintext, app.format).map_err(|error| malformed(&name, &error))?;
    let service = state.service.clone();
    let handled = tokio::spawn({
        let app = app.clone();
        let message = message.clone();
        // A task of its own: the message is stored and answered even if WeChat hangs up.
        async move { handle(&service, &app, message).await }
    });
    let transferred = match tokio::time::timeout(ANSWER_DEADLINE, handled).await {
        Ok(Ok(Ok(transferred))) => transferred,
        Ok(Ok(Err(error))) => return Err(ApiError::internal(error)),
        Ok(Err(error)) => return Err(ApiError::internal(error)),
        Err(_) => {
            tracing::warn!(app = %name, "push still being handled at the deadline; acknowledged");
            false
        }
    };
    if !transferred {
        return Ok(plain("success".into()));
    }
    Ok(transfer_answer(&app, message.common(), encrypted, timestamp, nonce))
}

/// Stores and answers one push; true when the conversation went to WeChat's own tool.
async fn handle(
    service: &Service,
    app: &WechatApp,
    message: PushMessage,
) -> Result<bool, crate::conversation::ServiceError> {
    let channel = wechat::channel_name(&app.name);
    let inbound = |common: &Common, msg_id: u64, text: String, media: Option<Reply>| Inbound {
        channel: channel.clone(),
        external_id: common.from_user.clone(),
        display_name: String::new(),
        platform_msg_id: Some(msg_id.to_string()),
        text,
        media,
    };
    let delivered = match &message {
        PushMessage::Text { common, msg_id, content } => {
            service.receive(inbound(common, *msg_id, content.clone(), None)).await?
        }
        PushMessage::Image { common, msg_id, pic_url, media_id } => {
            let image = Reply::Image { url: Some(pic_url.clone()), media_id: Some(media_id.clone()) };
            service.receive(inbound(common, *msg_id, "[图片]".into(), Some(image))).await?
        }
        PushMessage::MiniProgramPage {
            common, msg_id, title, page_path, thumb_url, thumb_media_id, ..
        } => {
            let card = Reply::MiniProgram {
                title: title.clone(),
                pagepath: page_path.clone(),
                thumb_url: Some(thumb_url.clone()).filter(|url| !url.is_empty()),
                thumb_media_id: Some(thumb_media_id.clone()).filter(|id| !id.is_empty()),
            };
            service.receive(inbound(common, *msg_id, format!("[小程序卡片] {title}"), Some(card))).await?
        }
        PushMessage::EnterSession { common, session_from } => {
            let key = format!("event:enter_session:{}", common.create_time);
            service.welcome(&channel, &common.from_user, &key, session_from).await?;
            return Ok(false);
        }
        PushMessage::Other { common, msg_id: Some(msg_id), msg_type } => {
            // Voice, video, location…: kept for the agent, answered like an image.
            let note = Reply::text(format!("[{msg_type}]"));
            service.receive(inbound(common, *msg_id, format!("[{msg_type}]"), Some(note))).await?
        }
        PushMessage::DebugDemo { .. } | PushMessage::OtherEvent { .. } | PushMessage::Other { .. } => {
            return Ok(false);
        }
    };
    super::ops::record_exchange(&channel, &delivered, std::time::Duration::ZERO);
    Ok(delivered.transferred_out)
}

/// The passive `transfer_customer_service` answer, encrypted when the push was.
fn transfer_answer(
    app: &WechatApp,
    common: &Common,
    encrypted: bool,
    timestamp: &str,
    nonce: &str,
) -> Response {
    let now = crate::store::now_ms() / 1000;
    let reply = wechat::transfer_reply(common, now, app.format);
    let body = match app.crypto.as_ref().filter(|_| encrypted) {
        Some(crypto) => crypto.encrypted_reply(&reply, timestamp, nonce, rand::rng().random(), app.format),
        None => reply,
    };
    let content_type = match app.format {
        Format::Json => "application/json",
        Format::Xml => "application/xml",
    };
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

fn app<'s>(service: &'s Service, name: &str) -> Result<&'s Arc<WechatApp>, ApiError> {
    service
        .delivery()
        .wechat_app(name)
        .ok_or_else(|| ApiError::not_found(format!("no WeChat app named {name:?}")))
}

fn signed_clock(signed: &Signed) -> Result<(&str, &str), ApiError> {
    match (signed.timestamp.as_deref(), signed.nonce.as_deref()) {
        (Some(timestamp), Some(nonce)) => Ok((timestamp, nonce)),
        _ => Err(ApiError::unauthorized("timestamp and nonce are required")),
    }
}

/// Refuses pushes signed long ago (or far ahead): a captured push cannot be replayed later.
fn fresh(timestamp: &str) -> Result<(), String> {
    let sent: i64 = timestamp.parse().map_err(|_| format!("timestamp {timestamp:?} is not a number"))?;
    let skew = (crate::store::now_ms() / 1000 - sent).abs();
    if skew > MAX_CLOCK_SKEW_SECS {
        return Err(format!("timestamp is {skew} s away from our clock"));
    }
    Ok(())
}

/// A 401, logged without the body (it may hold a customer's message).
fn refused(app: &str, why: impl std::fmt::Display) -> ApiError {
    tracing::warn!(app = %app, why = %why, "WeChat push refused");
    ApiError::unauthorized(why.to_string())
}

/// A 400 for a body that is not a WeChat message, logged without the body.
fn malformed(app: &str, error: &dyn std::fmt::Display) -> ApiError {
    tracing::warn!(app = %app, error = %error, "malformed WeChat push");
    ApiError::bad_request(format!("not a WeChat message: {error}"))
}

fn plain(text: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}
