//! `/ws/agent`: the workbench's live feed. It replays the event log after the client's last
//! event id, then streams new events; a reconnect with `after=` loses nothing.

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use super::error::ApiError;
use super::extract::{ApiQuery, agent_for_token};
use crate::store::Event;

/// Events replayed per database read.
const REPLAY_BATCH: i64 = 500;

/// `?token=…&after=ID` (browsers cannot set headers on a WebSocket).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connect {
    token: String,
    #[serde(default)]
    after: Option<i64>,
}

/// Upgrades an authenticated agent's connection.
pub async fn agent_feed(
    State(state): State<AppState>,
    ApiQuery(connect): ApiQuery<Connect>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    // Authenticate first: a wrong token is a 401 whatever else is wrong.
    let agent = agent_for_token(&state, &connect.token).await?;
    let upgrade = upgrade.map_err(|_| ApiError::bad_request("expected a WebSocket upgrade"))?;
    // Without `after`, start from now: only new events.
    let after = match connect.after {
        Some(after) => after,
        None => state.service.store.latest_event_id().await?,
    };
    tracing::debug!(agent_id = agent.id, after, "workbench connected");
    Ok(upgrade.on_upgrade(move |socket| feed(socket, state, after)))
}

/// Resolves once the server is shutting down.
pub async fn until_closing(closing: &mut tokio::sync::watch::Receiver<bool>) {
    // An error means the server is gone: closing too.
    let _ = closing.wait_for(|closing| *closing).await;
}

/// The frame that tells a client the server is restarting (close code 1012): reconnect.
pub fn going_away() -> Message {
    Message::Close(Some(CloseFrame { code: 1012, reason: "server restarting".into() }))
}

async fn feed(mut socket: WebSocket, state: AppState, mut last_sent: i64) {
    // Subscribe first, then replay: an event committed in between is in one or the other.
    let mut live = state.service.hub.subscribe();
    let mut closing = state.closing.clone();
    if replay(&mut socket, &state, &mut last_sent).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            () = until_closing(&mut closing) => {
                let _ = socket.send(going_away()).await;
                return;
            }
            received = live.recv() => match received {
                Ok(event) if event.id > last_sent => {
                    if send(&mut socket, &event).await.is_err() {
                        return;
                    }
                    last_sent = event.id;
                }
                Ok(_) => {}
                // Fell behind the hub's buffer: read what was missed from the log.
                Err(RecvError::Lagged(_)) => {
                    if replay(&mut socket, &state, &mut last_sent).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

async fn replay(socket: &mut WebSocket, state: &AppState, last_sent: &mut i64) -> Result<(), ()> {
    loop {
        let events = state.service.store.events_after(*last_sent, REPLAY_BATCH).await.map_err(|error| {
            tracing::warn!(error = %error, "cannot replay events");
        })?;
        for event in &events {
            send(socket, event).await?;
            *last_sent = event.id;
        }
        if (events.len() as i64) < REPLAY_BATCH {
            return Ok(());
        }
    }
}

async fn send(socket: &mut WebSocket, event: &Event) -> Result<(), ()> {
    let text = serde_json::to_string(event).map_err(|_| ())?;
    socket.send(Message::Text(text.into())).await.map_err(|_| ())
}
