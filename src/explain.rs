//! Why the bot answers what it answers: the decision for one question in a new conversation
//! and every candidate's confidence and features. Shown by `kefu ask` and the admin page.

use serde::Serialize;

use crate::brain::{Brain, Target};
use crate::dialog::{Action, Decision, DialogState, Policy, respond};
use crate::matcher::{Candidate, FEATURE_NAMES};

/// The bot's decision for a question and the matcher's reasons.
#[derive(Debug, Serialize)]
pub struct Explanation {
    /// The question as asked.
    pub question: String,
    /// The question after normalisation.
    pub normalized: String,
    /// The words the segmenter found.
    pub words: Vec<String>,
    /// What the bot decided.
    pub decision: Decision,
    /// What the bot would say, one line per reply.
    pub replies: Vec<String>,
    /// The second best entry, the one the best had to beat.
    pub runner_up: Option<String>,
    /// The best entry's confidence minus the runner-up's.
    pub confidence_margin: Option<f32>,
    /// The ranked candidates.
    pub candidates: Vec<CandidateExplanation>,
}

/// One ranked candidate.
#[derive(Debug, Serialize)]
pub struct CandidateExplanation {
    /// `entry` or `flow`.
    pub kind: &'static str,
    /// The entry's or flow's id.
    pub entry: String,
    /// How it is offered in a list of choices.
    pub question: String,
    /// Calibrated probability that it is right.
    pub confidence: f32,
    /// The ranker's score.
    pub score: f32,
    /// Score minus the next candidate's.
    pub margin: f32,
    /// The phrasing that matched best.
    pub matched_phrasing: String,
    /// The question's words found in that phrasing.
    pub matched_words: Vec<String>,
    /// Matched by a regular-expression pattern.
    pub via_pattern: bool,
    /// The ranker's features, rounded.
    pub features: serde_json::Map<String, serde_json::Value>,
}

/// Explains what the bot would do with `question` at the start of a conversation.
pub fn explain(brain: &Brain, policy: Policy<'_>, question: &str, now: i64) -> Explanation {
    let outcome = respond(brain, policy, &DialogState::default(), question, now);
    let ranking = match outcome.ranking {
        Some(ranking) => ranking,
        None => brain.matcher.rank(question),
    };
    let candidates: Vec<CandidateExplanation> =
        ranking.candidates.iter().map(|c| explain_candidate(brain, c, &ranking.query.words)).collect();
    Explanation {
        question: question.to_string(),
        normalized: ranking.query.normalized.clone(),
        words: ranking.query.words.clone(),
        decision: outcome.decision,
        replies: reply_lines(&outcome.actions),
        runner_up: candidates.get(1).map(|c| c.entry.clone()),
        confidence_margin: match (candidates.first(), candidates.get(1)) {
            (Some(best), Some(second)) => Some(best.confidence - second.confidence),
            (Some(best), None) => Some(best.confidence),
            _ => None,
        },
        candidates,
    }
}

/// The bot's actions as lines of text: replies, and hand-offs in brackets.
pub fn reply_lines(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::Reply { reply } => Some(reply.summary()),
            Action::Handoff { reason } => {
                Some(format!("[转人工: {}]", serde_json::to_string(reason).unwrap_or_default()))
            }
            Action::CallWebhook { .. } => None,
        })
        .collect()
}

fn explain_candidate(brain: &Brain, candidate: &Candidate, query_words: &[String]) -> CandidateExplanation {
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
            Target::Entry(_) => "entry",
            Target::Flow(_) => "flow",
        },
        entry: target.id().to_string(),
        question: target.title().to_string(),
        confidence: candidate.confidence,
        score: candidate.score,
        margin: candidate.margin,
        matched_phrasing: brain.matcher.phrasing_text(candidate.phrasing).to_string(),
        matched_words: query_words.iter().filter(|w| phrasing_words.contains(w)).cloned().collect(),
        via_pattern: candidate.via_pattern,
        features,
    }
}
