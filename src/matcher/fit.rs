//! Fitting a [`ScoringModel`] to labelled questions: a listwise ranker (the right entry's
//! share of the softmax over candidate phrasings), then a logistic confidence over the
//! ranker's best entry.
//!
//! Pure numeric code with features standardised and a ridge penalty; `kefu eval --fit`
//! feeds it and reports cross-validated figures, so a fit is judged on unseen questions.

use super::features::RANK_FEATURE_COUNT;
use super::model::{CONFIDENCE_FEATURE_COUNT, ScoringModel, confidence_features};
use super::{PhrasingFeatures, rank_targets};

/// Ridge penalty on standardised weights.
const RIDGE: f64 = 1.0;
const NEWTON_STEPS: usize = 60;

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
    let (rank_weights, rank_bias) = fit_ranker(queries);
    let ranker = ScoringModel { rank_weights, rank_bias, ..ScoringModel::default() };
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    for query in queries {
        let candidates = rank_targets(&ranker, &query.phrasings);
        if let Some(best) = candidates.first() {
            let inputs = confidence_features(best.score, best.margin, best.probability, &best.features);
            rows.push(inputs.iter().map(|&x| f64::from(x)).collect());
            labels.push(query.right_targets.contains(&best.target));
        }
    }
    let (weights, bias) = logistic_regression(&rows, &labels);
    debug_assert_eq!(weights.len(), CONFIDENCE_FEATURE_COUNT);
    ScoringModel {
        rank_weights: ranker.rank_weights,
        rank_bias: ranker.rank_bias,
        confidence_weights: weights,
        confidence_bias: bias,
    }
}

/// Column means and standard deviations, so penalties weigh every feature alike.
struct Standardizer {
    mean: Vec<f64>,
    scale: Vec<f64>,
}

impl Standardizer {
    fn new<'a>(rows: impl Iterator<Item = &'a Vec<f64>> + Clone, dims: usize) -> Standardizer {
        let count = rows.clone().count().max(1) as f64;
        let mut mean = vec![0.0; dims];
        for row in rows.clone() {
            for (m, x) in mean.iter_mut().zip(row) {
                *m += x / count;
            }
        }
        let mut scale = vec![0.0; dims];
        for row in rows {
            for ((s, x), m) in scale.iter_mut().zip(row).zip(&mean) {
                *s += (x - m).powi(2) / count;
            }
        }
        let scale = scale.into_iter().map(|v| v.sqrt().max(1e-9)).collect();
        Standardizer { mean, scale }
    }

    fn apply(&self, row: &[f64]) -> Vec<f64> {
        row.iter().zip(&self.mean).zip(&self.scale).map(|((x, m), s)| (x - m) / s).collect()
    }

    /// Weights over standardised features → weights and constant over raw features.
    fn unscale(&self, weights: &[f64]) -> (Vec<f32>, f32) {
        let raw: Vec<f64> = weights.iter().zip(&self.scale).map(|(w, s)| w / s).collect();
        let constant: f64 = raw.iter().zip(&self.mean).map(|(w, m)| w * m).sum();
        (raw.into_iter().map(|w| w as f32).collect(), -constant as f32)
    }
}

/// One question's candidates for the ranker: standardised rows and which are right.
struct RankGroup {
    rows: Vec<Vec<f64>>,
    right: Vec<bool>,
}

/// The listwise ranker: each answerable question's right entry should take most of the
/// softmax over its retrieved phrasings (an entry's share is that of its phrasings).
fn fit_ranker(queries: &[TrainingQuery]) -> (Vec<f32>, f32) {
    let raw: Vec<(Vec<Vec<f64>>, Vec<bool>)> = queries
        .iter()
        // Only questions with a right and a wrong candidate say anything about ranking.
        .filter(|q| q.phrasings.iter().any(|p| q.right_targets.contains(&p.target)))
        .filter(|q| q.phrasings.iter().any(|p| !q.right_targets.contains(&p.target)))
        .map(|q| {
            let rows = q
                .phrasings
                .iter()
                .map(|p| p.features[..RANK_FEATURE_COUNT].iter().map(|&x| f64::from(x)).collect())
                .collect();
            let right = q.phrasings.iter().map(|p| q.right_targets.contains(&p.target)).collect();
            (rows, right)
        })
        .collect();
    let standardizer = Standardizer::new(raw.iter().flat_map(|(rows, _)| rows.iter()), RANK_FEATURE_COUNT);
    let groups: Vec<RankGroup> = raw
        .into_iter()
        .map(|(rows, right)| RankGroup { rows: rows.iter().map(|r| standardizer.apply(r)).collect(), right })
        .collect();
    let weights = minimize(RANK_FEATURE_COUNT, |w| listwise_loss(&groups, w));
    // Scores are centred: a typical retrieved phrasing scores about 0.
    standardizer.unscale(&weights)
}

/// Loss, gradient and a positive semi-definite curvature (the softmax covariance) of the
/// listwise objective: −log(Σ_right e^s / Σ_all e^s) per question, plus the ridge.
fn listwise_loss(groups: &[RankGroup], w: &[f64]) -> (f64, Vec<f64>, Vec<Vec<f64>>) {
    let dims = w.len();
    let mut loss = 0.0;
    let mut gradient = vec![0.0; dims];
    let mut curvature = vec![vec![0.0; dims]; dims];
    for group in groups {
        let scores: Vec<f64> = group.rows.iter().map(|row| dot(w, row)).collect();
        let top = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let exp: Vec<f64> = scores.iter().map(|s| (s - top).exp()).collect();
        let all: f64 = exp.iter().sum();
        let right: f64 = exp.iter().zip(&group.right).filter(|(_, r)| **r).map(|(e, _)| e).sum();
        loss += all.ln() - right.ln();
        let mut mean = vec![0.0; dims];
        for ((row, e), is_right) in group.rows.iter().zip(&exp).zip(&group.right) {
            for k in 0..dims {
                mean[k] += e / all * row[k];
                if *is_right {
                    gradient[k] -= e / right * row[k];
                }
            }
        }
        for k in 0..dims {
            gradient[k] += mean[k];
        }
        for (row, e) in group.rows.iter().zip(&exp) {
            let p = e / all;
            for i in 0..dims {
                let di = row[i] - mean[i];
                for j in 0..dims {
                    curvature[i][j] += p * di * (row[j] - mean[j]);
                }
            }
        }
    }
    add_ridge(w, 0, &mut loss, &mut gradient, &mut curvature);
    (loss, gradient, curvature)
}

/// Adds the ridge penalty on the weights from index `first` on (an intercept before it is
/// not penalised).
fn add_ridge(w: &[f64], first: usize, loss: &mut f64, gradient: &mut [f64], curvature: &mut [Vec<f64>]) {
    for (k, weight) in w.iter().enumerate().skip(first) {
        *loss += 0.5 * RIDGE * weight * weight;
        gradient[k] += RIDGE * weight;
        curvature[k][k] += RIDGE;
    }
}

/// Ridge logistic regression on standardised features; weights and intercept over raw ones.
fn logistic_regression(rows: &[Vec<f64>], labels: &[bool]) -> (Vec<f32>, f32) {
    let dims = rows.first().map_or(CONFIDENCE_FEATURE_COUNT, Vec::len);
    let standardizer = Standardizer::new(rows.iter(), dims);
    // The first column is the (unpenalised) intercept.
    let design: Vec<Vec<f64>> =
        rows.iter().map(|row| std::iter::once(1.0).chain(standardizer.apply(row)).collect()).collect();
    let weights = minimize(dims + 1, |w| {
        let mut loss = 0.0;
        let mut gradient = vec![0.0; dims + 1];
        let mut curvature = vec![vec![0.0; dims + 1]; dims + 1];
        for (x, &label) in design.iter().zip(labels) {
            let p = 1.0 / (1.0 + (-dot(w, x)).exp());
            let y = if label { 1.0 } else { 0.0 };
            loss -= y * p.max(1e-12).ln() + (1.0 - y) * (1.0 - p).max(1e-12).ln();
            for i in 0..=dims {
                gradient[i] += (p - y) * x[i];
                for j in 0..=dims {
                    curvature[i][j] += p * (1.0 - p) * x[i] * x[j];
                }
            }
        }
        add_ridge(w, 1, &mut loss, &mut gradient, &mut curvature);
        (loss, gradient, curvature)
    });
    let (raw, constant) = standardizer.unscale(&weights[1..]);
    (raw, weights[0] as f32 + constant)
}

/// Damped Newton minimisation with backtracking line search.
fn minimize(dims: usize, objective: impl Fn(&[f64]) -> (f64, Vec<f64>, Vec<Vec<f64>>)) -> Vec<f64> {
    let mut w = vec![0.0; dims];
    let (mut loss, mut gradient, mut curvature) = objective(&w);
    for _ in 0..NEWTON_STEPS {
        let Some(step) = solve(curvature.clone(), gradient.iter().map(|g| -g).collect()) else { break };
        let mut size = 1.0;
        let mut improved = false;
        while size > 1e-4 {
            let candidate: Vec<f64> = w.iter().zip(&step).map(|(x, d)| x + size * d).collect();
            let evaluated = objective(&candidate);
            if evaluated.0 < loss {
                let change = (loss - evaluated.0).abs();
                w = candidate;
                (loss, gradient, curvature) = evaluated;
                improved = change > 1e-9;
                break;
            }
            size /= 2.0;
        }
        if !improved {
            break;
        }
    }
    w
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
    use crate::matcher::features::FEATURE_COUNT;

    #[test]
    fn solve_finds_the_solution_of_a_small_system() {
        let x = solve(vec![vec![2.0, 1.0], vec![1.0, 3.0]], vec![3.0, 5.0]).unwrap();
        assert!((x[0] - 0.8).abs() < 1e-9 && (x[1] - 1.4).abs() < 1e-9, "{x:?}");
    }

    #[test]
    fn logistic_regression_learns_the_direction_of_a_separating_feature() {
        let rows: Vec<Vec<f64>> = (0..40).map(|i| vec![i as f64 / 40.0, 0.5 + (i % 3) as f64]).collect();
        let labels: Vec<bool> = (0..40).map(|i| i >= 20).collect();
        let (weights, _) = logistic_regression(&rows, &labels);
        assert!(weights[0] > 1.0, "{weights:?}");
    }

    #[test]
    fn the_ranker_learns_to_prefer_the_feature_right_answers_have() {
        let phrasing = |target, value: f32, noise: f32| {
            let mut features = [0.0; FEATURE_COUNT];
            features[3] = value;
            features[5] = noise;
            PhrasingFeatures { target, phrasing: target, features }
        };
        let queries: Vec<TrainingQuery> = (0..30)
            .map(|i| TrainingQuery {
                phrasings: vec![
                    phrasing(0, 0.9 - i as f32 * 0.01, (i % 4) as f32),
                    phrasing(1, 0.3, (i % 3) as f32),
                    phrasing(2, 0.1, (i % 5) as f32),
                ],
                right_targets: if i % 5 == 0 { vec![] } else { vec![0] },
            })
            .collect();
        let model = fit_model(&queries);
        assert!(model.rank_weights[3] > 0.0, "{:?}", model.rank_weights);
        assert!(model.confidence_weights.iter().all(|w| w.is_finite()));
    }
}
