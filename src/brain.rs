//! The brain: knowledge + matcher index + flows, built once from the operator files and
//! shared read-only by every conversation until the next reload.

use std::path::Path;

use crate::flows::load_flow_ids;
use crate::knowledge::{Entry, Knowledge, KnowledgeSource, load_knowledge};
use crate::matcher::{Candidate, MatchTarget, Matcher, RetrievalError, ScoringModel};
use crate::operator_yaml::{Diagnostic, sort_diagnostics};
use crate::text::{Segmenter, SynonymGroups};

/// Why a brain could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BrainError {
    /// The operator files have errors; every one is listed.
    #[error("{} error(s) in the knowledge and flows", .0.len())]
    Invalid(Vec<Diagnostic>),
    /// The search index could not be built.
    #[error(transparent)]
    Index(#[from] RetrievalError),
}

/// Everything the dialog core needs to answer, immutable once built.
pub struct Brain {
    /// The knowledge base.
    pub knowledge: Knowledge,
    /// The index over the knowledge's phrasings; targets are knowledge entries in order.
    pub matcher: Matcher,
}

impl Brain {
    /// Loads, validates and indexes the knowledge and flows folders. CPU-bound.
    pub fn load(knowledge_dir: &Path, flows_dir: &Path, model: ScoringModel) -> Result<Brain, BrainError> {
        let (flow_ids, mut diagnostics) = match load_flow_ids(flows_dir) {
            Ok(ids) => (ids, Vec::new()),
            Err(errors) => (Default::default(), errors),
        };
        let source = KnowledgeSource { dir: knowledge_dir.to_path_buf(), flow_ids };
        let knowledge = match load_knowledge(&source) {
            Ok(knowledge) => Some(knowledge),
            Err(errors) => {
                diagnostics.extend(errors);
                None
            }
        };
        match knowledge {
            Some(knowledge) if diagnostics.is_empty() => Ok(Brain::from_knowledge(knowledge, model)?),
            _ => {
                sort_diagnostics(&mut diagnostics);
                Err(BrainError::Invalid(diagnostics))
            }
        }
    }

    /// Indexes an already validated knowledge base.
    pub fn from_knowledge(knowledge: Knowledge, model: ScoringModel) -> Result<Brain, RetrievalError> {
        let synonyms = SynonymGroups::new(knowledge.synonym_groups.clone());
        let segmenter = Segmenter::new(knowledge.segmenter_words(), synonyms);
        let targets = knowledge
            .entries
            .iter()
            .map(|entry| MatchTarget {
                phrasings: entry.phrasings().map(str::to_string).collect(),
                keywords: entry.keywords.clone(),
                patterns: entry.patterns.clone(),
            })
            .collect();
        let matcher = Matcher::build(targets, segmenter, model)?;
        Ok(Brain { knowledge, matcher })
    }

    /// The knowledge entry a candidate stands for.
    pub fn entry(&self, candidate: &Candidate) -> &Entry {
        &self.knowledge.entries[candidate.target]
    }
}
