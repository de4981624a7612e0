//! kefu (客服): a customer-service engine — FAQ bot, dialog flows, hand-off to humans.

pub mod agents;
pub mod allocator;
pub mod brain;
pub mod channels;
pub mod config;
pub mod conversation;
pub mod dialog;
pub mod eval;
pub mod explain;
pub mod flows;
pub mod gaps;
pub mod http;
pub mod knowledge;
pub mod loadtest;
pub mod matcher;
pub mod operator_yaml;
pub mod scenarios;
pub mod serve;
pub mod store;
pub mod text;
pub mod watch;
pub mod webhooks;
