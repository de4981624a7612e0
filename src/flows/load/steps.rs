//! The steps of a flow: one action each, every reference resolved, every variable set
//! somewhere, every step reachable.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use marked_yaml::{Node, Span, Spanned};

use super::{Checker, RawStep};
use crate::flows::condition::Condition;
use crate::flows::model::{Slot, Step, StepAction};
use crate::flows::schema::{BranchDoc, StepDoc};
use crate::operator_yaml::{deserialize_node, node_start};

impl Checker<'_> {
    /// Reads, resolves and checks the `steps` list.
    pub(super) fn steps(
        &mut self,
        node: Option<&Node>,
        flow_node: &Node,
        slots: &BTreeMap<String, Slot>,
        webhooks: &HashSet<String>,
    ) -> Vec<Step> {
        let raw = self.raw_steps(node, flow_node);
        let mut targets: HashMap<String, usize> = HashMap::new();
        for (index, step) in raw.iter().enumerate() {
            if let Some(id) = &step.doc.id
                && targets.insert(id.as_str().to_string(), index).is_some()
            {
                self.error(id.span(), format!("duplicate step id `{}`", id.as_str()));
            }
        }
        let mut defined: HashSet<String> = slots.keys().cloned().collect();
        defined.extend(raw.iter().filter_map(|s| s.doc.call.as_ref().map(|call| save_as(&s.doc, call))));
        let steps: Vec<Option<Step>> =
            raw.iter().map(|step| self.step(step, &targets, slots, webhooks, &defined)).collect();
        if steps.iter().any(Option::is_none) {
            return Vec::new();
        }
        let steps: Vec<Step> = steps.into_iter().flatten().collect();
        for (index, reached) in reachable(&steps).into_iter().enumerate() {
            if !reached {
                let name = steps[index].id.as_deref().map_or(String::new(), |id| format!(" `{id}`"));
                self.error(&raw[index].span, format!("step {}{name} is unreachable", index + 1));
            }
        }
        for (name, slot) in slots {
            let variables = slot.prompt.variables().chain(slot.retry.iter().flat_map(|t| t.variables()));
            for variable in variables.chain(slot.fail_message.iter().flat_map(|t| t.variables())) {
                if !defined.contains(variable) {
                    let span = node_start(flow_node);
                    self.error(span, format!("slot `{name}`: template variable `{variable}` is never set"));
                }
            }
        }
        steps
    }

    fn raw_steps(&mut self, node: Option<&Node>, flow_node: &Node) -> Vec<RawStep> {
        let Some(node) = node else {
            self.error(node_start(flow_node), "a flow needs `steps`".into());
            return Vec::new();
        };
        let Some(items) = node.as_sequence() else {
            self.error(node.span(), "`steps` must be a list of steps".into());
            return Vec::new();
        };
        if items.is_empty() {
            self.error(node.span(), "a flow needs at least one step".into());
        }
        let mut raw = Vec::new();
        for item in items.iter() {
            let span = *node_start(item);
            // A bare `- end` is the common way to finish.
            if item.as_scalar().is_some_and(|s| s.as_str() == "end") {
                raw.push(RawStep { doc: StepDoc { end: Some(String::new()), ..StepDoc::default() }, span });
                continue;
            }
            match deserialize_node::<StepDoc>(self.file, item, &format!("flow `{}`: step", self.id)) {
                Ok(doc) => raw.push(RawStep { doc, span }),
                Err(diagnostic) => self.diagnostics.push(diagnostic),
            }
        }
        raw
    }

    fn step(
        &mut self,
        raw: &RawStep,
        targets: &HashMap<String, usize>,
        slots: &BTreeMap<String, Slot>,
        webhooks: &HashSet<String>,
        defined: &HashSet<String>,
    ) -> Option<Step> {
        let doc = &raw.doc;
        let span = &raw.span;
        let actions = [
            doc.say.is_some(),
            doc.ask.is_some(),
            doc.call.is_some(),
            doc.branch.is_some(),
            doc.handoff.is_some(),
            doc.end.is_some(),
        ];
        let count = actions.iter().filter(|&&a| a).count();
        if count > 1 {
            self.error(
                span,
                "a step does one thing: one of `say`, `ask`, `call`, `branch`, `handoff`, `end`".into(),
            );
            return None;
        }
        if count == 0 && doc.goto.is_none() {
            self.error(
                span,
                "a step needs one of `say`, `ask`, `call`, `branch`, `handoff`, `end` or `goto`".into(),
            );
            return None;
        }
        if doc.call.is_none() && (doc.save_as.is_some() || doc.on_error.is_some()) {
            self.error(span, "`save_as` and `on_error` belong to a `call` step".into());
        }
        if doc.handoff.is_none() && doc.group.is_some() {
            self.error(span, "`group` belongs to a `handoff` step".into());
        }
        let before = self.diagnostics.len();
        let next = doc.goto.as_ref().and_then(|target| self.target(target, targets));
        let action = if let Some(text) = &doc.say {
            self.checked_template(span, text, defined).map(StepAction::Say)
        } else if let Some(slot) = &doc.ask {
            if !slots.contains_key(slot.as_str()) {
                self.error(slot.span(), format!("`ask: {}` names no slot of this flow", slot.as_str()));
            }
            Some(StepAction::Ask(slot.as_str().to_string()))
        } else if let Some(call) = &doc.call {
            if !webhooks.contains(call.as_str()) {
                self.error(
                    call.span(),
                    format!(
                        "webhook `{}` is not configured (`[webhooks.{}]` in kefu.toml)",
                        call.as_str(),
                        call.as_str()
                    ),
                );
            }
            let on_error = doc.on_error.as_ref().and_then(|target| self.target(target, targets));
            Some(StepAction::Call {
                webhook: call.as_str().to_string(),
                save_as: save_as(doc, call),
                on_error,
            })
        } else if let Some(arms) = &doc.branch {
            self.branch(span, arms, targets, defined)
        } else if let Some(reason) = &doc.handoff {
            let reason = self.checked_template(span, reason, defined);
            reason.map(|reason| StepAction::Handoff { reason, group: doc.group.clone() })
        } else if let Some(text) = &doc.end {
            if text.trim().is_empty() {
                Some(StepAction::End(None))
            } else {
                self.checked_template(span, text, defined).map(|t| StepAction::End(Some(t)))
            }
        } else {
            Some(StepAction::Jump)
        };
        if self.diagnostics.len() > before {
            return None;
        }
        Some(Step { id: doc.id.as_ref().map(|id| id.as_str().to_string()), action: action?, next })
    }

    fn target(&mut self, target: &Spanned<String>, targets: &HashMap<String, usize>) -> Option<usize> {
        let found = targets.get(target.as_str()).copied();
        if found.is_none() {
            self.error(target.span(), format!("unknown step `{}`", target.as_str()));
        }
        found
    }

    fn checked_template(
        &mut self,
        span: &Span,
        text: &str,
        defined: &HashSet<String>,
    ) -> Option<crate::flows::template::Template> {
        let template = self.template(span, text)?;
        for variable in template.variables() {
            if !defined.contains(variable) {
                self.error(
                    span,
                    format!("template variable `{variable}` is never set (not a slot or a `save_as`)"),
                );
            }
        }
        Some(template)
    }

    fn branch(
        &mut self,
        span: &Span,
        arms: &[BranchDoc],
        targets: &HashMap<String, usize>,
        defined: &HashSet<String>,
    ) -> Option<StepAction> {
        let mut resolved = Vec::new();
        let mut otherwise = None;
        for (position, arm) in arms.iter().enumerate() {
            match (&arm.when, &arm.goto, &arm.otherwise) {
                (Some(when), Some(goto), None) => {
                    let condition = Condition::parse(when.as_str())
                        .map_err(|error| {
                            self.error(when.span(), format!("condition `{}`: {error}", when.as_str()))
                        })
                        .ok();
                    for variable in condition.iter().flat_map(Condition::variables) {
                        if !defined.contains(variable) {
                            self.error(when.span(), format!("condition variable `{variable}` is never set"));
                        }
                    }
                    if let (Some(condition), Some(target)) = (condition, self.target(goto, targets)) {
                        resolved.push((condition, target));
                    }
                }
                (None, None, Some(target)) if position + 1 == arms.len() => {
                    otherwise = self.target(target, targets)
                }
                (None, None, Some(target)) => {
                    self.error(target.span(), "`else` must be the last arm of a branch".into())
                }
                _ => self.error(
                    span,
                    "a branch arm is `when: CONDITION` with `goto: STEP`, or `else: STEP`".into(),
                ),
            }
        }
        match otherwise {
            Some(otherwise) => Some(StepAction::Branch { arms: resolved, otherwise }),
            None => {
                self.error(span, "a branch needs a default: end it with `- else: STEP`".into());
                None
            }
        }
    }
}

/// The name a call's reply is stored under: `save_as`, or the webhook's name.
fn save_as(doc: &StepDoc, call: &Spanned<String>) -> String {
    doc.save_as.as_ref().map_or_else(|| call.as_str().to_string(), |name| name.as_str().to_string())
}

/// Which steps can run, starting from the first.
fn reachable(steps: &[Step]) -> Vec<bool> {
    let mut seen = vec![false; steps.len()];
    let mut queue = VecDeque::from([0]);
    while let Some(index) = queue.pop_front() {
        if index >= steps.len() || seen[index] {
            continue;
        }
        seen[index] = true;
        let step = &steps[index];
        let follow = step.next.unwrap_or(index + 1);
        match &step.action {
            StepAction::Branch { arms, otherwise } => {
                queue.extend(arms.iter().map(|(_, target)| *target));
                queue.push_back(*otherwise);
            }
            StepAction::Handoff { .. } | StepAction::End(_) => {}
            StepAction::Call { on_error, .. } => {
                queue.push_back(follow);
                queue.extend(*on_error);
            }
            StepAction::Say(_) | StepAction::Ask(_) | StepAction::Jump => queue.push_back(follow),
        }
    }
    seen
}
