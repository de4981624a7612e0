//! Fitting a [`ScoringModel`] to labelled questions: a pairwise logistic ranker, then a
//! logistic confidence over the ranker's best candidate.
//!
//! Pure numeric code (Newton's method with a ridge penalty); `kefu eval --fit` feeds it
//! and reports cross-validated figures so a fit is judged on questions it has not seen.

use super::model::{CONFIDENCE_FEATURE_COUNT, ScoringModel, confidence_features};
use super::{FEATURE_COUNT, PhrasingFeatures, rank_targets};

/// Ridge penalty: small, only to keep separable data from running off to infinity.
const RIDGE: f64 = 1.0;
const NEWTON_STEPS: usize = 30;

/// One labelled question with its retrieved phrasings.
#[derive(Debug, Clone)]
pub struct TrainingQuery {
    /// Retrieved phrasings and their features.
    pub phrasings: Vec<PhrasingFeatures>,
    /// Targets that answer the question; empty when none does.
    pub right_targets: Vec<usize>,
}

/// Fits ranker and confidence weights to `queries`.
pub fn fit_model(queries: &[TrainingQuery]) -> ScoringModel {
    let rank_weights = fit_ranker(queries);
    let ranker = ScoringModel { rank_weights, ..ScoringModel::default() };
    let mut rows = Vec::new();
    for query in queries {
        let candidates = rank_targets(&ranker, &query.phrasings);
        if let Some(best) = candidates.first() {
            let features = confidence_features(best.score, best.margin, &best.features);
            let label = query.right_targets.contains(&best.target);
            rows.push(Row { features: features.iter().map(|&x| f64::from(x)).collect(), label, weight: 1.0 });
        }
    }
    let weights = logistic_regression(&rows, CONFIDENCE_FEATURE_COUNT, true);
    ScoringModel {
        rank_weights: ranker.rank_weights,
        confidence_weights: weights[1..].iter().map(|&w| w as f32).collect(),
        confidence_bias: weights[0] as f32,
    }
}

/// Pairwise ranker: P(right phrasing beats wrong phrasing) = σ(w · (x_right − x_wrong)).
/// Each question weighs the same however many pairs it has.
fn fit_ranker(queries: &[TrainingQuery]) -> Vec<f32> {
    let mut rows = Vec::new();
    for query in queries {
        let (right, wrong): (Vec<_>, Vec<_>) =
            query.phrasings.iter().partition(|p| query.right_targets.contains(&p.target));
        if right.is_empty() || wrong.is_empty() {
            continue;
        }
        let weight = 1.0 / (right.len() * wrong.len()) as f64;
        for r in &right {
            for w in &wrong {
                let difference = r.features.iter().zip(&w.features).map(|(a, b)| f64::from(a - b)).collect();
                rows.push(Row { features: difference, label: true, weight });
            }
        }
    }
    logistic_regression(&rows, FEATURE_COUNT, false).iter().map(|&w| w as f32).collect()
}

struct Row {
    features: Vec<f64>,
    label: bool,
    weight: f64,
}

/// Ridge-penalised logistic regression by Newton's method; with `intercept` the first
/// returned weight is the (unpenalised) intercept.
fn logistic_regression(rows: &[Row], features: usize, intercept: bool) -> Vec<f64> {
    let offset = usize::from(intercept);
    let dims = features + offset;
    let mut beta = vec![0.0; dims];
    let expand = |row: &Row| -> Vec<f64> {
        let mut x = Vec::with_capacity(dims);
        if intercept {
            x.push(1.0);
        }
        x.extend_from_slice(&row.features);
        x
    };
    for _ in 0..NEWTON_STEPS {
        let mut gradient = vec![0.0; dims];
        let mut hessian = vec![vec![0.0; dims]; dims];
        for row in rows {
            let x = expand(row);
            let p = 1.0 / (1.0 + (-dot(&beta, &x)).exp());
            let y = if row.label { 1.0 } else { 0.0 };
            for i in 0..dims {
                gradient[i] += row.weight * (y - p) * x[i];
                for j in 0..dims {
                    hessian[i][j] += row.weight * p * (1.0 - p) * x[i] * x[j];
                }
            }
        }
        for i in offset..dims {
            gradient[i] -= RIDGE * beta[i];
            hessian[i][i] += RIDGE;
        }
        if offset == 1 {
            hessian[0][0] += 1e-9;
        }
        let Some(step) = solve(hessian, gradient) else { break };
        let size: f64 = step.iter().map(|s| s * s).sum::<f64>().sqrt();
        for (b, s) in beta.iter_mut().zip(&step) {
            *b += s;
        }
        if size < 1e-8 {
            break;
        }
    }
    beta
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Solves `a · x = b` by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for column in 0..n {
        let pivot = (column..n).max_by(|&i, &j| a[i][column].abs().total_cmp(&a[j][column].abs()))?;
        if a[pivot][column].abs() < 1e-12 {
            return None;
        }
        a.swap(column, pivot);
        b.swap(column, pivot);
        let (upper, lower) = a.split_at_mut(column + 1);
        let pivot_row = &upper[column];
        for (offset, row) in lower.iter_mut().enumerate() {
            let factor = row[column] / pivot_row[column];
            for (value, pivot_value) in row[column..].iter_mut().zip(&pivot_row[column..]) {
                *value -= factor * pivot_value;
            }
            b[column + 1 + offset] -= factor * b[column];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let known: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - known) / a[row][row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solve_finds_the_solution_of_a_small_system() {
        let x = solve(vec![vec![2.0, 1.0], vec![1.0, 3.0]], vec![3.0, 5.0]).unwrap();
        assert!((x[0] - 0.8).abs() < 1e-9 && (x[1] - 1.4).abs() < 1e-9, "{x:?}");
    }

    #[test]
    fn logistic_regression_learns_the_direction_of_a_separating_feature() {
        let rows: Vec<Row> = (0..40)
            .map(|i| {
                let x = i as f64 / 40.0;
                Row { features: vec![x, 0.5], label: x > 0.5, weight: 1.0 }
            })
            .collect();
        let beta = logistic_regression(&rows, 2, true);
        assert!(beta[1] > 1.0, "{beta:?}");
    }

    #[test]
    fn the_ranker_learns_to_prefer_the_feature_right_answers_have() {
        let phrasing = |target, coverage: f32| {
            let mut features = [0.0; FEATURE_COUNT];
            features[0] = coverage;
            features[1] = 0.5;
            PhrasingFeatures { target, phrasing: target, features }
        };
        let queries: Vec<TrainingQuery> = (0..20)
            .map(|i| TrainingQuery {
                phrasings: vec![phrasing(0, 0.9 - i as f32 * 0.01), phrasing(1, 0.3), phrasing(2, 0.1)],
                right_targets: vec![0],
            })
            .collect();
        let model = fit_model(&queries);
        assert!(model.rank_weights[0] > 0.0, "{:?}", model.rank_weights);
        assert!(model.confidence_weights.iter().all(|w| w.is_finite()));
    }
}
