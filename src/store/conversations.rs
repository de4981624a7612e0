//! Conversations: a customer's exchange with the bot or an agent, and its state.

use super::sql::{RowRead, params};
use super::{Backend, Conversation, ConversationState, Store, StoreError, StoreTx, json, now_ms};

macro_rules! conversation_columns {
    () => {
        "id, customer_id, channel, state, dialog_state, agent_id, agent_group, handoff_reason, queued_at, \
         awaiting_rating, satisfaction, created_at, updated_at, closed_at, channel_blocked"
    };
}

fn conversation(row: &impl RowRead) -> Result<Conversation, StoreError> {
    let reason: Option<String> = row.get("handoff_reason")?;
    Ok(Conversation {
        id: row.get("id")?,
        customer_id: row.get("customer_id")?,
        channel: row.get("channel")?,
        state: ConversationState::parse(&row.get::<String>("state")?),
        dialog_state: json(&row.get::<String>("dialog_state")?, "dialog state")?,
        agent_id: row.get("agent_id")?,
        agent_group: row.get("agent_group")?,
        handoff_reason: reason.map(|r| json(&r, "hand-off reason")).transpose()?,
        queued_at: row.get("queued_at")?,
        awaiting_rating: row.get::<i64>("awaiting_rating")? != 0,
        satisfaction: row.get("satisfaction")?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
        closed_at: row.get("closed_at")?,
        channel_blocked: row.get("channel_blocked")?,
    })
}

const FIND: &str = concat!("SELECT ", conversation_columns!(), " FROM conversations WHERE id = $1");
const QUEUE: &str = concat!(
    "SELECT ",
    conversation_columns!(),
    " FROM conversations WHERE state = 'queued' ORDER BY queued_at, id"
);
const ACTIVE_COUNTS: &str = "SELECT agent_id, COUNT(*) AS active FROM conversations \
     WHERE state = 'human' AND agent_id IS NOT NULL GROUP BY agent_id";

fn active_count(row: &impl RowRead) -> Result<(i64, i64), StoreError> {
    Ok((row.get("agent_id")?, row.get("active")?))
}

impl StoreTx<'_> {
    /// The customer's current conversation: the latest one unless it is closed (and not
    /// waiting for a rating), else a new one with the bot. On PostgreSQL the customer is
    /// locked for the transaction, so replicas handle one customer's messages in turn.
    pub async fn current_conversation(
        &mut self,
        customer_id: i64,
        channel: &str,
    ) -> Result<Conversation, StoreError> {
        if self.backend == Backend::Postgres {
            self.tx.execute("SELECT pg_advisory_xact_lock($1)", params![customer_id]).await?;
        }
        let sql = concat!(
            "SELECT ",
            conversation_columns!(),
            " FROM conversations WHERE customer_id = $1 ORDER BY id DESC LIMIT 1"
        );
        if let Some(row) = self.tx.fetch_optional(sql, params![customer_id]).await? {
            let found = conversation(&row)?;
            if found.state != ConversationState::Closed || found.awaiting_rating {
                return Ok(found);
            }
        }
        let sql = concat!(
            "INSERT INTO conversations (customer_id, channel, state, created_at, updated_at) VALUES ($1, $2, 'bot', $3, $3) RETURNING ",
            conversation_columns!()
        );
        let row = self.tx.fetch_one(sql, params![customer_id, channel, now_ms()]).await?;
        conversation(&row)
    }

    /// Conversation `id`.
    pub async fn conversation(&mut self, id: i64) -> Result<Option<Conversation>, StoreError> {
        self.tx.fetch_optional(FIND, params![id]).await?.as_ref().map(conversation).transpose()
    }

    /// Conversations waiting for an agent, longest waiting first, as this unit sees them.
    pub async fn queue(&mut self) -> Result<Vec<Conversation>, StoreError> {
        self.tx.fetch_all(QUEUE, params![]).await?.iter().map(conversation).collect()
    }

    /// How many conversations each agent serves, as this unit sees them.
    pub async fn active_counts(&mut self) -> Result<Vec<(i64, i64)>, StoreError> {
        self.tx.fetch_all(ACTIVE_COUNTS, params![]).await?.iter().map(active_count).collect()
    }

    /// Forgets that the platform refused messages: the customer wrote again, which reopens
    /// the reply window.
    pub async fn reopen_channel(&mut self, conversation_id: i64) -> Result<(), StoreError> {
        let sql =
            "UPDATE conversations SET channel_blocked = NULL WHERE id = $1 AND channel_blocked IS NOT NULL";
        self.tx.execute(sql, params![conversation_id]).await
    }

    /// Writes every changeable field of `conversation`.
    pub async fn save_conversation(&mut self, conversation: &Conversation) -> Result<(), StoreError> {
        let sql = "UPDATE conversations SET state = $2, dialog_state = $3, agent_id = $4, agent_group = $5, handoff_reason = $6, \
             queued_at = $7, awaiting_rating = $8, satisfaction = $9, updated_at = $10, closed_at = $11 WHERE id = $1";
        let params = params![
            conversation.id,
            conversation.state.as_str(),
            conversation.dialog_state.to_string(),
            conversation.agent_id,
            conversation.agent_group.as_deref(),
            conversation.handoff_reason.as_ref().map(ToString::to_string),
            conversation.queued_at,
            i64::from(conversation.awaiting_rating),
            conversation.satisfaction,
            now_ms(),
            conversation.closed_at,
        ];
        self.tx.execute(sql, params).await
    }
}

impl Store {
    /// Conversation `id`.
    pub async fn conversation(&self, id: i64) -> Result<Option<Conversation>, StoreError> {
        let row = sqlx::query(FIND).bind(id).fetch_optional(self.pool()).await?;
        row.as_ref().map(conversation).transpose()
    }

    /// Conversations waiting for an agent, longest waiting first.
    pub async fn queue(&self) -> Result<Vec<Conversation>, StoreError> {
        let rows = sqlx::query(QUEUE).fetch_all(self.pool()).await?;
        rows.iter().map(conversation).collect()
    }

    /// The conversations an agent is serving.
    pub async fn conversations_of_agent(&self, agent_id: i64) -> Result<Vec<Conversation>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            conversation_columns!(),
            " FROM conversations WHERE agent_id = $1 AND state = 'human' ORDER BY updated_at DESC"
        ))
        .bind(agent_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(conversation).collect()
    }

    /// Conversations not closed, most recently active first.
    pub async fn open_conversations(&self, limit: i64) -> Result<Vec<Conversation>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            conversation_columns!(),
            " FROM conversations WHERE state <> 'closed' ORDER BY updated_at DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(conversation).collect()
    }

    /// A customer's newest conversation.
    pub async fn latest_conversation(&self, customer_id: i64) -> Result<Option<Conversation>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            conversation_columns!(),
            " FROM conversations WHERE customer_id = $1 ORDER BY id DESC LIMIT 1"
        ))
        .bind(customer_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(conversation).transpose()
    }

    /// A customer's conversations, newest first.
    pub async fn conversations_of_customer(&self, customer_id: i64) -> Result<Vec<Conversation>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            conversation_columns!(),
            " FROM conversations WHERE customer_id = $1 ORDER BY id DESC LIMIT 50"
        ))
        .bind(customer_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(conversation).collect()
    }

    /// How many conversations each agent serves now.
    pub async fn active_counts(&self) -> Result<Vec<(i64, i64)>, StoreError> {
        let rows = sqlx::query(ACTIVE_COUNTS).fetch_all(self.pool()).await?;
        rows.iter().map(active_count).collect()
    }
}
