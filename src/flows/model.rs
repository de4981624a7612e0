//! Validated flows: what the interpreter runs.

use std::collections::BTreeMap;

use regex::Regex;

use super::condition::Condition;
use super::slot_types::SlotKind;
use super::template::Template;
use crate::operator_yaml::Location;

/// Every flow of a brain.
#[derive(Debug, Clone, Default)]
pub struct Flows {
    /// The flows, in file order.
    pub flows: Vec<Flow>,
}

impl Flows {
    /// The flow with `id`.
    pub fn get(&self, id: &str) -> Option<&Flow> {
        self.flows.iter().find(|flow| flow.id == id)
    }
}

/// A guided conversation: collect slots, call the shop's system, answer or hand off.
#[derive(Debug, Clone)]
pub struct Flow {
    /// Stable id.
    pub id: String,
    /// What the flow does, shown when it is offered as a choice.
    pub description: String,
    /// Example phrasings that start the flow (matched like knowledge phrasings).
    pub examples: Vec<String>,
    /// Normalised words that weigh more when matching the examples.
    pub keywords: Vec<String>,
    /// Regexes over the message as typed that start the flow; named groups fill slots.
    pub patterns: Vec<Regex>,
    /// The slots, by name.
    pub slots: BTreeMap<String, Slot>,
    /// The steps; execution starts at the first.
    pub steps: Vec<Step>,
    /// Where the flow is defined.
    pub location: Location,
    /// A hash of the slots and steps: a running flow continues across a reload only while
    /// this stays the same.
    pub revision: String,
}

/// A value the flow collects.
#[derive(Debug, Clone)]
pub struct Slot {
    /// What the bot asks.
    pub prompt: Template,
    /// What it accepts.
    pub kind: SlotKind,
    /// What the bot says when the answer does not fit (before asking again).
    pub retry: Option<Template>,
    /// How many answers that do not fit are tolerated before `on_fail`.
    pub max_attempts: u32,
    /// What happens when the attempts run out.
    pub on_fail: OnFail,
    /// Said when the attempts run out.
    pub fail_message: Option<Template>,
}

/// What happens when a slot's attempts run out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFail {
    /// Hand the conversation to a human.
    Handoff,
    /// End the flow.
    End,
}

/// One step of a flow.
#[derive(Debug, Clone)]
pub struct Step {
    /// The step's id, if it is a jump target.
    pub id: Option<String>,
    /// What it does.
    pub action: StepAction,
    /// Where to go next (default: the following step).
    pub next: Option<usize>,
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum StepAction {
    /// Say a message.
    Say(Template),
    /// Collect a slot (skipped when it already has a value).
    Ask(String),
    /// Call an operator webhook and store its JSON reply under `save_as`.
    Call {
        /// The webhook's configured name.
        webhook: String,
        /// The name its reply is stored under.
        save_as: String,
        /// The step to go to when the call fails (default: apologise and hand off).
        on_error: Option<usize>,
    },
    /// Go to the first arm whose condition holds, else to `otherwise`.
    Branch {
        /// Conditions and their target steps, in order.
        arms: Vec<(Condition, usize)>,
        /// The default target.
        otherwise: usize,
    },
    /// Hand the conversation to a human.
    Handoff {
        /// Why, for the agent.
        reason: Template,
        /// The agent group to route to.
        group: Option<String>,
    },
    /// End the flow, optionally with a last message.
    End(Option<Template>),
    /// Only jump (a step with just `goto`).
    Jump,
}
