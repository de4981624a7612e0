//! Channels: how messages reach customers on each platform.
//!
//! The app channel answers in the HTTP response and lets apps poll; when configured it
//! also POSTs every outgoing message to the app's backend (`app.rs`). WeChat apps get their
//! messages through WeChat's customer-service API (`wechat/`); website visitors through the
//! widget's live socket (`web.rs`). Only this module knows a platform's wire format.

mod app;
pub mod web;
pub mod wechat;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use app::{AppPush, message_json};

use crate::store::{Customer, Message, Store};
use web::{WEB, WebFeeds, WebPush};
use wechat::WechatApp;

/// The channel name of the app channel.
pub const APP: &str = "app";

/// Sends outgoing messages to the platforms that push.
#[derive(Debug, Clone)]
pub struct Delivery {
    app: Option<AppPush>,
    wechat: BTreeMap<String, Arc<WechatApp>>,
    web: WebFeeds,
    store: Store,
}

impl Delivery {
    /// Delivery through the app backend push (when `app_webhook_url` is set) and the given
    /// WeChat apps.
    pub fn new(
        store: Store,
        app_webhook_url: &str,
        app_webhook_secret: &str,
        wechat: BTreeMap<String, Arc<WechatApp>>,
    ) -> Delivery {
        let app = (!app_webhook_url.is_empty()).then(|| AppPush::new(app_webhook_url, app_webhook_secret));
        Delivery { app, wechat, web: WebFeeds::default(), store }
    }

    /// The website visitors' live feeds.
    pub fn web(&self) -> &WebFeeds {
        &self.web
    }

    /// The WeChat app named `name`.
    pub fn wechat_app(&self, name: &str) -> Option<&Arc<WechatApp>> {
        self.wechat.get(name)
    }

    /// What the platform still lets kefu send in a conversation (`null` for channels
    /// without limits).
    pub async fn limits(
        &self,
        conversation: &crate::store::Conversation,
    ) -> Result<serde_json::Value, crate::store::StoreError> {
        match conversation.channel.strip_prefix("wechat:").and_then(|name| self.wechat.get(name)) {
            Some(app) => app.limits(&self.store, conversation.id).await,
            None => Ok(serde_json::Value::Null),
        }
    }

    /// Shows or hides "typing…" to the customer where the platform has it; false where it
    /// does not.
    pub async fn typing(&self, customer: &Customer, typing: bool) -> Result<bool, wechat::SendError> {
        if customer.channel == WEB {
            return Ok(self.web.push(&customer.external_id, WebPush::Typing(typing)));
        }
        match customer.channel.strip_prefix("wechat:").and_then(|name| self.wechat.get(name)) {
            Some(app) => app.api.typing(&customer.external_id, typing).await.map(|()| true),
            None => Ok(false),
        }
    }

    /// Shows "typing…" while the bot waits for something slow (a webhook); queued before
    /// the answer that follows.
    pub fn bot_typing(&self, customer: &Customer) {
        if let Some(app) = customer.channel.strip_prefix("wechat:").and_then(|name| self.wechat.get(name)) {
            app.enqueue_typing(&customer.external_id);
        }
    }

    /// Hands committed outgoing messages to their platform, in the background; a WeChat
    /// customer's messages leave in the order they were stored.
    pub fn deliver(&self, customer: &Customer, messages: Vec<Message>) {
        if messages.is_empty() {
            return;
        }
        if customer.channel == APP {
            if let Some(app) = &self.app {
                app.push(customer.external_id.clone(), messages);
            }
        } else if customer.channel == WEB {
            // A visitor without an open window reads the history when they come back.
            for message in messages {
                self.web.push(&customer.external_id, WebPush::Message(Box::new(message)));
            }
        } else if let Some(app) =
            customer.channel.strip_prefix("wechat:").and_then(|name| self.wechat.get(name))
        {
            app.enqueue(&customer.external_id, messages);
        }
    }

    /// Waits until the messages handed over so far have been sent (at shutdown).
    pub async fn drain(&self) {
        for app in self.wechat.values() {
            app.drain().await;
        }
    }
}
