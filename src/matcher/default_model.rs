//! The default scoring model, fitted by `kefu eval --fit` on the development questions
//! (`../shared/eval/dev`: 823 entries, 1 264 labelled questions; see the README).

use super::model::ScoringModel;

impl Default for ScoringModel {
    #[rustfmt::skip]
    fn default() -> ScoringModel {
        ScoringModel {
            rank_weights: vec![
                -3.7150486, 11.4366865, 19.533535, 8.012833, -5.1942816, 3.756397, -5.9756894, -14.982694,
                1.6952224, -17.538288, 11.933532, 5.450729, 6.5913725, 7.9866347, 5.174003, 0.45677412,
                -1.0274408, -0.76022583, 0.74337906, 5.6470485, 0.54128796, -4.888727, -2.3843658,
                -0.7516217,
            ],
            rank_bias: -12.090788,
            confidence_weights: vec![
                0.05278723, 0.35025135, 4.265348, -1.6311742, 2.1260402, -1.6742929, -0.047382824,
                -1.7803621, 1.7281144, -1.8463974, 3.228219, -0.54262924, -0.33548766, -9.058735,
            ],
            confidence_bias: -3.0566955,
        }
    }
}
