//! `kefu ask`: the decision for one question and the matcher's explanation.

use std::io::Write;
use std::process::ExitCode;

use serde::Serialize;

use kefu::brain::Brain;
use kefu::config::Config;
use kefu::dialog::{Decision, DialogState, respond};
use kefu::matcher::{Candidate, FEATURE_NAMES};

#[derive(Serialize)]
struct Explanation<'a> {
    question: &'a str,
    normalized: &'a str,
    words: &'a [String],
    decision: &'a Decision,
    replies: Vec<String>,
    /// The second best entry, the one the best had to beat.
    runner_up: Option<&'a str>,
    /// The best entry's confidence minus the runner-up's.
    confidence_margin: Option<f32>,
    candidates: Vec<CandidateExplanation<'a>>,
}

#[derive(Serialize)]
struct CandidateExplanation<'a> {
    /// `entry` or `flow`.
    kind: &'static str,
    entry: &'a str,
    question: &'a str,
    confidence: f32,
    score: f32,
    margin: f32,
    matched_phrasing: &'a str,
    matched_words: Vec<&'a str>,
    via_pattern: bool,
    features: serde_json::Map<String, serde_json::Value>,
}

/// Prints what the bot would do with `question` in a new conversation.
pub fn run(config: &Config, question: &str, json: bool, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let brain = match super::load_brain(config)? {
        Ok(brain) => brain,
        Err(code) => return Ok(code),
    };
    let outcome = respond(&brain, super::policy(config), &DialogState::default(), question, super::now())?;
    let ranking = match outcome.ranking {
        Some(ranking) => ranking,
        None => brain.matcher.rank(question)?,
    };
    let candidates: Vec<CandidateExplanation<'_>> =
        ranking.candidates.iter().map(|c| explain(&brain, c, &ranking.query.words)).collect();
    let explanation = Explanation {
        question,
        normalized: &ranking.query.normalized,
        words: &ranking.query.words,
        decision: &outcome.decision,
        replies: super::chat::reply_lines(&outcome.actions),
        runner_up: candidates.get(1).map(|c| c.entry),
        confidence_margin: match (candidates.first(), candidates.get(1)) {
            (Some(best), Some(second)) => Some(best.confidence - second.confidence),
            (Some(best), None) => Some(best.confidence),
            _ => None,
        },
        candidates,
    };
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&explanation)?)?;
    } else {
        print_text(&explanation, out)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn explain<'a>(
    brain: &'a Brain,
    candidate: &Candidate,
    query_words: &'a [String],
) -> CandidateExplanation<'a> {
    let target = brain.target(candidate);
    let phrasing_words =
        brain.matcher.phrasing_analysis(candidate.phrasing).map(|a| a.words.as_slice()).unwrap_or(&[]);
    let features = FEATURE_NAMES
        .iter()
        .zip(candidate.features)
        .map(|(name, value)| {
            (name.to_string(), serde_json::json!((f64::from(value) * 1000.0).round() / 1000.0))
        })
        .collect();
    CandidateExplanation {
        kind: match target {
            kefu::brain::Target::Entry(_) => "entry",
            kefu::brain::Target::Flow(_) => "flow",
        },
        entry: target.id(),
        question: target.title(),
        confidence: candidate.confidence,
        score: candidate.score,
        margin: candidate.margin,
        matched_phrasing: brain.matcher.phrasing_text(candidate.phrasing),
        matched_words: query_words
            .iter()
            .filter(|w| phrasing_words.contains(w))
            .map(String::as_str)
            .collect(),
        via_pattern: candidate.via_pattern,
        features,
    }
}

fn print_text(explanation: &Explanation<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "question:   {}", explanation.question)?;
    writeln!(out, "normalized: {}", explanation.normalized)?;
    writeln!(out, "words:      {}", explanation.words.join(" / "))?;
    writeln!(out, "decision:   {}", serde_json::to_string(explanation.decision).unwrap_or_default())?;
    for line in &explanation.replies {
        writeln!(out, "reply:      {line}")?;
    }
    if let (Some(runner_up), Some(margin)) = (explanation.runner_up, explanation.confidence_margin) {
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
