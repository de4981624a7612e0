//! Channels: how messages reach customers on each platform.
//!
//! The app channel answers in the HTTP response and lets apps poll; when configured it
//! also POSTs every outgoing message to the app's backend (`app.rs`). Only this module knows
//! a platform's wire format.

mod app;

pub use app::{AppPush, message_json};

use crate::store::{Customer, Message};

/// The channel name of the app channel.
pub const APP: &str = "app";

/// Sends outgoing messages to the platforms that push.
#[derive(Debug, Clone)]
pub struct Delivery {
    app: Option<AppPush>,
}

impl Delivery {
    /// Delivery with the app backend push when `app_webhook_url` is set.
    pub fn new(app_webhook_url: &str, app_webhook_secret: &str) -> Delivery {
        let app = (!app_webhook_url.is_empty()).then(|| AppPush::new(app_webhook_url, app_webhook_secret));
        Delivery { app }
    }

    /// Hands committed outgoing messages to their platform, in the background.
    pub fn deliver(&self, customer: &Customer, messages: Vec<Message>) {
        if messages.is_empty() {
            return;
        }
        if customer.channel == APP
            && let Some(app) = &self.app
        {
            app.push(customer.external_id.clone(), messages);
        }
    }
}
