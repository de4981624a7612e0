//! `kefu eval`: answer quality on labelled questions, threshold sweep, model fitting.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use serde_json::json;

use kefu::brain::Brain;
use kefu::config::{Config, MatcherConfig};
use kefu::eval::{
    LabeledQuery, Metrics, QueryOutcome, Recommendation, SweepRow, compute, evaluate, fit,
    load_jsonl_knowledge, load_queries, recommend, sweep,
};

/// Options of `kefu eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Knowledge as JSON Lines ({"id","question","similar","answer"}); default: the knowledge folder.
    #[arg(long, value_name = "FILE.jsonl")]
    kb: Option<PathBuf>,
    /// Labelled questions ({"query","expected_id","acceptable_ids"?}).
    #[arg(long, value_name = "FILE.jsonl")]
    queries: PathBuf,
    /// Print one JSON object with stable keys.
    #[arg(long)]
    json: bool,
    /// Print the threshold table and recommended thresholds.
    #[arg(long)]
    sweep: bool,
    /// Fit ranker and confidence weights to these questions; report cross-validated figures
    /// and print the fitted `[matcher.model]`.
    #[arg(long)]
    fit: bool,
    /// Folds for the cross-validation of `--fit`.
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Also report the figures on this subset of the questions (e.g. a hand-checked one);
    /// its labels replace those of the same questions.
    #[arg(long, value_name = "FILE.jsonl")]
    subset: Option<PathBuf>,
    /// List the questions whose top candidate is wrong, most confident first.
    #[arg(long)]
    misses: bool,
    /// Wrong-answer budget (share of answered questions) for the recommendation.
    #[arg(long, default_value_t = 0.05)]
    max_wrong: f64,
}

/// Runs the evaluation and prints the report.
pub fn run(config: &Config, args: &EvalArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let brain = match &args.kb {
        Some(path) => Brain::from_knowledge(load_jsonl_knowledge(path)?, config.matcher.model.clone()),
        None => match super::load_brain(config) {
            Ok(brain) => brain,
            Err(code) => return Ok(code),
        },
    };
    let mut queries = load_queries(&args.queries, |id| brain.target_by_id(id).is_some())?;
    let subset = match &args.subset {
        Some(path) => Some(relabel_subset(
            &mut queries,
            load_queries(path, |id| brain.target_by_id(id).is_some())?,
            path,
        )?),
        None => None,
    };
    let thresholds = &config.matcher;
    let (evaluation, model) = if args.fit {
        let fitted = fit(&brain, &queries, thresholds, args.folds);
        (fitted.cross_validated, Some(fitted.model))
    } else {
        (evaluate(&brain, &queries, thresholds), None)
    };
    let subset_metrics = subset.map(|indices| {
        let outcomes: Vec<QueryOutcome> = indices.iter().map(|&i| evaluation.outcomes[i].clone()).collect();
        compute(&outcomes, evaluation.metrics.ms_per_query)
    });
    let recommendation = recommend(&evaluation.outcomes, args.max_wrong, thresholds.max_suggestions);
    let table = sweep(&evaluation.outcomes, recommendation.ambiguity_margin);
    if args.json {
        let mut report = serde_json::to_value(&evaluation.metrics)?;
        report["thresholds"] = json!({
            "answer_threshold": thresholds.answer_threshold,
            "ambiguity_margin": thresholds.ambiguity_margin,
            "suggest_threshold": thresholds.suggest_threshold,
        });
        report["entries"] = json!(brain.knowledge.entries.len());
        if args.sweep {
            report["sweep"] = serde_json::to_value(&table)?;
            report["recommendation"] = serde_json::to_value(&recommendation)?;
        }
        if let Some(metrics) = &subset_metrics {
            report["subset"] = serde_json::to_value(metrics)?;
        }
        if let Some(model) = &model {
            report["cross_validated_folds"] = json!(args.folds.max(2));
            report["model"] = serde_json::to_value(model)?;
        }
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    print_metrics(
        &brain,
        &evaluation.metrics,
        thresholds,
        model.is_some().then_some(args.folds.max(2)),
        out,
    )?;
    if let Some(metrics) = &subset_metrics {
        writeln!(out, "\non the subset {}:", args.subset.as_deref().unwrap_or(Path::new("")).display())?;
        print_metrics(&brain, metrics, thresholds, None, out)?;
    }
    if args.sweep {
        print_sweep(&table, &recommendation, args.max_wrong, out)?;
    }
    if args.misses {
        print_misses(&queries, &evaluation.outcomes, out)?;
    }
    if let Some(model) = model {
        writeln!(out, "\n# fitted on all {} questions; paste into kefu.toml:", queries.len())?;
        writeln!(out, "[matcher.model]\n{}", toml::to_string(&model)?)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Gives the subset's labels to the same questions in `queries`; returns their indices.
fn relabel_subset(
    queries: &mut [LabeledQuery],
    subset: Vec<LabeledQuery>,
    path: &Path,
) -> anyhow::Result<Vec<usize>> {
    let mut indices = Vec::with_capacity(subset.len());
    for item in subset {
        let Some(index) = queries.iter().position(|q| q.query == item.query) else {
            anyhow::bail!(
                "{}: question {:?} is not among the evaluated questions",
                path.display(),
                item.query
            );
        };
        queries[index].right = item.right;
        indices.push(index);
    }
    Ok(indices)
}

fn percent(value: f64) -> String {
    format!("{:5.1} %", value * 100.0)
}

fn print_metrics(
    brain: &Brain,
    m: &Metrics,
    thresholds: &MatcherConfig,
    folds: Option<usize>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let entries = brain.knowledge.entries.len();
    let phrasings = brain.matcher.phrasing_count();
    writeln!(
        out,
        "{} questions ({} in knowledge) against {entries} entries ({phrasings} phrasings)",
        m.queries, m.in_knowledge
    )?;
    if let Some(folds) = folds {
        writeln!(
            out,
            "figures cross-validated over {folds} folds: each question ranked by a model fitted without it"
        )?;
    }
    writeln!(out, "top-1 accuracy                  {}", percent(m.top1_accuracy))?;
    writeln!(out, "MRR@5                           {}", percent(m.mrr_at_5))?;
    writeln!(out, "recall@5                        {}", percent(m.recall_at_5))?;
    writeln!(out, "AUROC of confidence             {:7.3}", m.auroc)?;
    writeln!(
        out,
        "auto-resolution @ ≤5 % wrong    {}  (confidence ≥ {:.3})",
        percent(m.auto_resolution_at_5pct_wrong),
        m.threshold_at_5pct_wrong
    )?;
    writeln!(
        out,
        "auto-resolution @ ≤2 % / ≤10 %  {} / {}",
        percent(m.auto_resolution_at_2pct_wrong),
        percent(m.auto_resolution_at_10pct_wrong)
    )?;
    writeln!(
        out,
        "configured thresholds (answer {:.2}, margin {:.2}, suggest {:.2}):",
        thresholds.answer_threshold, thresholds.ambiguity_margin, thresholds.suggest_threshold
    )?;
    writeln!(out, "  answered right                {}", percent(m.answered_correct_rate))?;
    writeln!(out, "  answered wrong                {}", percent(m.answered_wrong_rate))?;
    writeln!(
        out,
        "  clarified                     {}  ({} offer a right entry)",
        percent(m.clarify_rate),
        percent(m.clarify_hit_rate).trim()
    )?;
    writeln!(out, "  handed off                    {}", percent(m.handoff_rate))?;
    writeln!(out, "matching time                   {:7.3} ms per question", m.ms_per_query)?;
    Ok(())
}

fn print_misses(
    queries: &[LabeledQuery],
    outcomes: &[QueryOutcome],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut misses: Vec<(&LabeledQuery, &QueryOutcome)> =
        queries.iter().zip(outcomes).filter(|(_, o)| !o.top_right()).collect();
    misses.sort_by(|a, b| b.1.confidence().total_cmp(&a.1.confidence()));
    writeln!(out, "\nquestions whose top candidate is wrong ({}), most confident first:", misses.len())?;
    for (query, outcome) in misses {
        let expected = if query.right.is_empty() { "(none)".to_string() } else { query.right.join(" | ") };
        let got = outcome.top_entry.as_deref().unwrap_or("(nothing)");
        writeln!(out, "  {:.3}  {}  → {got}, expected {expected}", outcome.confidence(), query.query)?;
    }
    Ok(())
}

fn print_sweep(
    table: &[SweepRow],
    r: &Recommendation,
    max_wrong: f64,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(out, "\nanswer threshold sweep (margin {:.2}):", r.ambiguity_margin)?;
    writeln!(out, "  threshold  answered  auto-resolution  wrong/answered")?;
    for row in table {
        writeln!(
            out,
            "  {:9.2}  {}  {}          {}",
            row.answer_threshold,
            percent(row.answered),
            percent(row.auto_resolution),
            percent(row.wrong_share)
        )?;
    }
    writeln!(out, "\nrecommended for ≤ {:.0} % wrong answers:", max_wrong * 100.0)?;
    writeln!(out, "  answer_threshold = {:.2}", r.answer_threshold)?;
    writeln!(out, "  ambiguity_margin = {:.2}", r.ambiguity_margin)?;
    writeln!(out, "  suggest_threshold = {:.2}", r.suggest_threshold)?;
    writeln!(
        out,
        "  → auto-resolution {}, wrong/answered {}, clarifications offering a right entry {}",
        percent(r.auto_resolution).trim(),
        percent(r.wrong_share).trim(),
        percent(r.clarify_hit_rate).trim()
    )?;
    Ok(())
}
