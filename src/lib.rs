//! kefu (客服): a customer-service engine — FAQ bot, dialog flows, hand-off to humans.

pub mod brain;
pub mod config;
pub mod dialog;
pub mod eval;
pub mod flows;
pub mod knowledge;
pub mod matcher;
pub mod operator_yaml;
pub mod scenarios;
pub mod store;
pub mod text;
pub mod webhooks;
