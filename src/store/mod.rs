//! Everything that lasts: customers, conversations, messages, agents, tickets, sessions and
//! the append-only event log, in SQLite (default) or PostgreSQL.
//!
//! Both backends run the same SQL — one set of queries, so the two cannot drift apart —
//! with a schema per backend in `migrations/`. Reads go through sqlx's `Any` pool; units of
//! work go through a [`StoreTx`] (see `sql`), and nothing is acknowledged before its
//! transaction commits. Timestamps are unix milliseconds and JSON is text, the types every
//! backend shares.

mod agents;
mod conversations;
mod customers;
mod events;
mod messages;
mod migrations;
mod records;
mod sessions;
mod sql;
mod tickets;
mod wechat;
mod writer;

use std::path::Path;
use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use sql::Tx;
use writer::Writer;

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
    /// SQLite's writer connection refused or failed.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The transaction a unit of work was committed in failed.
    #[error("database: the commit failed: {0}")]
    Commit(String),
    /// A stored JSON column does not parse (a bug or a hand-edited database).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The SQLite file's folder could not be created.
    #[error("cannot create the database folder {0}: {1}")]
    Folder(String, std::io::Error),
    /// The database URL names no supported backend.
    #[error("unsupported database URL `{0}` (expected sqlite://… or postgres://…)")]
    UnsupportedUrl(String),
    /// SQLite without a file: the writer and the readers would see different databases.
    #[error("SQLite needs a file (`{0}`), e.g. sqlite://data/kefu.db")]
    NoFile(String),
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
    /// SQLite has one writer at a time: its one write connection. Units of work queue for
    /// it here, woken the moment the last one is done, instead of polling the file lock in
    /// SQLite's busy handler (which sleeps for milliseconds between tries).
    writer: Option<Writer>,
}

/// One unit of work; dropped without [`StoreTx::commit`], it changes nothing.
pub struct StoreTx<'a> {
    tx: Tx<'a>,
    backend: Backend,
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
        let (url, writer) = match backend {
            Backend::Sqlite => {
                let (url, file) = sqlite_url(url)?;
                (url, Some(Writer::new(sqlite_writer(&file)?)))
            }
            Backend::Postgres => (url.to_string(), None),
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
        let store = Store { pool, backend, writer };
        migrations::apply(&store).await?;
        Ok(store)
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a unit of work; on SQLite, once the writer connection is free.
    pub async fn begin(&self) -> Result<StoreTx<'static>, StoreError> {
        let tx = match &self.writer {
            Some(writer) => Tx::Lite(writer.begin().await?),
            None => Tx::Any(self.pool.begin().await?),
        };
        Ok(StoreTx { tx, backend: self.backend })
    }

    /// Runs one statement as its own unit of work.
    async fn write(&self, sql: &'static str, params: Vec<sql::Param>) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        tx.tx.execute(sql, params).await?;
        tx.commit().await
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
        self.tx.commit().await
    }
}

/// A SQLite URL with `mode=rwc` (create the file), and the file, its folder created.
fn sqlite_url(url: &str) -> Result<(String, String), StoreError> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let file = path.split('?').next().unwrap_or_default();
    if file.is_empty() || file.contains(":memory:") || path.contains("mode=memory") {
        // The writer and the readers are separate connections: they must share a file.
        return Err(StoreError::NoFile(url.to_string()));
    }
    if let Some(parent) = Path::new(file).parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| StoreError::Folder(parent.display().to_string(), e))?;
    }
    let url = if url.contains('?') { url.to_string() } else { format!("{url}?mode=rwc") };
    Ok((url, file.to_string()))
}

/// SQLite's one write connection, set up like the readers.
fn sqlite_writer(file: &str) -> Result<rusqlite::Connection, StoreError> {
    let connection = rusqlite::Connection::open(file)?;
    connection.busy_timeout(std::time::Duration::from_secs(5))?;
    connection
        .execute_batch("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")?;
    connection.set_prepared_statement_cache_capacity(64);
    Ok(connection)
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
