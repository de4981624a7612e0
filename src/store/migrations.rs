//! The schema, versioned: each backend's migrations are embedded in the binary and applied
//! in order at start; a migration that has landed is never edited, a new one is added.

use sqlx::Executor;

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
    let pool = store.pool();
    pool.execute(
        "CREATE TABLE IF NOT EXISTS kefu_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .await?;
    let migrations = match store.backend() {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    for (version, sql) in migrations {
        let mut tx = store.begin().await?;
        let applied: Option<i64> =
            sqlx::query_scalar("SELECT version FROM kefu_migrations WHERE version = $1")
                .bind(version)
                .fetch_optional(&mut *tx.tx)
                .await?;
        if applied.is_some() {
            continue;
        }
        tracing::info!(version, "applying database migration");
        // Embedded at build time from migrations/: trusted, and several statements each.
        (&mut *tx.tx).execute(sqlx::raw_sql(*sql)).await?;
        sqlx::query("INSERT INTO kefu_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(version)
            .bind(super::now_ms())
            .execute(&mut *tx.tx)
            .await?;
        tx.commit().await?;
    }
    Ok(())
}
