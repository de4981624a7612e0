//! Dialog flows operators write in `flows/`: guided conversations that collect slots, call
//! the shop's systems through webhooks, branch on the answers, and answer or hand off.
//!
//! Files are validated into [`Flows`] ([`load`]); the [`engine`] runs them, purely: the
//! caller stores the [`FlowState`] and performs the [`FlowEvent`]s.

mod condition;
mod engine;
mod load;
mod model;
mod schema;
mod slot_types;
mod template;

pub use condition::{Condition, ConditionError};
pub use engine::{
    FlowEvent, FlowState, FlowTurn, Waiting, WebhookFailure, answer, awaits_free_text, pending_prompt,
    slot_value, start, webhook_reply,
};
pub use load::{load_flows, parse_flow};
pub use model::{Flow, Flows, OnFail, Slot, Step, StepAction};
pub use slot_types::SlotKind;
pub use template::Template;
