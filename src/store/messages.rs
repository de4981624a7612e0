//! Messages: everything said in a conversation, in order, with the bot's decisions.

use super::sql::{RowRead, params};
use super::{Message, NewMessage, Sender, Store, StoreError, StoreTx, json, now_ms};

macro_rules! message_columns {
    () => {
        "id, conversation_id, customer_id, direction, sender, agent_id, content, platform_msg_id, in_reply_to, \
         decision, confidence, knowledge_version, created_at"
    };
}

fn message(row: &impl RowRead) -> Result<Message, StoreError> {
    let decision: Option<String> = row.get("decision")?;
    Ok(Message {
        id: row.get("id")?,
        conversation_id: row.get("conversation_id")?,
        customer_id: row.get("customer_id")?,
        direction: row.get("direction")?,
        sender: Sender::parse(&row.get::<String>("sender")?),
        agent_id: row.get("agent_id")?,
        content: json(&row.get::<String>("content")?, "message content")?,
        platform_msg_id: row.get("platform_msg_id")?,
        in_reply_to: row.get("in_reply_to")?,
        decision: decision.map(|d| json(&d, "decision")).transpose()?,
        confidence: row.get("confidence")?,
        knowledge_version: row.get("knowledge_version")?,
        created_at: row.get("created_at")?,
    })
}

impl StoreTx<'_> {
    /// Stores a message and returns it as stored; `None` when its platform id was seen
    /// before for this customer (a retry, dropped).
    pub async fn insert_message(&mut self, new: &NewMessage) -> Result<Option<Message>, StoreError> {
        let sender = new.sender.unwrap_or(if new.inbound { Sender::User } else { Sender::Bot });
        let direction = if new.inbound { "in" } else { "out" };
        let created_at = now_ms();
        let sql = "INSERT INTO messages (conversation_id, customer_id, direction, sender, agent_id, content, platform_msg_id, \
             in_reply_to, decision, confidence, knowledge_version, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING RETURNING id";
        let params = params![
            new.conversation_id,
            new.customer_id,
            direction,
            sender.as_str(),
            new.agent_id,
            new.content.to_string(),
            new.platform_msg_id.as_deref(),
            new.in_reply_to,
            new.decision.as_ref().map(ToString::to_string),
            new.confidence,
            new.knowledge_version.as_deref(),
            created_at,
        ];
        let id = self.tx.insert(sql, params).await?;
        Ok(id.map(|id| Message {
            id,
            conversation_id: new.conversation_id,
            customer_id: new.customer_id,
            direction: direction.to_string(),
            sender,
            agent_id: new.agent_id,
            content: new.content.clone(),
            platform_msg_id: new.platform_msg_id.clone(),
            in_reply_to: new.in_reply_to,
            decision: new.decision.clone(),
            confidence: new.confidence,
            knowledge_version: new.knowledge_version.clone(),
            created_at,
        }))
    }

    /// The message a customer sent with this platform id.
    pub async fn message_by_platform_id(
        &mut self,
        customer_id: i64,
        platform_msg_id: &str,
    ) -> Result<Option<Message>, StoreError> {
        let sql = concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE customer_id = $1 AND platform_msg_id = $2"
        );
        let row = self.tx.fetch_optional(sql, params![customer_id, platform_msg_id]).await?;
        row.as_ref().map(message).transpose()
    }
}

impl Store {
    /// A conversation's messages, in order.
    pub async fn messages(&self, conversation_id: i64) -> Result<Vec<Message>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE conversation_id = $1 ORDER BY id"
        ))
        .bind(conversation_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(message).collect()
    }

    /// Messages to a customer after message `after` (for polling), oldest first.
    pub async fn outgoing_after(
        &self,
        customer_id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Message>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE customer_id = $1 AND id > $2 AND direction = 'out' ORDER BY id LIMIT $3"
        ))
        .bind(customer_id)
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(message).collect()
    }

    /// A customer's last `limit` messages, every conversation, oldest first (a chat's history).
    pub async fn recent_messages(&self, customer_id: i64, limit: i64) -> Result<Vec<Message>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE customer_id = $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(customer_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut messages = rows.iter().map(message).collect::<Result<Vec<_>, _>>()?;
        messages.reverse();
        Ok(messages)
    }

    /// Customers' messages since `since` (ms) with the bot's decision on each, oldest first:
    /// what the gaps report reads.
    pub async fn customer_turns_since(&self, since: i64) -> Result<Vec<crate::gaps::Turn>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.id, m.conversation_id, m.content, m.created_at, r.decision FROM messages m \
             LEFT JOIN messages r ON r.in_reply_to = m.id AND r.decision IS NOT NULL \
             WHERE m.direction = 'in' AND m.created_at >= $1 ORDER BY m.id",
        )
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        let mut turns = Vec::with_capacity(rows.len());
        for row in &rows {
            let content: serde_json::Value = json(&row.get::<String>("content")?, "message content")?;
            let decision: Option<String> = row.get("decision")?;
            turns.push(crate::gaps::Turn {
                message_id: row.get("id")?,
                conversation_id: row.get("conversation_id")?,
                // Images and cards have no text to cluster.
                text: content.get("text").and_then(|t| t.as_str()).unwrap_or_default().to_string(),
                decision: decision.map(|d| json(&d, "decision")).transpose()?,
                at: row.get("created_at")?,
            });
        }
        // A message can have several replies with a decision only on the first; keep one row.
        turns.dedup_by_key(|turn| turn.message_id);
        Ok(turns)
    }

    /// The replies stored for an inbound message, in order.
    pub async fn replies_to(&self, message_id: i64) -> Result<Vec<Message>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE in_reply_to = $1 ORDER BY id"
        ))
        .bind(message_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(message).collect()
    }

    /// Total messages stored (for tests and metrics).
    pub async fn message_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM messages").fetch_one(self.pool()).await?)
    }
}
