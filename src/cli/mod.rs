//! The commands behind `kefu check|ask|chat|eval`: argument handling and terminal output.

pub mod ask;
pub mod chat;
pub mod check;
pub mod eval;

use std::process::ExitCode;

use kefu::brain::{Brain, BrainError};
use kefu::config::Config;

/// Loads the brain, or prints every operator error and returns the exit code to use.
pub fn load_brain(config: &Config) -> anyhow::Result<Result<Brain, ExitCode>> {
    match Brain::load(&config.knowledge_dir, &config.flows_dir, config.matcher.model.clone()) {
        Ok(brain) => Ok(Ok(brain)),
        Err(BrainError::Invalid(diagnostics)) => {
            for diagnostic in &diagnostics {
                eprintln!("{diagnostic}");
            }
            eprintln!("{} error(s)", diagnostics.len());
            Ok(Err(ExitCode::FAILURE))
        }
        Err(error) => Err(error.into()),
    }
}
