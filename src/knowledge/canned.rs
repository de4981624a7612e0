//! `knowledge/_canned.yaml`: agents' canned replies, inserted in the workbench by shortcut.

use std::collections::HashMap;
use std::path::Path;

use marked_yaml::Spanned;
use serde::{Deserialize, Serialize};

use crate::operator_yaml::{Diagnostic, deserialize_node, parse_document};

/// The file name of the canned replies file inside the knowledge folder.
pub const CANNED_FILE: &str = "_canned.yaml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CannedDoc {
    version: Spanned<u32>,
    #[serde(default)]
    canned: Vec<CannedItemDoc>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CannedItemDoc {
    shortcut: Spanned<String>,
    title: Spanned<String>,
    text: Spanned<String>,
}

/// A canned reply: typed as `/shortcut` in the workbench.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Canned {
    /// What the agent types after `/` (letters, digits, `-`, `_`; lower case).
    pub shortcut: String,
    /// What the picker shows.
    pub title: String,
    /// The reply inserted.
    pub text: String,
}

impl Canned {
    /// True when `query` (lower case) is in the shortcut, title or text.
    pub fn matches(&self, query: &str) -> bool {
        self.shortcut.contains(query)
            || self.title.to_lowercase().contains(query)
            || self.text.contains(query)
    }
}

/// Parses and validates a canned replies file, reporting every problem.
pub fn parse_canned(file: &Path, text: &str) -> Result<Vec<Canned>, Vec<Diagnostic>> {
    let node = parse_document(file, text).map_err(|d| vec![d])?;
    let doc: CannedDoc = deserialize_node(file, &node, "canned replies file").map_err(|d| vec![d])?;
    let mut diagnostics = Vec::new();
    if *doc.version != 1 {
        let message = format!("unsupported version {}, expected 1", *doc.version);
        diagnostics.push(Diagnostic::at(file, doc.version.span(), message));
    }
    let mut seen: HashMap<String, ()> = HashMap::new();
    let mut canned = Vec::with_capacity(doc.canned.len());
    for item in &doc.canned {
        let shortcut = item.shortcut.trim().to_lowercase();
        if shortcut.is_empty() || !shortcut.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            let message = "a shortcut is letters, digits, `-` or `_` (typed after `/` in the workbench)";
            diagnostics.push(Diagnostic::at(file, item.shortcut.span(), message));
        } else if seen.insert(shortcut.clone(), ()).is_some() {
            let message = format!("shortcut `{shortcut}` is used twice");
            diagnostics.push(Diagnostic::at(file, item.shortcut.span(), message));
        }
        for (field, value) in [("title", &item.title), ("text", &item.text)] {
            if value.trim().is_empty() {
                diagnostics.push(Diagnostic::at(file, value.span(), format!("empty `{field}`")));
            }
        }
        canned.push(Canned {
            shortcut,
            title: item.title.trim().to_string(),
            text: item.text.trim().to_string(),
        });
    }
    if diagnostics.is_empty() { Ok(canned) } else { Err(diagnostics) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Canned>, Vec<String>> {
        parse_canned(Path::new("_canned.yaml"), text)
            .map_err(|ds| ds.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn replies_are_read_with_lower_case_shortcuts() {
        let canned =
            parse("version: 1\ncanned:\n  - shortcut: Hi\n    title: 问候\n    text: 您好！\n").unwrap();
        assert_eq!(
            canned,
            vec![Canned { shortcut: "hi".into(), title: "问候".into(), text: "您好！".into() }]
        );
        assert!(canned[0].matches("hi") && canned[0].matches("问候") && !canned[0].matches("退款"));
    }

    #[test]
    fn duplicate_and_malformed_shortcuts_are_errors_at_their_place() {
        let text = "version: 1\ncanned:\n  - {shortcut: hi, title: a, text: b}\n  - {shortcut: hi, title: c, text: d}\n  - {shortcut: 'a b', title: e, text: ''}\n";
        let errors = parse(text).unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].starts_with("_canned.yaml:4:16: shortcut `hi` is used twice"), "{errors:?}");
        assert!(errors[1].starts_with("_canned.yaml:5:16: a shortcut is"), "{errors:?}");
        assert!(errors[2].starts_with("_canned.yaml:5:39: empty `text`"), "{errors:?}");
    }
}
