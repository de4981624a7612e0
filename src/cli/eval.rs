//! `kefu eval`: answer quality on labelled questions, threshold sweep, model fitting.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde_json::json;

use kefu::brain::Brain;
use kefu::config::{Config, MatcherConfig};
use kefu::eval::{
    Metrics, Recommendation, SweepRow, evaluate, fit, load_jsonl_knowledge, load_queries, recommend, sweep,
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
    /// Wrong-answer budget (share of answered questions) for the recommendation.
    #[arg(long, default_value_t = 0.05)]
    max_wrong: f64,
}

/// Runs the evaluation and prints the report.
pub fn run(config: &Config, args: &EvalArgs) -> anyhow::Result<ExitCode> {
    let brain = match &args.kb {
        Some(path) => Brain::from_knowledge(load_jsonl_knowledge(path)?, config.matcher.model.clone())?,
        None => match super::load_brain(config)? {
            Ok(brain) => brain,
            Err(code) => return Ok(code),
        },
    };
    let queries = load_queries(&args.queries, &brain.knowledge)?;
    let thresholds = &config.matcher;
    let (evaluation, model) = if args.fit {
        let fitted = fit(&brain, &queries, thresholds, args.folds)?;
        (fitted.cross_validated, Some(fitted.model))
    } else {
        (evaluate(&brain, &queries, thresholds)?, None)
    };
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
        if let Some(model) = &model {
            report["cross_validated_folds"] = json!(args.folds.max(2));
            report["model"] = serde_json::to_value(model)?;
        }
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    print_metrics(&brain, &evaluation.metrics, thresholds, model.is_some().then_some(args.folds.max(2)));
    if args.sweep {
        print_sweep(&table, &recommendation, args.max_wrong);
    }
    if let Some(model) = model {
        println!("\n# fitted on all {} questions; paste into kefu.toml:", queries.len());
        println!("[matcher.model]\n{}", toml::to_string(&model)?);
    }
    Ok(ExitCode::SUCCESS)
}

fn percent(value: f64) -> String {
    format!("{:5.1} %", value * 100.0)
}

fn print_metrics(brain: &Brain, m: &Metrics, thresholds: &MatcherConfig, folds: Option<usize>) {
    let entries = brain.knowledge.entries.len();
    let phrasings = brain.matcher.phrasing_count();
    println!(
        "{} questions ({} in knowledge) against {entries} entries ({phrasings} phrasings)",
        m.queries, m.in_knowledge
    );
    if let Some(folds) = folds {
        println!(
            "figures cross-validated over {folds} folds: each question ranked by a model fitted without it"
        );
    }
    println!("top-1 accuracy                  {}", percent(m.top1_accuracy));
    println!("MRR@5                           {}", percent(m.mrr_at_5));
    println!("recall@5                        {}", percent(m.recall_at_5));
    println!("AUROC of confidence             {:7.3}", m.auroc);
    println!(
        "auto-resolution @ ≤5 % wrong    {}  (confidence ≥ {:.3})",
        percent(m.auto_resolution_at_5pct_wrong),
        m.threshold_at_5pct_wrong
    );
    println!(
        "auto-resolution @ ≤2 % / ≤10 %  {} / {}",
        percent(m.auto_resolution_at_2pct_wrong),
        percent(m.auto_resolution_at_10pct_wrong)
    );
    println!(
        "configured thresholds (answer {:.2}, margin {:.2}, suggest {:.2}):",
        thresholds.answer_threshold, thresholds.ambiguity_margin, thresholds.suggest_threshold
    );
    println!("  answered right                {}", percent(m.answered_correct_rate));
    println!("  answered wrong                {}", percent(m.answered_wrong_rate));
    println!(
        "  clarified                     {}  ({} offer a right entry)",
        percent(m.clarify_rate),
        percent(m.clarify_hit_rate).trim()
    );
    println!("  handed off                    {}", percent(m.handoff_rate));
    println!("matching time                   {:7.3} ms per question", m.ms_per_query);
}

fn print_sweep(table: &[SweepRow], r: &Recommendation, max_wrong: f64) {
    println!("\nanswer threshold sweep (margin {:.2}):", r.ambiguity_margin);
    println!("  threshold  answered  auto-resolution  wrong/answered");
    for row in table {
        println!(
            "  {:9.2}  {}  {}          {}",
            row.answer_threshold,
            percent(row.answered),
            percent(row.auto_resolution),
            percent(row.wrong_share)
        );
    }
    println!("\nrecommended for ≤ {:.0} % wrong answers:", max_wrong * 100.0);
    println!("  answer_threshold = {:.2}", r.answer_threshold);
    println!("  ambiguity_margin = {:.2}", r.ambiguity_margin);
    println!("  suggest_threshold = {:.2}", r.suggest_threshold);
    println!(
        "  → auto-resolution {}, wrong/answered {}, clarifications offering a right entry {}",
        percent(r.auto_resolution).trim(),
        percent(r.wrong_share).trim(),
        percent(r.clarify_hit_rate).trim()
    );
}
