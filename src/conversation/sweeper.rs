//! Background upkeep while serving: expire long queues into tickets and retry assignment
//! (agents come online, finish conversations).

use std::sync::Arc;
use std::time::Duration;

use super::Service;

/// How often the queue is looked at.
const INTERVAL: Duration = Duration::from_secs(5);

impl Service {
    /// Runs the upkeep until the process ends; errors are logged and retried next round.
    pub fn spawn_upkeep(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let service = Arc::clone(self);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(INTERVAL);
            loop {
                ticker.tick().await;
                if let Err(error) = service.expire_queue().await {
                    tracing::warn!(error = %error, "queue expiry failed");
                }
                if let Err(error) = service.assign().await {
                    tracing::warn!(error = %error, "assignment failed");
                }
            }
        })
    }
}
