//! Handing a conversation to humans: into the queue when agents work and one is online,
//! otherwise a ticket (留言) and a word to the customer; and assigning the queue.

use std::collections::HashMap;

use serde_json::json;

use super::receive::{insert_all, system_message};
use super::{Service, ServiceError, now_ms};
use crate::agents::plan_assignments;
use crate::store::{
    AgentStatus, Conversation, ConversationState, Event, NewEvent, NewMessage, StoreError, StoreTx,
};

/// How long a ticket's subject may be, in characters.
const SUBJECT_CHARS: usize = 60;

impl Service {
    /// Hands `conversation` off inside `tx`: queued, or closed with a ticket when nobody can
    /// take it. Returns the notices for the customer and the events.
    pub(super) async fn hand_off(
        &self,
        tx: &mut StoreTx<'static>,
        conversation: &mut Conversation,
        reason: serde_json::Value,
        group: Option<String>,
        last_text: &str,
    ) -> Result<(Vec<NewMessage>, Vec<Event>), ServiceError> {
        let now = now_ms();
        conversation.handoff_reason = Some(reason.clone());
        conversation.agent_group = group.clone();
        let to_wechat = conversation
            .channel
            .strip_prefix("wechat:")
            .and_then(|name| self.delivery.wechat_app(name))
            .is_some_and(|app| app.transfer_to_wechat);
        if to_wechat {
            // WeChat's own web tool takes the session (the push answer transfers it); messages
            // come back to kefu when it ends, as a new conversation.
            conversation.state = ConversationState::Closed;
            conversation.closed_at = Some(now);
            let event = tx
                .append_event(NewEvent {
                    kind: "transferred_out".into(),
                    conversation_id: Some(conversation.id),
                    payload: json!({ "reason": reason, "to": "wechat" }),
                    ..NewEvent::default()
                })
                .await?;
            return Ok((Vec::new(), vec![event]));
        }
        // Read in the transaction: two hand-offs at once see each other's place in the queue.
        let agents = tx.agents().await?;
        let someone_online = agents.iter().any(|a| a.status == AgentStatus::Online && !a.disabled);
        if !self.hours.is_open(now) || !someone_online {
            let subject: String = last_text.chars().take(SUBJECT_CHARS).collect();
            let ticket = tx
                .insert_ticket(conversation.customer_id, Some(conversation.id), &subject, group.as_deref())
                .await?;
            conversation.state = ConversationState::Closed;
            conversation.closed_at = Some(now);
            let text = self.config.agents.no_agent_reply.replace("{ticket}", &ticket.id.to_string());
            let event = tx
                .append_event(NewEvent {
                    kind: "ticket_created".into(),
                    conversation_id: Some(conversation.id),
                    ticket_id: Some(ticket.id),
                    payload: json!({ "reason": reason, "subject": subject, "why": if someone_online { "closed_hours" } else { "no_agent_online" } }),
                    ..NewEvent::default()
                })
                .await?;
            return Ok((vec![system_message(conversation, &text, None)], vec![event]));
        }
        conversation.state = ConversationState::Queued;
        conversation.queued_at = Some(now);
        conversation.agent_id = None;
        let mut queue: Vec<Conversation> =
            tx.queue().await?.into_iter().filter(|c| c.id != conversation.id).collect();
        let position = queue.len() + 1;
        queue.push(conversation.clone());
        let active: HashMap<i64, i64> = tx.active_counts().await?.into_iter().collect();
        let taken_at_once = plan_assignments(&queue, &agents, &active)
            .iter()
            .any(|plan| plan.conversation_id == conversation.id);
        let event = tx
            .append_event(NewEvent {
                kind: "queued".into(),
                conversation_id: Some(conversation.id),
                payload: json!({ "reason": reason, "group": group, "position": position }),
                ..NewEvent::default()
            })
            .await?;
        // An agent takes it right away: no point announcing a place in the queue.
        let notices = if taken_at_once {
            Vec::new()
        } else {
            let text = place_line(&self.config.agents.queued_reply, position);
            vec![system_message(conversation, &text, None)]
        };
        Ok((notices, vec![event]))
    }

    /// Assigns queued conversations to online agents with room, tells the customers who
    /// moved up to a near place, and the workbenches. Serialised: two plans never race.
    /// Returns the messages sent to customers.
    pub async fn assign(&self) -> Result<Vec<crate::store::Message>, ServiceError> {
        let _one_planner = self.assignment.lock().await;
        let queue = self.store.queue().await?;
        let agents = self.store.agents().await?;
        let active: HashMap<i64, i64> = self.store.active_counts().await?.into_iter().collect();
        let plan = plan_assignments(&queue, &agents, &active);
        if plan.is_empty() {
            return Ok(Vec::new());
        }
        let mut events = Vec::new();
        let mut outgoing = Vec::new();
        let mut tx = self.store.begin().await?;
        for assignment in &plan {
            let Some(mut conversation) = tx.conversation(assignment.conversation_id).await? else { continue };
            if conversation.state != ConversationState::Queued {
                continue;
            }
            let Some(agent) = agents.iter().find(|a| a.id == assignment.agent_id) else { continue };
            conversation.state = ConversationState::Human;
            conversation.agent_id = Some(agent.id);
            tx.save_conversation(&conversation).await?;
            let text = self.config.agents.agent_joined_reply.replace("{agent}", &agent.display_name);
            outgoing.extend(insert_all(&mut tx, &[system_message(&conversation, &text, None)]).await?);
            events.push(assigned_event(&mut tx, &conversation, agent.id).await?);
        }
        // Customers still waiting who moved up to one of the first places hear about it.
        let assigned: Vec<i64> = plan.iter().map(|a| a.conversation_id).collect();
        let waiting: Vec<&Conversation> = queue.iter().filter(|c| !assigned.contains(&c.id)).collect();
        for (index, conversation) in waiting.iter().enumerate() {
            let before = queue.iter().position(|c| c.id == conversation.id).unwrap_or(index) + 1;
            let now = index + 1;
            if now < before && now <= NEAR_PLACES {
                let text = place_line(&self.config.agents.queue_moved_reply, now);
                outgoing.extend(insert_all(&mut tx, &[system_message(conversation, &text, None)]).await?);
            }
        }
        tx.commit().await?;
        self.hub.publish(events);
        for messages in group_by_customer(outgoing.clone()) {
            self.after_commit(Vec::new(), messages).await;
        }
        Ok(outgoing)
    }

    /// Turns conversations queued longer than the configured wait into tickets.
    pub async fn expire_queue(&self) -> Result<(), ServiceError> {
        let limit = now_ms() - self.config.agents.queue_timeout_secs as i64 * 1000;
        for waiting in self.store.queue().await? {
            if waiting.queued_at.is_none_or(|at| at > limit) {
                continue;
            }
            let mut tx = self.store.begin().await?;
            let Some(mut conversation) = tx.conversation(waiting.id).await? else { continue };
            if conversation.state != ConversationState::Queued {
                continue;
            }
            let subject = format!("排队超时：会话 #{}", conversation.id);
            let ticket = tx
                .insert_ticket(
                    conversation.customer_id,
                    Some(conversation.id),
                    &subject,
                    conversation.agent_group.as_deref(),
                )
                .await?;
            conversation.state = ConversationState::Closed;
            conversation.closed_at = Some(now_ms());
            tx.save_conversation(&conversation).await?;
            let text = self.config.agents.queue_timeout_reply.replace("{ticket}", &ticket.id.to_string());
            let stored = insert_all(&mut tx, &[system_message(&conversation, &text, None)]).await?;
            let event = tx
                .append_event(NewEvent {
                    kind: "ticket_created".into(),
                    conversation_id: Some(conversation.id),
                    ticket_id: Some(ticket.id),
                    payload: json!({ "why": "queue_timeout", "subject": subject }),
                    ..NewEvent::default()
                })
                .await?;
            tx.commit().await?;
            self.after_commit(vec![event], stored).await;
        }
        Ok(())
    }
}

/// Up to this place, moving up in the queue is worth telling the customer.
const NEAR_PLACES: usize = 3;

pub(super) async fn assigned_event(
    tx: &mut StoreTx<'static>,
    conversation: &Conversation,
    agent_id: i64,
) -> Result<Event, StoreError> {
    tx.append_event(NewEvent {
        kind: "assigned".into(),
        conversation_id: Some(conversation.id),
        agent_id: Some(agent_id),
        payload: json!({ "customer_id": conversation.customer_id }),
        ..NewEvent::default()
    })
    .await
}

/// A line about the customer's place in the queue: `{position}` is the place (1 = next),
/// `{ahead}` how many wait before them.
fn place_line(template: &str, position: usize) -> String {
    template
        .replace("{position}", &position.to_string())
        .replace("{ahead}", &position.saturating_sub(1).to_string())
}

/// Messages grouped per customer, in order (each delivery goes to one customer).
fn group_by_customer(messages: Vec<crate::store::Message>) -> Vec<Vec<crate::store::Message>> {
    let mut groups: Vec<Vec<crate::store::Message>> = Vec::new();
    for message in messages {
        match groups.iter_mut().find(|g| g[0].customer_id == message.customer_id) {
            Some(group) => group.push(message),
            None => groups.push(vec![message]),
        }
    }
    groups
}
