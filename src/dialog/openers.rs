//! Turns that carry no text to match: a customer opening the chat, or sending an image or
//! a card.

use super::policy::handoff;
use super::types::{Action, Decision, DialogState, HandoffReason, Outcome, Policy};
use crate::brain::{Brain, Target};
use crate::config::DialogConfig;
use crate::knowledge::Reply;

/// Greets a customer who opened the chat: the welcome line and a numbered menu they can
/// answer with a digit.
pub fn welcome(brain: &Brain, policy: Policy<'_>, state: &DialogState) -> Outcome {
    let menu = welcome_menu(brain, policy.dialog);
    let mut text = policy.dialog.welcome.clone();
    for (number, target) in menu.iter().enumerate() {
        text.push_str(&format!("\n{}. {}", number + 1, target.title()));
    }
    let mut state = state.clone();
    state.pending_choices = menu.iter().map(|target| target.id().to_string()).collect();
    let decision = Decision::Welcome { options: state.pending_choices.clone() };
    Outcome { state, decision, actions: vec![Action::Reply { reply: Reply::text(text) }], ranking: None }
}

/// Answers an image or a card: `media_reply`, or a hand-off when `media_handoff` is set.
/// A running flow keeps waiting for its text answer.
pub fn respond_to_media(policy: Policy<'_>, state: &DialogState) -> Outcome {
    let state = DialogState { pending_choices: Vec::new(), ..state.clone() };
    if policy.dialog.media_handoff {
        return handoff(DialogState { flow: None, ..state }, HandoffReason::Media, policy, None);
    }
    let reply = Reply::text(policy.dialog.media_reply.clone());
    Outcome { state, decision: Decision::Media, actions: vec![Action::Reply { reply }], ranking: None }
}

/// The welcome menu's ids that name no entry or flow, for configuration checks.
pub fn unknown_welcome_ids<'c>(brain: &Brain, dialog: &'c DialogConfig) -> Vec<&'c str> {
    dialog.welcome_menu.iter().map(String::as_str).filter(|id| brain.target_by_id(id).is_none()).collect()
}

fn welcome_menu<'b>(brain: &'b Brain, dialog: &DialogConfig) -> Vec<Target<'b>> {
    if dialog.welcome_menu.is_empty() {
        // The flows are the tasks a customer comes to do; then the first questions.
        let flows = brain.flows.flows.iter().map(Target::Flow);
        return flows.chain(brain.knowledge.entries.iter().map(Target::Entry)).take(5).collect();
    }
    dialog.welcome_menu.iter().filter_map(|id| brain.target_by_id(id)).collect()
}
