//! Operations: `/healthz` and `/metrics` (Prometheus text), and the counters requests feed.

use std::sync::OnceLock;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use super::AppState;
use crate::conversation::Delivered;
use crate::store::Sender;

/// The process-wide metrics recorder (installed once, shared by every server in a process).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];
            let builder =
                PrometheusBuilder::new().set_buckets(&buckets).unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (a host application); ours still renders.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Counts one customer message and what kefu did with it.
pub fn record_exchange(channel: &str, delivered: &Delivered, elapsed: Duration) {
    if delivered.duplicate {
        metrics::counter!("kefu_duplicate_messages_total", "channel" => channel.to_string()).increment(1);
        return;
    }
    metrics::counter!("kefu_messages_total", "channel" => channel.to_string(), "direction" => "in")
        .increment(1);
    metrics::counter!("kefu_messages_total", "channel" => channel.to_string(), "direction" => "out")
        .increment(delivered.replies.len() as u64);
    metrics::histogram!("kefu_message_latency_seconds", "channel" => channel.to_string())
        .record(elapsed.as_secs_f64());
    if let Some(decision) = delivered.replies.iter().find_map(|m| m.decision.as_ref()) {
        let kind = decision.get("decision").and_then(|d| d.as_str()).unwrap_or("unknown").to_string();
        metrics::counter!("kefu_decisions_total", "kind" => kind.clone()).increment(1);
        if kind == "handoff" {
            let reason =
                decision.pointer("/reason/reason").and_then(|r| r.as_str()).unwrap_or("unknown").to_string();
            metrics::counter!("kefu_handoffs_total", "reason" => reason).increment(1);
        }
    }
    if delivered.replies.iter().any(|m| m.sender == Sender::System) {
        metrics::counter!("kefu_system_notices_total").increment(1);
    }
}

/// Alive and the database answers.
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.service.store.latest_event_id().await {
        Ok(_) => (
            StatusCode::OK,
            axum::Json(
                serde_json::json!({ "status": "ok", "knowledge_version": state.service.brain().version }),
            ),
        ),
        Err(error) => {
            tracing::error!(error = %error, "health check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({ "status": "database unavailable" })),
            )
        }
    }
}

/// Prometheus text.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    if let Ok(queue) = state.service.store.queue().await {
        metrics::gauge!("kefu_queue_length").set(queue.len() as f64);
    }
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}
