//! The scoring model: a linear ranker over pair features (an entry scores the log-sum-exp
//! of its phrasings), and a logistic confidence over the best entry's lead and features.
//!
//! The default weights were fitted with `kefu eval --fit` on the development questions;
//! a shop can fit its own on labelled questions and set them in `kefu.toml`.

use serde::{Deserialize, Serialize};

use super::features::{PairFeatures, RANK_FEATURE_COUNT, index};

/// Number of confidence inputs.
pub const CONFIDENCE_FEATURE_COUNT: usize = 14;

/// Names of the confidence inputs, in order.
pub const CONFIDENCE_FEATURE_NAMES: [&str; CONFIDENCE_FEATURE_COUNT] = [
    "score",
    "lead",
    "probability",
    "query_unknown_words",
    "query_unmatched_idf",
    "phrasing_unmatched_idf",
    "word_cover_query",
    "word_cover_phrasing",
    "edit_similarity",
    "bigram_cover_query",
    "bm25_entry",
    "length_ratio",
    "query_unmatched_centrality",
    "phrasing_unmatched_centrality",
];

/// The confidence inputs of one candidate entry.
pub type ConfidenceFeatures = [f32; CONFIDENCE_FEATURE_COUNT];

/// The highest confidence the model gives; 1 is reserved for operator patterns.
pub const MAX_MODEL_CONFIDENCE: f32 = 0.999;

/// When both texts lack a word central to this knowledge (each in ≥ 20 % of phrasings),
/// they are about different topics however alike they look (`花呗提额` vs `借呗提额`):
/// the confidence is capped. Labelled data rarely shows enough such swaps to learn it.
const TOPIC_SWAP_CENTRALITY: f32 = 0.2;
const TOPIC_SWAP_CAP: f32 = 0.5;

/// Weights of the ranker and the confidence model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringModel {
    /// One weight per ranking feature.
    pub rank_weights: Vec<f32>,
    /// The ranker's constant.
    pub rank_bias: f32,
    /// One weight per confidence input.
    pub confidence_weights: Vec<f32>,
    /// The confidence model's intercept.
    pub confidence_bias: f32,
}

/// Why a model from a config file is unusable.
#[derive(Debug, thiserror::Error)]
#[error("scoring model: expected {expected} {what}, found {found}")]
pub struct ModelShapeError {
    what: &'static str,
    expected: usize,
    found: usize,
}

impl ScoringModel {
    /// Checks the weight counts against the feature counts.
    pub fn check_shape(&self) -> Result<(), ModelShapeError> {
        if self.rank_weights.len() != RANK_FEATURE_COUNT {
            let found = self.rank_weights.len();
            return Err(ModelShapeError { what: "rank_weights", expected: RANK_FEATURE_COUNT, found });
        }
        if self.confidence_weights.len() != CONFIDENCE_FEATURE_COUNT {
            let found = self.confidence_weights.len();
            return Err(ModelShapeError {
                what: "confidence_weights",
                expected: CONFIDENCE_FEATURE_COUNT,
                found,
            });
        }
        Ok(())
    }

    /// The ranking score of a phrasing.
    pub fn score(&self, features: &PairFeatures) -> f32 {
        self.rank_bias + dot(&self.rank_weights, &features[..RANK_FEATURE_COUNT])
    }

    /// The probability that a candidate is the right answer. A statistical model is never
    /// certain: only an operator's pattern gives confidence 1.
    pub fn confidence(&self, inputs: &ConfidenceFeatures, best_phrasing: &PairFeatures) -> f32 {
        let confidence =
            sigmoid(self.confidence_bias + dot(&self.confidence_weights, inputs)).min(MAX_MODEL_CONFIDENCE);
        let topic_swap = best_phrasing[index::QUERY_UNMATCHED_CENTRALITY] >= TOPIC_SWAP_CENTRALITY
            && best_phrasing[index::PHRASING_UNMATCHED_CENTRALITY] >= TOPIC_SWAP_CENTRALITY;
        if topic_swap { confidence.min(TOPIC_SWAP_CAP) } else { confidence }
    }
}

/// The confidence inputs of an entry: its score, lead over the best other entry, share of
/// the probability mass among candidates, and features of its best phrasing.
pub fn confidence_features(
    score: f32,
    lead: f32,
    probability: f32,
    pair: &PairFeatures,
) -> ConfidenceFeatures {
    [
        score,
        lead,
        probability,
        pair[index::QUERY_UNKNOWN_WORDS],
        pair[index::QUERY_UNMATCHED_IDF],
        pair[index::PHRASING_UNMATCHED_IDF],
        pair[index::WORD_COVER_QUERY],
        pair[index::WORD_COVER_PHRASING],
        pair[index::EDIT_SIMILARITY],
        pair[index::BIGRAM_COVER_QUERY],
        pair[index::BM25_ENTRY],
        pair[index::LENGTH_RATIO],
        pair[index::QUERY_UNMATCHED_CENTRALITY],
        pair[index::PHRASING_UNMATCHED_CENTRALITY],
    ]
}

fn dot(weights: &[f32], features: &[f32]) -> f32 {
    weights.iter().zip(features).map(|(w, x)| w * x).sum()
}

/// The logistic function.
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::features::FEATURE_COUNT;

    #[test]
    fn the_default_model_has_the_right_shape() {
        ScoringModel::default().check_shape().unwrap();
    }

    #[test]
    fn confidence_stays_below_one() {
        let model = ScoringModel::default();
        for value in [-1000.0, -1.0, 0.0, 1.0, 1000.0] {
            let confidence = model.confidence(&[value; CONFIDENCE_FEATURE_COUNT], &[0.0; FEATURE_COUNT]);
            assert!((0.0..=MAX_MODEL_CONFIDENCE).contains(&confidence), "{value} → {confidence}");
        }
    }

    #[test]
    fn a_topic_swap_caps_the_confidence() {
        let model = ScoringModel::default();
        let mut pair = [0.0; FEATURE_COUNT];
        pair[index::QUERY_UNMATCHED_CENTRALITY] = 0.3;
        pair[index::PHRASING_UNMATCHED_CENTRALITY] = 0.3;
        assert!(model.confidence(&[100.0; CONFIDENCE_FEATURE_COUNT], &pair) <= TOPIC_SWAP_CAP);
    }
}
