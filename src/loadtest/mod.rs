//! `kefu loadtest`: kefu's speed measured the way a user would see it, against a baseline in
//! the same run (these machines are shared and noisy, so only ratios and same-run figures
//! mean much). The matcher alone on one core against Python's jieba + rank_bm25; a real
//! `kefu serve` started as a child process and driven through the app channel and through
//! encrypted, signed WeChat pushes, with a fake WeChat API on loopback timing the replies.

pub mod generated;
mod latency;
pub mod matcher;
pub mod traffic;

pub use latency::{Latencies, Summary};
