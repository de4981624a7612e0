//! One customer message through the core, webhook calls included: the loop every caller
//! (terminal chat, conversation tests, the server) runs. The webhook call itself is a
//! function the caller passes in, so the loop stays pure.

use serde_json::Value;

use super::flow_turns::respond_to_webhook;
use super::policy::respond;
use super::types::{Action, Decision, DialogState, Policy};
use crate::brain::Brain;
use crate::flows::WebhookFailure;
use crate::matcher::Ranking;

/// Everything one customer message led to.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The state to store.
    pub state: DialogState,
    /// The decisions, the message's first, then one per webhook reply.
    pub decisions: Vec<Decision>,
    /// The actions left for the caller (replies, hand-offs), in order.
    pub actions: Vec<Action>,
    /// The webhooks called, in order.
    pub webhooks_called: Vec<String>,
    /// The ranking behind the message's decision.
    pub ranking: Option<Ranking>,
}

/// A flow chaining webhook calls without waiting for the customer is cut off after this.
const MAX_WEBHOOK_CALLS: usize = 8;

/// Handles `message`, calling `call_webhook(name, payload)` for every webhook a flow needs
/// and feeding the reply back, until the bot waits for the customer again.
pub fn converse(
    brain: &Brain,
    policy: Policy<'_>,
    state: &DialogState,
    message: &str,
    now: i64,
    mut call_webhook: impl FnMut(&str, &Value) -> Result<Value, WebhookFailure>,
) -> Exchange {
    let outcome = respond(brain, policy, state, message, now);
    let mut exchange = Exchange {
        state: outcome.state,
        decisions: vec![outcome.decision],
        actions: Vec::new(),
        webhooks_called: Vec::new(),
        ranking: outcome.ranking,
    };
    let mut pending = outcome.actions;
    while !pending.is_empty() {
        let mut call = None;
        for action in pending.drain(..) {
            match action {
                Action::CallWebhook { webhook, payload, .. } if call.is_none() => {
                    call = Some((webhook, payload))
                }
                other => exchange.actions.push(other),
            }
        }
        let Some((webhook, payload)) = call else { break };
        let reply = if exchange.webhooks_called.len() >= MAX_WEBHOOK_CALLS {
            Err(WebhookFailure(format!("more than {MAX_WEBHOOK_CALLS} webhook calls for one message")))
        } else {
            call_webhook(&webhook, &payload)
        };
        exchange.webhooks_called.push(webhook);
        let next = respond_to_webhook(brain, policy, &exchange.state, reply, now);
        exchange.state = next.state;
        exchange.decisions.push(next.decision);
        pending = next.actions;
    }
    exchange
}
