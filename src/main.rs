//! The `kefu` command line: parses arguments and calls into the library.

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// kefu (客服): customer-service bot for WeChat mini programs and other channels.
#[derive(Debug, Parser)]
#[command(name = "kefu", version, about)]
struct Cli {
    /// Configuration file (default: none, built-in defaults).
    #[arg(long, global = true, env = "KEFU_CONFIG")]
    config: Option<PathBuf>,
    /// Knowledge folder (overrides `knowledge_dir` and KEFU_KNOWLEDGE_DIR).
    #[arg(long, global = true, value_name = "DIR")]
    knowledge: Option<PathBuf>,
    /// Flows folder (overrides `flows_dir` and KEFU_FLOWS_DIR).
    #[arg(long, global = true, value_name = "DIR")]
    flows: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate the knowledge and flows; print every error, exit 1 on any.
    Check,
    /// Show how the bot would answer one question, with the matcher's explanation.
    Ask {
        /// The question.
        question: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Chat with the bot in the terminal (reads stdin line by line, so it can be piped).
    Chat {
        /// Answer webhooks from this YAML file instead of calling them (`NAME: {reply: {…}}`).
        #[arg(long, value_name = "FILE")]
        webhook_stub: Option<PathBuf>,
    },
    /// Run the conversation tests in the flows folder's `tests/`; exit 1 on any failure.
    Test,
    /// Measure answer quality on labelled questions.
    Eval(cli::eval::EvalArgs),
    /// What the bot could not answer lately: clusters of questions, with the knowledge to add.
    Gaps(cli::gaps::GapsArgs),
    /// Measure speed: the matcher against a Python baseline, then a real server under app and
    /// WeChat traffic.
    Loadtest(cli::loadtest::LoadtestArgs),
    /// Print the documented default configuration.
    DefaultConfig,
    /// Run the server: chat API, agents' API and live feed, on `bind` (default 127.0.0.1:8080).
    Serve,
    /// Create or update the database schema, then exit.
    Migrate,
    /// Manage agent accounts.
    Agent {
        #[command(subcommand)]
        command: cli::serve::AgentCommand,
    },
}

fn main() -> ExitCode {
    kefu::allocator::configure();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let mut stdout = std::io::stdout().lock();
    match run(cli, &mut stdout) {
        Ok(code) => code,
        // The reader went away (`kefu ask … | head`): not an error of ours.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli, out: &mut dyn std::io::Write) -> anyhow::Result<ExitCode> {
    if let Command::DefaultConfig = cli.command {
        write!(out, "{}", kefu::config::DEFAULT_CONFIG)?;
        return Ok(ExitCode::SUCCESS);
    }
    let env: std::collections::HashMap<String, String> = std::env::vars().collect();
    let mut config = kefu::config::Config::load(cli.config.as_deref(), &env)?;
    if let Some(dir) = cli.knowledge {
        config.knowledge_dir = dir;
    }
    if let Some(dir) = cli.flows {
        config.flows_dir = dir;
    }
    match cli.command {
        Command::Check => cli::check::run(&config, out),
        Command::Ask { question, json } => cli::ask::run(&config, &question, json, out),
        Command::Chat { webhook_stub } => cli::chat::run(&config, webhook_stub.as_deref(), out),
        Command::Test => cli::test::run(&config, out),
        Command::Eval(args) => cli::eval::run(&config, &args, out),
        Command::Gaps(args) => cli::gaps::run(&config, &args, out),
        Command::Loadtest(args) => cli::loadtest::run(&config, &args, out),
        Command::Serve => cli::serve::serve(config, out),
        Command::Migrate => cli::serve::migrate(&config, out),
        Command::Agent { command } => cli::serve::agent(&config, &command, out),
        Command::DefaultConfig => unreachable!("handled before loading the configuration"),
    }
}
