//! The answering policy: answer, clarify, fall back or hand off.

use serde::{Deserialize, Serialize};

use super::choice::{parse_choice, rejects_choices};
use crate::brain::Brain;
use crate::config::{DialogConfig, MatcherConfig};
use crate::knowledge::{Entry, EntryId, Reply};
use crate::matcher::{Candidate, Ranking, RetrievalError};
use crate::text::normalize;

/// What the core remembers between two messages of a conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DialogState {
    /// Fallbacks in a row; reset by any answer.
    pub consecutive_fallbacks: u32,
    /// The entries offered as numbered choices in the last reply.
    pub pending_choices: Vec<EntryId>,
    /// Answers given so far (rotates answer variants).
    pub answers_given: u64,
}

/// Why a conversation goes to a human.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason", content = "detail")]
pub enum HandoffReason {
    /// The customer asked for a human.
    Requested,
    /// The bot fell back too many times in a row.
    RepeatedFallbacks,
    /// The matched entry's topic always needs a human.
    EntryNeedsHuman(EntryId),
}

/// What the bot decided for one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "decision")]
pub enum Decision {
    /// Answered with an entry; `confidence` is absent when the customer picked it.
    Answer {
        /// The entry.
        entry: EntryId,
        /// The matcher's confidence.
        confidence: Option<f32>,
    },
    /// Offered numbered choices.
    Clarify {
        /// The entries offered.
        entries: Vec<EntryId>,
    },
    /// Did not understand.
    Fallback,
    /// Handed the conversation to a human.
    Handoff {
        /// Why.
        reason: HandoffReason,
    },
}

/// Something the caller must do.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// Send a message to the customer.
    Reply {
        /// The message.
        reply: Reply,
    },
    /// Put the conversation in the human queue.
    Handoff {
        /// Why.
        reason: HandoffReason,
    },
}

/// The result of one step.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The state to store.
    pub state: DialogState,
    /// The decision, for logs and review.
    pub decision: Decision,
    /// What to do, in order.
    pub actions: Vec<Action>,
    /// The ranking behind the decision (absent for picks and explicit requests).
    pub ranking: Option<Ranking>,
}

/// The thresholds and lines the policy follows.
#[derive(Debug, Clone, Copy)]
pub struct Policy<'a> {
    /// Confidence thresholds.
    pub matcher: &'a MatcherConfig,
    /// Fallback rules and fixed lines.
    pub dialog: &'a DialogConfig,
}

/// Decides how to answer `message` given the conversation's `state`.
pub fn respond(
    brain: &Brain,
    policy: Policy<'_>,
    state: &DialogState,
    message: &str,
) -> Result<Outcome, RetrievalError> {
    let mut next = DialogState { pending_choices: Vec::new(), ..state.clone() };
    if asks_for_human(message, policy.dialog) {
        next.consecutive_fallbacks = 0;
        return Ok(handoff(next, HandoffReason::Requested, policy, None));
    }
    if let Some(entry) = picked_entry(brain, state, message) {
        return Ok(answer(next, entry, None, None));
    }
    if !state.pending_choices.is_empty() && rejects_choices(message) {
        // None of the offered entries fits: as good as not understood.
        return Ok(fallback(next, policy, None));
    }
    let ranking = brain.matcher.rank(message)?;
    Ok(match decide(&ranking.candidates, policy.matcher) {
        Verdict::Answer(index) => {
            let best = &ranking.candidates[index];
            let (entry, confidence) = (brain.entry(best), Some(best.confidence));
            answer(next, entry, confidence, Some(ranking.clone()))
        }
        Verdict::Clarify(indices) => {
            let offered: Vec<&Entry> = indices.iter().map(|&i| brain.entry(&ranking.candidates[i])).collect();
            clarify(next, &offered, policy, ranking)
        }
        Verdict::Fallback => fallback(next, policy, Some(ranking)),
    })
}

/// The matcher-level verdict on a ranking, before conversation rules apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Answer with the candidate at this index.
    Answer(usize),
    /// Offer the candidates at these indices.
    Clarify(Vec<usize>),
    /// No usable candidate.
    Fallback,
}

/// Applies the thresholds to ranked candidates (best first): answer when confident and
/// clearly ahead of the runner-up; offer choices when plausible; otherwise fall back.
pub fn decide(candidates: &[Candidate], thresholds: &MatcherConfig) -> Verdict {
    let Some(best) = candidates.first() else { return Verdict::Fallback };
    let runner_up = candidates.get(1).map_or(0.0, |c| c.confidence);
    if best.confidence >= thresholds.answer_threshold
        && best.confidence - runner_up >= thresholds.ambiguity_margin
    {
        return Verdict::Answer(0);
    }
    if best.confidence >= thresholds.suggest_threshold {
        let offered = candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| c.confidence >= thresholds.suggest_threshold)
            .take(thresholds.max_suggestions)
            .map(|(index, _)| index)
            .collect();
        return Verdict::Clarify(offered);
    }
    Verdict::Fallback
}

fn asks_for_human(message: &str, dialog: &DialogConfig) -> bool {
    let normalized = normalize(message).replace(' ', "");
    !normalized.is_empty()
        && dialog.human_request_phrases.iter().any(|phrase| {
            let phrase = normalize(phrase).replace(' ', "");
            !phrase.is_empty() && normalized.contains(&phrase)
        })
}

fn picked_entry<'b>(brain: &'b Brain, state: &DialogState, message: &str) -> Option<&'b Entry> {
    let choice = parse_choice(message)?;
    let id = state.pending_choices.get(choice.checked_sub(1)?)?;
    brain.knowledge.entry(&id.0)
}

fn answer(
    mut state: DialogState,
    entry: &Entry,
    confidence: Option<f32>,
    ranking: Option<Ranking>,
) -> Outcome {
    let reply = entry.answer.variant(state.answers_given).clone();
    state.answers_given += 1;
    state.consecutive_fallbacks = 0;
    let mut actions = vec![Action::Reply { reply }];
    actions.extend(entry.attachments.iter().map(|reply| Action::Reply { reply: reply.clone() }));
    if entry.handoff {
        actions.push(Action::Handoff { reason: HandoffReason::EntryNeedsHuman(entry.id.clone()) });
    }
    Outcome { state, decision: Decision::Answer { entry: entry.id.clone(), confidence }, actions, ranking }
}

fn clarify(mut state: DialogState, offered: &[&Entry], policy: Policy<'_>, ranking: Ranking) -> Outcome {
    let mut text = policy.dialog.clarify_intro.clone();
    for (number, entry) in offered.iter().enumerate() {
        text.push_str(&format!("\n{}. {}", number + 1, entry.question));
    }
    state.pending_choices = offered.iter().map(|entry| entry.id.clone()).collect();
    state.consecutive_fallbacks = 0;
    let decision = Decision::Clarify { entries: state.pending_choices.clone() };
    Outcome {
        state,
        decision,
        actions: vec![Action::Reply { reply: Reply::text(text) }],
        ranking: Some(ranking),
    }
}

fn fallback(mut state: DialogState, policy: Policy<'_>, ranking: Option<Ranking>) -> Outcome {
    state.consecutive_fallbacks += 1;
    if state.consecutive_fallbacks >= policy.dialog.handoff_after_fallbacks {
        state.consecutive_fallbacks = 0;
        return handoff(state, HandoffReason::RepeatedFallbacks, policy, ranking);
    }
    let reply = Reply::text(policy.dialog.fallback_reply.clone());
    Outcome { state, decision: Decision::Fallback, actions: vec![Action::Reply { reply }], ranking }
}

fn handoff(
    state: DialogState,
    reason: HandoffReason,
    policy: Policy<'_>,
    ranking: Option<Ranking>,
) -> Outcome {
    let actions = vec![
        Action::Reply { reply: Reply::text(policy.dialog.handoff_reply.clone()) },
        Action::Handoff { reason: reason.clone() },
    ];
    Outcome { state, decision: Decision::Handoff { reason }, actions, ranking }
}
