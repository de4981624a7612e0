//! What agents do with conversations: claim from the queue, reply, transfer, close, open a
//! ticket. Every action checks the agent may do it, commits, then tells the customer and the
//! workbenches.

use serde_json::json;

use super::handoff::assigned_event;
use super::receive::{insert_all, system_message};
use super::{Service, ServiceError, now_ms};
use crate::knowledge::Reply;
use crate::store::{
    Agent, AgentStatus, Conversation, ConversationState, Message, NewEvent, NewMessage, Role, Sender, Ticket,
};

/// Why an agent's action was refused.
#[derive(Debug, thiserror::Error)]
pub enum AgentActionError {
    /// No such conversation, agent or ticket.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The conversation belongs to another agent.
    #[error("this conversation is served by another agent")]
    Forbidden,
    /// The action does not fit the conversation's state.
    #[error("{0}")]
    Conflict(String),
    /// The request is malformed.
    #[error("{0}")]
    Invalid(String),
    /// The service failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<crate::store::StoreError> for AgentActionError {
    fn from(error: crate::store::StoreError) -> AgentActionError {
        AgentActionError::Service(error.into())
    }
}

/// Where a conversation is transferred.
#[derive(Debug, Clone)]
pub enum Transfer {
    /// To this agent.
    Agent(i64),
    /// Back to the queue of this group.
    Group(String),
}

impl Service {
    async fn owned_conversation(&self, agent: &Agent, id: i64) -> Result<Conversation, AgentActionError> {
        let conversation =
            self.store.conversation(id).await?.ok_or(AgentActionError::NotFound("conversation"))?;
        let mine = conversation.agent_id == Some(agent.id);
        if conversation.agent_id.is_some() && !mine && agent.role != Role::Admin {
            return Err(AgentActionError::Forbidden);
        }
        Ok(conversation)
    }

    /// Takes a queued conversation.
    pub async fn claim(&self, agent: &Agent, id: i64) -> Result<Conversation, AgentActionError> {
        let mut tx = self.store.begin().await?;
        let mut conversation =
            tx.conversation(id).await?.ok_or(AgentActionError::NotFound("conversation"))?;
        if conversation.state != ConversationState::Queued {
            return Err(AgentActionError::Conflict(format!(
                "the conversation is {}, not queued",
                conversation.state.as_str()
            )));
        }
        conversation.state = ConversationState::Human;
        conversation.agent_id = Some(agent.id);
        tx.save_conversation(&conversation).await?;
        let text = self.config.agents.agent_joined_reply.replace("{agent}", &agent.display_name);
        let stored = insert_all(&mut tx, &[system_message(&conversation, &text, None)]).await?;
        let event = assigned_event(&mut tx, &conversation, agent.id).await?;
        tx.commit().await?;
        self.after_commit(vec![event], stored).await;
        Ok(conversation)
    }

    /// Sends the agent's reply to the customer. A closed conversation (a ticket being answered)
    /// reopens with this agent.
    pub async fn agent_reply(&self, agent: &Agent, id: i64, text: &str) -> Result<Message, AgentActionError> {
        if text.trim().is_empty() {
            return Err(AgentActionError::Invalid("`text` must not be empty".into()));
        }
        let mut conversation = self.owned_conversation(agent, id).await?;
        match conversation.state {
            ConversationState::Human => {}
            ConversationState::Queued => {
                return Err(AgentActionError::Conflict("claim the conversation before replying".into()));
            }
            ConversationState::Bot | ConversationState::Closed => {
                conversation.state = ConversationState::Human;
                conversation.agent_id = Some(agent.id);
                conversation.awaiting_rating = false;
                conversation.closed_at = None;
            }
        }
        let mut tx = self.store.begin().await?;
        tx.save_conversation(&conversation).await?;
        let reply = NewMessage {
            conversation_id: conversation.id,
            customer_id: conversation.customer_id,
            sender: Some(Sender::Agent),
            agent_id: Some(agent.id),
            content: serde_json::to_value(Reply::text(text.trim())).unwrap_or_default(),
            ..NewMessage::default()
        };
        let stored = insert_all(&mut tx, &[reply]).await?;
        let event = tx
            .append_event(NewEvent {
                kind: "agent_message".into(),
                conversation_id: Some(conversation.id),
                agent_id: Some(agent.id),
                payload: json!({ "message_id": stored.first().map(|m| m.id), "text": text.trim() }),
                ..NewEvent::default()
            })
            .await?;
        tx.commit().await?;
        self.after_commit(vec![event], stored.clone()).await;
        stored.into_iter().next().ok_or_else(|| AgentActionError::Conflict("the reply was not stored".into()))
    }

    /// Hands the conversation to another agent, or back to a group's queue, with a note.
    pub async fn transfer(
        &self,
        agent: &Agent,
        id: i64,
        to: Transfer,
        note: &str,
    ) -> Result<Conversation, AgentActionError> {
        let mut conversation = self.owned_conversation(agent, id).await?;
        if conversation.state != ConversationState::Human {
            return Err(AgentActionError::Conflict(
                "only a conversation an agent serves can be transferred".into(),
            ));
        }
        // Read before the transaction: on SQLite a pool query inside it could wait for the
        // write lock the transaction itself holds.
        let target = match &to {
            Transfer::Agent(id) => {
                Some(self.store.agent(*id).await?.ok_or(AgentActionError::NotFound("agent"))?)
            }
            Transfer::Group(_) => None,
        };
        if let Some(target) = &target
            && target.disabled
        {
            return Err(AgentActionError::Conflict(format!("agent {} is disabled", target.username)));
        }
        let mut tx = self.store.begin().await?;
        let (kind, to_agent) = match &to {
            Transfer::Agent(_) => {
                let to_agent = target.as_ref().map(|target| target.id);
                conversation.agent_id = to_agent;
                ("transferred", to_agent)
            }
            Transfer::Group(group) => {
                conversation.state = ConversationState::Queued;
                conversation.agent_id = None;
                conversation.agent_group = Some(group.clone());
                conversation.queued_at = Some(now_ms());
                ("transferred", None)
            }
        };
        tx.save_conversation(&conversation).await?;
        let payload = json!({
            "from_agent": agent.id,
            "to_agent": to_agent,
            "to_group": match &to { Transfer::Group(g) => Some(g.clone()), Transfer::Agent(_) => None },
            "note": note,
        });
        let event = tx
            .append_event(NewEvent {
                kind: kind.into(),
                conversation_id: Some(conversation.id),
                agent_id: to_agent,
                payload,
                ..NewEvent::default()
            })
            .await?;
        tx.commit().await?;
        self.after_commit(vec![event], Vec::new()).await;
        if conversation.state == ConversationState::Queued {
            self.assign().await?;
        }
        Ok(conversation)
    }

    /// Ends the conversation and asks the customer to rate it.
    pub async fn close(&self, agent: &Agent, id: i64) -> Result<Conversation, AgentActionError> {
        let mut conversation = self.owned_conversation(agent, id).await?;
        if conversation.state == ConversationState::Closed {
            return Err(AgentActionError::Conflict("the conversation is already closed".into()));
        }
        conversation.state = ConversationState::Closed;
        conversation.closed_at = Some(now_ms());
        conversation.awaiting_rating = true;
        // The next conversation starts with the bot and no memory of this one's dialog.
        conversation.dialog_state = json!({});
        let mut tx = self.store.begin().await?;
        tx.save_conversation(&conversation).await?;
        let stored =
            insert_all(&mut tx, &[system_message(&conversation, &self.config.agents.rating_prompt, None)])
                .await?;
        let event = tx
            .append_event(NewEvent {
                kind: "closed".into(),
                conversation_id: Some(conversation.id),
                agent_id: Some(agent.id),
                ..NewEvent::default()
            })
            .await?;
        tx.commit().await?;
        self.after_commit(vec![event], stored).await;
        self.assign().await?;
        Ok(conversation)
    }

    /// Opens a ticket for a conversation (to follow up later).
    pub async fn open_ticket(
        &self,
        agent: &Agent,
        id: i64,
        subject: &str,
        priority: &str,
    ) -> Result<Ticket, AgentActionError> {
        let conversation = self.owned_conversation(agent, id).await?;
        if subject.trim().is_empty() {
            return Err(AgentActionError::Invalid("`subject` must not be empty".into()));
        }
        let mut tx = self.store.begin().await?;
        let mut ticket = tx
            .insert_ticket(
                conversation.customer_id,
                Some(conversation.id),
                subject.trim(),
                conversation.agent_group.as_deref(),
            )
            .await?;
        ticket.priority = priority.to_string();
        ticket.assignee_id = Some(agent.id);
        tx.save_ticket(&ticket).await?;
        let event = tx
            .append_event(NewEvent {
                kind: "ticket_created".into(),
                conversation_id: Some(conversation.id),
                ticket_id: Some(ticket.id),
                agent_id: Some(agent.id),
                payload: json!({ "subject": ticket.subject, "why": "agent" }),
            })
            .await?;
        tx.commit().await?;
        self.after_commit(vec![event], Vec::new()).await;
        Ok(ticket)
    }

    /// Sets an agent's availability; going online may bring them queued conversations.
    pub async fn set_status(&self, agent: &Agent, status: AgentStatus) -> Result<Agent, AgentActionError> {
        let mut changed = agent.clone();
        changed.status = status;
        let mut tx = self.store.begin().await?;
        tx.save_agent(&changed).await?;
        let event = tx
            .append_event(NewEvent {
                kind: "agent_status".into(),
                agent_id: Some(agent.id),
                payload: json!({ "status": status }),
                ..NewEvent::default()
            })
            .await?;
        tx.commit().await?;
        self.after_commit(vec![event], Vec::new()).await;
        if status == AgentStatus::Online {
            self.assign().await?;
        }
        Ok(changed)
    }
}
