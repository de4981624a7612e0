//! The decision core: (state, message, brain) → (new state, decision, actions).
//!
//! Pure: no I/O, no clock, no randomness, so every conversation rule is a unit test. The
//! caller stores the state and performs the actions.

mod choice;
mod policy;

pub use choice::{parse_choice, rejects_choices};
pub use policy::{Action, Decision, DialogState, HandoffReason, Outcome, Policy, Verdict, decide, respond};

#[cfg(test)]
mod tests;
