//! Reloading the knowledge and flows while serving: build a complete new brain off the
//! async runtime, then swap it in atomically. A broken edit changes nothing — the old brain
//! keeps serving and the errors are kept for the admin page and `/metrics` until the next
//! good edit. Messages in flight finish on the brain they started with.

use std::collections::HashSet;
use std::sync::{Arc, PoisonError};
use std::time::Instant;

use serde::Serialize;

use super::{Service, now_ms};
use crate::brain::{Brain, BrainError, files_version};

/// What the last reloads did, for the admin page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReloadStatus {
    /// Reloads that swapped in a new brain.
    pub reloads: u64,
    /// Reloads refused because the files have errors.
    pub failures: u64,
    /// When the files were last checked, ms.
    pub checked_at: Option<i64>,
    /// The errors of the files as they are now (none once a good edit is loaded).
    pub last_error: Option<ReloadFailure>,
}

/// A refused reload.
#[derive(Debug, Clone, Serialize)]
pub struct ReloadFailure {
    /// When, ms.
    pub at: i64,
    /// What triggered it (`watch`, `api`, `sighup`).
    pub cause: String,
    /// Every problem, `file:line:col: message`.
    pub errors: Vec<String>,
}

/// What a reload did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Reloaded {
    /// The files are what is being served already.
    Unchanged {
        /// The version served.
        version: String,
    },
    /// A new brain is serving.
    Swapped {
        /// The new version.
        version: String,
        /// The version it replaced.
        previous: String,
        /// Knowledge entries now.
        entries: usize,
        /// Flows now.
        flows: usize,
        /// How long the build took, ms.
        took_ms: u64,
    },
}

/// Why a reload changed nothing.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReloadError {
    /// The files have errors; the old brain keeps serving.
    #[error("{} error(s) in the knowledge and flows", .0.len())]
    Invalid(Vec<String>),
    /// Building failed for another reason (the index, a crashed task).
    #[error("reload failed: {0}")]
    Failed(String),
}

impl Service {
    /// Rebuilds the brain from the files and swaps it in; one reload runs at a time.
    pub async fn reload(&self, cause: &str) -> Result<Reloaded, ReloadError> {
        let _one_at_a_time = self.reloading.lock().await;
        let started = Instant::now();
        let current = self.brain();
        let config = self.config.clone();
        let built = tokio::task::spawn_blocking(move || {
            let (knowledge, flows) = (&config.knowledge_dir, &config.flows_dir);
            if files_version(&[knowledge, flows]) == current.version {
                return Ok(None);
            }
            let webhooks: HashSet<String> = config.webhooks.keys().cloned().collect();
            let brain = Brain::load(knowledge, flows, &webhooks, config.matcher.model.clone())?;
            let unknown = crate::dialog::unknown_welcome_ids(&brain, &config.dialog);
            if !unknown.is_empty() {
                let message = format!("dialog.welcome_menu names no entry or flow: {}", unknown.join(", "));
                return Err(ReloadError::Invalid(vec![message]));
            }
            Ok(Some(brain))
        })
        .await
        .map_err(|error| ReloadError::Failed(error.to_string()))
        .and_then(|result| result);
        let previous = self.brain().version.clone();
        let outcome = match built {
            Ok(None) => Ok(Reloaded::Unchanged { version: previous }),
            Ok(Some(brain)) => {
                let reloaded = Reloaded::Swapped {
                    version: brain.version.clone(),
                    previous,
                    entries: brain.knowledge.entries.len(),
                    flows: brain.flows.flows.len(),
                    took_ms: started.elapsed().as_millis() as u64,
                };
                self.brain.store(Arc::new(brain));
                Ok(reloaded)
            }
            Err(error) => Err(error),
        };
        self.record_reload(cause, &outcome);
        outcome
    }

    /// The reloads so far.
    pub fn reload_status(&self) -> ReloadStatus {
        self.reload_status.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn record_reload(&self, cause: &str, outcome: &Result<Reloaded, ReloadError>) {
        let mut status = self.reload_status.lock().unwrap_or_else(PoisonError::into_inner);
        status.checked_at = Some(now_ms());
        let result = match outcome {
            Ok(Reloaded::Unchanged { .. }) => {
                // The files are back to what is served: an earlier error is gone.
                status.last_error = None;
                "unchanged"
            }
            Ok(Reloaded::Swapped { version, previous, entries, flows, took_ms }) => {
                status.reloads += 1;
                status.last_error = None;
                tracing::info!(cause, version, previous, entries, flows, took_ms, "knowledge reloaded");
                "ok"
            }
            Err(error) => {
                status.failures += 1;
                let errors = match error {
                    ReloadError::Invalid(errors) => errors.clone(),
                    ReloadError::Failed(message) => vec![message.clone()],
                };
                for line in &errors {
                    tracing::warn!(cause, "reload refused: {line}");
                }
                status.last_error = Some(ReloadFailure { at: now_ms(), cause: cause.to_string(), errors });
                "error"
            }
        };
        metrics::counter!("kefu_reloads_total", "result" => result).increment(1);
        let errors = status.last_error.as_ref().map_or(0, |failure| failure.errors.len());
        metrics::gauge!("kefu_knowledge_errors").set(errors as f64);
    }
}

impl From<BrainError> for ReloadError {
    fn from(error: BrainError) -> ReloadError {
        match error {
            BrainError::Invalid(diagnostics) => {
                ReloadError::Invalid(diagnostics.iter().map(ToString::to_string).collect())
            }
        }
    }
}
