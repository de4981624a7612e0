//! `kefu test`: run the conversation tests in `flows/tests/` against the real knowledge and
//! flows; exit 1 when any fails.

use std::io::Write;
use std::process::ExitCode;

use kefu::config::Config;
use kefu::scenarios::{load_scenarios, run_scenario};

/// Runs every test and prints a line per test, with a readable account of each failure.
pub fn run(config: &Config, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let brain = match super::load_brain(config) {
        Ok(brain) => brain,
        Err(code) => return Ok(code),
    };
    let dir = config.flows_dir.join("tests");
    let scenarios = match load_scenarios(&dir, &brain) {
        Ok(scenarios) => scenarios,
        Err(diagnostics) => {
            diagnostics.iter().for_each(|d| eprintln!("{d}"));
            eprintln!("{} error(s)", diagnostics.len());
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut failed = 0;
    for scenario in &scenarios {
        let result = run_scenario(&brain, kefu::dialog::Policy::of(config), scenario);
        if result.passed() {
            writeln!(out, "ok    {} ({} turns)", result.name, result.turns_run)?;
            continue;
        }
        failed += 1;
        writeln!(out, "FAIL  {}  ({})", result.name, result.location)?;
        for failure in &result.failures {
            writeln!(out, "      turn {} ({}): 用户: {}", failure.turn, failure.location, failure.user)?;
            for line in failure.message.lines() {
                writeln!(out, "        {line}")?;
            }
            writeln!(out, "        but the bot said:")?;
            for line in failure.replies.lines() {
                writeln!(out, "    |   {line}")?;
            }
        }
    }
    writeln!(
        out,
        "\n{} tests, {} passed, {failed} failed ({})",
        scenarios.len(),
        scenarios.len() - failed,
        dir.display()
    )?;
    Ok(if failed == 0 && !scenarios.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
