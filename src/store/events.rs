//! The append-only event log: what happened, in order. Agents' live views replay it from
//! the last id they saw, so a reconnect loses nothing.

use super::sql::{RowRead, params};
use super::{Event, NewEvent, Store, StoreError, StoreTx, json, now_ms};

fn event(row: &impl RowRead) -> Result<Event, StoreError> {
    Ok(Event {
        id: row.get("id")?,
        kind: row.get("kind")?,
        conversation_id: row.get("conversation_id")?,
        ticket_id: row.get("ticket_id")?,
        agent_id: row.get("agent_id")?,
        payload: json(&row.get::<String>("payload")?, "event payload")?,
        created_at: row.get("created_at")?,
    })
}

impl StoreTx<'_> {
    /// Appends an event; it becomes visible when the transaction commits.
    pub async fn append_event(&mut self, new: NewEvent) -> Result<Event, StoreError> {
        let created_at = now_ms();
        let sql = "INSERT INTO events (kind, conversation_id, ticket_id, agent_id, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
        let params = params![
            &new.kind,
            new.conversation_id,
            new.ticket_id,
            new.agent_id,
            new.payload.to_string(),
            created_at
        ];
        let id = self.tx.insert_one(sql, params).await?;
        Ok(Event {
            id,
            kind: new.kind,
            conversation_id: new.conversation_id,
            ticket_id: new.ticket_id,
            agent_id: new.agent_id,
            payload: new.payload,
            created_at,
        })
    }
}

impl Store {
    /// Events after id `after`, oldest first, at most `limit`.
    pub async fn events_after(&self, after: i64, limit: i64) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, kind, conversation_id, ticket_id, agent_id, payload, created_at FROM events WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(event).collect()
    }

    /// The id of the newest event (0 when there is none).
    pub async fn latest_event_id(&self) -> Result<i64, StoreError> {
        let latest: Option<i64> =
            sqlx::query_scalar("SELECT MAX(id) FROM events").fetch_one(self.pool()).await?;
        Ok(latest.unwrap_or(0))
    }

    /// Events about a ticket or conversation, oldest first (a ticket's history).
    pub async fn events_about(
        &self,
        conversation_id: Option<i64>,
        ticket_id: Option<i64>,
    ) -> Result<Vec<Event>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, kind, conversation_id, ticket_id, agent_id, payload, created_at FROM events \
             WHERE ($1 IS NOT NULL AND conversation_id = $1) OR ($2 IS NOT NULL AND ticket_id = $2) ORDER BY id",
        )
        .bind(conversation_id)
        .bind(ticket_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(event).collect()
    }
}
