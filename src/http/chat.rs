//! `/ws/chat`: the website widget's live connection. A visitor — an anonymous id the browser
//! keeps, or a user the host site signed — gets their history, sends messages that are
//! stored before they are acknowledged (a resent client id is stored once), and sees every
//! reply, state change and "typing…" as it happens.

use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message as Frame, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use super::error::ApiError;
use super::extract::ApiQuery;
use crate::channels::message_json;
use crate::channels::web::{IdentityError, WEB, WebPush, web_identity};
use crate::conversation::Inbound;
use crate::store::{ConversationState, StoreError};

/// Messages of history sent when the widget connects.
const HISTORY: i64 = 100;
/// Longest accepted message, in characters.
const MAX_TEXT: usize = 2000;
/// Largest accepted frame.
const MAX_FRAME: usize = 16 * 1024;
/// Keeps idle connections open through proxies.
const PING_EVERY: Duration = Duration::from_secs(30);

/// `?visitor=ID` or `?user=ID&sig=HMAC`, and optionally `&name=`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connect {
    #[serde(default)]
    visitor: Option<String>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    sig: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// What the widget sends.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum ClientFrame {
    /// The visitor's message; `client_id` makes a resend harmless.
    Message { client_id: String, text: String },
    /// The chat window was opened on `page`: greet a visitor with no history.
    Open {
        #[serde(default)]
        page: String,
    },
}

/// Upgrades a visitor's connection once their identity checks out.
pub async fn chat_socket(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(connect): ApiQuery<Connect>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let web = &state.service.config.web;
    if !web.enabled {
        return Err(ApiError::not_found("the website channel is off"));
    }
    if !web.allowed_origins.is_empty() {
        let origin = headers.get("origin").and_then(|o| o.to_str().ok()).unwrap_or_default();
        if !web.allowed_origins.iter().any(|allowed| allowed == origin) {
            return Err(ApiError::forbidden(format!("origin `{origin}` may not open the chat")));
        }
    }
    let external_id = web_identity(
        &web.identity_secret,
        connect.visitor.as_deref(),
        connect.user.as_deref(),
        connect.sig.as_deref(),
    )
    .map_err(|error| match error {
        IdentityError::BadSignature => ApiError::unauthorized(error.to_string()),
        _ => ApiError::bad_request(error.to_string()),
    })?;
    let upgrade = upgrade.map_err(|_| ApiError::bad_request("expected a WebSocket upgrade"))?;
    let name: String = connect.name.unwrap_or_default().trim().chars().take(64).collect();
    Ok(upgrade.max_message_size(MAX_FRAME).on_upgrade(move |socket| async move {
        metrics::gauge!("kefu_web_sockets").increment(1.0);
        Chat { socket, state, external_id, name }.run().await;
        metrics::gauge!("kefu_web_sockets").decrement(1.0);
    }))
}

/// One open widget.
struct Chat {
    socket: WebSocket,
    state: AppState,
    external_id: String,
    name: String,
}

/// The socket is gone (or the server is failing): end the session.
struct Closed;

impl Chat {
    async fn run(mut self) {
        // Subscribe before reading the history: a message committed in between is in one or
        // both, and the widget drops what it already has by id.
        let service = self.state.service.clone();
        let mut feed = service.delivery().web().subscribe(&self.external_id);
        let mut hub = service.hub.subscribe();
        let Ok(mut conversation_id) = self.hello().await else { return };
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        let mut closing = self.state.closing.clone();
        loop {
            let step = tokio::select! {
                () = super::ws::until_closing(&mut closing) => {
                    let _ = self.socket.send(super::ws::going_away()).await;
                    Err(Closed)
                }
                pushed = feed.receiver.recv() => match pushed {
                    Ok(WebPush::Message(message)) => {
                        conversation_id = Some(message.conversation_id);
                        match self.send(json!({ "type": "message", "message": message_json(&message) })).await {
                            Ok(()) => self.status_frame().await.map(|_| ()),
                            Err(closed) => Err(closed),
                        }
                    }
                    Ok(WebPush::Typing(on)) => self.send(json!({ "type": "typing", "on": on })).await,
                    // Fell behind: the history has everything.
                    Err(RecvError::Lagged(_)) => self.hello().await.map(|id| conversation_id = id),
                    Err(RecvError::Closed) => Err(Closed),
                },
                event = hub.recv() => match event {
                    // Assignment, transfer and close change what the widget shows.
                    Ok(event) if conversation_id.is_some() && event.conversation_id == conversation_id => {
                        self.status_frame().await.map(|_| ())
                    }
                    Ok(_) | Err(RecvError::Lagged(_)) => Ok(()),
                    Err(RecvError::Closed) => Err(Closed),
                },
                incoming = self.socket.recv() => match incoming {
                    Some(Ok(Frame::Text(text))) => match self.handle(text.as_str()).await {
                        Ok(Some(id)) => {
                            conversation_id = Some(id);
                            Ok(())
                        }
                        Ok(None) => Ok(()),
                        Err(closed) => Err(closed),
                    },
                    Some(Ok(Frame::Binary(_))) => self.error("bad_request", "frames are JSON text").await,
                    Some(Ok(_)) => Ok(()),
                    Some(Err(_)) | None => Err(Closed),
                },
                _ = ping.tick() => self.socket.send(Frame::Ping(Vec::new().into())).await.map_err(|_| Closed),
            };
            if step.is_err() {
                return;
            }
        }
    }

    /// The first frame (and the resync after lagging): state and history.
    async fn hello(&mut self) -> Result<Option<i64>, Closed> {
        let store = &self.state.service.store;
        let history = async {
            let customer = store.customer_by_external_id(WEB, &self.external_id).await?;
            let messages = match &customer {
                Some(customer) => store.recent_messages(customer.id, HISTORY).await?,
                None => Vec::new(),
            };
            Ok::<_, StoreError>(messages)
        };
        let messages = match history.await {
            Ok(messages) => messages,
            Err(error) => return self.fail(error).await,
        };
        let mut frame = match status(&self.state, &self.external_id).await {
            Ok(status) => status,
            Err(error) => return self.fail(error).await,
        };
        let conversation_id = frame["conversation_id"].as_i64();
        frame["type"] = json!("hello");
        frame["messages"] = json!(messages.iter().map(message_json).collect::<Vec<_>>());
        self.send(frame).await?;
        Ok(conversation_id)
    }

    /// Sends the current state; returns the conversation it is about.
    async fn status_frame(&mut self) -> Result<Option<i64>, Closed> {
        match status(&self.state, &self.external_id).await {
            Ok(mut frame) => {
                frame["type"] = json!("state");
                let id = frame["conversation_id"].as_i64();
                self.send(frame).await?;
                Ok(id)
            }
            Err(error) => self.fail(error).await,
        }
    }

    /// Acts on a frame from the widget; returns the conversation it went to.
    async fn handle(&mut self, text: &str) -> Result<Option<i64>, Closed> {
        let frame: ClientFrame = match serde_json::from_str(text) {
            Ok(frame) => frame,
            Err(error) => {
                self.error("bad_request", &format!("unreadable frame: {error}")).await?;
                return Ok(None);
            }
        };
        let service = self.state.service.clone();
        match frame {
            ClientFrame::Message { client_id, text } => {
                let valid_id = (8..=64).contains(&client_id.len())
                    && client_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if !valid_id {
                    self.error("bad_request", "`client_id` must be 8 to 64 letters, digits, `-` or `_`")
                        .await?;
                    return Ok(None);
                }
                if text.trim().is_empty() || text.chars().count() > MAX_TEXT {
                    let message = format!("`text` must be 1 to {MAX_TEXT} characters");
                    self.nack(&client_id, &message).await?;
                    return Ok(None);
                }
                let started = std::time::Instant::now();
                let inbound = Inbound {
                    channel: WEB.to_string(),
                    external_id: self.external_id.clone(),
                    display_name: self.name.clone(),
                    platform_msg_id: Some(format!("web:{client_id}")),
                    text,
                    media: None,
                };
                let delivered = match service.receive(inbound).await {
                    Ok(delivered) => delivered,
                    Err(error) => {
                        tracing::error!(error = %error, "cannot handle a website message");
                        // Not stored: the widget keeps it and sends it again.
                        self.nack(&client_id, "消息暂时没有发送成功，正在重试").await?;
                        return Ok(None);
                    }
                };
                super::ops::record_exchange(WEB, &delivered, started.elapsed());
                self.send(json!({
                    "type": "ack",
                    "client_id": client_id,
                    "message_id": delivered.message_id,
                    "duplicate": delivered.duplicate,
                }))
                .await?;
                if delivered.duplicate {
                    // The first answer may have gone to a window that is closed now.
                    for reply in &delivered.replies {
                        self.send(json!({ "type": "message", "message": message_json(reply) })).await?;
                    }
                }
                self.status_frame().await
            }
            ClientFrame::Open { page } => {
                let day = crate::store::now_ms() / 86_400_000;
                let page: String = page.chars().take(300).collect();
                let greeted =
                    service.welcome(WEB, &self.external_id, &format!("web-open:{day}"), &page).await;
                if let Err(error) = greeted {
                    tracing::warn!(error = %error, "cannot greet a website visitor");
                }
                Ok(None)
            }
        }
    }

    async fn send(&mut self, frame: Value) -> Result<(), Closed> {
        self.socket.send(Frame::Text(frame.to_string().into())).await.map_err(|_| Closed)
    }

    async fn error(&mut self, code: &str, message: &str) -> Result<(), Closed> {
        self.send(json!({ "type": "error", "code": code, "message": message })).await
    }

    /// Tells the widget a message was not taken (it keeps it to send again).
    async fn nack(&mut self, client_id: &str, message: &str) -> Result<(), Closed> {
        self.send(json!({ "type": "error", "code": "not_sent", "client_id": client_id, "message": message }))
            .await
    }

    /// The database failed: say so and end the session (the widget reconnects).
    async fn fail<T>(&mut self, error: StoreError) -> Result<T, Closed> {
        tracing::error!(error = %error, "website chat cannot read the database");
        let _ = self.error("unavailable", "服务暂时不可用，正在重连").await;
        Err(Closed)
    }
}

/// What the widget shows about the visitor's conversation: its state, whether a rating is
/// asked for, the agent serving it and the place in the queue.
async fn status(state: &AppState, external_id: &str) -> Result<Value, StoreError> {
    let store = &state.service.store;
    let customer = store.customer_by_external_id(WEB, external_id).await?;
    let conversation = match &customer {
        Some(customer) => store.latest_conversation(customer.id).await?,
        None => None,
    };
    let Some(conversation) = conversation else {
        // Nothing said yet: the bot will answer the first message.
        return Ok(json!({
            "customer_id": customer.map(|c| c.id), "conversation_id": null, "state": "bot",
            "awaiting_rating": false, "agent": null, "position": null,
        }));
    };
    let agent = match (conversation.state, conversation.agent_id) {
        (ConversationState::Human, Some(id)) => {
            store.agent(id).await?.map(|a| json!({ "name": a.display_name }))
        }
        _ => None,
    };
    let position = match conversation.state {
        ConversationState::Queued => {
            store.queue().await?.iter().position(|c| c.id == conversation.id).map(|index| index + 1)
        }
        _ => None,
    };
    Ok(json!({
        "customer_id": conversation.customer_id,
        "conversation_id": conversation.id,
        "state": conversation.state.as_str(),
        "awaiting_rating": conversation.awaiting_rating,
        "agent": agent,
        "position": position,
    }))
}
