//! Running a conversation test through the real dialog core, webhooks stubbed.

use super::load::{Expectation, Scenario};
use super::stubs::StubWebhooks;
use crate::brain::Brain;
use crate::dialog::{Action, Decision, DialogState, Policy, converse};
use crate::operator_yaml::Location;

/// Where tests start their clock (any fixed time: the core only compares times).
const START_TIME: i64 = 1_700_000_000;

/// The outcome of one test.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The test's name.
    pub name: String,
    /// Where it is defined.
    pub location: Location,
    /// Turns run.
    pub turns_run: usize,
    /// The first failing turn's failures (the conversation diverges after it).
    pub failures: Vec<Failure>,
}

impl CaseResult {
    /// True when every turn held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// One expectation that did not hold.
#[derive(Debug, Clone)]
pub struct Failure {
    /// 1-based turn number.
    pub turn: usize,
    /// Where the turn is defined.
    pub location: Location,
    /// What the customer said.
    pub user: String,
    /// What was expected and what happened.
    pub message: String,
    /// The bot's replies that turn.
    pub replies: String,
}

/// Runs `scenario`; stubs answer its webhooks in order, the last one repeating.
pub fn run_scenario(brain: &Brain, policy: Policy<'_>, scenario: &Scenario) -> CaseResult {
    let mut state = DialogState::default();
    let mut now = START_TIME;
    let mut stubs = StubWebhooks::new(scenario.webhooks.clone());
    let mut result = CaseResult {
        name: scenario.name.clone(),
        location: scenario.location.clone(),
        turns_run: 0,
        failures: Vec::new(),
    };
    for (index, turn) in scenario.turns.iter().enumerate() {
        now += turn.after_minutes as i64 * 60;
        let exchange =
            converse(brain, policy, &state, &turn.user, now, |webhook, _payload| stubs.call(webhook));
        result.turns_run += 1;
        let replies: Vec<String> = exchange
            .actions
            .iter()
            .filter_map(|action| match action {
                Action::Reply { reply } => Some(reply.summary()),
                _ => None,
            })
            .collect();
        let text = replies.join("\n");
        let handed_off = exchange.actions.iter().any(|a| matches!(a, Action::Handoff { .. }));
        let answered = exchange.decisions.iter().find_map(|d| match d {
            Decision::Answer { entry, .. } => Some(entry.0.as_str()),
            _ => None,
        });
        let running = exchange.state.flow.as_ref().map(|f| f.flow.as_str());
        for expectation in &turn.expectations {
            let problem = match expectation {
                Expectation::Bot(expected) if text != *expected => {
                    Some(format!("expected the reply\n{}", indent(expected)))
                }
                Expectation::BotContains(part) if !text.contains(part.as_str()) => {
                    Some(format!("expected the reply to contain {part:?}"))
                }
                Expectation::BotNotContains(part) if text.contains(part.as_str()) => {
                    Some(format!("expected the reply not to contain {part:?}"))
                }
                Expectation::BotMatches(regex) if !regex.is_match(&text) => {
                    Some(format!("expected the reply to match /{}/", regex.as_str()))
                }
                Expectation::Entry(entry) if answered != Some(entry.as_str()) => Some(format!(
                    "expected entry `{entry}`, got {}",
                    answered.map_or("no entry".into(), |e| format!("`{e}`"))
                )),
                Expectation::Flow(flow) if running != flow.as_deref() => Some(format!(
                    "expected {} to run, got {}",
                    flow.as_deref().map_or("no flow".into(), |f| format!("flow `{f}`")),
                    running.map_or("no flow".into(), |f| format!("flow `{f}`"))
                )),
                Expectation::Handoff(expected) if handed_off != *expected => Some(if *expected {
                    "expected a hand-off to a human".into()
                } else {
                    "expected no hand-off, but the bot handed off".into()
                }),
                Expectation::Webhook(name) if !exchange.webhooks_called.contains(name) => Some(format!(
                    "expected webhook `{name}` to be called, called: {:?}",
                    exchange.webhooks_called
                )),
                _ => None,
            };
            if let Some(message) = problem {
                result.failures.push(Failure {
                    turn: index + 1,
                    location: turn.location.clone(),
                    user: turn.user.clone(),
                    message,
                    replies: text.clone(),
                });
            }
        }
        if !result.failures.is_empty() {
            break;
        }
        state = exchange.state;
    }
    result
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("    | {line}")).collect::<Vec<_>>().join("\n")
}
