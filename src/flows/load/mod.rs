//! Reading `flows/*.yaml`: every flow, every step, every reference checked, all errors at once.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use marked_yaml::{Node, Span, Spanned};
use regex::Regex;

use super::model::{Flow, Flows, OnFail, Slot};
use super::schema::{FlowDoc, SlotDoc, StepDoc};
use super::slot_types::{DEFAULT_ORDER_NUMBER, SlotKind};
use super::template::Template;
use crate::operator_yaml::{
    Diagnostic, Location, deserialize_node, mapping_value, parse_document, regex_error_message,
    sort_diagnostics, yaml_files,
};
use crate::text::normalize;

/// Loads and validates every flow in `dir` (a missing folder means no flows);
/// `webhooks` are the configured webhook names.
pub fn load_flows(dir: &Path, webhooks: &HashSet<String>) -> Result<Flows, Vec<Diagnostic>> {
    let mut diagnostics = Vec::new();
    let mut flows: Vec<Flow> = Vec::new();
    let mut first_seen: HashMap<String, Location> = HashMap::new();
    // A missing folder means no flows; `tests/` and other sub-folders are not flows.
    for file in yaml_files(dir).unwrap_or_default() {
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(error) => {
                diagnostics
                    .push(Diagnostic::new(Location::file_start(&file), format!("cannot read file: {error}")));
                continue;
            }
        };
        match parse_flow(&file, &text, webhooks) {
            Ok(flow) => {
                if let Some(first) = first_seen.get(&flow.id) {
                    let message = format!("duplicate flow id `{}` (first defined at {first})", flow.id);
                    diagnostics.push(Diagnostic::new(flow.location.clone(), message));
                } else {
                    first_seen.insert(flow.id.clone(), flow.location.clone());
                    flows.push(flow);
                }
            }
            Err(errors) => diagnostics.extend(errors),
        }
    }
    if diagnostics.is_empty() {
        Ok(Flows { flows })
    } else {
        sort_diagnostics(&mut diagnostics);
        Err(diagnostics)
    }
}

/// Parses and validates one flow file.
pub fn parse_flow(file: &Path, text: &str, webhooks: &HashSet<String>) -> Result<Flow, Vec<Diagnostic>> {
    let node = parse_document(file, text).map_err(|d| vec![d])?;
    let doc: FlowDoc = deserialize_node(file, &node, "flow").map_err(|d| vec![d])?;
    let id = doc.id.as_str().trim().to_string();
    let mut checker = Checker { file, id: id.clone(), diagnostics: Vec::new() };
    if *doc.version != 1 {
        checker.error(
            doc.version.span(),
            format!("unsupported version {}, expected `version: 1`", *doc.version),
        );
    }
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        checker.error(
            doc.id.span(),
            "an id must be non-empty and use only ASCII letters, digits, `-`, `_` and `.`".into(),
        );
    }
    let slots = checker.slots(mapping_value(&node, "slots"));
    let examples: Vec<String> = doc.triggers.examples.iter().map(|e| e.as_str().trim().to_string()).collect();
    for example in &doc.triggers.examples {
        if normalize(example).is_empty() {
            checker.error(example.span(), "empty trigger example".into());
        }
    }
    let keywords = doc.triggers.keywords.iter().map(|k| normalize(k)).filter(|k| !k.is_empty()).collect();
    let patterns = checker.trigger_patterns(&doc.triggers.patterns, &slots);
    let steps = checker.steps(mapping_value(&node, "steps"), &node, &slots, webhooks);
    if !checker.diagnostics.is_empty() {
        return Err(checker.diagnostics);
    }
    let revision = revision(&slots, &steps);
    Ok(Flow {
        id,
        description: doc.description.trim().to_string(),
        examples,
        keywords,
        patterns,
        slots,
        steps,
        location: Location::of_span(file, doc.id.span()),
        revision,
    })
}

/// A short hash of what a running flow depends on (its slots and steps, not its triggers).
fn revision(slots: &BTreeMap<String, Slot>, steps: &[super::model::Step]) -> String {
    use sha2::{Digest, Sha256};
    // The Debug form is fully determined by the parsed values (maps are ordered).
    let digest = Sha256::digest(format!("{slots:?}|{steps:?}").as_bytes());
    hex::encode(&digest[..8])
}

/// Collects the diagnostics of one flow, each naming the flow.
struct Checker<'a> {
    file: &'a Path,
    id: String,
    diagnostics: Vec<Diagnostic>,
}

/// A step as read, before jump targets are resolved.
struct RawStep {
    doc: StepDoc,
    span: Span,
}

impl Checker<'_> {
    fn error(&mut self, span: &Span, message: String) {
        let message = format!("flow `{}`: {message}", self.id);
        self.diagnostics.push(Diagnostic::at(self.file, span, message));
    }

    fn template(&mut self, span: &Span, text: &str) -> Option<Template> {
        Template::parse(text).map_err(|message| self.error(span, message)).ok()
    }

    fn regex(&mut self, pattern: &Spanned<String>) -> Option<Regex> {
        Regex::new(pattern.as_str())
            .map_err(|error| {
                let message =
                    format!("invalid regex `{}`: {}", pattern.as_str(), regex_error_message(&error));
                self.error(pattern.span(), message)
            })
            .ok()
    }

    fn slots(&mut self, node: Option<&Node>) -> BTreeMap<String, Slot> {
        let mut slots = BTreeMap::new();
        let Some(node) = node else { return slots };
        let Some(mapping) = node.as_mapping() else {
            self.error(node.span(), "`slots` must map slot names to slots".into());
            return slots;
        };
        for (name, value) in mapping.iter() {
            let doc = match deserialize_node::<SlotDoc>(
                self.file,
                value,
                &format!("flow `{}`: slot `{}`", self.id, name.as_str()),
            ) {
                Ok(doc) => doc,
                Err(diagnostic) => {
                    self.diagnostics.push(diagnostic);
                    continue;
                }
            };
            if let Some(slot) = self.slot(name.as_str(), name.span(), doc) {
                slots.insert(name.as_str().to_string(), slot);
            }
        }
        slots
    }

    fn slot(&mut self, name: &str, span: &Span, doc: SlotDoc) -> Option<Slot> {
        let before = self.diagnostics.len();
        let prompt = self.template(span, &doc.prompt);
        let kind_name = doc.kind.as_ref().map_or("text", |k| k.as_str());
        let kind_span = doc.kind.as_ref().map_or(*span, |k| *k.span());
        let pattern = doc.pattern.as_ref().and_then(|p| self.regex(p));
        let kind = match kind_name {
            "text" => Some(SlotKind::Text),
            "number" => Some(SlotKind::Number),
            "phone" => Some(SlotKind::Phone),
            "yes_no" => Some(SlotKind::YesNo),
            "order_number" => {
                pattern.clone().or_else(|| Regex::new(DEFAULT_ORDER_NUMBER).ok()).map(SlotKind::OrderNumber)
            }
            "choice" if doc.choices.is_empty() => {
                self.error(&kind_span, format!("slot `{name}` of type choice needs `choices`"));
                None
            }
            "choice" => Some(SlotKind::Choice(doc.choices.clone())),
            "regex" if doc.pattern.is_none() => {
                self.error(&kind_span, format!("slot `{name}` of type regex needs a `pattern`"));
                None
            }
            "regex" => pattern.clone().map(SlotKind::Pattern),
            other => {
                let known = "text, number, phone, order_number, yes_no, choice, regex";
                self.error(&kind_span, format!("slot `{name}`: unknown type `{other}` (known: {known})"));
                None
            }
        };
        let on_fail = match doc.on_fail.as_ref().map(|v| v.as_str()) {
            None | Some("handoff") => OnFail::Handoff,
            Some("end") => OnFail::End,
            Some(other) => {
                let span = doc.on_fail.as_ref().map_or(*span, |v| *v.span());
                self.error(
                    &span,
                    format!("slot `{name}`: `on_fail` must be `handoff` or `end`, not `{other}`"),
                );
                OnFail::Handoff
            }
        };
        if doc.max_attempts == Some(0) {
            self.error(span, format!("slot `{name}`: `max_attempts` must be at least 1"));
        }
        let retry = doc.retry.as_deref().and_then(|t| self.template(span, t));
        let fail_message = doc.fail_message.as_deref().and_then(|t| self.template(span, t));
        if self.diagnostics.len() > before {
            return None;
        }
        Some(Slot {
            prompt: prompt?,
            kind: kind?,
            retry,
            max_attempts: doc.max_attempts.unwrap_or(3),
            on_fail,
            fail_message,
        })
    }

    /// Trigger patterns match case-insensitively, like knowledge `patterns`.
    fn trigger_patterns(
        &mut self,
        patterns: &[Spanned<String>],
        slots: &BTreeMap<String, Slot>,
    ) -> Vec<Regex> {
        let mut compiled = Vec::new();
        for pattern in patterns {
            let Some(regex) = self.regex(pattern) else { continue };
            let Ok(regex) = Regex::new(&format!("(?i){}", regex.as_str())) else { continue };
            for group in regex.capture_names().flatten() {
                if !slots.contains_key(group) {
                    self.error(pattern.span(), format!("pattern group `{group}` is not a slot of this flow"));
                }
            }
            compiled.push(regex);
        }
        compiled
    }
}

mod steps;

#[cfg(test)]
mod tests;
