//! WeChat state that must be shared by replicas: access tokens, and conversations whose
//! reply window WeChat reported closed.

use super::sql::{RowRead, params};
use super::{Store, StoreError};

impl Store {
    /// The stored access token of a WeChat app and when it expires (ms).
    pub async fn wechat_token(&self, app: &str) -> Result<Option<(String, i64)>, StoreError> {
        let row = sqlx::query("SELECT token, expires_at FROM wechat_tokens WHERE app = $1")
            .bind(app)
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| Ok((row.get("token")?, row.get("expires_at")?))).transpose()
    }

    /// Stores a freshly fetched access token for every replica.
    pub async fn save_wechat_token(&self, app: &str, token: &str, expires_at: i64) -> Result<(), StoreError> {
        let sql = "INSERT INTO wechat_tokens (app, token, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (app) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at";
        self.write(sql, params![app, token, expires_at]).await
    }

    /// Marks (or, with `None`, clears) why the platform refuses messages to a conversation.
    pub async fn set_channel_blocked(
        &self,
        conversation_id: i64,
        why: Option<&str>,
    ) -> Result<(), StoreError> {
        self.write(
            "UPDATE conversations SET channel_blocked = $2 WHERE id = $1",
            params![conversation_id, why],
        )
        .await
    }

    /// Why the platform refuses messages to a conversation, if it does.
    pub async fn channel_blocked(&self, conversation_id: i64) -> Result<Option<String>, StoreError> {
        let blocked: Option<Option<String>> =
            sqlx::query_scalar("SELECT channel_blocked FROM conversations WHERE id = $1")
                .bind(conversation_id)
                .fetch_optional(self.pool())
                .await?;
        Ok(blocked.flatten())
    }

    /// When the customer last wrote in a conversation (ms), and how many messages went to
    /// them since: the state of a platform's reply window.
    pub async fn reply_window(&self, conversation_id: i64) -> Result<(Option<i64>, i64), StoreError> {
        let last_inbound: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(created_at) FROM messages WHERE conversation_id = $1 AND direction = 'in'",
        )
        .bind(conversation_id)
        .fetch_one(self.pool())
        .await?;
        let since: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM messages WHERE conversation_id = $1 AND direction = 'out' AND created_at >= $2",
        )
        .bind(conversation_id)
        .bind(last_inbound.unwrap_or(i64::MAX))
        .fetch_one(self.pool())
        .await?;
        Ok((last_inbound, since))
    }
}
