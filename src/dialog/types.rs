//! What the decision core remembers, decides and asks its caller to do.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::{Config, DialogConfig, FlowsConfig, MatcherConfig};
use crate::flows::FlowState;
use crate::knowledge::{EntryId, Reply};
use crate::matcher::Ranking;

/// What the core remembers between two messages of a conversation. A new conversation
/// stores `{}`: every field has a default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DialogState {
    /// Fallbacks in a row; reset by any answer.
    pub consecutive_fallbacks: u32,
    /// Ids of the entries and flows offered as numbered choices in the last reply.
    pub pending_choices: Vec<String>,
    /// Answers given so far (rotates answer variants).
    pub answers_given: u64,
    /// The running flow, if any.
    pub flow: Option<FlowState>,
    /// The entry the bot answered with in the previous turn.
    #[serde(default)]
    pub last_answer: Option<EntryId>,
}

/// Why a conversation goes to a human.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum HandoffReason {
    /// The customer asked for a human.
    Requested,
    /// The bot fell back too many times in a row.
    RepeatedFallbacks,
    /// The customer asked again what the bot had just answered: the answer did not help.
    RepeatedQuestion {
        /// The entry answered twice.
        entry: EntryId,
    },
    /// The matched entry's topic always needs a human.
    EntryNeedsHuman {
        /// The entry.
        entry: EntryId,
    },
    /// A flow handed off (a `handoff` step, a slot's attempts, a failed webhook).
    Flow {
        /// The flow.
        flow: String,
        /// The flow's reason, for the agent.
        detail: String,
        /// The agent group the flow asks for.
        group: Option<String>,
    },
    /// The customer sent an image or a card and `media_handoff` is set.
    Media,
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
        /// Ids of the entries and flows offered.
        options: Vec<String>,
    },
    /// Did not understand.
    Fallback,
    /// Greeted a customer who opened the chat, offering a numbered menu.
    Welcome {
        /// Ids of the entries and flows offered.
        options: Vec<String>,
    },
    /// Acknowledged an image or a card.
    Media,
    /// Handed the conversation to a human.
    Handoff {
        /// Why.
        reason: HandoffReason,
    },
    /// Started, continued or finished a flow.
    Flow {
        /// The flow.
        flow: String,
        /// What happened.
        stage: FlowStage,
    },
}

/// What happened to a flow in one turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowStage {
    /// It started.
    Started,
    /// It moved on and waits again.
    Continued,
    /// It reached its end.
    Finished,
    /// The customer cancelled it.
    Cancelled,
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
    /// Call an operator webhook and feed the reply to [`super::respond_to_webhook`].
    CallWebhook {
        /// The flow calling.
        flow: String,
        /// The configured webhook name.
        webhook: String,
        /// The JSON body (the caller adds the customer reference).
        payload: Value,
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
    /// The ranking behind the decision (absent when none was needed).
    pub ranking: Option<Ranking>,
}

/// The thresholds, rules and lines the core follows.
#[derive(Debug, Clone, Copy)]
pub struct Policy<'a> {
    /// Confidence thresholds.
    pub matcher: &'a MatcherConfig,
    /// Fallback rules and fixed lines.
    pub dialog: &'a DialogConfig,
    /// How running flows behave.
    pub flows: &'a FlowsConfig,
}

impl<'a> Policy<'a> {
    /// The policy a configuration sets.
    pub fn of(config: &'a Config) -> Policy<'a> {
        Policy { matcher: &config.matcher, dialog: &config.dialog, flows: &config.flows }
    }
}
