//! `kefu gaps`: what the bot could not answer lately, grouped, with the knowledge to add.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use kefu::config::Config;
use kefu::gaps::{GapReason, PatchItem, Proposal, Report, parse_period, render_patch, report};
use kefu::store::Store;

/// `kefu gaps` options.
#[derive(Debug, Args)]
pub struct GapsArgs {
    /// How far back to look: `7d`, `24h`, `30m`.
    #[arg(long, default_value = "7d")]
    since: String,
    /// Leave out clusters with fewer messages.
    #[arg(long, default_value_t = 2)]
    min_count: usize,
    /// `table` (the clusters, their proposals and the entries' likely-wrong rates) or `yaml`
    /// (the knowledge patch for every cluster).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// Output format.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Yaml,
}

/// Reads the conversations of the period from the database and prints the report.
pub fn run(config: &Config, args: &GapsArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let Some(period) = parse_period(&args.since) else {
        anyhow::bail!("--since `{}`: expected a period like 7d, 24h or 30m", args.since);
    };
    let brain = match super::load_brain(config) {
        Ok(brain) => brain,
        Err(code) => return Ok(code),
    };
    let turns = super::serve::runtime()?.block_on(async {
        let store = Store::open(&config.database_url).await?;
        let turns = store.customer_turns_since(kefu::store::now_ms() - period).await;
        store.close().await;
        turns
    })?;
    let report = report(&turns, &brain, args.min_count.max(1));
    match args.format {
        Format::Table => print_table(&report, &args.since, out)?,
        Format::Yaml => {
            let items: Vec<PatchItem> = report.clusters.iter().filter_map(patch_item).collect();
            match render_patch(&items, &brain) {
                Ok(patch) => write!(out, "{patch}")?,
                Err(_) => writeln!(out, "# kefu gaps: nothing to add for the last {}", args.since)?,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A cluster's texts, for the entry it proposes (none: a new entry); an answer to review
/// is not a patch.
fn patch_item(cluster: &kefu::gaps::Cluster) -> Option<PatchItem> {
    let entry = match &cluster.proposal {
        Proposal::Extend { entry, .. } => Some(entry.clone()),
        Proposal::New => None,
        Proposal::Review { .. } => return None,
    };
    Some(PatchItem { entry, texts: cluster.texts.iter().map(|t| t.text.clone()).collect() })
}

fn reason_label(reason: GapReason) -> &'static str {
    match reason {
        GapReason::Fallback => "fallback",
        GapReason::ClarifyIgnored => "no choice taken",
        GapReason::HandoffAfterFallbacks => "handed off",
        GapReason::LikelyWrong => "likely wrong",
    }
}

fn print_table(report: &Report, since: &str, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "last {since}: {} customer messages, {} not served well, {} clusters shown",
        report.messages,
        report.gaps,
        report.clusters.len()
    )?;
    for cluster in &report.clusters {
        let reasons: Vec<String> = cluster
            .reasons
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(&reason, n)| format!("{} {n}", reason_label(reason)))
            .collect();
        writeln!(
            out,
            "\n#{} ×{}  {}  ({})",
            cluster.id,
            cluster.count,
            cluster.question,
            reasons.join(", ")
        )?;
        for text in cluster.texts.iter().skip(1).take(5) {
            writeln!(out, "      also: {} ×{}", text.text, text.count)?;
        }
        match &cluster.proposal {
            Proposal::Extend { entry, question, file, confidence } => {
                writeln!(
                    out,
                    "    → extend `{entry}` ({question}) in {file}, matcher confidence {confidence:.2}:"
                )?;
                writeln!(out, "      similar:")?;
                for text in &cluster.texts {
                    writeln!(out, "        - {}", text.text)?;
                }
            }
            Proposal::New => writeln!(out, "    → a new entry (`kefu gaps --format yaml` drafts it)")?,
            Proposal::Review { entry, question, file } => writeln!(
                out,
                "    → review the answer of `{entry}` ({question}) in {file}: it matched, but did not help"
            )?,
        }
    }
    let wrong: Vec<_> = report.entries.iter().filter(|e| e.likely_wrong > 0).take(20).collect();
    if !wrong.is_empty() {
        writeln!(
            out,
            "\nentries whose answers were likely wrong (rephrased or asked for a human within two turns):"
        )?;
        writeln!(out, "  {:<32} {:>7} {:>12} {:>6}", "entry", "answers", "likely wrong", "rate")?;
        for entry in wrong {
            writeln!(
                out,
                "  {:<32} {:>7} {:>12} {:>5.0}%",
                entry.entry,
                entry.answers,
                entry.likely_wrong,
                entry.rate * 100.0
            )?;
        }
    }
    Ok(())
}
