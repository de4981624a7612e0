//! HTTP: the route table, extractors, the error → response mapping, and `launch`.
//!
//! Handlers are thin: they parse HTTP into typed arguments, call the conversation service
//! or the store, and turn the result into JSON. Only this module knows axum.

mod admin;
mod app;
mod chat;
mod customers;
mod error;
mod extract;
mod gaps;
mod knowledge;
mod ops;
mod pages;
mod tickets;
mod wechat;
mod workbench;
mod ws;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, patch, post};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub use ops::metrics_handle;

use crate::conversation::Service;

/// Largest accepted request body.
const BODY_LIMIT: usize = 64 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    service: Arc<Service>,
    metrics: PrometheusHandle,
    /// Turns true when the server shuts down: live sockets say goodbye so clients reconnect.
    closing: watch::Receiver<bool>,
}

/// The route table; `closing` turns true at shutdown.
pub fn router(service: Arc<Service>, closing: watch::Receiver<bool>) -> Router {
    let website = service.config.web.enabled;
    let state = AppState { service, metrics: metrics_handle(), closing };
    let api = Router::new()
        .route("/app/messages", post(app::post_message))
        .route("/app/users/{user_id}/messages", get(app::poll))
        .route("/auth/login", post(workbench::login))
        .route("/auth/logout", post(workbench::logout))
        .route("/me", get(workbench::me))
        .route("/me/status", post(workbench::set_status))
        .route("/agents", get(workbench::colleagues))
        .route("/canned", get(knowledge::canned))
        .route("/queue", get(workbench::queue))
        .route("/conversations", get(workbench::conversations))
        .route("/conversations/{id}", get(workbench::conversation))
        .route("/conversations/{id}/claim", post(workbench::claim))
        .route("/conversations/{id}/messages", post(workbench::reply))
        .route("/conversations/{id}/transfer", post(workbench::transfer))
        .route("/conversations/{id}/close", post(workbench::close))
        .route("/conversations/{id}/typing", post(workbench::typing))
        .route("/conversations/{id}/ticket", post(workbench::open_ticket))
        .route("/customers/{id}", get(customers::detail).patch(customers::update))
        .route("/tickets", get(tickets::list))
        .route("/tickets/{id}", get(tickets::detail).patch(tickets::update))
        .route("/tickets/{id}/notes", post(tickets::add_note))
        .route("/admin/agents", get(admin::list).post(admin::create))
        .route("/admin/agents/{id}", patch(admin::update))
        .route("/admin/knowledge", get(knowledge::status))
        .route("/admin/reload", post(knowledge::reload))
        .route("/admin/gaps", get(gaps::gaps))
        .route("/admin/gaps/patch", post(gaps::patch))
        .route("/admin/ask", post(knowledge::ask))
        .fallback(|| async { ApiError::not_found("no such endpoint") });
    Router::new()
        .nest("/api/v1", api)
        .route("/ws/agent", get(ws::agent_feed))
        .route("/ws/chat", get(chat::chat_socket))
        .merge(pages::routes(website))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .route("/wechat/{name}", get(wechat::verify).post(wechat::push))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves on `listener` until `shutdown` completes, then finishes requests in flight.
pub async fn launch(
    listener: TcpListener,
    service: Arc<Service>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (closing, closing_watch) = watch::channel(false);
    let shutdown = async move {
        shutdown.await;
        // Upgraded sockets outlive the HTTP server's graceful shutdown: end them too.
        let _ = closing.send(true);
    };
    axum::serve(listener, router(service, closing_watch)).with_graceful_shutdown(shutdown).await
}
