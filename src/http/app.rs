//! The app channel: a native app or any backend posts its users' messages and gets the
//! bot's replies; agents' later replies are polled (or pushed, see `channels::AppPush`).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::extract::{ApiJson, ApiPath, ApiQuery, AppCaller};
use crate::channels::{APP, message_json};
use crate::conversation::Inbound;

/// Longest accepted message, in characters.
const MAX_TEXT: usize = 2000;
/// Longest accepted user id or message id.
const MAX_ID: usize = 128;

/// `POST /api/v1/app/messages`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostMessage {
    user_id: String,
    text: String,
    #[serde(default)]
    msg_id: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
}

/// Stores the user's message and answers with the bot's replies.
pub async fn post_message(
    State(state): State<AppState>,
    _app: AppCaller,
    ApiJson(body): ApiJson<PostMessage>,
) -> Result<Json<Value>, ApiError> {
    let user_id = body.user_id.trim();
    if user_id.is_empty() || user_id.chars().count() > MAX_ID {
        return Err(ApiError::bad_request(format!("`user_id` must be 1 to {MAX_ID} characters")));
    }
    if body.text.trim().is_empty() || body.text.chars().count() > MAX_TEXT {
        return Err(ApiError::bad_request(format!("`text` must be 1 to {MAX_TEXT} characters")));
    }
    if body.msg_id.as_ref().is_some_and(|id| id.is_empty() || id.chars().count() > MAX_ID) {
        return Err(ApiError::bad_request(format!("`msg_id` must be 1 to {MAX_ID} characters")));
    }
    let started = std::time::Instant::now();
    let inbound = Inbound {
        channel: APP.to_string(),
        external_id: user_id.to_string(),
        display_name: body.display_name.unwrap_or_default(),
        platform_msg_id: body.msg_id,
        text: body.text,
        media: None,
    };
    let delivered = state.service.receive(inbound).await?;
    super::ops::record_exchange(APP, &delivered, started.elapsed());
    Ok(Json(json!({
        "conversation_id": delivered.conversation_id,
        "state": delivered.state,
        "duplicate": delivered.duplicate,
        "replies": delivered.replies.iter().map(message_json).collect::<Vec<_>>(),
    })))
}

/// `?after=ID`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct After {
    #[serde(default)]
    after: i64,
}

/// Messages to the user after message `after` (agent replies arrive this way), oldest first.
pub async fn poll(
    State(state): State<AppState>,
    _app: AppCaller,
    ApiPath(user_id): ApiPath<String>,
    ApiQuery(after): ApiQuery<After>,
) -> Result<Json<Value>, ApiError> {
    let store = &state.service.store;
    let messages = match store.customer_by_external_id(APP, &user_id).await? {
        Some(customer) => store.outgoing_after(customer.id, after.after, 100).await?,
        None => Vec::new(),
    };
    Ok(Json(json!({ "messages": messages.iter().map(message_json).collect::<Vec<_>>() })))
}
