//! Everything that lasts: customers, conversations, messages, agents, tickets, sessions and
//! the append-only event log, in SQLite (default) or PostgreSQL.
//!
//! Both backends run the same SQL through sqlx's `Any` driver — one set of queries, so the
//! two cannot drift apart — with a schema per backend in `migrations/`. Timestamps are unix
//! milliseconds and JSON is text, the types every backend shares. Units of work go through
//! a [`StoreTx`]: nothing is acknowledged before its transaction commits.

mod agents;
mod conversations;
mod customers;
mod events;
mod messages;
mod migrations;
mod records;
mod sessions;
mod tickets;
mod wechat;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor, Transaction};

pub use agents::NewAgent;
pub use customers::CustomerPatch;
pub use records::*;
pub use tickets::TicketFilter;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored JSON column does not parse (a bug or a hand-edited database).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The SQLite file's folder could not be created.
    #[error("cannot create the database folder {0}: {1}")]
    Folder(String, std::io::Error),
    /// The database URL names no supported backend.
    #[error("unsupported database URL `{0}` (expected sqlite://… or postgres://…)")]
    UnsupportedUrl(String),
}

/// Which database runs behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, one file, WAL.
    Sqlite,
    /// PostgreSQL, for several replicas.
    Postgres,
}

/// The database, shared by all requests.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite has one writer at a time. Writers queue here, woken the moment the last one
    /// commits, instead of polling the file lock in SQLite's busy handler (which sleeps for
    /// milliseconds between tries and held throughput under a thousand messages a second).
    write_gate: Arc<tokio::sync::Mutex<()>>,
}

/// One unit of work; dropped without [`StoreTx::commit`], it changes nothing.
pub struct StoreTx<'a> {
    tx: Transaction<'a, sqlx::Any>,
    backend: Backend,
    /// Held until the transaction ends (SQLite).
    _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Store {
    /// Connects to `url` (`sqlite://data/kefu.db`, `postgres://…`), creating a SQLite file and
    /// its folder on first run, and applies the migrations.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Store::open_with(url, None).await
    }

    /// Like [`Store::open`], with every connection confined to a PostgreSQL `schema` (tests).
    pub async fn open_with(url: &str, schema: Option<&str>) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        let url = match backend {
            Backend::Sqlite => sqlite_url(url)?,
            Backend::Postgres => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let schema = schema.map(str::to_string);
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 16,
            })
            .after_connect(move |connection, _| {
                let schema = schema.clone();
                Box::pin(async move {
                    match backend {
                        // WAL lets readers work while one writer commits; the busy timeout
                        // makes concurrent writers wait instead of failing.
                        Backend::Sqlite => {
                            connection.execute("PRAGMA journal_mode = WAL").await?;
                            connection.execute("PRAGMA busy_timeout = 5000").await?;
                            connection.execute("PRAGMA foreign_keys = ON").await?;
                            connection.execute("PRAGMA synchronous = NORMAL").await?;
                        }
                        Backend::Postgres => {
                            if let Some(schema) = schema {
                                // The schema name comes from our own test harness, not from users.
                                let statement = format!("SET search_path TO \"{schema}\"");
                                connection.execute(sqlx::AssertSqlSafe(statement)).await?;
                            }
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let store = Store { pool, backend, write_gate: Arc::default() };
        migrations::apply(&store).await?;
        Ok(store)
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a unit of work. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`):
    /// a transaction that reads and then writes could otherwise deadlock with another writer
    /// instead of waiting for it.
    pub async fn begin(&self) -> Result<StoreTx<'static>, StoreError> {
        let (tx, writer) = match self.backend {
            Backend::Sqlite => {
                let writer = self.write_gate.clone().lock_owned().await;
                (self.pool.begin_with("BEGIN IMMEDIATE").await?, Some(writer))
            }
            Backend::Postgres => (self.pool.begin().await?, None),
        };
        Ok(StoreTx { tx, backend: self.backend, _writer: writer })
    }

    /// Closes every connection (graceful shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

impl StoreTx<'_> {
    /// Makes the unit of work permanent.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// A SQLite URL with `mode=rwc` (create the file) and its folder created.
fn sqlite_url(url: &str) -> Result<String, StoreError> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let file = path.split('?').next().unwrap_or_default();
    if !file.is_empty()
        && file != ":memory:"
        && let Some(parent) = Path::new(file).parent().filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|e| StoreError::Folder(parent.display().to_string(), e))?;
    }
    Ok(if url.contains('?') { url.to_string() } else { format!("{url}?mode=rwc") })
}

/// Milliseconds since the unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    // Serialising our own plain types cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_string())
}

#[cfg(test)]
mod tests;
