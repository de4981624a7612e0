//! The serde mirror of a flow file: exactly what operators may write.

use marked_yaml::Spanned;
use serde::{Deserialize, de};

/// A flow file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FlowDoc {
    pub version: Spanned<u32>,
    pub id: Spanned<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub triggers: TriggersDoc,
    /// Read slot by slot, so one bad slot hides no other.
    #[serde(rename = "slots", default)]
    pub _slots: de::IgnoredAny,
    /// Read step by step.
    #[serde(rename = "steps")]
    pub _steps: de::IgnoredAny,
}

/// What starts a flow besides a knowledge entry's `flow:` link.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TriggersDoc {
    #[serde(default)]
    pub examples: Vec<Spanned<String>>,
    #[serde(default)]
    pub keywords: Vec<Spanned<String>>,
    #[serde(default)]
    pub patterns: Vec<Spanned<String>>,
}

/// A slot: a value the flow collects from the customer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SlotDoc {
    pub prompt: String,
    #[serde(rename = "type", default)]
    pub kind: Option<Spanned<String>>,
    #[serde(default)]
    pub pattern: Option<Spanned<String>>,
    #[serde(default)]
    pub choices: Vec<String>,
    #[serde(default)]
    pub retry: Option<String>,
    #[serde(default)]
    pub max_attempts: Option<u32>,
    #[serde(default)]
    pub on_fail: Option<Spanned<String>>,
    #[serde(default)]
    pub fail_message: Option<String>,
}

/// A step: exactly one of `say`, `ask`, `call`, `branch`, `handoff`, `end`, or a bare `goto`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StepDoc {
    #[serde(default)]
    pub id: Option<Spanned<String>>,
    #[serde(default)]
    pub say: Option<String>,
    #[serde(default)]
    pub ask: Option<Spanned<String>>,
    #[serde(default)]
    pub call: Option<Spanned<String>>,
    #[serde(default)]
    pub save_as: Option<Spanned<String>>,
    #[serde(default)]
    pub on_error: Option<Spanned<String>>,
    #[serde(default)]
    pub branch: Option<Vec<BranchDoc>>,
    #[serde(default)]
    pub handoff: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
    #[serde(default)]
    pub goto: Option<Spanned<String>>,
}

/// One arm of a branch: `when` + `goto`, or the default `else: STEP`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BranchDoc {
    #[serde(default)]
    pub when: Option<Spanned<String>>,
    #[serde(default)]
    pub goto: Option<Spanned<String>>,
    #[serde(rename = "else", default)]
    pub otherwise: Option<Spanned<String>>,
}
