//! The scoring model: a linear ranker over pair features, and a logistic confidence over
//! the best phrasing's features and its lead over the runner-up.
//!
//! The default weights were fitted with `kefu eval --fit` (see the README); operators can fit
//! their own on labelled questions of their shop and set them in `kefu.toml`.

use serde::{Deserialize, Serialize};

use super::features::{FEATURE_COUNT, FEATURE_NAMES, PairFeatures};

/// The highest confidence the model gives; 1 is reserved for operator patterns.
pub const MAX_MODEL_CONFIDENCE: f32 = 0.999;

/// Number of confidence features: the pair features plus score and margin.
pub const CONFIDENCE_FEATURE_COUNT: usize = FEATURE_COUNT + 2;

/// The inputs of the confidence model for one candidate entry.
pub type ConfidenceFeatures = [f32; CONFIDENCE_FEATURE_COUNT];

/// Names of the confidence features, in order.
pub fn confidence_feature_names() -> Vec<&'static str> {
    let mut names = vec!["score", "margin"];
    names.extend(FEATURE_NAMES);
    names
}

/// Weights of the ranker and the confidence model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringModel {
    /// One weight per pair feature; a phrasing's score is the weighted sum.
    pub rank_weights: Vec<f32>,
    /// One weight per confidence feature.
    pub confidence_weights: Vec<f32>,
    /// The confidence model's intercept.
    pub confidence_bias: f32,
}

impl Default for ScoringModel {
    /// Fitted by `kefu eval --fit` on the development questions (see the README).
    fn default() -> ScoringModel {
        ScoringModel {
            rank_weights: vec![
                0.676983,
                0.59215987,
                0.87227666,
                2.8501325,
                4.7434664,
                1.650094,
                -0.98493904,
                3.3840914,
                -0.6940625,
                0.469142,
                0.0,
                2.1102962,
            ],
            confidence_weights: vec![
                0.993053,
                0.799514,
                -0.8183995,
                -1.778783,
                0.4697754,
                -1.0317047,
                1.9773829,
                -0.50945824,
                -1.6157638,
                -0.855841,
                -0.08768427,
                -0.39011046,
                0.0,
                -0.9386734,
            ],
            confidence_bias: -8.738618,
        }
    }
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
        if self.rank_weights.len() != FEATURE_COUNT {
            return Err(ModelShapeError {
                what: "rank_weights",
                expected: FEATURE_COUNT,
                found: self.rank_weights.len(),
            });
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
        dot(&self.rank_weights, features)
    }

    /// The probability that the candidate is the right answer. A statistical model is
    /// never certain: only an operator's pattern gives confidence 1.
    pub fn confidence(&self, features: &ConfidenceFeatures) -> f32 {
        sigmoid(self.confidence_bias + dot(&self.confidence_weights, features)).min(MAX_MODEL_CONFIDENCE)
    }
}

/// The confidence features of a candidate from its score, margin and pair features.
pub fn confidence_features(score: f32, margin: f32, pair: &PairFeatures) -> ConfidenceFeatures {
    let mut features = [0.0; CONFIDENCE_FEATURE_COUNT];
    features[0] = score;
    features[1] = margin;
    features[2..].copy_from_slice(pair);
    features
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

    #[test]
    fn the_default_model_has_the_right_shape() {
        ScoringModel::default().check_shape().unwrap();
    }

    #[test]
    fn confidence_stays_in_the_unit_interval() {
        let model = ScoringModel::default();
        for value in [-1000.0, -1.0, 0.0, 1.0, 1000.0] {
            let confidence = model.confidence(&[value; CONFIDENCE_FEATURE_COUNT]);
            assert!((0.0..=1.0).contains(&confidence), "{value} → {confidence}");
        }
    }
}
