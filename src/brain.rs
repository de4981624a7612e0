//! The brain: knowledge + flows + the matcher index over both, built once from the operator
//! files and shared read-only by every conversation until the next reload.

use std::collections::HashSet;
use std::path::Path;

use crate::flows::{Flow, Flows, load_flows};
use crate::knowledge::{Entry, Knowledge, KnowledgeSource, load_knowledge};
use crate::matcher::{Candidate, MatchTarget, Matcher, ScoringModel};
use crate::operator_yaml::{Diagnostic, sort_diagnostics};
use crate::text::{Segmenter, SynonymGroups};

/// Why a brain could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BrainError {
    /// The operator files have errors; every one is listed.
    #[error("{} error(s) in the knowledge and flows", .0.len())]
    Invalid(Vec<Diagnostic>),
}

/// What a matched candidate stands for.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// A knowledge entry.
    Entry(&'a Entry),
    /// A flow, matched by its trigger examples.
    Flow(&'a Flow),
}

impl<'a> Target<'a> {
    /// The entry's or flow's id.
    pub fn id(&self) -> &'a str {
        match self {
            Target::Entry(entry) => &entry.id.0,
            Target::Flow(flow) => &flow.id,
        }
    }

    /// How the target is offered in a list of choices.
    pub fn title(&self) -> &'a str {
        match self {
            Target::Entry(entry) => &entry.question,
            Target::Flow(flow) if !flow.description.is_empty() => &flow.description,
            Target::Flow(flow) => flow.examples.first().map_or(flow.id.as_str(), String::as_str),
        }
    }
}

/// Everything the dialog core needs to answer, immutable once built.
pub struct Brain {
    /// The knowledge base.
    pub knowledge: Knowledge,
    /// The flows.
    pub flows: Flows,
    /// The index: targets are the knowledge entries in order, then the flows in order.
    pub matcher: Matcher,
    /// A hash of the files the brain was built from, stored with every bot answer.
    pub version: String,
    /// When it was built, ms since the epoch.
    pub loaded_at: i64,
}

impl Brain {
    /// Loads, validates and indexes the knowledge and flows folders; `webhooks` are the
    /// configured webhook names flows may call. CPU-bound.
    pub fn load(
        knowledge_dir: &Path,
        flows_dir: &Path,
        webhooks: &HashSet<String>,
        model: ScoringModel,
    ) -> Result<Brain, BrainError> {
        // Hashed before reading: an edit during the build makes the next reload see a change.
        let version = files_version(&[knowledge_dir, flows_dir]);
        let (flows, mut diagnostics) = match load_flows(flows_dir, webhooks) {
            Ok(flows) => (Some(flows), Vec::new()),
            Err(errors) => (None, errors),
        };
        // With broken flow files, links to flows cannot be checked: the flows' own errors say it.
        let flow_ids = flows.as_ref().map(|flows| flows.flows.iter().map(|f| f.id.clone()).collect());
        let source = KnowledgeSource { dir: knowledge_dir.to_path_buf(), flow_ids };
        let knowledge = load_knowledge(&source).map_err(|errors| diagnostics.extend(errors)).ok();
        let loaded = match (knowledge, flows) {
            (Some(knowledge), Some(flows)) if diagnostics.is_empty() => {
                Ok(Brain { version, ..Brain::from_parts(knowledge, flows, model) })
            }
            _ => {
                sort_diagnostics(&mut diagnostics);
                Err(BrainError::Invalid(diagnostics))
            }
        };
        crate::allocator::release_freed_memory();
        loaded
    }

    /// Indexes validated knowledge and flows.
    pub fn from_parts(knowledge: Knowledge, flows: Flows, model: ScoringModel) -> Brain {
        let synonyms = SynonymGroups::new(knowledge.synonym_groups.clone());
        let flow_words = flows.flows.iter().flat_map(|flow| flow.keywords.iter().map(String::as_str));
        let segmenter = Segmenter::new(knowledge.segmenter_words().chain(flow_words), synonyms);
        let entries = knowledge.entries.iter().map(|entry| MatchTarget {
            phrasings: entry.phrasings().map(str::to_string).collect(),
            keywords: entry.keywords.clone(),
            patterns: entry.patterns.clone(),
        });
        let flow_targets = flows.flows.iter().map(|flow| MatchTarget {
            phrasings: flow.examples.clone(),
            keywords: flow.keywords.clone(),
            patterns: flow.patterns.clone(),
        });
        let matcher = Matcher::build(entries.chain(flow_targets).collect(), segmenter, model);
        let loaded_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis() as i64);
        Brain { knowledge, flows, matcher, version: "unversioned".into(), loaded_at }
    }

    /// Indexes a knowledge base without flows.
    pub fn from_knowledge(knowledge: Knowledge, model: ScoringModel) -> Brain {
        Brain::from_parts(knowledge, Flows::default(), model)
    }

    /// The entry or flow a candidate stands for.
    pub fn target(&self, candidate: &Candidate) -> Target<'_> {
        let entries = self.knowledge.entries.len();
        match self.knowledge.entries.get(candidate.target) {
            Some(entry) => Target::Entry(entry),
            None => Target::Flow(&self.flows.flows[candidate.target - entries]),
        }
    }

    /// The flow a knowledge entry links to, if it exists.
    pub fn linked_flow(&self, entry: &Entry) -> Option<&Flow> {
        entry.flow.as_deref().and_then(|id| self.flows.get(id))
    }

    /// The entry or flow with `id`.
    pub fn target_by_id(&self, id: &str) -> Option<Target<'_>> {
        self.knowledge.entry(id).map(Target::Entry).or_else(|| self.flows.get(id).map(Target::Flow))
    }
}

/// The first 12 hex digits of a SHA-256 over the YAML files in `dirs` (names and contents,
/// in name order, sub-folders included): the same files give the same version anywhere.
/// A short hash of every YAML file under `dirs`: names and contents.
pub fn files_version(dirs: &[&Path]) -> String {
    use sha2::Digest;
    let mut files = Vec::new();
    let mut pending: Vec<std::path::PathBuf> = dirs.iter().map(|d| d.to_path_buf()).collect();
    while let Some(dir) = pending.pop() {
        let Ok(read) = std::fs::read_dir(&dir) else { continue };
        for path in read.filter_map(|e| e.ok().map(|e| e.path())) {
            if path.is_dir() {
                pending.push(path);
            } else if matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut hasher = sha2::Sha256::new();
    for file in files {
        hasher.update(file.to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&file).unwrap_or_default());
    }
    hex::encode(hasher.finalize())[..12].to_string()
}
