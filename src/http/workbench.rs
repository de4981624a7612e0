//! The agents' API: log in, set a status, see the queue and conversations, and act on them.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::error::ApiError;
use super::extract::{AgentCaller, ApiJson, ApiPath, ApiQuery};
use crate::agents::{random_token, token_hash, verify_password};
use crate::channels::message_json;
use crate::conversation::Transfer;
use crate::store::{Agent, AgentStatus, Conversation, ConversationState, Role, now_ms};

/// `POST /api/v1/auth/login`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    username: String,
    password: String,
}

/// Checks the password (off the runtime: argon2 is slow on purpose) and opens a session.
pub async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Login>,
) -> Result<Json<Value>, ApiError> {
    let store = &state.service.store;
    let agent = store.agent_by_username(body.username.trim()).await?;
    let hash = agent.as_ref().map(|a| a.password_hash.clone()).unwrap_or_default();
    let password = body.password;
    let valid = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(ApiError::internal)?;
    let agent = match agent {
        Some(agent) if valid && !agent.disabled => agent,
        _ => return Err(ApiError::unauthorized("wrong username or password")),
    };
    let token = random_token();
    let expires_at = now_ms() + state.service.config.agents.session_hours as i64 * 3_600_000;
    store.insert_session(&token_hash(&token), agent.id, expires_at).await?;
    Ok(Json(json!({ "token": token, "expires_at": expires_at, "agent": agent })))
}

/// Ends the caller's session.
pub async fn logout(
    State(state): State<AppState>,
    _agent: AgentCaller,
    headers: axum::http::HeaderMap,
) -> Result<Json<Value>, ApiError> {
    if let Some(token) =
        headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
    {
        state.service.store.delete_session(&token_hash(token.trim())).await?;
    }
    Ok(Json(json!({ "ok": true })))
}

/// The caller.
pub async fn me(AgentCaller(agent): AgentCaller) -> Json<Value> {
    Json(json!({ "agent": agent }))
}

/// Every enabled agent: who is online, in which groups (for transfers).
pub async fn colleagues(State(state): State<AppState>, _agent: AgentCaller) -> Result<Json<Value>, ApiError> {
    let agents: Vec<Agent> =
        state.service.store.agents().await?.into_iter().filter(|a| !a.disabled).collect();
    Ok(Json(json!({ "agents": agents })))
}

/// `POST /api/v1/me/status`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    status: AgentStatus,
}

/// Online, away or offline; online may bring queued conversations at once.
pub async fn set_status(
    State(state): State<AppState>,
    AgentCaller(agent): AgentCaller,
    ApiJson(body): ApiJson<StatusChange>,
) -> Result<Json<Value>, ApiError> {
    let agent = state.service.set_status(&agent, body.status).await?;
    Ok(Json(json!({ "agent": agent })))
}

/// A conversation in a list: with its customer's name and last message.
async fn summary(state: &AppState, conversation: &Conversation) -> Result<Value, ApiError> {
    let store = &state.service.store;
    let customer = store.customer(conversation.customer_id).await?;
    let messages = store.messages(conversation.id).await?;
    let last = messages.last().map(message_json);
    let unanswered = messages.iter().rev().take_while(|m| m.direction == "in").count();
    Ok(json!({
        "conversation": conversation,
        "customer": customer,
        "last_message": last,
        "unanswered": unanswered,
    }))
}

/// Conversations waiting for an agent, longest waiting first, with their place.
pub async fn queue(State(state): State<AppState>, _agent: AgentCaller) -> Result<Json<Value>, ApiError> {
    let queue = state.service.store.queue().await?;
    let mut items = Vec::with_capacity(queue.len());
    for (index, conversation) in queue.iter().enumerate() {
        let mut item = summary(&state, conversation).await?;
        item["position"] = json!(index + 1);
        items.push(item);
    }
    Ok(Json(json!({ "conversations": items })))
}

/// `?mine=true`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listing {
    #[serde(default)]
    mine: bool,
}

/// The caller's conversations (`mine=true`), or every open conversation.
pub async fn conversations(
    State(state): State<AppState>,
    AgentCaller(agent): AgentCaller,
    ApiQuery(listing): ApiQuery<Listing>,
) -> Result<Json<Value>, ApiError> {
    let store = &state.service.store;
    let conversations = if listing.mine {
        store.conversations_of_agent(agent.id).await?
    } else {
        store.open_conversations(200).await?
    };
    let mut items = Vec::with_capacity(conversations.len());
    for conversation in &conversations {
        items.push(summary(&state, conversation).await?);
    }
    Ok(Json(json!({ "conversations": items })))
}

/// Another agent's conversation is off limits (admins excepted).
fn may_see(agent: &Agent, conversation: &Conversation) -> Result<(), ApiError> {
    match conversation.agent_id {
        Some(owner)
            if owner != agent.id
                && agent.role != Role::Admin
                && conversation.state == ConversationState::Human =>
        {
            Err(ApiError::forbidden("this conversation is served by another agent"))
        }
        _ => Ok(()),
    }
}

/// The full transcript: every message with the bot's decision and confidence, the
/// customer, and the co-pilot's suggestions for the last customer message.
pub async fn conversation(
    State(state): State<AppState>,
    AgentCaller(agent): AgentCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Value>, ApiError> {
    let store = &state.service.store;
    let conversation =
        store.conversation(id).await?.ok_or_else(|| ApiError::not_found("conversation not found"))?;
    may_see(&agent, &conversation)?;
    let messages = store.messages(id).await?;
    let last_customer_text = messages
        .iter()
        .rev()
        .find(|m| m.direction == "in")
        .and_then(|m| m.content.get("text").and_then(Value::as_str).map(str::to_string));
    let suggestions = last_customer_text.map_or(json!([]), |text| state.service.suggestions(&text));
    let transcript: Vec<Value> = messages
        .iter()
        .map(|m| {
            let mut item = message_json(m);
            item["direction"] = json!(m.direction);
            item["decision"] = json!(m.decision);
            item["confidence"] = json!(m.confidence);
            item["agent_id"] = json!(m.agent_id);
            item["knowledge_version"] = json!(m.knowledge_version);
            item
        })
        .collect();
    Ok(Json(json!({
        "conversation": conversation,
        "customer": store.customer(conversation.customer_id).await?,
        "messages": transcript,
        "suggestions": suggestions,
        "channel_limits": state.service.delivery().limits(&conversation).await?,
    })))
}

/// Takes a queued conversation.
pub async fn claim(
    State(state): State<AppState>,
    AgentCaller(agent): AgentCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Value>, ApiError> {
    let conversation = state.service.claim(&agent, id).await?;
    Ok(Json(json!({ "conversation": conversation })))
}

/// `POST /api/v1/conversations/{id}/messages`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentMessage {
    text: String,
}

/// Sends the agent's reply to the customer.
pub async fn reply(
    State(state): State<AppState>,
    AgentCaller(agent): AgentCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AgentMessage>,
) -> Result<Json<Value>, ApiError> {
    let message = state.service.agent_reply(&agent, id, &body.text).await?;
    metrics::counter!("kefu_agent_replies_total").increment(1);
    let mut answer = json!({ "message": message_json(&message) });
    if let Some(conversation) = state.service.store.conversation(id).await? {
        let limits = state.service.delivery().limits(&conversation).await?;
        // WeChat allows a few messages per customer message: say when the next is the last.
        if limits["messages_left"].as_i64().is_some_and(|left| left <= 1) {
            answer["warning"] = json!(match limits["messages_left"].as_i64() {
                Some(1) => "只能再发 1 条消息，客户回复后才能继续发送",
                _ => "客户回复前无法再发送消息（微信限制）",
            });
        }
        answer["channel_limits"] = limits;
    }
    Ok(Json(answer))
}

/// `POST /api/v1/conversations/{id}/transfer`: to an agent or a group.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    #[serde(default)]
    agent_id: Option<i64>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    note: String,
}

/// Transfers the conversation, with a note for the next agent.
pub async fn transfer(
    State(state): State<AppState>,
    AgentCaller(agent): AgentCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TransferRequest>,
) -> Result<Json<Value>, ApiError> {
    let to = match (body.agent_id, body.group) {
        (Some(agent_id), None) => Transfer::Agent(agent_id),
        (None, Some(group)) if !group.trim().is_empty() => Transfer::Group(group.trim().to_string()),
        _ => return Err(ApiError::bad_request("give exactly one of `agent_id` or `group`")),
    };
    let conversation = state.service.transfer(&agent, id, to, &body.note).await?;
    Ok(Json(json!({ "conversation": conversation })))
}

/// `POST /api/v1/conversations/{id}/typing`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Typing {
    typing: bool,
}

/// Shows the customer that their agent is typing (WeChat only; best effort).
pub async fn typing(
    State(state): State<AppState>,
    AgentCaller(agent): AgentCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Typing>,
) -> Result<Json<Value>, ApiError> {
    let store = &state.service.store;
    let conversation =
        store.conversation(id).await?.ok_or_else(|| ApiError::not_found("conversation not found"))?;
    if conversation.agent_id != Some(agent.id) || conversation.state != ConversationState::Human {
        return Err(ApiError::conflict("only the agent serving the conversation can type in it"));
    }
    let customer = store
        .customer(conversation.customer_id)
        .await?
        .ok_or_else(|| ApiError::internal("a conversation without its customer"))?;
    Ok(Json(match state.service.delivery().typing(&customer, body.typing).await {
        Ok(sent) => json!({ "sent": sent }),
        Err(error) => json!({ "sent": false, "error": error.to_string() }),
    }))
}

/// Closes the conversation; the customer is asked to rate it.
pub async fn close(
    State(state): State<AppState>,
    AgentCaller(agent): AgentCaller,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Value>, ApiError> {
    let conversation = state.service.close(&agent, id).await?;
    Ok(Json(json!({ "conversation": conversation })))
}

/// `POST /api/v1/conversations/{id}/ticket`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    subject: String,
    #[serde(default = "normal")]
    priority: String,
}

fn normal() -> String {
    "normal".into()
}

/// Opens a ticket from the conversation.
pub async fn open_ticket(
    State(state): State<AppState>,
    AgentCaller(agent): AgentCaller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<NewTicket>,
) -> Result<Json<Value>, ApiError> {
    super::tickets::check_priority(&body.priority)?;
    let ticket = state.service.open_ticket(&agent, id, &body.subject, &body.priority).await?;
    Ok(Json(json!({ "ticket": ticket })))
}
