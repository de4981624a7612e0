//! Request extractors: JSON bodies whose errors are our JSON errors, and the three kinds of
//! caller — an app (API key), an agent (session token), an admin.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::AppState;
use super::error::ApiError;
use crate::agents::token_hash;
use crate::store::{Agent, Role};

/// A JSON body; a malformed one is a 400 with the parser's message.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_error(rejection)),
        }
    }
}

fn json_error(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::bad_request("expected `Content-Type: application/json`")
        }
        other => ApiError::bad_request(other.body_text()),
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts.headers.get(AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

/// An authenticated app (the app channel's API key).
pub struct AppCaller;

impl FromRequestParts<AppState> for AppCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let keys = &state.service.config.app.api_keys;
        if keys.is_empty() {
            return Err(ApiError::unavailable(
                "the app channel is off: set [app] api_keys or KEFU_APP_API_KEY",
            ));
        }
        let given =
            bearer(parts).ok_or_else(|| ApiError::unauthorized("missing `Authorization: Bearer KEY`"))?;
        if keys.iter().any(|key| constant_time_eq(key.as_bytes(), given.as_bytes())) {
            Ok(AppCaller)
        } else {
            Err(ApiError::unauthorized("invalid API key"))
        }
    }
}

/// Compares secrets without leaking where they differ through timing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A logged-in agent (session token as `Authorization: Bearer TOKEN`).
pub struct AgentCaller(pub Agent);

impl FromRequestParts<AppState> for AgentCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token =
            bearer(parts).ok_or_else(|| ApiError::unauthorized("missing `Authorization: Bearer TOKEN`"))?;
        agent_for_token(state, token).await.map(AgentCaller)
    }
}

/// The enabled agent a session token belongs to.
pub async fn agent_for_token(state: &AppState, token: &str) -> Result<Agent, ApiError> {
    let store = &state.service.store;
    let agent_id = store
        .session_agent(&token_hash(token), crate::store::now_ms())
        .await?
        .ok_or_else(|| ApiError::unauthorized("invalid or expired token"))?;
    match store.agent(agent_id).await? {
        Some(agent) if !agent.disabled => Ok(agent),
        _ => Err(ApiError::unauthorized("invalid or expired token")),
    }
}

/// A logged-in admin.
pub struct AdminCaller(pub Agent);

impl FromRequestParts<AppState> for AdminCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let AgentCaller(agent) = AgentCaller::from_request_parts(parts, state).await?;
        if agent.role == Role::Admin {
            Ok(AdminCaller(agent))
        } else {
            Err(ApiError::forbidden("admins only"))
        }
    }
}

/// A query string; a malformed one is a 400 with a JSON body.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| ApiQuery(value))
            .map_err(|rejection| ApiError::bad_request(rejection.body_text()))
    }
}

/// Path parameters; a malformed one (`/conversations/abc`) is a 400 with a JSON body.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| ApiPath(value))
            .map_err(|rejection| ApiError::bad_request(rejection.body_text()))
    }
}
