//! The commands behind `kefu check|ask|chat|eval`: argument handling and terminal output.

pub mod ask;
pub mod chat;
pub mod check;
pub mod eval;
pub mod gaps;
pub mod loadtest;
pub mod serve;
pub mod test;

use std::process::ExitCode;

use kefu::brain::{Brain, BrainError};
use kefu::config::Config;

/// Loads the brain, or prints every operator error and returns the exit code to use.
pub fn load_brain(config: &Config) -> Result<Brain, ExitCode> {
    let webhooks = config.webhooks.keys().cloned().collect();
    match Brain::load(&config.knowledge_dir, &config.flows_dir, &webhooks, config.matcher.model.clone()) {
        Ok(brain) => Ok(brain),
        Err(BrainError::Invalid(diagnostics)) => {
            for diagnostic in &diagnostics {
                eprintln!("{diagnostic}");
            }
            eprintln!("{} error(s)", diagnostics.len());
            Err(ExitCode::FAILURE)
        }
    }
}

/// The current time in unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
