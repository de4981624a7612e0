//! Agent login sessions: a token's hash, whose agent, until when.

use super::sql::params;
use super::{Store, StoreError};

impl Store {
    /// Records a session token (its hash) for `agent_id` until `expires_at` (ms).
    pub async fn insert_session(
        &self,
        token_hash: &str,
        agent_id: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let sql =
            "INSERT INTO sessions (token_hash, agent_id, created_at, expires_at) VALUES ($1, $2, $3, $4)";
        self.write(sql, params![token_hash, agent_id, super::now_ms(), expires_at]).await
    }

    /// The agent a session token hash belongs to, if the session is still valid at `now`.
    pub async fn session_agent(&self, token_hash: &str, now: i64) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT agent_id FROM sessions WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash)
            .bind(now)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Ends a session.
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        self.write("DELETE FROM sessions WHERE token_hash = $1", params![token_hash]).await
    }
}
