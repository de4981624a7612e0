//! The conversation service: the I/O shell around the dialog core. It stores every message
//! before acknowledging it, drops platform retries, runs the core for conversations the bot
//! serves, performs the core's actions after their transaction commits, and hands
//! conversations to agents.

mod agent_actions;
mod handoff;
mod hints;
mod locks;
mod receive;
mod reload;
mod sweeper;

use std::sync::Arc;

use arc_swap::ArcSwap;

pub use agent_actions::{AgentActionError, Transfer};
pub use receive::{Delivered, Inbound};
pub use reload::{ReloadError, ReloadFailure, ReloadStatus, Reloaded};

use crate::agents::{BusinessHours, Hub};
use crate::brain::Brain;
use crate::channels::Delivery;
use crate::config::Config;
use crate::store::{Customer, Event, Message, Store, StoreError};
use crate::webhooks::WebhookClient;
use hints::Hints;
use locks::KeyedLocks;

/// Why the service could not handle a request.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A background task failed.
    #[error("internal task failed: {0}")]
    Task(String),
}

/// Customers whose conversation state is kept as a hint (see `hints`): a hint is a few
/// hundred bytes, so at most twice this is some tens of megabytes.
const HINTS_KEPT: usize = 50_000;

/// The running kefu: database, brain, configuration and the live hub, shared by every
/// request.
pub struct Service {
    /// The database.
    pub store: Store,
    /// The configuration.
    pub config: Arc<Config>,
    /// The live event hub for workbenches.
    pub hub: Hub,
    brain: ArcSwap<Brain>,
    hours: BusinessHours,
    webhooks: WebhookClient,
    delivery: Delivery,
    customer_locks: KeyedLocks,
    hints: Hints,
    assignment: tokio::sync::Mutex<()>,
    reloading: tokio::sync::Mutex<()>,
    reload_status: std::sync::Mutex<ReloadStatus>,
}

impl Service {
    /// Assembles the service; `hours` come from the validated configuration and `delivery`
    /// knows the channels.
    pub fn new(
        store: Store,
        config: Arc<Config>,
        brain: Arc<Brain>,
        hours: BusinessHours,
        delivery: Delivery,
    ) -> Service {
        let webhooks = WebhookClient::new(config.webhooks.clone());
        Service {
            store,
            hub: Hub::default(),
            brain: ArcSwap::new(brain),
            hours,
            webhooks,
            delivery,
            customer_locks: KeyedLocks::default(),
            hints: Hints::new(HINTS_KEPT),
            assignment: tokio::sync::Mutex::new(()),
            reloading: tokio::sync::Mutex::new(()),
            reload_status: std::sync::Mutex::new(ReloadStatus::default()),
            config,
        }
    }

    /// The channels the service delivers to.
    pub fn delivery(&self) -> &Delivery {
        &self.delivery
    }

    /// The brain in use; a message keeps the snapshot it started with.
    pub fn brain(&self) -> Arc<Brain> {
        self.brain.load_full()
    }

    /// After a commit: tell the workbenches and send the customer's messages.
    async fn after_commit(&self, events: Vec<Event>, outgoing: Vec<Message>) {
        let Some(first) = outgoing.first() else {
            self.hub.publish(events);
            return;
        };
        match self.store.customer(first.customer_id).await {
            Ok(Some(customer)) => self.deliver_to(&customer, events, outgoing),
            Ok(None) => self.hub.publish(events),
            Err(error) => {
                self.hub.publish(events);
                tracing::error!(error = %error, "cannot load the customer to deliver messages");
            }
        }
    }

    /// [`Service::after_commit`] when the customer is at hand.
    fn deliver_to(&self, customer: &Customer, events: Vec<Event>, outgoing: Vec<Message>) {
        self.hub.publish(events);
        self.delivery.deliver(customer, outgoing);
    }
}

/// Milliseconds now (the service reads the clock; the core gets the time passed in).
fn now_ms() -> i64 {
    crate::store::now_ms()
}
