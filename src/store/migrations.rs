//! The schema, versioned: each backend's migrations are embedded in the binary and applied
//! in order at start; a migration that has landed is never edited, a new one is added.

use super::sql::params;
use super::{Backend, Store, StoreError};

/// (version, SQL) per backend, in order.
const SQLITE: &[(i64, &str)] = &[
    (1, include_str!("migrations/sqlite/0001_initial.sql")),
    (2, include_str!("migrations/sqlite/0002_wechat.sql")),
    (3, include_str!("migrations/sqlite/0003_reply_index.sql")),
];
const POSTGRES: &[(i64, &str)] = &[
    (1, include_str!("migrations/postgres/0001_initial.sql")),
    (2, include_str!("migrations/postgres/0002_wechat.sql")),
    (3, include_str!("migrations/postgres/0003_reply_index.sql")),
];

/// Applies the migrations the database has not seen yet, each in its own transaction.
pub(super) async fn apply(store: &Store) -> Result<(), StoreError> {
    let table =
        "CREATE TABLE IF NOT EXISTS kefu_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)";
    store.write(table, Vec::new()).await?;
    let migrations = match store.backend() {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    for (version, sql) in migrations {
        let mut tx = store.begin().await?;
        let applied = "SELECT version FROM kefu_migrations WHERE version = $1";
        if tx.tx.fetch_optional(applied, params![*version]).await?.is_some() {
            continue;
        }
        tracing::info!(version, "applying database migration");
        // Embedded at build time from migrations/: trusted, and several statements each.
        tx.tx.execute_script(sql).await?;
        let record = "INSERT INTO kefu_migrations (version, applied_at) VALUES ($1, $2)";
        tx.tx.execute(record, params![*version, super::now_ms()]).await?;
        tx.commit().await?;
    }
    Ok(())
}
