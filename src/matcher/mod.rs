//! Matching a message against the knowledge: retrieval, rerank, calibrated confidence.
//!
//! Every phrasing of every target (a knowledge entry, or a flow trigger) is indexed; BM25
//! over words and over characters ([`retrieval`]) retrieves candidate phrasings,
//! [`features`] describe each (query, phrasing) pair, and the [`model`] ranks targets and
//! turns their lead into a confidence comparable across queries. Scoring is pure; the index
//! lives in RAM and is built once per brain.

mod analysis;
mod corpus;
mod default_model;
mod features;
mod fit;
mod lexicon;
mod model;
mod retrieval;
mod strings;

use std::sync::Arc;

use regex::Regex;
use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;

pub use analysis::Analysis;
pub use features::{FEATURE_COUNT, FEATURE_NAMES, PairFeatures, RANK_FEATURE_COUNT};
pub use fit::{TrainingQuery, fit_model};
pub use lexicon::is_question;
pub use model::{CONFIDENCE_FEATURE_COUNT, CONFIDENCE_FEATURE_NAMES, ScoringModel, confidence_features};

use crate::text::{Segmenter, discover_words};
use corpus::CorpusStats;
use features::{PhrasingRef, QueryContext, TextWeights, pair_features};
use retrieval::PhrasingIndex;

/// How many phrasings the retrieval by words returns before reranking. It looks only for
/// the message's words of a synonym group: the characters find every phrasing that shares
/// anything else (on the development questions, searching all words finds nothing they
/// miss and ranks no better), but not one that says the same thing with a synonym.
const RETRIEVED_BY_WORDS: usize = 10;
/// How many phrasings the retrieval by characters returns (20 costs 1 point of top-1).
const RETRIEVED_BY_CHARS: usize = 30;
/// How many targets a ranking keeps.
const KEPT_CANDIDATES: usize = 5;
/// From how many phrasings candidates' data is fetched ahead of their features (see
/// [`Matcher::prefetch`]): a smaller knowledge base stays in the cache between messages,
/// and fetching it ahead only costs time (5 % of a match on the sample knowledge).
const PREFETCH_FROM_PHRASINGS: usize = 5_000;
/// The lead of a lone candidate (no runner-up to compare with).
const LONE_CANDIDATE_LEAD: f32 = 10.0;

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
    /// Which of its target's phrasings it is.
    nth: usize,
    analysis: Analysis,
    weights: TextWeights,
}

/// The matcher for one brain: immutable once built, shared by every conversation.
pub struct Matcher {
    segmenter: Arc<Segmenter>,
    index: PhrasingIndex,
    phrasings: Vec<IndexedPhrasing>,
    targets: Vec<MatchTarget>,
    /// The targets with operator regexes (few: checking every target per message adds up).
    patterned: Vec<usize>,
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
    /// The ranker's score of the target (log-sum-exp over its candidate phrasings).
    pub score: f32,
    /// Score lead over the best other target (negative when behind).
    pub margin: f32,
    /// Probability among the candidates and "no answer" (the ranker's softmax).
    pub probability: f32,
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
    /// Retrieved phrasings.
    pub phrasings: Vec<PhrasingFeatures>,
}

/// Applies `model` to retrieved phrasings: targets scored by the log-sum-exp of their
/// phrasings' scores, the best [`KEPT_CANDIDATES`] with their confidence, best first.
pub fn rank_targets(model: &ScoringModel, phrasings: &[PhrasingFeatures]) -> Vec<Candidate> {
    // Per target: (max score, best phrasing, sum of exp(score - max)).
    let mut targets: Vec<(usize, f32, &PhrasingFeatures, f32)> = Vec::new();
    for phrasing in phrasings {
        let score = model.score(&phrasing.features);
        match targets.iter_mut().find(|t| t.0 == phrasing.target) {
            Some(t) if score > t.1 => {
                t.3 = t.3 * (t.1 - score).exp() + 1.0;
                t.1 = score;
                t.2 = phrasing;
            }
            Some(t) => t.3 += (score - t.1).exp(),
            None => targets.push((phrasing.target, score, phrasing, 1.0)),
        }
    }
    let mut scored: Vec<(f32, usize, &PhrasingFeatures)> =
        targets.into_iter().map(|(target, max, best, sum)| (max + sum.ln(), target, best)).collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let Some(&(top, ..)) = scored.first() else { return Vec::new() };
    let second = scored.get(1).map_or(top - LONE_CANDIDATE_LEAD, |s| s.0);
    // Probabilities over the candidates and a "no answer" option scoring like a typical
    // retrieved phrasing (0: the ranker's scores are centred), so a lone weak candidate
    // is not certain; relative to the largest score for numerical safety.
    let pivot = top.max(0.0);
    let mass: f32 = (-pivot).exp() + scored.iter().map(|s| (s.0 - pivot).exp()).sum::<f32>();
    let mut candidates: Vec<Candidate> = scored
        .iter()
        .take(KEPT_CANDIDATES)
        .enumerate()
        .map(|(rank, &(score, target, best))| {
            let margin = if rank == 0 { score - second } else { score - top };
            let probability = (score - pivot).exp() / mass;
            let inputs = confidence_features(score, margin, probability, &best.features);
            Candidate {
                target,
                confidence: model.confidence(&inputs, &best.features),
                score,
                margin,
                probability,
                phrasing: best.phrasing,
                via_pattern: false,
                features: best.features,
            }
        })
        .collect();
    candidates.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    candidates
}

impl Matcher {
    /// Indexes every phrasing of `targets`, first teaching the segmenter the words the
    /// phrasings themselves reveal. CPU-bound: call it off the async runtime.
    pub fn build(targets: Vec<MatchTarget>, mut segmenter: Segmenter, model: ScoringModel) -> Matcher {
        let texts: Vec<String> = targets
            .iter()
            .flat_map(|t| &t.phrasings)
            .map(|p| crate::text::normalize(p).replace(' ', ""))
            .collect();
        let discovered = discover_words(&segmenter, &texts);
        segmenter.add_words(discovered.iter().map(String::as_str));
        let segmenter = Arc::new(segmenter);
        let mut phrasings: Vec<IndexedPhrasing> = targets
            .iter()
            .enumerate()
            .flat_map(|(target, t)| {
                t.phrasings.iter().enumerate().map(move |(nth, text)| (target, nth, text))
            })
            .map(|(target, nth, text)| IndexedPhrasing {
                target,
                nth,
                analysis: Analysis::new(text, &segmenter),
                weights: TextWeights::default(),
            })
            .collect();
        let mut stats = {
            let analyses: Vec<&Analysis> = phrasings.iter().map(|p| &p.analysis).collect();
            let owners: Vec<usize> = phrasings.iter().map(|p| p.target).collect();
            CorpusStats::new(&analyses, &owners, targets.len())
        };
        stats.weigh_words(|w| segmenter.background_frequency(w));
        let index = PhrasingIndex::build(&stats.words, &stats.chars);
        for phrasing in &mut phrasings {
            let chars = stats.chars.look_up(&phrasing.analysis.char_terms());
            phrasing.weights =
                TextWeights::new(&phrasing.analysis, &chars, &stats, |w| segmenter.background_frequency(w));
            // The word index terms and the spaced text served building the index and the
            // statistics; queries bring their own, so a large knowledge base need not keep
            // them.
            phrasing.analysis.search_terms = Vec::new();
            phrasing.analysis.normalized = String::new();
        }
        let patterned = (0..targets.len()).filter(|&t| !targets[t].patterns.is_empty()).collect();
        Matcher { segmenter, index, phrasings, targets, patterned, stats, model }
    }

    /// Ranks the targets for `message`.
    pub fn rank(&self, message: &str) -> Ranking {
        let scored = self.score_phrasings(message);
        let mut candidates = rank_targets(&self.model, &scored.phrasings);
        self.apply_patterns(message, &mut candidates);
        candidates.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        Ranking { query: scored.query, candidates }
    }

    /// Retrieves the candidate phrasings of `message` and computes their features: the
    /// model-independent half of [`Matcher::rank`], also used to fit models.
    pub fn score_phrasings(&self, message: &str) -> ScoredPhrasings {
        let query = Analysis::new(message, &self.segmenter);
        // Without a letter or a Chinese character ("3", "123456", "？？") there is no question
        // to match; bare digits would otherwise resemble any phrasing with those digits.
        if !query.chars.iter().any(|c| c.is_alphabetic()) {
            return ScoredPhrasings { query, phrasings: Vec::new() };
        }
        let context = QueryContext::new(&query, &self.stats, &self.segmenter);
        let found = self.index.search(
            &context.synonym_terms,
            &context.char_terms,
            (RETRIEVED_BY_WORDS, RETRIEVED_BY_CHARS),
        );
        if self.phrasings.len() >= PREFETCH_FROM_PHRASINGS {
            self.prefetch(&found);
        }
        let mut entry_scores: HashMap<usize, f32> = HashMap::default();
        let phrasings = found
            .into_iter()
            .map(|ordinal| {
                let phrasing = &self.phrasings[ordinal];
                let entry_bm25 = *entry_scores
                    .entry(phrasing.target)
                    .or_insert_with(|| self.stats.entries.score(&context.entry_terms, phrasing.target));
                let reference = PhrasingRef {
                    analysis: &phrasing.analysis,
                    weights: &phrasing.weights,
                    ordinal,
                    keywords: &self.targets[phrasing.target].keywords,
                };
                PhrasingFeatures {
                    target: phrasing.target,
                    phrasing: ordinal,
                    features: pair_features(&context, &reference, entry_bm25),
                }
            })
            .collect();
        ScoredPhrasings { query, phrasings }
    }

    /// Fetches every cache line of the candidates' data before their features are
    /// computed. Candidates lie anywhere in a large knowledge base, so the reads miss the
    /// cache; issued together they overlap, where the features would wait for each in turn
    /// (at 10 000 entries, waiting was most of the features' time).
    fn prefetch(&self, found: &[usize]) {
        // First the records that say where each candidate's lists are, then the lists.
        for &ordinal in found {
            touch(std::slice::from_ref(&self.phrasings[ordinal]));
        }
        for &ordinal in found {
            let phrasing = &self.phrasings[ordinal];
            let (analysis, weights) = (&phrasing.analysis, &phrasing.weights);
            touch(analysis.chars.as_slice());
            touch(analysis.compact.as_bytes());
            touch(analysis.bigrams.as_slice());
            touch(analysis.syllables.as_slice());
            touch(analysis.syllable_bigrams.as_slice());
            touch(weights.words.as_slice());
            touch(weights.centrality.as_slice());
            touch(weights.salience.as_slice());
            touch(weights.word_ids.as_slice());
            touch(self.stats.words.document_terms(ordinal));
            touch(self.stats.chars.document_terms(ordinal));
            touch(self.stats.entries.document_terms(phrasing.target));
        }
    }

    /// Targets whose operator regex matches are certain: confidence 1, ahead of the rest.
    fn apply_patterns(&self, message: &str, candidates: &mut Vec<Candidate>) {
        for &target in &self.patterned {
            if !self.targets[target].patterns.iter().any(|pattern| pattern.is_match(message)) {
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
                    probability: 1.0,
                    phrasing: self.phrasings.iter().position(|p| p.target == target).unwrap_or(0),
                    via_pattern: true,
                    features: [0.0; FEATURE_COUNT],
                }),
            }
        }
    }

    /// The text of a phrasing, as written in the knowledge.
    pub fn phrasing_text(&self, phrasing: usize) -> &str {
        self.phrasings.get(phrasing).map_or("", |p| self.targets[p.target].phrasings[p.nth].as_str())
    }

    /// The analysed form of a phrasing (without its index terms, dropped after the build).
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

    /// The scoring model in use.
    pub fn model(&self) -> &ScoringModel {
        &self.model
    }
}

/// Fetches into the cache each line of `items`.
fn touch<T>(items: &[T]) {
    fetch(items.as_ptr().cast(), std::mem::size_of_val(items));
}

/// Fetches into the cache each line of the `len` bytes at `start`, with prefetch
/// instructions: unlike reads, they do not hold up the instructions after them until the
/// line arrives (+6 % at 10 000 entries). Elsewhere than on x86_64, it does nothing.
fn fetch(start: *const u8, len: usize) {
    if len == 0 {
        return;
    }
    // A line from each 64 bytes on, and the last byte's (a span not aligned to lines
    // reaches into one more).
    for offset in (0..len).step_by(64).chain([len - 1]) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            // SAFETY: SSE is part of every x86_64 CPU, and a prefetch only hints: it reads
            // nothing the program sees and cannot fault.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(start.wrapping_add(offset).cast::<i8>()) };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (start, offset);
    }
}

#[cfg(test)]
mod tests;
