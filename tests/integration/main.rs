//! Integration tests: the real `kefu` binary and, later, the real server on 127.0.0.1:0.

mod app;
mod browser;
mod cli;
mod fake_backend;
mod fake_wechat;
mod gaps;
mod postgres;
mod reload;
mod server;
mod web;
mod webhooks;
mod wechat;
