//! Threshold sweep and recommendation: what each choice of thresholds costs in
//! auto-resolution, wrong answers, clarifications and hand-offs.

use serde::Serialize;

use super::metrics::QueryOutcome;

/// Margins tried when recommending an ambiguity margin.
const MARGINS: [f32; 6] = [0.0, 0.05, 0.1, 0.15, 0.2, 0.3];
/// A clarification is worth offering when at least this share of them offer a right entry.
const MIN_CLARIFY_HIT_RATE: f64 = 0.5;

/// One row of the threshold table.
#[derive(Debug, Clone, Serialize)]
pub struct SweepRow {
    /// The answer threshold.
    pub answer_threshold: f32,
    /// Share of all questions answered.
    pub answered: f64,
    /// Right answers over in-knowledge questions.
    pub auto_resolution: f64,
    /// Wrong answers over answered questions.
    pub wrong_share: f64,
}

/// Recommended policy thresholds for a wrong-answer budget.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Recommendation {
    /// `matcher.answer_threshold`.
    pub answer_threshold: f32,
    /// `matcher.ambiguity_margin`.
    pub ambiguity_margin: f32,
    /// `matcher.suggest_threshold`.
    pub suggest_threshold: f32,
    /// Auto-resolution reached with them.
    pub auto_resolution: f64,
    /// Wrong answers over answered questions.
    pub wrong_share: f64,
    /// Share of clarifications offering a right entry.
    pub clarify_hit_rate: f64,
}

fn top(outcome: &QueryOutcome) -> (f32, f32, bool) {
    let first = outcome.candidates.first().copied().unwrap_or((0.0, false));
    let second = outcome.candidates.get(1).map_or(0.0, |c| c.0);
    (first.0, second, first.1)
}

fn answered(outcome: &QueryOutcome, threshold: f32, margin: f32) -> bool {
    let (best, runner_up, _) = top(outcome);
    best >= threshold && best - runner_up >= margin
}

/// Answer-threshold table at a given margin, from 0.05 to 0.95.
pub fn sweep(outcomes: &[QueryOutcome], margin: f32) -> Vec<SweepRow> {
    (1..20).map(|step| step as f32 * 0.05).map(|threshold| row(outcomes, threshold, margin)).collect()
}

fn row(outcomes: &[QueryOutcome], threshold: f32, margin: f32) -> SweepRow {
    let in_kb = outcomes.iter().filter(|o| o.in_knowledge).count().max(1);
    let (mut right, mut wrong) = (0usize, 0usize);
    for outcome in outcomes.iter().filter(|o| answered(o, threshold, margin)) {
        if top(outcome).2 { right += 1 } else { wrong += 1 }
    }
    SweepRow {
        answer_threshold: threshold,
        answered: (right + wrong) as f64 / outcomes.len().max(1) as f64,
        auto_resolution: right as f64 / in_kb as f64,
        wrong_share: if right + wrong == 0 { 0.0 } else { wrong as f64 / (right + wrong) as f64 },
    }
}

/// The thresholds with the best auto-resolution whose wrong share stays within
/// `max_wrong`, and the lowest suggest threshold whose clarifications are mostly useful.
pub fn recommend(outcomes: &[QueryOutcome], max_wrong: f64, max_suggestions: usize) -> Recommendation {
    let mut best: Option<(SweepRow, f32)> = None;
    for margin in MARGINS {
        for step in 0..=100 {
            let candidate = row(outcomes, step as f32 / 100.0, margin);
            let better =
                best.as_ref().is_none_or(|(kept, _)| candidate.auto_resolution > kept.auto_resolution);
            if candidate.wrong_share <= max_wrong && candidate.answered > 0.0 && better {
                best = Some((candidate, margin));
            }
        }
    }
    let (chosen, margin) = best.unwrap_or((row(outcomes, 1.0, 0.0), 0.0));
    let threshold = chosen.answer_threshold;
    let (suggest_threshold, clarify_hit_rate) = (1..20)
        .map(|step| step as f32 * 0.05)
        .take_while(|&s| s < threshold)
        .map(|s| (s, clarify_hit_rate(outcomes, threshold, margin, s, max_suggestions)))
        .find(|(_, hit)| *hit >= MIN_CLARIFY_HIT_RATE)
        .unwrap_or((threshold, 0.0));
    Recommendation {
        answer_threshold: threshold,
        ambiguity_margin: margin,
        suggest_threshold,
        auto_resolution: chosen.auto_resolution,
        wrong_share: chosen.wrong_share,
        clarify_hit_rate,
    }
}

fn clarify_hit_rate(
    outcomes: &[QueryOutcome],
    threshold: f32,
    margin: f32,
    suggest: f32,
    offered: usize,
) -> f64 {
    let clarified: Vec<&QueryOutcome> =
        outcomes.iter().filter(|o| !answered(o, threshold, margin) && top(o).0 >= suggest).collect();
    let hits = clarified
        .iter()
        .filter(|o| {
            o.candidates.iter().take(offered).any(|(confidence, right)| *right && *confidence >= suggest)
        })
        .count();
    if clarified.is_empty() { 0.0 } else { hits as f64 / clarified.len() as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::metrics::VerdictKind;

    fn outcome(in_knowledge: bool, candidates: Vec<(f32, bool)>) -> QueryOutcome {
        QueryOutcome { in_knowledge, candidates, verdict: VerdictKind::Fallback, top_entry: None }
    }

    #[test]
    fn the_recommended_threshold_sits_above_the_confident_wrong_answers() {
        let mut outcomes: Vec<QueryOutcome> =
            (0..10).map(|i| outcome(true, vec![(0.7 + i as f32 * 0.02, true), (0.1, false)])).collect();
        outcomes.push(outcome(false, vec![(0.65, false)]));
        outcomes.push(outcome(true, vec![(0.4, false), (0.35, true)]));
        let recommendation = recommend(&outcomes, 0.05, 3);
        assert!(
            recommendation.answer_threshold > 0.65 && recommendation.answer_threshold <= 0.70,
            "{recommendation:?}"
        );
        assert_eq!(recommendation.auto_resolution, 10.0 / 11.0);
        assert!(recommendation.suggest_threshold <= 0.35, "{recommendation:?}");
    }

    #[test]
    fn the_sweep_table_counts_answers_per_threshold() {
        let outcomes = vec![outcome(true, vec![(0.9, true)]), outcome(false, vec![(0.5, false)])];
        let rows = sweep(&outcomes, 0.0);
        let at = |t: f32| rows.iter().find(|r| (r.answer_threshold - t).abs() < 1e-4).unwrap().clone();
        assert_eq!(at(0.5).answered, 1.0);
        assert_eq!(at(0.5).wrong_share, 0.5);
        assert_eq!(at(0.6).answered, 0.5);
        assert_eq!(at(0.6).wrong_share, 0.0);
    }
}
