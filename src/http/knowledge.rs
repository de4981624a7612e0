//! What the knowledge offers the people around the bot: canned replies for agents, and for
//! admins the loaded knowledge's status, reloading it, and the matcher's explanation of a
//! question.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::extract::{AdminCaller, AgentCaller, ApiJson, ApiQuery};
use crate::conversation::ReloadError;
use crate::explain::explain;

/// Canned replies listed at most.
const CANNED_LIMIT: usize = 50;

/// `?q=` (optional).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedQuery {
    #[serde(default)]
    q: String,
}

/// Canned replies whose shortcut, title or text contain `q` (all without it).
pub async fn canned(
    State(state): State<AppState>,
    _agent: AgentCaller,
    ApiQuery(query): ApiQuery<CannedQuery>,
) -> Json<Value> {
    let brain = state.service.brain();
    let needle = query.q.trim().trim_start_matches('/').to_lowercase();
    let canned: Vec<_> =
        brain.knowledge.canned.iter().filter(|c| c.matches(&needle)).take(CANNED_LIMIT).collect();
    Json(json!({ "canned": canned }))
}

/// The knowledge being served: version, when it was loaded, what it holds.
pub async fn status(State(state): State<AppState>, _admin: AdminCaller) -> Json<Value> {
    let brain = state.service.brain();
    let reload = state.service.reload_status();
    let mut files: Vec<String> =
        brain.knowledge.entries.iter().map(|entry| entry.location.file.display().to_string()).collect();
    files.sort();
    files.dedup();
    Json(json!({
        "version": brain.version,
        "loaded_at": brain.loaded_at,
        "entries": brain.knowledge.entries.len(),
        "flows": brain.flows.flows.len(),
        "flow_ids": brain.flows.flows.iter().map(|flow| flow.id.as_str()).collect::<Vec<_>>(),
        "synonym_groups": brain.knowledge.synonym_groups.len(),
        "canned": brain.knowledge.canned.len(),
        "phrasings": brain.matcher.phrasing_count(),
        "files": files,
        "knowledge_dir": state.service.config.knowledge_dir.display().to_string(),
        "flows_dir": state.service.config.flows_dir.display().to_string(),
        // The brain served always loaded cleanly; these are the files' errors as they are now.
        "errors": reload.last_error.as_ref().map_or(Vec::new(), |failure| failure.errors.clone()),
        "reload": reload,
    }))
}

/// Reloads the knowledge and flows now: 200 with what changed, or 422 with every error
/// (the old knowledge keeps serving).
pub async fn reload(State(state): State<AppState>, _admin: AdminCaller) -> Response {
    match state.service.reload("api").await {
        Ok(reloaded) => Json(json!(reloaded)).into_response(),
        Err(ReloadError::Invalid(errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({
                "error": "invalid_knowledge",
                "message": format!("{} error(s): the knowledge in use is unchanged", errors.len()),
                "errors": errors,
            })),
        )
            .into_response(),
        Err(ReloadError::Failed(message)) => ApiError::internal(message).into_response(),
    }
}

/// `POST /api/v1/admin/ask`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ask {
    text: String,
}

/// What the bot would answer to a question in a new conversation, and why.
pub async fn ask(
    State(state): State<AppState>,
    _admin: AdminCaller,
    ApiJson(body): ApiJson<Ask>,
) -> Result<Json<Value>, ApiError> {
    if body.text.trim().is_empty() || body.text.chars().count() > 2000 {
        return Err(ApiError::bad_request("`text` must be 1 to 2000 characters"));
    }
    let brain = state.service.brain();
    let config = &state.service.config;
    let policy = crate::dialog::Policy::of(config);
    let explanation = explain(&brain, policy, &body.text, crate::store::now_ms() / 1000);
    Ok(Json(json!(explanation)))
}
