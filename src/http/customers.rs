//! Customers: the CRM record agents see and edit.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::extract::{AgentCaller, ApiJson, ApiPath};
use crate::store::CustomerPatch;

/// A customer with their past conversations and tickets.
pub async fn detail(
    State(state): State<AppState>,
    _agent: AgentCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Value>, ApiError> {
    let store = &state.service.store;
    let customer = store.customer(id).await?.ok_or_else(|| ApiError::not_found("customer not found"))?;
    Ok(Json(json!({
        "customer": customer,
        "conversations": store.conversations_of_customer(id).await?,
        "tickets": store.tickets_of_customer(id).await?,
    })))
}

/// Changes the name, tags, attributes or notes.
pub async fn update(
    State(state): State<AppState>,
    _agent: AgentCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(patch): ApiJson<CustomerPatch>,
) -> Result<Json<Value>, ApiError> {
    if patch.tags.as_ref().is_some_and(|tags| tags.iter().any(|t| t.trim().is_empty())) {
        return Err(ApiError::bad_request("tags must not be empty"));
    }
    let mut tx = state.service.store.begin().await?;
    let customer =
        tx.update_customer(id, &patch).await?.ok_or_else(|| ApiError::not_found("customer not found"))?;
    tx.commit().await?;
    Ok(Json(json!({ "customer": customer })))
}
