//! The answering policy: answer, clarify, fall back or hand off — and start flows.

use serde_json::{Map, Value};

use super::choice::{parse_choice, rejects_choices};
use super::flow_turns::{continue_flow, start_flow};
use super::types::{Action, Decision, DialogState, HandoffReason, Outcome, Policy};
use crate::brain::{Brain, Target};
use crate::config::{DialogConfig, MatcherConfig};
use crate::flows::Flow;
use crate::knowledge::{Entry, EntryId, Reply};
use crate::matcher::{Candidate, Ranking};
use crate::text::normalize;

/// Decides how to answer `message` given the conversation's `state`; `now` is the current
/// time in unix seconds (the core reads no clock).
pub fn respond(brain: &Brain, policy: Policy<'_>, state: &DialogState, message: &str, now: i64) -> Outcome {
    let mut next = DialogState { pending_choices: Vec::new(), last_answer: None, ..state.clone() };
    if asks_for_human(message, policy.dialog) {
        next.consecutive_fallbacks = 0;
        next.flow = None;
        return handoff(next, HandoffReason::Requested, policy, None);
    }
    let mut ended_by_reload = false;
    if let Some(flow_state) = next.flow.take() {
        let idle = now.saturating_sub(flow_state.updated_at) > policy.flows.idle_timeout_secs as i64;
        match brain.flows.get(&flow_state.flow) {
            // Left idle too long: dropped, the message starts afresh.
            _ if idle => {}
            Some(flow) if flow.revision == flow_state.revision => {
                return continue_flow(brain, policy, next, flow, flow_state, message, now);
            }
            // Removed, or its slots or steps changed, by a reload: its place in the steps
            // means nothing now. Say so and take the message afresh.
            _ => ended_by_reload = true,
        }
    }
    let mut outcome = respond_afresh(brain, policy, state, next, message, now);
    if ended_by_reload {
        let notice = Action::Reply { reply: Reply::text(policy.flows.changed_reply.clone()) };
        outcome.actions.insert(0, notice);
    }
    outcome
}

/// The decision on a message outside any flow.
fn respond_afresh(
    brain: &Brain,
    policy: Policy<'_>,
    state: &DialogState,
    next: DialogState,
    message: &str,
    now: i64,
) -> Outcome {
    if let Some(picked) = picked_target(brain, state, message) {
        return act_on(brain, policy, state.last_answer.as_ref(), next, picked, None, message, now);
    }
    if !state.pending_choices.is_empty() && rejects_choices(message) {
        // None of the offered entries fits: as good as not understood.
        return fallback(next, policy, None);
    }
    let ranking = brain.matcher.rank(message);
    match decide(&ranking.candidates, policy.matcher) {
        Verdict::Answer(index) => {
            let best = &ranking.candidates[index];
            let confident = Some((best.confidence, ranking.clone()));
            act_on(
                brain,
                policy,
                state.last_answer.as_ref(),
                next,
                brain.target(best),
                confident,
                message,
                now,
            )
        }
        Verdict::Clarify(indices) => {
            let mut offered: Vec<Target<'_>> = Vec::new();
            for target in
                indices.iter().map(|&i| effective_target(brain, brain.target(&ranking.candidates[i])))
            {
                if !offered.iter().any(|o| o.id() == target.id()) {
                    offered.push(target);
                }
            }
            clarify(next, &offered, policy, ranking)
        }
        Verdict::Fallback => fallback(next, policy, Some(ranking)),
    }
}

/// Answers with an entry, or starts the flow that answers it.
#[allow(clippy::too_many_arguments)]
fn act_on(
    brain: &Brain,
    policy: Policy<'_>,
    previous_answer: Option<&EntryId>,
    state: DialogState,
    target: Target<'_>,
    matched: Option<(f32, Ranking)>,
    message: &str,
    now: i64,
) -> Outcome {
    let (confidence, ranking) = matched.map_or((None, None), |(c, r)| (Some(c), Some(r)));
    match target {
        Target::Flow(flow) => start_flow(policy, state, flow, trigger_values(flow, message), now, ranking),
        Target::Entry(entry) => match brain.linked_flow(entry) {
            Some(flow) => start_flow(policy, state, flow, trigger_values(flow, message), now, ranking),
            None if policy.dialog.handoff_on_repeated_question && previous_answer == Some(&entry.id) => {
                handoff(state, HandoffReason::RepeatedQuestion { entry: entry.id.clone() }, policy, ranking)
            }
            None => answer(state, entry, confidence, ranking),
        },
    }
}

/// What choosing a target leads to: an entry answered by a flow is offered as that flow, so
/// the same flow is not offered twice.
fn effective_target<'b>(brain: &'b Brain, target: Target<'b>) -> Target<'b> {
    match target {
        Target::Entry(entry) => brain.linked_flow(entry).map_or(target, Target::Flow),
        Target::Flow(_) => target,
    }
}

/// Slot values a flow's trigger patterns capture from the message (named groups).
fn trigger_values(flow: &Flow, message: &str) -> Map<String, Value> {
    let mut values = Map::new();
    for pattern in &flow.patterns {
        let Some(captures) = pattern.captures(message) else { continue };
        for name in pattern.capture_names().flatten() {
            let captured = captures.name(name).map(|m| m.as_str());
            let accepted = captured.and_then(|text| flow.slots.get(name)?.kind.extract(text));
            if let Some(value) = accepted {
                values.entry(name.to_string()).or_insert(Value::String(value));
            }
        }
    }
    values
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

/// True when the message contains one of the phrases asking for a human.
fn asks_for_human(message: &str, dialog: &DialogConfig) -> bool {
    let normalized = normalize(message).replace(' ', "");
    !normalized.is_empty()
        && dialog.human_request_phrases.iter().any(|phrase| {
            let phrase = normalize(phrase).replace(' ', "");
            !phrase.is_empty() && normalized.contains(&phrase)
        })
}

fn picked_target<'b>(brain: &'b Brain, state: &DialogState, message: &str) -> Option<Target<'b>> {
    let choice = parse_choice(message)?;
    let id = state.pending_choices.get(choice.checked_sub(1)?)?;
    brain.target_by_id(id)
}

/// Answers with an entry: one of its variants, its attachments, and a hand-off when the
/// topic always needs a human.
pub(super) fn answer(
    mut state: DialogState,
    entry: &Entry,
    confidence: Option<f32>,
    ranking: Option<Ranking>,
) -> Outcome {
    let reply = entry.answer.variant(state.answers_given).clone();
    state.answers_given += 1;
    state.last_answer = Some(entry.id.clone());
    state.consecutive_fallbacks = 0;
    let mut actions = vec![Action::Reply { reply }];
    actions.extend(entry.attachments.iter().map(|reply| Action::Reply { reply: reply.clone() }));
    if entry.handoff {
        actions.push(Action::Handoff { reason: HandoffReason::EntryNeedsHuman { entry: entry.id.clone() } });
    }
    Outcome { state, decision: Decision::Answer { entry: entry.id.clone(), confidence }, actions, ranking }
}

fn clarify(mut state: DialogState, offered: &[Target<'_>], policy: Policy<'_>, ranking: Ranking) -> Outcome {
    let mut text = policy.dialog.clarify_intro.clone();
    for (number, target) in offered.iter().enumerate() {
        text.push_str(&format!("\n{}. {}", number + 1, target.title()));
    }
    state.pending_choices = offered.iter().map(|target| target.id().to_string()).collect();
    state.consecutive_fallbacks = 0;
    let decision = Decision::Clarify { options: state.pending_choices.clone() };
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

/// Hands off: the hand-off line, then the hand-off itself.
pub(super) fn handoff(
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
