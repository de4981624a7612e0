//! Stubbed webhook replies, for conversation tests and `kefu chat --webhook-stub`: per
//! webhook, replies used in order, the last one repeating.

use std::collections::BTreeMap;
use std::path::Path;

use marked_yaml::Node;
use serde_json::Value;

use crate::flows::WebhookFailure;
use crate::operator_yaml::{Diagnostic, Location, mapping_value, node_start, parse_document, to_json};

/// A stubbed webhook reply.
#[derive(Debug, Clone, PartialEq)]
pub enum StubReply {
    /// The webhook answers this JSON object.
    Reply(Value),
    /// The call fails (timeout, error status …) with this description.
    Failure(String),
}

/// Answers webhook calls from stubs.
#[derive(Debug, Clone, Default)]
pub struct StubWebhooks {
    stubs: BTreeMap<String, Vec<StubReply>>,
    calls: BTreeMap<String, usize>,
}

impl StubWebhooks {
    /// Stubs per webhook name.
    pub fn new(stubs: BTreeMap<String, Vec<StubReply>>) -> StubWebhooks {
        StubWebhooks { stubs, calls: BTreeMap::new() }
    }

    /// The next reply for `webhook`; a webhook without stubs fails.
    pub fn call(&mut self, webhook: &str) -> Result<Value, WebhookFailure> {
        let count = self.calls.entry(webhook.to_string()).or_default();
        *count += 1;
        match self.stubs.get(webhook).and_then(|stubs| stubs.get(*count - 1).or(stubs.last())) {
            Some(StubReply::Reply(value)) => Ok(value.clone()),
            Some(StubReply::Failure(why)) => Err(WebhookFailure(why.clone())),
            None => Err(WebhookFailure(format!("no stub for webhook `{webhook}`"))),
        }
    }
}

/// Reads stubs from a mapping node: `NAME: {reply: {…}}`, `NAME: {error: …}`, or a list of
/// those; `context` prefixes error messages.
pub fn parse_stubs(
    file: &Path,
    node: Option<&Node>,
    context: &str,
) -> Result<BTreeMap<String, Vec<StubReply>>, Vec<Diagnostic>> {
    let mut stubs = BTreeMap::new();
    let mut errors = Vec::new();
    let Some(node) = node else { return Ok(stubs) };
    let Some(mapping) = node.as_mapping() else {
        return Err(vec![Diagnostic::at(
            file,
            node_start(node),
            format!("{context}webhook stubs map webhook names to replies"),
        )]);
    };
    for (webhook, value) in mapping.iter() {
        let items: Vec<&Node> =
            value.as_sequence().map_or_else(|| vec![value], |items| items.iter().collect());
        let mut replies = Vec::new();
        for item in items {
            let keys = item.as_mapping().map_or(0, |m| m.len());
            match (mapping_value(item, "reply"), mapping_value(item, "error")) {
                (Some(reply), None) if keys == 1 && reply.as_mapping().is_some() => {
                    replies.push(StubReply::Reply(to_json(reply)))
                }
                (None, Some(error)) if keys == 1 => {
                    replies.push(StubReply::Failure(
                        error.as_scalar().map_or("failed", |s| s.as_str()).to_string(),
                    ));
                }
                _ => errors.push(Diagnostic::at(
                    file,
                    node_start(item),
                    format!(
                        "{context}a stub for webhook `{}` is `reply: {{…}}` or `error: …`",
                        webhook.as_str()
                    ),
                )),
            }
        }
        stubs.insert(webhook.as_str().to_string(), replies);
    }
    if errors.is_empty() { Ok(stubs) } else { Err(errors) }
}

/// Reads a stub file: a YAML mapping of webhook names to stubs.
pub fn load_stub_file(path: &Path) -> Result<StubWebhooks, Vec<Diagnostic>> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        vec![Diagnostic::new(Location::file_start(path), format!("cannot read file: {error}"))]
    })?;
    let node = parse_document(path, &text).map_err(|d| vec![d])?;
    parse_stubs(path, Some(&node), "").map(StubWebhooks::new)
}
