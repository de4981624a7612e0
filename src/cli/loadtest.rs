//! `kefu loadtest`: the matcher against the Python baseline, then a real server under app
//! and WeChat traffic; one report, with the figures that need a baseline given as ratios.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{Value, json};

use kefu::brain::Brain;
use kefu::config::Config;
use kefu::loadtest::generated::{generated_knowledge, write_generated_knowledge};
use kefu::loadtest::matcher::{self, MatcherRun, Measurement};
use kefu::loadtest::traffic::{self, PhaseReport, ServerProcess, Usage};

/// `kefu loadtest` options.
#[derive(Debug, Args)]
pub struct LoadtestArgs {
    /// Seconds each measurement runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// App-channel customers talking at once (closed loop).
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// WeChat pushes offered per second (open loop).
    #[arg(long, default_value_t = 1000)]
    wechat_rate: u32,
    /// Entries of the generated knowledge for the matcher comparison and the memory check.
    #[arg(long, default_value_t = 10_000)]
    entries: usize,
    /// The Python baseline script (jieba + rank_bm25).
    #[arg(long, default_value = "benches/baseline/baseline.py")]
    baseline: PathBuf,
    /// Skip the Python baseline.
    #[arg(long)]
    no_baseline: bool,
    /// The served database (`postgres://…`); default: a fresh SQLite file per server.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs every measurement and prints the report; fails when a message got no reply, two
/// replies or an error.
pub fn run(config: &Config, args: &LoadtestArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let duration = Duration::from_secs(args.seconds.max(1));
    let files = tempfile::tempdir()?;
    let (knowledge_dir, flows_dir) = (files.path().join("knowledge"), files.path().join("flows"));
    std::fs::create_dir_all(&knowledge_dir)?;
    std::fs::create_dir_all(&flows_dir)?;
    let large = generated_knowledge(args.entries);
    write_generated_knowledge(&large, &knowledge_dir)?;

    eprintln!("matcher: building the {}-entry index …", large.entries.len());
    let built = Instant::now();
    let brain = Brain::load(&knowledge_dir, &flows_dir, &Default::default(), config.matcher.model.clone())
        .map_err(|error| anyhow::anyhow!("the generated knowledge does not load: {error}"))?;
    let build_seconds = built.elapsed().as_secs_f64();
    let questions = matcher::questions(&brain.knowledge, 2000);
    let questions_file = files.path().join("questions.txt");
    let answers_file = files.path().join("answers.txt");
    let lines =
        |field: fn(&matcher::Question) -> &str| questions.iter().map(field).collect::<Vec<_>>().join("\n");
    std::fs::write(&questions_file, lines(|q| &q.text))?;
    std::fs::write(&answers_file, lines(|q| &q.entry))?;
    // Half of kefu's time before the baseline and half after, so a machine that slows
    // down or speeds up during the run weighs on both alike.
    let mut measurement = Measurement::default();
    eprintln!("matcher: kefu, one core, {} s …", duration.as_secs());
    measurement.run(&brain, &questions, duration / 2);
    let baseline = if args.no_baseline {
        None
    } else {
        eprintln!("matcher: python baseline, {} s …", duration.as_secs());
        Some(matcher::python_baseline(
            &args.baseline,
            &knowledge_dir,
            &questions_file,
            &answers_file,
            duration.as_secs(),
        ))
    };
    measurement.run(&brain, &questions, duration - duration / 2);
    let kefu_run = measurement.finish(&brain, &questions);
    let phrasings = brain.matcher.phrasing_count();
    drop(brain);

    let exe = traffic::current_exe().map_err(anyhow::Error::msg)?;
    let runtime = super::serve::runtime()?;
    let served = runtime.block_on(async {
        let (fake, replies) = traffic::start_fake_wechat().await.map_err(anyhow::Error::msg)?;
        eprintln!("start: {} entries …", large.entries.len());
        let big = ServerProcess::start(&exe, &knowledge_dir, &flows_dir, &fake, args.database.as_deref())
            .await
            .map_err(anyhow::Error::msg)?;
        let big_start = (big.started_in, big.usage());
        drop(big);
        let server = ServerProcess::start(
            &exe,
            &config.knowledge_dir,
            &config.flows_dir,
            &fake,
            args.database.as_deref(),
        )
        .await
        .map_err(anyhow::Error::msg)?;
        eprintln!("app channel: {} customers at once, {} s …", args.concurrency, duration.as_secs());
        let before = server.usage();
        let app = traffic::app_channel(&server.base, args.concurrency.max(1), duration).await;
        let app_usage = server.usage();
        eprintln!("wechat: {} pushes/s, {} s …", args.wechat_rate, duration.as_secs());
        let wechat = traffic::wechat(&server.base, &replies, args.wechat_rate, duration).await;
        let wechat_usage = server.usage();
        Ok::<_, anyhow::Error>(Served {
            big_start,
            sample_start: server.started_in,
            before,
            app,
            app_usage,
            wechat,
            wechat_usage,
        })
    })?;

    let report = json!({
        "seconds_per_phase": duration.as_secs(),
        "database": backend_name(args),
        "matcher": {
            "entries": kefu_run.entries,
            "phrasings": phrasings,
            "index_build_seconds": build_seconds,
            "kefu": kefu_run,
            "baseline": match &baseline { Some(Ok(value)) => value.clone(), Some(Err(error)) => json!({ "error": error }), None => Value::Null },
            "ratio": ratio(&kefu_run, baseline.as_ref()),
        },
        "start": {
            "sample_seconds": served.sample_start.as_secs_f64(),
            "large_seconds": served.big_start.0.as_secs_f64(),
            "large_rss_mb": served.big_start.1.rss_mb,
            "large_peak_rss_mb": served.big_start.1.peak_rss_mb,
        },
        "app": phase_json(&served.app, served.before, served.app_usage),
        "wechat": phase_json(&served.wechat, served.app_usage, served.wechat_usage),
    });
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        print_text(&report, args, out)?;
    }
    let failed =
        [&served.app, &served.wechat].iter().any(|p| p.errors > 0 || p.missing > 0 || p.duplicated > 0);
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// The served database's kind, for the report.
fn backend_name(args: &LoadtestArgs) -> &'static str {
    match &args.database {
        Some(url) if url.starts_with("postgres") => "PostgreSQL",
        _ => "SQLite",
    }
}

struct Served {
    big_start: (Duration, Usage),
    sample_start: Duration,
    before: Usage,
    app: PhaseReport,
    app_usage: Usage,
    wechat: PhaseReport,
    wechat_usage: Usage,
}

fn ratio(kefu: &MatcherRun, baseline: Option<&Result<Value, String>>) -> Value {
    match baseline {
        Some(Ok(value)) => match value["per_second"].as_f64() {
            Some(theirs) if theirs > 0.0 => json!(kefu.per_second / theirs),
            _ => Value::Null,
        },
        _ => Value::Null,
    }
}

/// A phase with the server's CPU use during it (100 % = one core) and its peak memory.
fn phase_json(phase: &PhaseReport, before: Usage, after: Usage) -> Value {
    let mut value = json!(phase);
    let cpu = if phase.seconds > 0.0 {
        (after.cpu_seconds - before.cpu_seconds) / phase.seconds * 100.0
    } else {
        0.0
    };
    value["server_cpu_percent"] = json!(cpu);
    value["server_peak_rss_mb"] = json!(after.peak_rss_mb);
    value
}

fn print_text(report: &Value, args: &LoadtestArgs, out: &mut dyn Write) -> std::io::Result<()> {
    let m = &report["matcher"];
    let f = |v: &Value| v.as_f64().unwrap_or(0.0);
    writeln!(out, "kefu loadtest, {} s per measurement", report["seconds_per_phase"])?;
    writeln!(
        out,
        "\nmatcher, one core, {} generated entries ({} phrasings), the same 2000 questions:",
        m["entries"], m["phrasings"]
    )?;
    let k = &m["kefu"];
    writeln!(
        out,
        "  kefu                    {:>9.0} q/s   p50 {:.3} ms   p99 {:.3} ms   max {:.2} ms   top-1 right {:.1} %",
        f(&k["per_second"]),
        f(&k["latency"]["p50_ms"]),
        f(&k["latency"]["p99_ms"]),
        f(&k["latency"]["max_ms"]),
        100.0 * f(&k["top1_right"])
    )?;
    let b = &m["baseline"];
    if b["per_second"].is_number() {
        writeln!(
            out,
            "  python jieba + bm25     {:>9.1} q/s   p50 {:.1} ms   p99 {:.1} ms    top-1 right {:.1} %",
            f(&b["per_second"]),
            f(&b["p50_ms"]),
            f(&b["p99_ms"]),
            100.0 * f(&b["top1_right"])
        )?;
        writeln!(out, "  kefu / baseline         {:>9.0}×", f(&m["ratio"]))?;
    } else if let Some(error) = b["error"].as_str() {
        writeln!(out, "  python baseline: {error}")?;
    }
    writeln!(out, "  index build from files  {:>9.2} s", f(&m["index_build_seconds"]))?;
    let s = &report["start"];
    writeln!(
        out,
        "\nstart to healthy: sample knowledge {:.2} s; {} entries {:.2} s, RSS {:.0} MB (peak while building {:.0} MB)",
        f(&s["sample_seconds"]),
        m["entries"],
        f(&s["large_seconds"]),
        f(&s["large_rss_mb"]),
        f(&s["large_peak_rss_mb"])
    )?;
    for (name, key, what) in [
        (
            "app channel",
            "app",
            format!("{} customers at once, {}, HTTP answer", args.concurrency, backend_name(args)),
        ),
        ("wechat", "wechat", format!("{} pushes/s offered, push → reply at the send API", args.wechat_rate)),
    ] {
        let p = &report[key];
        writeln!(out, "\n{name} ({what}):")?;
        writeln!(
            out,
            "  {:.0} msg/s over {:.1} s ({} messages)   p50 {:.2} ms   p90 {:.2} ms   p99 {:.2} ms   max {:.1} ms",
            f(&p["per_second"]),
            f(&p["seconds"]),
            p["messages"],
            f(&p["latency"]["p50_ms"]),
            f(&p["latency"]["p90_ms"]),
            f(&p["latency"]["p99_ms"]),
            f(&p["latency"]["max_ms"])
        )?;
        writeln!(
            out,
            "  errors {}   no reply {}   duplicated {}   server CPU {:.0} %   server peak RSS {:.0} MB",
            p["errors"],
            p["missing"],
            p["duplicated"],
            f(&p["server_cpu_percent"]),
            f(&p["server_peak_rss_mb"])
        )?;
        for sample in p["samples"].as_array().into_iter().flatten() {
            writeln!(out, "  ! {}", sample.as_str().unwrap_or_default())?;
        }
    }
    Ok(())
}
