//! Tickets: list with filters, detail with notes and history, change, annotate.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::extract::{AgentCaller, ApiJson, ApiPath, ApiQuery};
use crate::store::{NewEvent, TicketFilter, TicketStatus};

const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];

/// Refuses an unknown priority.
pub fn check_priority(priority: &str) -> Result<(), ApiError> {
    if PRIORITIES.contains(&priority) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!("`priority` must be one of {}", PRIORITIES.join(", "))))
    }
}

/// `?status=&assignee=&priority=`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    assignee: Option<i64>,
    #[serde(default)]
    priority: Option<String>,
}

/// Tickets matching the filters, newest first.
pub async fn list(
    State(state): State<AppState>,
    _agent: AgentCaller,
    ApiQuery(filters): ApiQuery<Filters>,
) -> Result<Json<Value>, ApiError> {
    let status = match filters.status.as_deref() {
        None => None,
        Some(text) => Some(
            TicketStatus::parse(text)
                .ok_or_else(|| ApiError::bad_request("`status` must be open, pending, solved or closed"))?,
        ),
    };
    if let Some(priority) = &filters.priority {
        check_priority(priority)?;
    }
    let filter = TicketFilter { status, assignee_id: filters.assignee, priority: filters.priority };
    Ok(Json(json!({ "tickets": state.service.store.tickets(&filter).await? })))
}

/// A ticket with its notes and history.
pub async fn detail(
    State(state): State<AppState>,
    _agent: AgentCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Value>, ApiError> {
    let store = &state.service.store;
    let ticket = store.ticket(id).await?.ok_or_else(|| ApiError::not_found("ticket not found"))?;
    Ok(Json(json!({
        "ticket": ticket,
        "customer": store.customer(ticket.customer_id).await?,
        "notes": store.ticket_notes(id).await?,
        "history": store.events_about(None, Some(id)).await?,
    })))
}

/// `PATCH /api/v1/tickets/{id}`: any of these.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketPatch {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    assignee_id: Option<Option<i64>>,
    #[serde(default)]
    group: Option<Option<String>>,
    #[serde(default)]
    subject: Option<String>,
}

/// Changes a ticket; the change goes into its history.
pub async fn update(
    State(state): State<AppState>,
    AgentCaller(agent): AgentCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(patch): ApiJson<TicketPatch>,
) -> Result<Json<Value>, ApiError> {
    let store = &state.service.store;
    let mut ticket = store.ticket(id).await?.ok_or_else(|| ApiError::not_found("ticket not found"))?;
    if let Some(status) = &patch.status {
        ticket.status = TicketStatus::parse(status)
            .ok_or_else(|| ApiError::bad_request("`status` must be open, pending, solved or closed"))?;
    }
    if let Some(priority) = patch.priority {
        check_priority(&priority)?;
        ticket.priority = priority;
    }
    if let Some(assignee) = patch.assignee_id {
        if let Some(assignee) = assignee
            && store.agent(assignee).await?.is_none()
        {
            return Err(ApiError::bad_request(format!("agent {assignee} does not exist")));
        }
        ticket.assignee_id = assignee;
    }
    if let Some(group) = patch.group {
        ticket.agent_group = group;
    }
    if let Some(subject) = patch.subject {
        if subject.trim().is_empty() {
            return Err(ApiError::bad_request("`subject` must not be empty"));
        }
        ticket.subject = subject.trim().to_string();
    }
    let mut tx = store.begin().await?;
    tx.save_ticket(&ticket).await?;
    let event = tx
        .append_event(NewEvent {
            kind: "ticket_updated".into(),
            ticket_id: Some(ticket.id),
            conversation_id: ticket.conversation_id,
            agent_id: Some(agent.id),
            payload: json!({ "status": ticket.status, "priority": ticket.priority, "assignee_id": ticket.assignee_id }),
        })
        .await?;
    tx.commit().await?;
    state.service.hub.publish([event]);
    Ok(Json(json!({ "ticket": ticket })))
}

/// `POST /api/v1/tickets/{id}/notes`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    body: String,
}

/// Adds an internal note (agents only; the customer never sees it).
pub async fn add_note(
    State(state): State<AppState>,
    AgentCaller(agent): AgentCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(note): ApiJson<Note>,
) -> Result<Json<Value>, ApiError> {
    if note.body.trim().is_empty() {
        return Err(ApiError::bad_request("`body` must not be empty"));
    }
    let store = &state.service.store;
    let ticket = store.ticket(id).await?.ok_or_else(|| ApiError::not_found("ticket not found"))?;
    let mut tx = store.begin().await?;
    let note = tx.insert_ticket_note(ticket.id, Some(agent.id), note.body.trim()).await?;
    let event = tx
        .append_event(NewEvent {
            kind: "ticket_note".into(),
            ticket_id: Some(ticket.id),
            agent_id: Some(agent.id),
            payload: json!({ "note_id": note.id }),
            ..NewEvent::default()
        })
        .await?;
    tx.commit().await?;
    state.service.hub.publish([event]);
    Ok(Json(json!({ "note": note })))
}
