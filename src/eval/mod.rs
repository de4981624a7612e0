//! Offline answer-quality evaluation (`kefu eval`): labelled questions in, the figures of
//! `../shared/eval/README.md` out — accuracy, calibration, and what the thresholds cost.

mod data;
mod metrics;
mod sweep;

use std::time::Instant;

pub use data::{EvalDataError, LabeledQuery, load_jsonl_knowledge, load_queries};
pub use metrics::{Metrics, QueryOutcome, VerdictKind, auroc, auto_resolution, compute};
pub use sweep::{Recommendation, SweepRow, recommend, sweep};

use crate::brain::Brain;
use crate::config::MatcherConfig;
use crate::dialog::{Verdict, decide};
use crate::matcher::{Candidate, ScoringModel, TrainingQuery, fit_model, rank_targets};

/// Per-question outcomes and the metrics over them.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The figures.
    pub metrics: Metrics,
    /// One outcome per question, in input order.
    pub outcomes: Vec<QueryOutcome>,
}

/// Matches every question with the brain's own model and applies the thresholds.
pub fn evaluate(brain: &Brain, queries: &[LabeledQuery], thresholds: &MatcherConfig) -> Evaluation {
    let started = Instant::now();
    let mut rankings = Vec::with_capacity(queries.len());
    for query in queries {
        rankings.push(brain.matcher.rank(&query.query).candidates);
    }
    let ms_per_query = started.elapsed().as_secs_f64() * 1000.0 / queries.len().max(1) as f64;
    let outcomes =
        queries.iter().zip(&rankings).map(|(q, c)| outcome(brain, q, c, thresholds)).collect::<Vec<_>>();
    Evaluation { metrics: compute(&outcomes, ms_per_query), outcomes }
}

/// A model fitted on all questions, and the outcomes of `folds`-fold cross-validation
/// (each question ranked by a model fitted without it).
pub struct Fit {
    /// Fitted on every question.
    pub model: ScoringModel,
    /// Cross-validated outcomes and metrics.
    pub cross_validated: Evaluation,
}

/// Fits a scoring model to the labelled questions and cross-validates it.
pub fn fit(brain: &Brain, queries: &[LabeledQuery], thresholds: &MatcherConfig, folds: usize) -> Fit {
    let started = Instant::now();
    let mut training = Vec::with_capacity(queries.len());
    for query in queries {
        let scored = brain.matcher.score_phrasings(&query.query);
        training
            .push(TrainingQuery { phrasings: scored.phrasings, right_targets: right_targets(brain, query) });
    }
    let ms_per_query = started.elapsed().as_secs_f64() * 1000.0 / queries.len().max(1) as f64;
    let folds = folds.max(2);
    let mut outcomes = vec![None; queries.len()];
    for fold in 0..folds {
        let train: Vec<TrainingQuery> =
            training.iter().enumerate().filter(|(i, _)| i % folds != fold).map(|(_, t)| t.clone()).collect();
        let model = fit_model(&train);
        for (index, item) in training.iter().enumerate().filter(|(i, _)| i % folds == fold) {
            let candidates = rank_targets(&model, &item.phrasings);
            outcomes[index] = Some(outcome(brain, &queries[index], &candidates, thresholds));
        }
    }
    let outcomes: Vec<QueryOutcome> = outcomes.into_iter().flatten().collect();
    let cross_validated = Evaluation { metrics: compute(&outcomes, ms_per_query), outcomes };
    Fit { model: fit_model(&training), cross_validated }
}

fn right_targets(brain: &Brain, query: &LabeledQuery) -> Vec<usize> {
    let entries = brain.knowledge.entries.iter().map(|entry| entry.id.0.as_str());
    let flows = brain.flows.flows.iter().map(|flow| flow.id.as_str());
    entries
        .chain(flows)
        .enumerate()
        .filter(|(_, id)| query.right.iter().any(|r| r == id))
        .map(|(i, _)| i)
        .collect()
}

fn outcome(
    brain: &Brain,
    query: &LabeledQuery,
    candidates: &[Candidate],
    thresholds: &MatcherConfig,
) -> QueryOutcome {
    let is_right = |candidate: &Candidate| query.right.iter().any(|id| id == brain.target(candidate).id());
    let verdict = match decide(candidates, thresholds) {
        Verdict::Answer(_) => VerdictKind::Answer,
        Verdict::Clarify(offered) => {
            VerdictKind::Clarify { hit: offered.iter().any(|&i| is_right(&candidates[i])) }
        }
        Verdict::Fallback => VerdictKind::Fallback,
    };
    QueryOutcome {
        in_knowledge: !query.right.is_empty(),
        candidates: candidates.iter().map(|c| (c.confidence, is_right(c))).collect(),
        verdict,
        top_entry: candidates.first().map(|c| brain.target(c).id().to_string()),
    }
}
