//! The gaps report for the admin page: what the bot could not answer, and the YAML patch an
//! operator downloads to add it to the knowledge.

use axum::Json;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::extract::{AdminCaller, ApiJson, ApiQuery};
use crate::gaps::{PatchError, PatchItem, parse_period, render_patch, report};

/// `?since=7d&min_count=1`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GapsQuery {
    #[serde(default = "week")]
    since: String,
    #[serde(default = "one")]
    min_count: usize,
}

fn week() -> String {
    "7d".into()
}

fn one() -> usize {
    1
}

/// The report for the period.
pub async fn gaps(
    State(state): State<AppState>,
    _admin: AdminCaller,
    ApiQuery(query): ApiQuery<GapsQuery>,
) -> Result<Json<Value>, ApiError> {
    let period = parse_period(&query.since)
        .ok_or_else(|| ApiError::bad_request("`since` must be a period like 7d, 24h or 30m"))?;
    let since = crate::store::now_ms() - period;
    let turns = state.service.store.customer_turns_since(since).await?;
    let brain = state.service.brain();
    let min_count = query.min_count.max(1);
    // Clustering segments and matches every text: CPU work, off the runtime.
    let report = tokio::task::spawn_blocking(move || report(&turns, &brain, min_count))
        .await
        .map_err(ApiError::internal)?;
    let mut body = json!(report);
    body["since"] = json!(since);
    Ok(Json(body))
}

/// `POST /api/v1/admin/gaps/patch`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchRequest {
    items: Vec<PatchItem>,
}

/// The YAML to paste into the knowledge files for the chosen clusters.
pub async fn patch(
    State(state): State<AppState>,
    _admin: AdminCaller,
    ApiJson(request): ApiJson<PatchRequest>,
) -> Result<Response, ApiError> {
    let brain = state.service.brain();
    let patch = render_patch(&request.items, &brain).map_err(|error| match error {
        PatchError::UnknownEntry(_) | PatchError::Empty => ApiError::bad_request(error.to_string()),
    })?;
    Ok((
        [
            (CONTENT_TYPE, "text/yaml; charset=utf-8"),
            (CONTENT_DISPOSITION, "attachment; filename=\"kefu-gaps.yaml\""),
        ],
        patch,
    )
        .into_response())
}
