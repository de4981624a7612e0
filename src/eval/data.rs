//! Reading evaluation data: JSON Lines knowledge (`{"id","question","similar","answer"}`)
//! and labelled questions (`{"query","expected_id","acceptable_ids"?}`).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::knowledge::{Answer, Entry, EntryId, Knowledge, Reply};
use crate::operator_yaml::Location;

/// Why evaluation data could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EvalDataError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line is not the expected JSON object.
    #[error("{path}:{line}: {message}")]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// A question with the entries that answer it (none: it must be handed off).
#[derive(Debug, Clone, PartialEq)]
pub struct LabeledQuery {
    /// The question as a user typed it.
    pub query: String,
    /// Ids of the entries that answer it; empty when the knowledge has no answer.
    pub right: Vec<String>,
}

#[derive(Deserialize)]
struct QueryLine {
    query: String,
    expected_id: Option<String>,
    #[serde(default)]
    acceptable_ids: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct EntryLine {
    id: String,
    question: String,
    #[serde(default)]
    similar: Vec<String>,
    answer: String,
}

fn read_lines<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<(usize, T)>, EvalDataError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| EvalDataError::Read { path: path.into(), source })?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            serde_json::from_str(line).map(|value| (index + 1, value)).map_err(|error| EvalDataError::Line {
                path: path.into(),
                line: index + 1,
                message: error.to_string(),
            })
        })
        .collect()
}

/// Reads labelled questions; `acceptable_ids`, when present, lists every right entry;
/// `exists` tells whether an id names an entry (or a flow).
pub fn load_queries(path: &Path, exists: impl Fn(&str) -> bool) -> Result<Vec<LabeledQuery>, EvalDataError> {
    let mut queries = Vec::new();
    for (line, item) in read_lines::<QueryLine>(path)? {
        let right = match (item.acceptable_ids, item.expected_id) {
            (Some(ids), _) if !ids.is_empty() => ids,
            (_, Some(id)) => vec![id],
            _ => Vec::new(),
        };
        if let Some(unknown) = right.iter().find(|id| !exists(id)) {
            let message = format!("entry `{unknown}` is not in the knowledge");
            return Err(EvalDataError::Line { path: path.into(), line, message });
        }
        queries.push(LabeledQuery { query: item.query, right });
    }
    Ok(queries)
}

/// Reads a JSON Lines knowledge base (text answers only).
pub fn load_jsonl_knowledge(path: &Path) -> Result<Knowledge, EvalDataError> {
    let mut knowledge = Knowledge::default();
    for (line, item) in read_lines::<EntryLine>(path)? {
        if knowledge.entry(&item.id).is_some() {
            return Err(EvalDataError::Line {
                path: path.into(),
                line,
                message: format!("duplicate id `{}`", item.id),
            });
        }
        knowledge.entries.push(Entry {
            id: EntryId(item.id),
            category: None,
            question: item.question,
            similar: item.similar,
            answer: Answer { variants: vec![Reply::text(item.answer)] },
            attachments: Vec::new(),
            keywords: Vec::new(),
            tags: Vec::new(),
            patterns: Vec::new(),
            flow: None,
            handoff: false,
            location: Location { file: path.into(), line, column: 1 },
        });
    }
    Ok(knowledge)
}
