//! The YAML an operator pastes into the knowledge files: `similar:` lines for entries to
//! extend and drafts of new entries. kefu never edits the files itself — they stay the
//! source of truth, in git.

use std::collections::HashSet;

use serde::Deserialize;

use crate::brain::Brain;
use crate::text::normalize;

/// Texts to add to an entry (`entry`), or to make a new entry of (`entry: null`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchItem {
    /// The entry to extend; none for a new entry.
    pub entry: Option<String>,
    /// The customer's phrasings.
    pub texts: Vec<String>,
}

/// Why no patch could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// No entry has this id.
    #[error("no knowledge entry `{0}`")]
    UnknownEntry(String),
    /// Nothing to put in the patch.
    #[error("no texts to add")]
    Empty,
}

/// The patch for `items`; phrasings the knowledge already has are left out (kefu check
/// refuses duplicates).
pub fn render_patch(items: &[PatchItem], brain: &Brain) -> Result<String, PatchError> {
    let mut known: HashSet<String> =
        brain.knowledge.entries.iter().flat_map(|e| e.phrasings()).map(phrasing_key).collect();
    let mut out = String::from(
        "# kefu gaps: questions the bot could not answer, as knowledge to add.\n\
         # Paste each part where its comment says, write the answers, then run `kefu check`.\n",
    );
    let ids: HashSet<&str> = brain.knowledge.entries.iter().map(|e| e.id.0.as_str()).collect();
    let mut next_new = 0;
    let mut wrote = false;
    for item in items {
        let texts: Vec<&str> = item
            .texts
            .iter()
            .map(|t| t.trim())
            .filter(|t| !t.is_empty() && known.insert(phrasing_key(t)))
            .collect();
        match &item.entry {
            Some(id) => {
                let entry = brain.knowledge.entry(id).ok_or_else(|| PatchError::UnknownEntry(id.clone()))?;
                if texts.is_empty() {
                    continue;
                }
                out.push_str(&format!(
                    "\n# {} — entry `{}` ({}): add under its `similar:`\n",
                    entry.location.file.display(),
                    entry.id.0,
                    entry.question
                ));
                for text in texts {
                    out.push_str(&format!("      - {}\n", yaml_scalar(text)));
                }
                wrote = true;
            }
            None => {
                let Some((question, similar)) = texts.split_first() else { continue };
                let id = loop {
                    next_new += 1;
                    let id = format!("new-question-{next_new}");
                    if !ids.contains(id.as_str()) {
                        break id;
                    }
                };
                out.push_str("\n# A new entry: put it under `entries:` in the file of its topic.\n");
                out.push_str(&format!("  - id: {id}\n    question: {}\n", yaml_scalar(question)));
                if !similar.is_empty() {
                    out.push_str("    similar:\n");
                    for text in similar {
                        out.push_str(&format!("      - {}\n", yaml_scalar(text)));
                    }
                }
                // No answer yet on purpose: `kefu check` refuses the entry until one is written.
                out.push_str("    # answer: 在这里写答案\n");
                wrote = true;
            }
        }
    }
    if wrote { Ok(out) } else { Err(PatchError::Empty) }
}

fn phrasing_key(text: &str) -> String {
    normalize(text).replace(' ', "")
}

/// A YAML scalar for `text`: plain when that reads back the same, else single-quoted.
fn yaml_scalar(text: &str) -> String {
    let risky_start = text.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c));
    let risky = risky_start
        || text.contains(": ")
        || text.contains(" #")
        || text.ends_with(':')
        || text.contains('\n')
        || matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "null" | "~" | "on" | "off"
        )
        || text.parse::<f64>().is_ok();
    if risky { format!("'{}'", text.replace('\'', "''").replace('\n', " ")) } else { text.to_string() }
}
