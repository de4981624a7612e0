//! Matching a message against the knowledge: retrieval, rerank, calibrated confidence.
//!
//! Every phrasing of every target (a knowledge entry, later also a flow trigger) is indexed;
//! BM25 retrieves candidate phrasings, [`features`] describe each (query, phrasing) pair,
//! the [`model`] ranks them and turns the best ones into confidences comparable across
//! queries. Scoring is pure; the index lives in RAM and is built once per brain.

mod analysis;
mod features;
mod fit;
mod model;
mod retrieval;

use std::sync::Arc;

use regex::Regex;
use serde::Serialize;

pub use analysis::{Analysis, CorpusStats};
pub use features::{FEATURE_COUNT, FEATURE_NAMES, PairFeatures};
pub use fit::{TrainingQuery, fit_model};
pub use model::{
    CONFIDENCE_FEATURE_COUNT, ConfidenceFeatures, ScoringModel, confidence_feature_names, confidence_features,
};
pub use retrieval::RetrievalError;

use crate::text::Segmenter;
use features::{EntryContext, pair_features};
use retrieval::PhrasingIndex;

/// How many phrasings BM25 retrieves before reranking.
const RETRIEVED_PHRASINGS: usize = 50;
/// How many targets a ranking keeps.
const KEPT_CANDIDATES: usize = 5;

/// Something a message can match: a knowledge entry or a flow trigger.
#[derive(Debug, Clone, Default)]
pub struct MatchTarget {
    /// Example phrasings; the first is the standard one.
    pub phrasings: Vec<String>,
    /// Normalised words that weigh more.
    pub keywords: Vec<String>,
    /// Regexes over the message as typed that select the target outright.
    pub patterns: Vec<Regex>,
}

struct IndexedPhrasing {
    target: usize,
    text: String,
    analysis: Analysis,
}

/// The matcher for one brain: immutable once built, shared by every conversation.
pub struct Matcher {
    segmenter: Arc<Segmenter>,
    index: PhrasingIndex,
    phrasings: Vec<IndexedPhrasing>,
    targets: Vec<MatchTarget>,
    stats: CorpusStats,
    model: ScoringModel,
}

/// One ranked target.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    /// Ordinal of the target in the list the matcher was built from.
    pub target: usize,
    /// Calibrated probability that this target answers the message.
    pub confidence: f32,
    /// The ranker's score of the best phrasing.
    pub score: f32,
    /// Score lead over the best other target (negative when behind).
    pub margin: f32,
    /// Ordinal of the best phrasing (see [`Matcher::phrasing_text`]).
    pub phrasing: usize,
    /// True when an operator regex selected the target.
    pub via_pattern: bool,
    /// The pair features of the best phrasing.
    pub features: PairFeatures,
}

/// The outcome of matching one message: the analysed query and the best targets.
#[derive(Debug, Clone)]
pub struct Ranking {
    /// The query as the matcher saw it.
    pub query: Analysis,
    /// Best first, by confidence.
    pub candidates: Vec<Candidate>,
}

impl Ranking {
    /// The best candidate, if any.
    pub fn best(&self) -> Option<&Candidate> {
        self.candidates.first()
    }
}

/// A retrieved phrasing with its pair features.
#[derive(Debug, Clone)]
pub struct PhrasingFeatures {
    /// Its target.
    pub target: usize,
    /// Its ordinal.
    pub phrasing: usize,
    /// Its features against the query.
    pub features: PairFeatures,
}

/// The retrieved phrasings of one query, before any model is applied.
#[derive(Debug, Clone)]
pub struct ScoredPhrasings {
    /// The analysed query.
    pub query: Analysis,
    /// Retrieved phrasings, in BM25 order.
    pub phrasings: Vec<PhrasingFeatures>,
}

/// Applies `model` to retrieved phrasings: the best phrasing per target, the best
/// [`KEPT_CANDIDATES`] targets with their confidence, best first.
pub fn rank_targets(model: &ScoringModel, phrasings: &[PhrasingFeatures]) -> Vec<Candidate> {
    let mut best: Vec<(f32, &PhrasingFeatures)> = Vec::new();
    for phrasing in phrasings {
        let score = model.score(&phrasing.features);
        match best.iter_mut().find(|(_, kept)| kept.target == phrasing.target) {
            Some(slot) if slot.0 >= score => {}
            Some(slot) => *slot = (score, phrasing),
            None => best.push((score, phrasing)),
        }
    }
    best.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut candidates: Vec<Candidate> = best
        .iter()
        .take(KEPT_CANDIDATES)
        .enumerate()
        .map(|(rank, &(score, phrasing))| {
            let best_other = if rank == 0 { best.get(1).map(|b| b.0) } else { Some(best[0].0) };
            let margin = best_other.map_or(score, |other| score - other);
            let confidence = model.confidence(&confidence_features(score, margin, &phrasing.features));
            Candidate {
                target: phrasing.target,
                confidence,
                score,
                margin,
                phrasing: phrasing.phrasing,
                via_pattern: false,
                features: phrasing.features,
            }
        })
        .collect();
    candidates.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    candidates
}

impl Matcher {
    /// Indexes every phrasing of `targets`. CPU-bound: call it off the async runtime.
    pub fn build(
        targets: Vec<MatchTarget>,
        segmenter: Arc<Segmenter>,
        model: ScoringModel,
    ) -> Result<Matcher, RetrievalError> {
        let phrasings: Vec<IndexedPhrasing> = targets
            .iter()
            .enumerate()
            .flat_map(|(target, t)| t.phrasings.iter().map(move |text| (target, text)))
            .map(|(target, text)| IndexedPhrasing {
                target,
                text: text.clone(),
                analysis: Analysis::new(text, &segmenter),
            })
            .collect();
        let analyses: Vec<Analysis> = phrasings.iter().map(|p| p.analysis.clone()).collect();
        let index = PhrasingIndex::build(&analyses, segmenter.clone())?;
        let stats = CorpusStats::new(&analyses);
        Ok(Matcher { segmenter, index, phrasings, targets, stats, model })
    }

    /// Ranks the targets for `message`.
    pub fn rank(&self, message: &str) -> Result<Ranking, RetrievalError> {
        let scored = self.score_phrasings(message)?;
        let mut candidates = rank_targets(&self.model, &scored.phrasings);
        self.apply_patterns(message, &mut candidates);
        candidates.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        Ok(Ranking { query: scored.query, candidates })
    }

    /// Retrieves the candidate phrasings of `message` and computes their features: the
    /// model-independent half of [`Matcher::rank`], also used to fit models.
    pub fn score_phrasings(&self, message: &str) -> Result<ScoredPhrasings, RetrievalError> {
        let query = Analysis::new(message, &self.segmenter);
        let hits = self.index.search(&query, RETRIEVED_PHRASINGS)?;
        let top_bm25 = hits.first().map_or(0.0, |hit| hit.bm25);
        let phrasings = hits
            .into_iter()
            .map(|hit| {
                let phrasing = &self.phrasings[hit.phrasing];
                let context = EntryContext { keywords: &self.targets[phrasing.target].keywords };
                let relative = if top_bm25 > 0.0 { hit.bm25 / top_bm25 } else { 0.0 };
                let features = pair_features(&query, &phrasing.analysis, &context, &self.stats, relative);
                PhrasingFeatures { target: phrasing.target, phrasing: hit.phrasing, features }
            })
            .collect();
        Ok(ScoredPhrasings { query, phrasings })
    }

    /// The scoring model in use.
    pub fn model(&self) -> &ScoringModel {
        &self.model
    }

    /// Targets whose operator regex matches are certain: confidence 1, ahead of the rest.
    fn apply_patterns(&self, message: &str, candidates: &mut Vec<Candidate>) {
        for (target, definition) in self.targets.iter().enumerate() {
            if !definition.patterns.iter().any(|pattern| pattern.is_match(message)) {
                continue;
            }
            match candidates.iter_mut().find(|c| c.target == target) {
                Some(candidate) => {
                    candidate.confidence = 1.0;
                    candidate.via_pattern = true;
                }
                None => candidates.push(Candidate {
                    target,
                    confidence: 1.0,
                    score: 0.0,
                    margin: 0.0,
                    phrasing: self.first_phrasing_of(target),
                    via_pattern: true,
                    features: [0.0; FEATURE_COUNT],
                }),
            }
        }
    }

    fn first_phrasing_of(&self, target: usize) -> usize {
        self.phrasings.iter().position(|p| p.target == target).unwrap_or(0)
    }

    /// The text of a phrasing, as written in the knowledge.
    pub fn phrasing_text(&self, phrasing: usize) -> &str {
        self.phrasings.get(phrasing).map_or("", |p| p.text.as_str())
    }

    /// The analysed form of a phrasing.
    pub fn phrasing_analysis(&self, phrasing: usize) -> Option<&Analysis> {
        self.phrasings.get(phrasing).map(|p| &p.analysis)
    }

    /// The segmenter shared by index and queries.
    pub fn segmenter(&self) -> &Arc<Segmenter> {
        &self.segmenter
    }

    /// Number of indexed phrasings.
    pub fn phrasing_count(&self) -> usize {
        self.phrasings.len()
    }
}

#[cfg(test)]
mod tests;
