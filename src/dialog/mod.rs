//! The decision core: (state, message, brain, now) → (new state, decision, actions).
//!
//! Pure: no I/O, no clock (time is passed in), no randomness, so every conversation rule
//! is a unit test. The caller stores the state and performs the actions, feeding webhook
//! replies back through [`respond_to_webhook`].

mod choice;
mod converse;
mod flow_turns;
mod openers;
mod policy;
mod types;

pub use choice::{parse_choice, rejects_choices};
pub use converse::{Exchange, converse};
pub use flow_turns::respond_to_webhook;
pub use openers::{respond_to_media, unknown_welcome_ids, welcome};
pub use policy::{Verdict, decide, respond};
pub use types::{Action, Decision, DialogState, FlowStage, HandoffReason, Outcome, Policy};

#[cfg(test)]
mod flow_tests;
#[cfg(test)]
mod tests;
