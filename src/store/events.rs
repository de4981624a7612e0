//! The append-only event log: what happened, in order. Agents' live views replay it from
//! the last id they saw, so a reconnect loses nothing.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Event, NewEvent, Store, StoreError, StoreTx, json, now_ms};

fn event(row: &AnyRow) -> Result<Event, StoreError> {
    Ok(Event {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        conversation_id: row.try_get("conversation_id")?,
        ticket_id: row.try_get("ticket_id")?,
        agent_id: row.try_get("agent_id")?,
        payload: json(&row.try_get::<String, _>("payload")?, "event payload")?,
        created_at: row.try_get("created_at")?,
    })
}

impl StoreTx<'_> {
    /// Appends an event; it becomes visible when the transaction commits.
    pub async fn append_event(&mut self, new: NewEvent) -> Result<Event, StoreError> {
        let created_at = now_ms();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO events (kind, conversation_id, ticket_id, agent_id, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&new.kind)
        .bind(new.conversation_id)
        .bind(new.ticket_id)
        .bind(new.agent_id)
        .bind(new.payload.to_string())
        .bind(created_at)
        .fetch_one(&mut *self.tx)
        .await?;
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
