//! Admin: agent accounts.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::extract::{AdminCaller, ApiJson, ApiPath};
use crate::agents::hash_password;
use crate::store::{NewAgent, Role};

/// Shortest accepted password.
pub const MIN_PASSWORD: usize = 8;

/// Every agent.
pub async fn list(State(state): State<AppState>, _admin: AdminCaller) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "agents": state.service.store.agents().await? })))
}

/// `POST /api/v1/admin/agents`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateAgent {
    username: String,
    password: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    role: Option<Role>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    max_concurrent: Option<i64>,
}

/// Creates an agent account.
pub async fn create(
    State(state): State<AppState>,
    _admin: AdminCaller,
    ApiJson(body): ApiJson<CreateAgent>,
) -> Result<Json<Value>, ApiError> {
    let username = body.username.trim().to_string();
    if username.is_empty() || !username.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        return Err(ApiError::bad_request("`username` must be letters, digits, `-`, `_` or `.`"));
    }
    check_password(&body.password)?;
    let max = body.max_concurrent.unwrap_or(state.service.config.agents.default_max_concurrent);
    if !(1..=100).contains(&max) {
        return Err(ApiError::bad_request("`max_concurrent` must be between 1 and 100"));
    }
    let password = body.password;
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let new = NewAgent {
        display_name: body.display_name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| username.clone()),
        username,
        password_hash,
        role: body.role.unwrap_or(Role::Agent),
        groups: body.groups,
        max_concurrent: max,
    };
    let mut tx = state.service.store.begin().await?;
    let agent = tx
        .insert_agent(&new)
        .await?
        .ok_or_else(|| ApiError::conflict(format!("username `{}` is taken", new.username)))?;
    tx.commit().await?;
    Ok(Json(json!({ "agent": agent })))
}

fn check_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(ApiError::bad_request(format!("`password` must be at least {MIN_PASSWORD} characters")));
    }
    Ok(())
}

/// `PATCH /api/v1/admin/agents/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateAgent {
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    role: Option<Role>,
    #[serde(default)]
    groups: Option<Vec<String>>,
    #[serde(default)]
    max_concurrent: Option<i64>,
    #[serde(default)]
    disabled: Option<bool>,
}

/// Changes an agent: name, password reset, role, groups, maximum, disabled.
pub async fn update(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<UpdateAgent>,
) -> Result<Json<Value>, ApiError> {
    let store = &state.service.store;
    let mut agent = store.agent(id).await?.ok_or_else(|| ApiError::not_found("agent not found"))?;
    if agent.id == admin.id && (body.disabled == Some(true) || body.role == Some(Role::Agent)) {
        return Err(ApiError::conflict("an admin cannot disable or demote themselves"));
    }
    if let Some(name) = body.display_name.filter(|n| !n.trim().is_empty()) {
        agent.display_name = name.trim().to_string();
    }
    if let Some(password) = body.password {
        check_password(&password)?;
        agent.password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)?;
    }
    if let Some(max) = body.max_concurrent {
        if !(1..=100).contains(&max) {
            return Err(ApiError::bad_request("`max_concurrent` must be between 1 and 100"));
        }
        agent.max_concurrent = max;
    }
    agent.role = body.role.unwrap_or(agent.role);
    agent.groups = body.groups.unwrap_or(agent.groups);
    agent.disabled = body.disabled.unwrap_or(agent.disabled);
    let mut tx = store.begin().await?;
    tx.save_agent(&agent).await?;
    tx.commit().await?;
    Ok(Json(json!({ "agent": agent })))
}
