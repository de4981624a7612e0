//! The knowledge base operators write as YAML in `knowledge/`: schema, loading, validation.
//!
//! Files are read into a serde mirror ([`schema`]) and validated into domain types
//! ([`model`]); every problem in every file is collected as a positioned
//! [`Diagnostic`](crate::operator_yaml::Diagnostic), so one `kefu check` run shows them all.

mod canned;
mod load;
mod model;
mod schema;
mod synonyms;

pub use canned::{CANNED_FILE, Canned};
pub use load::{KnowledgeSource, load_knowledge, parse_knowledge_file};
pub use model::{Answer, Entry, EntryId, Knowledge, Reply};
pub use synonyms::SynonymsFile;
