//! `kefu serve`, `kefu migrate` and `kefu agent add`: the commands that touch the database.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use kefu::agents::hash_password;
use kefu::brain::BrainError;
use kefu::config::Config;
use kefu::serve::{StartError, bind, prepare, run, shutdown_signal};
use kefu::store::{NewAgent, Role, Store};

/// A runtime for the commands that talk to the database.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

/// Serves until Ctrl-C or SIGTERM.
pub fn serve(config: Config, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async move {
        let address = config.bind.clone();
        let database = redact(&config.database_url);
        let started = match prepare(config).await {
            Ok(started) => started,
            Err(StartError::Brain(BrainError::Invalid(diagnostics))) => {
                diagnostics.iter().for_each(|d| eprintln!("{d}"));
                eprintln!("{} error(s): fix the knowledge or flows and start again", diagnostics.len());
                return Ok(ExitCode::FAILURE);
            }
            Err(error) => return Err(error.into()),
        };
        let (listener, local) =
            bind(&address).await.map_err(|e| anyhow::anyhow!("cannot listen on {address}: {e}"))?;
        let brain = started.service.brain();
        writeln!(
            out,
            "kefu serving on http://{local} — {} entries, {} flows (knowledge {}), database {database}",
            brain.knowledge.entries.len(),
            brain.flows.flows.len(),
            brain.version,
        )?;
        if started.service.config.web.enabled {
            writeln!(out, "chat widget demo: http://{local}/   workbench: http://{local}/agent   admin: http://{local}/admin")?;
        } else {
            writeln!(out, "workbench: http://{local}/agent   admin: http://{local}/admin")?;
        }
        if let Some(password) = &started.first_admin_password {
            writeln!(
                out,
                "created the first admin account — username: admin, password: {password} (shown only now)"
            )?;
        }
        if started.service.config.app.api_keys.is_empty() {
            writeln!(
                out,
                "the app channel is off: set KEFU_APP_API_KEY (or [app] api_keys) to enable /api/v1/app"
            )?;
        }
        out.flush()?;
        run(&started, listener, shutdown_signal()).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// The database URL without its password, for printing.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// Applies the migrations and exits.
pub fn migrate(config: &Config, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let store = Store::open(&config.database_url).await?;
        store.close().await;
        writeln!(out, "database {} is up to date", redact(&config.database_url))?;
        Ok(ExitCode::SUCCESS)
    })
}

/// `kefu agent …`.
#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Create an agent account; the password is read from the first line of stdin.
    Add(AddAgent),
}

/// `kefu agent add`.
#[derive(Debug, Args)]
pub struct AddAgent {
    /// Login name.
    username: String,
    /// `agent` or `admin`.
    #[arg(long, default_value = "agent")]
    role: String,
    /// A skill group (repeat for several).
    #[arg(long = "group")]
    groups: Vec<String>,
    /// Name shown to customers (default: the username).
    #[arg(long)]
    display_name: Option<String>,
    /// Most conversations at once (default: `agents.default_max_concurrent`).
    #[arg(long)]
    max_concurrent: Option<i64>,
}

/// Runs `kefu agent …`.
pub fn agent(config: &Config, command: &AgentCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let AgentCommand::Add(add) = command;
    let Some(role) = Role::parse(&add.role) else {
        eprintln!("error: --role must be `agent` or `admin`");
        return Ok(ExitCode::FAILURE);
    };
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']).to_string();
    if password.chars().count() < 8 {
        eprintln!("error: the password (first line of stdin) must be at least 8 characters");
        return Ok(ExitCode::FAILURE);
    }
    let new = NewAgent {
        username: add.username.clone(),
        display_name: add.display_name.clone().unwrap_or_else(|| add.username.clone()),
        password_hash: hash_password(&password).map_err(anyhow::Error::msg)?,
        role,
        groups: add.groups.clone(),
        max_concurrent: add.max_concurrent.unwrap_or(config.agents.default_max_concurrent),
    };
    runtime()?.block_on(async {
        let store = Store::open(&config.database_url).await?;
        let mut tx = store.begin().await?;
        let created = tx.insert_agent(&new).await?;
        tx.commit().await?;
        store.close().await;
        match created {
            Some(agent) => {
                writeln!(out, "created {} `{}` (id {})", agent.role.as_str(), agent.username, agent.id)?;
                Ok(ExitCode::SUCCESS)
            }
            None => {
                eprintln!("error: username `{}` is taken", new.username);
                Ok(ExitCode::FAILURE)
            }
        }
    })
}
