//! Conversation rules around a running flow: cancel, interruptions by FAQ questions,
//! webhook replies, and turning flow events into actions.

use serde_json::{Map, Value};

use super::policy::{Verdict, answer, decide, handoff};
use super::types::{Action, Decision, DialogState, FlowStage, HandoffReason, Outcome, Policy};
use crate::brain::{Brain, Target};
use crate::flows::{self, Flow, FlowEvent, FlowState, FlowTurn, Waiting, WebhookFailure};
use crate::knowledge::Reply;
use crate::matcher::Ranking;

/// Starts `flow` with the values its trigger captured.
pub(super) fn start_flow(
    policy: Policy<'_>,
    state: DialogState,
    flow: &Flow,
    values: Map<String, Value>,
    now: i64,
    ranking: Option<Ranking>,
) -> Outcome {
    let turn = flows::start(flow, values, now, &policy.flows.webhook_error_reply);
    apply(policy, state, flow, turn, FlowStage::Started, ranking)
}

/// Handles a message while `flow` runs: cancel, fill the awaited slot, answer a confident
/// FAQ question in between (then repeat the flow's question), or let the flow retry.
pub(super) fn continue_flow(
    brain: &Brain,
    policy: Policy<'_>,
    mut state: DialogState,
    flow: &Flow,
    mut flow_state: FlowState,
    message: &str,
    now: i64,
) -> Outcome {
    if is_cancel(message, &policy.flows.cancel_phrases) {
        let actions = vec![Action::Reply { reply: Reply::text(policy.flows.cancel_reply.clone()) }];
        let decision = Decision::Flow { flow: flow.id.clone(), stage: FlowStage::Cancelled };
        return Outcome { state, decision, actions, ranking: None };
    }
    let waiting_for_slot = matches!(flow_state.waiting, Waiting::Slot { .. });
    // A typed slot (order number, phone …) takes its value first. A free-text slot takes
    // anything, so there a message asking something ("运费怎么算？") may be an FAQ question;
    // a statement ("地址是…", "上次的问题没人跟进") is the answer.
    let asks_something = flows::awaits_free_text(flow, &flow_state) && crate::matcher::is_question(message);
    if waiting_for_slot && !asks_something && flows::slot_value(flow, &flow_state, message).is_some() {
        let turn = flows::answer(flow, flow_state, message, now, &policy.flows.webhook_error_reply);
        return apply(policy, state, flow, turn, FlowStage::Continued, None);
    }
    let ranking = brain.matcher.rank(message);
    if let Verdict::Answer(index) = decide(&ranking.candidates, policy.matcher)
        && let best = &ranking.candidates[index]
        && let Target::Entry(entry) = brain.target(best)
        && entry.flow.as_deref() != Some(flow.id.as_str())
    {
        // An entry that needs a human ends the flow: the agent takes it from here.
        if entry.handoff {
            return answer(state, entry, Some(best.confidence), Some(ranking));
        }
        flow_state.updated_at = now;
        let resume = flows::pending_prompt(flow, &flow_state)
            .map(|prompt| format!("{}{prompt}", policy.flows.resume_intro));
        state.flow = Some(flow_state);
        let mut outcome = answer(state, entry, Some(best.confidence), Some(ranking));
        outcome.actions.extend(resume.map(|text| Action::Reply { reply: Reply::text(text) }));
        return outcome;
    }
    if !waiting_for_slot {
        // The webhook has not answered yet: the flow cannot move.
        flow_state.updated_at = now;
        state.flow = Some(flow_state);
        let decision = Decision::Flow { flow: flow.id.clone(), stage: FlowStage::Continued };
        let actions = vec![Action::Reply { reply: Reply::text(policy.flows.busy_reply.clone()) }];
        return Outcome { state, decision, actions, ranking: Some(ranking) };
    }
    let turn = flows::answer(flow, flow_state, message, now, &policy.flows.webhook_error_reply);
    apply(policy, state, flow, turn, FlowStage::Continued, Some(ranking))
}

/// Feeds a webhook's reply to the running flow. A reply for no running flow (it was
/// cancelled meanwhile) changes nothing.
pub fn respond_to_webhook(
    brain: &Brain,
    policy: Policy<'_>,
    state: &DialogState,
    reply: Result<Value, WebhookFailure>,
    now: i64,
) -> Outcome {
    let mut next = state.clone();
    let running = next.flow.take().and_then(|fs| brain.flows.get(&fs.flow).map(|flow| (flow, fs)));
    match running {
        Some((flow, flow_state)) if matches!(flow_state.waiting, Waiting::Webhook { .. }) => {
            let turn = flows::webhook_reply(flow, flow_state, reply, now, &policy.flows.webhook_error_reply);
            apply(policy, next, flow, turn, FlowStage::Continued, None)
        }
        _ => {
            let flow = state.flow.as_ref().map_or_else(String::new, |fs| fs.flow.clone());
            let decision = Decision::Flow { flow, stage: FlowStage::Continued };
            Outcome { state: state.clone(), decision, actions: Vec::new(), ranking: None }
        }
    }
}

/// True when the message cancels: it is a cancel phrase, or a short message containing
/// one ("那就算了吧"). A sentence that merely mentions one ("取消订单怎么弄") is a question.
fn is_cancel(message: &str, phrases: &[String]) -> bool {
    let normalized = crate::text::normalize(message).replace(' ', "");
    let core = normalized.trim_end_matches(['吧', '啊', '呀', '哈']);
    phrases
        .iter()
        .map(|p| crate::text::normalize(p).replace(' ', ""))
        .filter(|p| !p.is_empty())
        .any(|phrase| core == phrase || (core.chars().count() <= SHORT_MESSAGE && core.contains(&phrase)))
}

/// Messages up to this many characters that contain a cancel phrase cancel.
const SHORT_MESSAGE: usize = 6;

/// Turns a flow's events into actions and stores its state.
fn apply(
    policy: Policy<'_>,
    mut state: DialogState,
    flow: &Flow,
    turn: FlowTurn,
    stage: FlowStage,
    ranking: Option<Ranking>,
) -> Outcome {
    let ended = turn.state.is_none();
    state.flow = turn.state;
    state.consecutive_fallbacks = 0;
    let mut actions = Vec::new();
    let mut handed_off = None;
    for event in turn.events {
        match event {
            FlowEvent::Say { text } => actions.push(Action::Reply { reply: Reply::text(text) }),
            FlowEvent::CallWebhook { webhook, payload } => {
                actions.push(Action::CallWebhook { flow: flow.id.clone(), webhook, payload });
            }
            FlowEvent::Handoff { reason, group } => {
                handed_off = Some(HandoffReason::Flow { flow: flow.id.clone(), detail: reason, group });
            }
        }
    }
    if let Some(reason) = handed_off {
        let mut outcome = handoff(state, reason, policy, ranking);
        actions.append(&mut outcome.actions);
        outcome.actions = actions;
        return outcome;
    }
    let stage = if ended { FlowStage::Finished } else { stage };
    Outcome { state, decision: Decision::Flow { flow: flow.id.clone(), stage }, actions, ranking }
}
