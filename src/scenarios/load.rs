//! Reading conversation test files, with every error positioned.

use std::collections::BTreeMap;
use std::path::Path;

use marked_yaml::{Node, Spanned};
use regex::Regex;
use serde::Deserialize;

use super::stubs::{StubReply, parse_stubs};
use crate::brain::Brain;
use crate::operator_yaml::{
    Diagnostic, Location, deserialize_node, mapping_value, node_start, parse_document, sort_diagnostics,
    yaml_files,
};

/// One conversation test.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Its name.
    pub name: String,
    /// Where it is defined.
    pub location: Location,
    /// Stubbed webhook replies, used in order (the last one repeats).
    pub webhooks: BTreeMap<String, Vec<StubReply>>,
    /// The turns.
    pub turns: Vec<Turn>,
}

/// One customer message and what must follow.
#[derive(Debug, Clone)]
pub struct Turn {
    /// What the customer says.
    pub user: String,
    /// Minutes that pass before the message.
    pub after_minutes: u64,
    /// What must hold afterwards.
    pub expectations: Vec<Expectation>,
    /// Where the turn is defined.
    pub location: Location,
}

/// A check on one turn.
#[derive(Debug, Clone)]
pub enum Expectation {
    /// The bot's replies, joined by newlines, are exactly this.
    Bot(String),
    /// The replies contain this.
    BotContains(String),
    /// The replies do not contain this.
    BotNotContains(String),
    /// The replies match this regex.
    BotMatches(Regex),
    /// The message was answered with this entry.
    Entry(String),
    /// This flow runs after the turn (`None`: no flow runs).
    Flow(Option<String>),
    /// The conversation was (or was not) handed to a human.
    Handoff(bool),
    /// This webhook was called.
    Webhook(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    version: Spanned<u32>,
    #[serde(rename = "tests")]
    _tests: serde::de::IgnoredAny,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioDoc {
    name: String,
    /// Read from the nodes, to keep YAML's typing of the stubbed JSON.
    #[serde(rename = "webhooks", default)]
    _webhooks: serde::de::IgnoredAny,
    turns: Vec<TurnDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TurnDoc {
    user: Spanned<String>,
    #[serde(default)]
    after_minutes: u64,
    #[serde(default)]
    bot: Option<String>,
    #[serde(default)]
    bot_contains: Option<OneOrMany>,
    #[serde(default)]
    bot_not_contains: Option<OneOrMany>,
    #[serde(default)]
    bot_matches: Option<String>,
    #[serde(default)]
    entry: Option<String>,
    #[serde(default)]
    flow: Option<String>,
    #[serde(default)]
    handoff: Option<bool>,
    #[serde(default)]
    webhook: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        }
    }
}

/// Reads every test file in `dir` (none when it does not exist), checking that entries,
/// flows and webhooks they name exist in `brain`.
pub fn load_scenarios(dir: &Path, brain: &Brain) -> Result<Vec<Scenario>, Vec<Diagnostic>> {
    let mut scenarios = Vec::new();
    let mut diagnostics = Vec::new();
    for file in yaml_files(dir).unwrap_or_default() {
        match std::fs::read_to_string(&file) {
            Ok(text) => match parse_file(&file, &text, brain) {
                Ok(mut found) => scenarios.append(&mut found),
                Err(mut errors) => diagnostics.append(&mut errors),
            },
            Err(error) => diagnostics
                .push(Diagnostic::new(Location::file_start(&file), format!("cannot read file: {error}"))),
        }
    }
    if diagnostics.is_empty() {
        Ok(scenarios)
    } else {
        sort_diagnostics(&mut diagnostics);
        Err(diagnostics)
    }
}

fn parse_file(file: &Path, text: &str, brain: &Brain) -> Result<Vec<Scenario>, Vec<Diagnostic>> {
    let node = parse_document(file, text).map_err(|d| vec![d])?;
    let doc: FileDoc = deserialize_node(file, &node, "test file").map_err(|d| vec![d])?;
    let mut diagnostics = Vec::new();
    if *doc.version != 1 {
        diagnostics.push(Diagnostic::at(
            file,
            doc.version.span(),
            format!("unsupported version {}, expected 1", *doc.version),
        ));
    }
    let Some(items) = mapping_value(&node, "tests").and_then(|n| n.as_sequence()) else {
        diagnostics.push(Diagnostic::new(Location::file_start(file), "`tests` must be a list of tests"));
        return Err(diagnostics);
    };
    let mut scenarios = Vec::new();
    for item in items.iter() {
        let doc: ScenarioDoc = match deserialize_node(file, item, "test") {
            Ok(doc) => doc,
            Err(diagnostic) => {
                diagnostics.push(diagnostic);
                continue;
            }
        };
        let location = Location::of_span(file, node_start(item));
        let stubs = mapping_value(item, "webhooks");
        match scenario(file, doc, stubs, location, brain) {
            Ok(scenario) => scenarios.push(scenario),
            Err(mut errors) => diagnostics.append(&mut errors),
        }
    }
    if diagnostics.is_empty() { Ok(scenarios) } else { Err(diagnostics) }
}

fn scenario(
    file: &Path,
    doc: ScenarioDoc,
    stubs: Option<&Node>,
    location: Location,
    brain: &Brain,
) -> Result<Scenario, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let name = doc.name.clone();
    let webhooks = parse_stubs(file, stubs, &format!("test `{name}`: ")).unwrap_or_else(|mut found| {
        errors.append(&mut found);
        BTreeMap::new()
    });
    let mut turns = Vec::new();
    for turn in doc.turns {
        let turn_location = Location::of_span(file, turn.user.span());
        let mut expectations = Vec::new();
        let mut error = |message: String| {
            errors.push(Diagnostic::new(turn_location.clone(), format!("test `{name}`: {message}")))
        };
        if let Some(text) = turn.bot {
            expectations.push(Expectation::Bot(text.trim_end().to_string()));
        }
        expectations.extend(
            turn.bot_contains
                .map(OneOrMany::into_vec)
                .unwrap_or_default()
                .into_iter()
                .map(Expectation::BotContains),
        );
        expectations.extend(
            turn.bot_not_contains
                .map(OneOrMany::into_vec)
                .unwrap_or_default()
                .into_iter()
                .map(Expectation::BotNotContains),
        );
        if let Some(pattern) = turn.bot_matches {
            match Regex::new(&pattern) {
                Ok(regex) => expectations.push(Expectation::BotMatches(regex)),
                Err(_) => error(format!("invalid regex `{pattern}` in `bot_matches`")),
            }
        }
        if let Some(entry) = turn.entry {
            if brain.knowledge.entry(&entry).is_none() {
                error(format!("entry `{entry}` does not exist"));
            }
            expectations.push(Expectation::Entry(entry));
        }
        if let Some(flow) = turn.flow {
            let flow = (flow != "none").then_some(flow);
            if let Some(id) = &flow
                && brain.flows.get(id).is_none()
            {
                error(format!("flow `{id}` does not exist"));
            }
            expectations.push(Expectation::Flow(flow));
        }
        expectations.extend(turn.handoff.map(Expectation::Handoff));
        expectations.extend(turn.webhook.map(Expectation::Webhook));
        if expectations.is_empty() {
            error(
                "a turn needs at least one check (`bot`, `bot_contains`, `entry`, `flow`, `handoff` …)"
                    .into(),
            );
        }
        turns.push(Turn {
            user: turn.user.as_str().to_string(),
            after_minutes: turn.after_minutes,
            expectations,
            location: turn_location,
        });
    }
    if turns.is_empty() {
        errors.push(Diagnostic::new(location.clone(), format!("test `{name}` has no turns")));
    }
    if errors.is_empty() { Ok(Scenario { name, location, webhooks, turns }) } else { Err(errors) }
}
