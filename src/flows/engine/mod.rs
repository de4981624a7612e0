//! The flow interpreter: pure, like the rest of the dialog core. It runs steps until the
//! flow needs something from outside — the customer's answer or a webhook's reply — and
//! returns the state to store and the events to act on.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::model::{Flow, OnFail, Slot, StepAction};

/// Steps one advance may run: a guard against `goto` loops in a flow.
const MAX_STEPS_PER_TURN: usize = 64;

/// A running flow, stored with the conversation between messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowState {
    /// The flow's id.
    pub flow: String,
    /// The step being waited on.
    pub step: usize,
    /// Slot values and webhook results so far.
    pub values: Map<String, Value>,
    /// Answers to the current slot that did not fit.
    pub attempts: u32,
    /// What the flow waits for.
    pub waiting: Waiting,
    /// When the flow last moved (unix seconds), for the idle timeout.
    pub updated_at: i64,
    /// The flow's revision when it started; a reload that changed its slots or steps ends it.
    #[serde(default)]
    pub revision: String,
}

/// What a paused flow waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "for")]
pub enum Waiting {
    /// The customer's answer for this slot.
    Slot {
        /// The slot.
        slot: String,
    },
    /// A webhook's reply.
    Webhook {
        /// The webhook.
        webhook: String,
    },
}

/// What the caller must do after a flow moved.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum FlowEvent {
    /// Send this text to the customer.
    Say {
        /// The text.
        text: String,
    },
    /// Call the webhook with this JSON body and feed its reply back.
    CallWebhook {
        /// The configured webhook name.
        webhook: String,
        /// The body: the flow id and its values.
        payload: Value,
    },
    /// Hand the conversation to a human.
    Handoff {
        /// Why, for the agent.
        reason: String,
        /// The agent group.
        group: Option<String>,
    },
}

/// The result of moving a flow: its new state (none when it ended) and the events.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowTurn {
    /// The state to store; `None` when the flow is over.
    pub state: Option<FlowState>,
    /// What to do, in order.
    pub events: Vec<FlowEvent>,
}

/// Why a webhook call produced no usable reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookFailure(pub String);

/// Starts `flow` with slots already known (e.g. from a trigger pattern).
pub fn start(flow: &Flow, prefill: Map<String, Value>, now: i64, apology: &str) -> FlowTurn {
    let state = FlowState {
        flow: flow.id.clone(),
        step: 0,
        values: prefill,
        attempts: 0,
        waiting: Waiting::Slot { slot: String::new() },
        updated_at: now,
        revision: flow.revision.clone(),
    };
    run(flow, state, Vec::new(), apology)
}

/// The slot value `message` holds for the slot the flow waits for, if any.
pub fn slot_value(flow: &Flow, state: &FlowState, message: &str) -> Option<String> {
    let Waiting::Slot { slot } = &state.waiting else { return None };
    flow.slots.get(slot)?.kind.extract(message)
}

/// True when the flow waits for a free-text slot (one that accepts any message).
pub fn awaits_free_text(flow: &Flow, state: &FlowState) -> bool {
    let Waiting::Slot { slot } = &state.waiting else { return false };
    flow.slots.get(slot).is_some_and(|s| matches!(s.kind, super::slot_types::SlotKind::Text))
}

/// Feeds the customer's answer to the awaited slot: stores it and runs on, or asks again,
/// or gives up after the slot's attempts.
pub fn answer(flow: &Flow, mut state: FlowState, message: &str, now: i64, apology: &str) -> FlowTurn {
    state.updated_at = now;
    let Waiting::Slot { slot: name } = state.waiting.clone() else {
        return FlowTurn { state: Some(state), events: Vec::new() };
    };
    let Some(slot) = flow.slots.get(&name) else { return ended(Vec::new()) };
    if let Some(value) = slot.kind.extract(message) {
        state.values.insert(name, Value::String(value));
        state.step = follow(flow, state.step);
        return run(flow, state, Vec::new(), apology);
    }
    state.attempts += 1;
    let context = Value::Object(state.values.clone());
    if state.attempts >= slot.max_attempts {
        let mut events: Vec<FlowEvent> =
            slot.fail_message.iter().map(|t| FlowEvent::Say { text: t.render(&context) }).collect();
        if slot.on_fail == OnFail::Handoff {
            let reason = format!("flow `{}`: no valid `{name}` after {} attempts", flow.id, state.attempts);
            events.push(FlowEvent::Handoff { reason, group: None });
        }
        return ended(events);
    }
    let text = match &slot.retry {
        Some(retry) => with_options(retry.render(&context), slot),
        None => prompt(slot, &context),
    };
    FlowTurn { state: Some(state), events: vec![FlowEvent::Say { text }] }
}

/// Feeds a webhook's reply (a JSON object) or failure back into the flow.
pub fn webhook_reply(
    flow: &Flow,
    mut state: FlowState,
    reply: Result<Value, WebhookFailure>,
    now: i64,
    apology: &str,
) -> FlowTurn {
    state.updated_at = now;
    let Some(StepAction::Call { webhook, save_as, on_error }) = flow.steps.get(state.step).map(|s| &s.action)
    else {
        return FlowTurn { state: Some(state), events: Vec::new() };
    };
    match reply {
        Ok(value) => {
            state.values.insert(save_as.clone(), value);
            state.step = follow(flow, state.step);
            run(flow, state, Vec::new(), apology)
        }
        Err(WebhookFailure(why)) => match on_error {
            Some(target) => {
                state.step = *target;
                run(flow, state, Vec::new(), apology)
            }
            None => ended(vec![
                FlowEvent::Say { text: apology.to_string() },
                FlowEvent::Handoff {
                    reason: format!("flow `{}`: webhook `{webhook}` failed: {why}", flow.id),
                    group: None,
                },
            ]),
        },
    }
}

/// What the flow is waiting to hear, to repeat after an interruption.
pub fn pending_prompt(flow: &Flow, state: &FlowState) -> Option<String> {
    let Waiting::Slot { slot } = &state.waiting else { return None };
    flow.slots.get(slot).map(|definition| prompt(definition, &Value::Object(state.values.clone())))
}

fn follow(flow: &Flow, step: usize) -> usize {
    flow.steps.get(step).and_then(|s| s.next).unwrap_or(step + 1)
}

fn ended(events: Vec<FlowEvent>) -> FlowTurn {
    FlowTurn { state: None, events }
}

fn prompt(slot: &Slot, context: &Value) -> String {
    with_options(slot.prompt.render(context), slot)
}

/// Numbers a choice slot's options under its prompt, so "2" is an answer.
fn with_options(text: String, slot: &Slot) -> String {
    let options = slot.kind.options();
    if options.is_empty() {
        return text;
    }
    let listed: Vec<String> = options.iter().enumerate().map(|(i, o)| format!("{}. {o}", i + 1)).collect();
    format!("{text}\n{}", listed.join("\n"))
}

/// Runs steps from `state.step` until the flow waits or ends.
fn run(flow: &Flow, mut state: FlowState, mut events: Vec<FlowEvent>, apology: &str) -> FlowTurn {
    for _ in 0..MAX_STEPS_PER_TURN {
        let Some(step) = flow.steps.get(state.step) else { return ended(events) };
        let context = Value::Object(state.values.clone());
        let next = follow(flow, state.step);
        match &step.action {
            StepAction::Say(template) => {
                events.push(FlowEvent::Say { text: template.render(&context) });
                state.step = next;
            }
            StepAction::Ask(slot) if state.values.contains_key(slot) => state.step = next,
            StepAction::Ask(slot) => {
                let Some(definition) = flow.slots.get(slot) else { return ended(events) };
                events.push(FlowEvent::Say { text: prompt(definition, &context) });
                state.waiting = Waiting::Slot { slot: slot.clone() };
                state.attempts = 0;
                return FlowTurn { state: Some(state), events };
            }
            StepAction::Call { webhook, .. } => {
                let payload = json!({ "flow": flow.id, "values": context });
                events.push(FlowEvent::CallWebhook { webhook: webhook.clone(), payload });
                state.waiting = Waiting::Webhook { webhook: webhook.clone() };
                return FlowTurn { state: Some(state), events };
            }
            StepAction::Branch { arms, otherwise } => {
                state.step = arms
                    .iter()
                    .find(|(condition, _)| condition.holds(&context))
                    .map_or(*otherwise, |arm| arm.1);
            }
            StepAction::Handoff { reason, group } => {
                events.push(FlowEvent::Handoff { reason: reason.render(&context), group: group.clone() });
                return ended(events);
            }
            StepAction::End(message) => {
                events.extend(message.iter().map(|t| FlowEvent::Say { text: t.render(&context) }));
                return ended(events);
            }
            StepAction::Jump => state.step = next,
        }
    }
    events.push(FlowEvent::Say { text: apology.to_string() });
    let reason =
        format!("flow `{}` ran {MAX_STEPS_PER_TURN} steps without waiting: a loop in its steps", flow.id);
    events.push(FlowEvent::Handoff { reason, group: None });
    ended(events)
}

#[cfg(test)]
mod tests;
