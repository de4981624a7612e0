//! `kefu ask`: the decision for one question and the matcher's explanation.

use std::io::Write;
use std::process::ExitCode;

use kefu::config::Config;
use kefu::explain::{Explanation, explain};

/// Prints what the bot would do with `question` in a new conversation.
pub fn run(config: &Config, question: &str, json: bool, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let brain = match super::load_brain(config) {
        Ok(brain) => brain,
        Err(code) => return Ok(code),
    };
    let explanation = explain(&brain, kefu::dialog::Policy::of(config), question, super::now());
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&explanation)?)?;
    } else {
        print_text(&explanation, out)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_text(explanation: &Explanation, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "question:   {}", explanation.question)?;
    writeln!(out, "normalized: {}", explanation.normalized)?;
    writeln!(out, "words:      {}", explanation.words.join(" / "))?;
    writeln!(out, "decision:   {}", serde_json::to_string(&explanation.decision).unwrap_or_default())?;
    for line in &explanation.replies {
        writeln!(out, "reply:      {line}")?;
    }
    if let (Some(runner_up), Some(margin)) = (&explanation.runner_up, explanation.confidence_margin) {
        writeln!(out, "runner-up:  {runner_up} (confidence margin {margin:+.3})")?;
    }
    writeln!(out, "candidates:")?;
    for (rank, c) in explanation.candidates.iter().enumerate() {
        writeln!(
            out,
            "{:>2}. {:<28} confidence {:.3}  score {:.3}  margin {:+.3}{}",
            rank + 1,
            c.entry,
            c.confidence,
            c.score,
            c.margin,
            if c.via_pattern { "  (pattern)" } else { "" }
        )?;
        writeln!(out, "    question: {}", c.question)?;
        writeln!(out, "    matched:  {}  [{}]", c.matched_phrasing, c.matched_words.join(" "))?;
        let features: Vec<String> = c.features.iter().map(|(k, v)| format!("{k}={v}")).collect();
        writeln!(out, "    features: {}", features.join(" "))?;
    }
    Ok(())
}
