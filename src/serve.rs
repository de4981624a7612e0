//! `kefu serve`: assembles the store, the brain, the conversation service and the HTTP
//! server, and runs them until shutdown.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::agents::{BusinessHours, hash_password, random_password};
use crate::brain::{Brain, BrainError};
use crate::channels::Delivery;
use crate::channels::wechat::WechatApp;
use crate::config::Config;
use crate::conversation::Service;
use crate::store::{NewAgent, Role, Store, StoreError};

/// How long shutdown waits for queued WeChat messages.
const DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The operator files have errors (each printed by the caller).
    #[error(transparent)]
    Brain(#[from] BrainError),
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A setting is unusable.
    #[error("{0}")]
    Config(String),
    /// A background task failed.
    #[error("{0}")]
    Task(String),
}

/// A started server.
pub struct Started {
    /// The service, for tests and the CLI.
    pub service: Arc<Service>,
    /// The password of the admin account created on this first start, to show once.
    pub first_admin_password: Option<String>,
}

/// Loads everything the server needs; nothing listens yet.
pub async fn prepare(config: Config) -> Result<Started, StartError> {
    let hours = BusinessHours::parse(&config.agents.timezone, &config.agents.business_hours)
        .map_err(StartError::Config)?;
    let webhooks: HashSet<String> = config.webhooks.keys().cloned().collect();
    let (knowledge, flows, model) =
        (config.knowledge_dir.clone(), config.flows_dir.clone(), config.matcher.model.clone());
    // Segmenting and indexing are CPU work: off the async runtime.
    let brain = tokio::task::spawn_blocking(move || Brain::load(&knowledge, &flows, &webhooks, model))
        .await
        .map_err(|e| StartError::Task(e.to_string()))??;
    let unknown = crate::dialog::unknown_welcome_ids(&brain, &config.dialog);
    if !unknown.is_empty() {
        return Err(StartError::Config(format!(
            "dialog.welcome_menu names no entry or flow: {}",
            unknown.join(", ")
        )));
    }
    let store = Store::open(&config.database_url).await?;
    let first_admin_password = ensure_admin(&store).await?;
    let mut apps = BTreeMap::new();
    for (name, app) in &config.wechat {
        let app = WechatApp::new(name, app, store.clone())
            .map_err(|e| StartError::Config(format!("[wechat.{name}]: {e}")))?;
        apps.insert(name.clone(), Arc::new(app));
    }
    let delivery = Delivery::new(store.clone(), &config.app.webhook_url, &config.app.webhook_secret, apps);
    let service = Arc::new(Service::new(store, Arc::new(config), Arc::new(brain), hours, delivery));
    Ok(Started { service, first_admin_password })
}

/// Serves `started` on `listener` until `shutdown`; then finishes in-flight requests and
/// closes the database.
pub async fn run(
    started: &Started,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let upkeep = started.service.spawn_upkeep();
    let reload_triggers = crate::watch::spawn_reload_triggers(&started.service);
    let result = crate::http::launch(listener, started.service.clone(), shutdown).await;
    upkeep.abort();
    for task in reload_triggers {
        task.abort();
    }
    // Replies already stored still go out, unless WeChat is unreachable for long.
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, started.service.delivery().drain()).await;
    if drained.is_err() {
        tracing::warn!("shutting down with WeChat messages unsent; they stay in the transcript");
    }
    started.service.store.close().await;
    result
}

/// Binds the configured address.
pub async fn bind(address: &str) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(address).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// Creates the `admin` account when there is no admin; returns its password.
async fn ensure_admin(store: &Store) -> Result<Option<String>, StartError> {
    if store.agents().await?.iter().any(|a| a.role == Role::Admin) {
        return Ok(None);
    }
    let password = random_password();
    let hashed = password.clone();
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&hashed))
        .await
        .map_err(|e| StartError::Task(e.to_string()))?
        .map_err(StartError::Task)?;
    let admin = NewAgent {
        username: "admin".into(),
        display_name: "管理员".into(),
        password_hash,
        role: Role::Admin,
        groups: Vec::new(),
        max_concurrent: 5,
    };
    let mut tx = store.begin().await?;
    let created = tx.insert_agent(&admin).await?;
    tx.commit().await?;
    // Someone else (another replica) may have created it meanwhile: then no password to show.
    Ok(created.map(|_| password))
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
