//! Quality metrics over per-question outcomes, as defined in the evaluation data's README.

use serde::Serialize;

/// What happened to one labelled question.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOutcome {
    /// The question has an answer in the knowledge.
    pub in_knowledge: bool,
    /// The ranked candidates (best first): confidence and whether the entry is right.
    pub candidates: Vec<(f32, bool)>,
    /// The policy's verdict at the configured thresholds.
    pub verdict: VerdictKind,
    /// Id of the top candidate's entry, if any.
    pub top_entry: Option<String>,
}

/// The policy verdict, reduced to what the metrics need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerdictKind {
    /// Answered with the top candidate.
    Answer,
    /// Offered choices; `hit` when a right entry was among them.
    Clarify {
        /// A right entry was offered.
        hit: bool,
    },
    /// Fell back (a human takes over).
    Fallback,
}

impl QueryOutcome {
    /// The top candidate's confidence (0 without candidates).
    pub fn confidence(&self) -> f32 {
        self.candidates.first().map_or(0.0, |c| c.0)
    }

    /// True when the top candidate is a right entry.
    pub fn top_right(&self) -> bool {
        self.candidates.first().is_some_and(|c| c.1)
    }

    fn right_rank(&self) -> Option<usize> {
        self.candidates.iter().position(|c| c.1).map(|p| p + 1)
    }
}

/// The figures `kefu eval --json` prints; keys are stable and documented in the README.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Metrics {
    /// Questions evaluated.
    pub queries: usize,
    /// Questions with an answer in the knowledge.
    pub in_knowledge: usize,
    /// Top candidate right, over in-knowledge questions.
    pub top1_accuracy: f64,
    /// Mean reciprocal rank of the first right candidate within the top 5.
    pub mrr_at_5: f64,
    /// A right candidate within the top 5.
    pub recall_at_5: f64,
    /// How well confidence separates right top answers from the rest.
    pub auroc: f64,
    /// Best share of in-knowledge questions answered right with wrong ≤ 5 % of answered.
    pub auto_resolution_at_5pct_wrong: f64,
    /// The confidence threshold reaching it.
    pub threshold_at_5pct_wrong: f64,
    /// Same, with wrong ≤ 2 %.
    pub auto_resolution_at_2pct_wrong: f64,
    /// Same, with wrong ≤ 10 %.
    pub auto_resolution_at_10pct_wrong: f64,
    /// Configured thresholds: answered right, over all questions.
    pub answered_correct_rate: f64,
    /// Configured thresholds: answered wrong (or answered an out-of-knowledge question).
    pub answered_wrong_rate: f64,
    /// Configured thresholds: offered choices.
    pub clarify_rate: f64,
    /// Of the clarifications, the share that offered a right entry.
    pub clarify_hit_rate: f64,
    /// Configured thresholds: neither answered nor clarified (goes to a human).
    pub handoff_rate: f64,
    /// Mean matching time per question, in milliseconds.
    pub ms_per_query: f64,
}

/// Computes every metric; `ms_per_query` is measured by the caller.
pub fn compute(outcomes: &[QueryOutcome], ms_per_query: f64) -> Metrics {
    let total = outcomes.len();
    let in_kb: Vec<&QueryOutcome> = outcomes.iter().filter(|o| o.in_knowledge).collect();
    let share = |count: usize, of: usize| if of == 0 { 0.0 } else { count as f64 / of as f64 };
    let top1 = in_kb.iter().filter(|o| o.top_right()).count();
    let reciprocal: f64 =
        in_kb.iter().filter_map(|o| o.right_rank()).filter(|&r| r <= 5).map(|r| 1.0 / r as f64).sum();
    let within5 = in_kb.iter().filter(|o| o.right_rank().is_some_and(|r| r <= 5)).count();
    let count = |kind: fn(&QueryOutcome) -> bool| outcomes.iter().filter(|o| kind(o)).count();
    let answered_right = count(|o| o.verdict == VerdictKind::Answer && o.top_right());
    let answered_wrong = count(|o| o.verdict == VerdictKind::Answer && !o.top_right());
    let clarified = count(|o| matches!(o.verdict, VerdictKind::Clarify { .. }));
    let clarified_hit = count(|o| o.verdict == VerdictKind::Clarify { hit: true });
    let fallbacks = count(|o| o.verdict == VerdictKind::Fallback);
    let (at5, threshold5) = auto_resolution(outcomes, 0.05);
    Metrics {
        queries: total,
        in_knowledge: in_kb.len(),
        top1_accuracy: share(top1, in_kb.len()),
        mrr_at_5: if in_kb.is_empty() { 0.0 } else { reciprocal / in_kb.len() as f64 },
        recall_at_5: share(within5, in_kb.len()),
        auroc: auroc(outcomes),
        auto_resolution_at_5pct_wrong: at5,
        threshold_at_5pct_wrong: threshold5,
        auto_resolution_at_2pct_wrong: auto_resolution(outcomes, 0.02).0,
        auto_resolution_at_10pct_wrong: auto_resolution(outcomes, 0.10).0,
        answered_correct_rate: share(answered_right, total),
        answered_wrong_rate: share(answered_wrong, total),
        clarify_rate: share(clarified, total),
        clarify_hit_rate: share(clarified_hit, clarified),
        handoff_rate: share(fallbacks, total),
        ms_per_query,
    }
}

/// Max over thresholds t of (right answers with confidence ≥ t) / in-knowledge questions,
/// subject to wrong / answered ≤ `max_wrong`; returns it and the threshold.
pub fn auto_resolution(outcomes: &[QueryOutcome], max_wrong: f64) -> (f64, f64) {
    let in_kb = outcomes.iter().filter(|o| o.in_knowledge).count();
    let mut sorted: Vec<(f32, bool)> = outcomes.iter().map(|o| (o.confidence(), o.top_right())).collect();
    sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (mut right, mut wrong) = (0usize, 0usize);
    let (mut best, mut best_threshold) = (0.0, 1.0);
    let mut index = 0;
    while index < sorted.len() {
        // Everything with the same confidence is answered together.
        let threshold = sorted[index].0;
        while index < sorted.len() && sorted[index].0 == threshold {
            if sorted[index].1 {
                right += 1
            } else {
                wrong += 1
            }
            index += 1;
        }
        let answered = right + wrong;
        if wrong as f64 <= max_wrong * answered as f64 && in_kb > 0 {
            let resolution = right as f64 / in_kb as f64;
            if resolution > best {
                (best, best_threshold) = (resolution, f64::from(threshold));
            }
        }
    }
    (best, best_threshold)
}

/// Area under the ROC curve of the top confidence, right top answers against the rest
/// (ties count half).
pub fn auroc(outcomes: &[QueryOutcome]) -> f64 {
    let mut scored: Vec<(f32, bool)> = outcomes.iter().map(|o| (o.confidence(), o.top_right())).collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    let positives = scored.iter().filter(|s| s.1).count() as f64;
    let negatives = scored.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return 0.5;
    }
    // Mann–Whitney U with average ranks for ties.
    let mut rank_sum = 0.0;
    let mut index = 0;
    while index < scored.len() {
        let start = index;
        while index < scored.len() && scored[index].0 == scored[start].0 {
            index += 1;
        }
        let average_rank = (start + 1 + index) as f64 / 2.0;
        rank_sum += average_rank * scored[start..index].iter().filter(|s| s.1).count() as f64;
    }
    (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(in_knowledge: bool, confidence: f32, right: bool, verdict: VerdictKind) -> QueryOutcome {
        QueryOutcome {
            in_knowledge,
            candidates: vec![(confidence, right), (confidence / 2.0, !right && in_knowledge)],
            verdict,
            top_entry: None,
        }
    }

    #[test]
    fn a_perfect_separation_has_auroc_one_and_full_auto_resolution() {
        let outcomes = vec![
            outcome(true, 0.9, true, VerdictKind::Answer),
            outcome(true, 0.8, true, VerdictKind::Answer),
            outcome(false, 0.2, false, VerdictKind::Fallback),
            outcome(true, 0.1, false, VerdictKind::Fallback),
        ];
        let metrics = compute(&outcomes, 1.0);
        assert_eq!(metrics.auroc, 1.0);
        assert_eq!(metrics.top1_accuracy, 2.0 / 3.0);
        assert_eq!(metrics.auto_resolution_at_5pct_wrong, 2.0 / 3.0);
        assert_eq!(metrics.threshold_at_5pct_wrong, f64::from(0.8f32));
        assert_eq!(metrics.mrr_at_5, (1.0 + 1.0 + 0.5) / 3.0);
        assert_eq!(metrics.answered_correct_rate, 0.5);
        assert_eq!(metrics.handoff_rate, 0.5);
    }

    #[test]
    fn a_confident_wrong_answer_caps_auto_resolution() {
        let outcomes = vec![
            outcome(false, 0.95, false, VerdictKind::Answer),
            outcome(true, 0.9, true, VerdictKind::Answer),
            outcome(true, 0.5, true, VerdictKind::Clarify { hit: true }),
        ];
        let metrics = compute(&outcomes, 1.0);
        // Answering anything includes the wrong one: 1 wrong in 2 or 3 answers is > 5 %.
        assert_eq!(metrics.auto_resolution_at_5pct_wrong, 0.0);
        assert_eq!(metrics.auroc, 0.0);
        assert_eq!(metrics.answered_wrong_rate, 1.0 / 3.0);
        assert_eq!(metrics.clarify_hit_rate, 1.0);
    }

    #[test]
    fn tied_confidences_count_half_in_auroc() {
        let outcomes = vec![
            outcome(true, 0.5, true, VerdictKind::Answer),
            outcome(true, 0.5, false, VerdictKind::Answer),
        ];
        assert_eq!(auroc(&outcomes), 0.5);
    }
}
