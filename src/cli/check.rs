//! `kefu check`: validate the operator files.

use std::io::Write;
use std::process::ExitCode;

use kefu::config::Config;

/// Validates knowledge and flows; prints a summary or every error.
pub fn run(config: &Config, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let brain = match super::load_brain(config) {
        Ok(brain) => brain,
        Err(code) => return Ok(code),
    };
    let unknown = kefu::dialog::unknown_welcome_ids(&brain, &config.dialog);
    if !unknown.is_empty() {
        writeln!(out, "error: dialog.welcome_menu names no entry or flow: {}", unknown.join(", "))?;
        return Ok(ExitCode::FAILURE);
    }
    let files: std::collections::BTreeSet<_> =
        brain.knowledge.entries.iter().map(|entry| entry.location.file.clone()).collect();
    writeln!(
        out,
        "ok: {} entries in {} files ({}), {} synonym groups, {} canned replies; {} flows ({}); {} phrasings indexed",
        brain.knowledge.entries.len(),
        files.len(),
        config.knowledge_dir.display(),
        brain.knowledge.synonym_groups.len(),
        brain.knowledge.canned.len(),
        brain.flows.flows.len(),
        config.flows_dir.display(),
        brain.matcher.phrasing_count(),
    )?;
    Ok(ExitCode::SUCCESS)
}
