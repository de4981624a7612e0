//! Tickets (留言) and their internal notes.

use super::sql::{RowRead, params};
use super::{Store, StoreError, StoreTx, Ticket, TicketNote, TicketStatus, now_ms};

macro_rules! ticket_columns {
    () => {
        "id, customer_id, conversation_id, subject, status, priority, assignee_id, agent_group, created_at, updated_at"
    };
}

fn ticket(row: &impl RowRead) -> Result<Ticket, StoreError> {
    Ok(Ticket {
        id: row.get("id")?,
        customer_id: row.get("customer_id")?,
        conversation_id: row.get("conversation_id")?,
        subject: row.get("subject")?,
        status: TicketStatus::parse(&row.get::<String>("status")?).unwrap_or(TicketStatus::Open),
        priority: row.get("priority")?,
        assignee_id: row.get("assignee_id")?,
        agent_group: row.get("agent_group")?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
    })
}

/// Which tickets to list; `None` matches any.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    /// Status.
    pub status: Option<TicketStatus>,
    /// Assignee.
    pub assignee_id: Option<i64>,
    /// Priority.
    pub priority: Option<String>,
}

impl StoreTx<'_> {
    /// Opens a ticket.
    pub async fn insert_ticket(
        &mut self,
        customer_id: i64,
        conversation_id: Option<i64>,
        subject: &str,
        agent_group: Option<&str>,
    ) -> Result<Ticket, StoreError> {
        let sql = concat!(
            "INSERT INTO tickets (customer_id, conversation_id, subject, status, priority, agent_group, created_at, updated_at) ",
            "VALUES ($1, $2, $3, 'open', 'normal', $4, $5, $5) RETURNING ",
            ticket_columns!()
        );
        let params = params![customer_id, conversation_id, subject, agent_group, now_ms()];
        let row = self.tx.fetch_one(sql, params).await?;
        ticket(&row)
    }

    /// Writes every changeable field of `ticket`.
    pub async fn save_ticket(&mut self, ticket: &Ticket) -> Result<(), StoreError> {
        let sql = "UPDATE tickets SET subject = $2, status = $3, priority = $4, assignee_id = $5, agent_group = $6, updated_at = $7 WHERE id = $1";
        let params = params![
            ticket.id,
            &ticket.subject,
            ticket.status.as_str(),
            &ticket.priority,
            ticket.assignee_id,
            ticket.agent_group.as_deref(),
            now_ms(),
        ];
        self.tx.execute(sql, params).await
    }

    /// Adds an internal note to a ticket.
    pub async fn insert_ticket_note(
        &mut self,
        ticket_id: i64,
        agent_id: Option<i64>,
        body: &str,
    ) -> Result<TicketNote, StoreError> {
        let created_at = now_ms();
        let sql = "INSERT INTO ticket_notes (ticket_id, agent_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id";
        let id = self.tx.insert_one(sql, params![ticket_id, agent_id, body, created_at]).await?;
        Ok(TicketNote { id, ticket_id, agent_id, body: body.to_string(), created_at })
    }
}

impl Store {
    /// Ticket `id`.
    pub async fn ticket(&self, id: i64) -> Result<Option<Ticket>, StoreError> {
        let row = sqlx::query(concat!("SELECT ", ticket_columns!(), " FROM tickets WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(ticket).transpose()
    }

    /// Tickets matching `filter`, newest first.
    pub async fn tickets(&self, filter: &TicketFilter) -> Result<Vec<Ticket>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            ticket_columns!(),
            " FROM tickets WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR assignee_id = $2) ",
            "AND ($3 IS NULL OR priority = $3) ORDER BY id DESC LIMIT 200"
        ))
        .bind(filter.status.map(TicketStatus::as_str))
        .bind(filter.assignee_id)
        .bind(filter.priority.as_deref())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(ticket).collect()
    }

    /// A customer's tickets, newest first.
    pub async fn tickets_of_customer(&self, customer_id: i64) -> Result<Vec<Ticket>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            ticket_columns!(),
            " FROM tickets WHERE customer_id = $1 ORDER BY id DESC"
        ))
        .bind(customer_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(ticket).collect()
    }

    /// A ticket's notes, oldest first.
    pub async fn ticket_notes(&self, ticket_id: i64) -> Result<Vec<TicketNote>, StoreError> {
        let rows = sqlx::query("SELECT id, ticket_id, agent_id, body, created_at FROM ticket_notes WHERE ticket_id = $1 ORDER BY id")
            .bind(ticket_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                Ok(TicketNote {
                    id: row.get("id")?,
                    ticket_id: row.get("ticket_id")?,
                    agent_id: row.get("agent_id")?,
                    body: row.get("body")?,
                    created_at: row.get("created_at")?,
                })
            })
            .collect()
    }
}
