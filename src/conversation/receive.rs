//! A customer's message, end to end: store it (dropping retries), let the bot answer or
//! pass it to the agent, store the replies and the new state, then act.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::json;

use super::hints::Hint;
use super::{Service, ServiceError, now_ms};
use crate::brain::Brain;
use crate::dialog::{
    Action, Decision, DialogState, Outcome, Policy, respond, respond_to_media, respond_to_webhook, welcome,
};
use crate::knowledge::Reply;
use crate::matcher::Ranking;
use crate::store::{
    Conversation, ConversationState, Customer, CustomerPatch, Event, Message, NewEvent, NewMessage, Sender,
    StoreError, StoreTx,
};

/// A message from a customer, as a channel received it.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// The channel (`app`, `wechat:NAME`, `web`).
    pub channel: String,
    /// The customer's id on that channel.
    pub external_id: String,
    /// The customer's name, if the channel knows it.
    pub display_name: String,
    /// The platform's message id, for dropping retries.
    pub platform_msg_id: Option<String>,
    /// What the customer wrote (for an image or a card: a short description).
    pub text: String,
    /// An image or a card the customer sent instead of text.
    pub media: Option<Reply>,
}

/// What became of an inbound message.
#[derive(Debug, Clone)]
pub struct Delivered {
    /// The conversation it belongs to.
    pub conversation_id: i64,
    /// The customer's message as stored (none for a greeting).
    pub message_id: Option<i64>,
    /// The conversation's state afterwards.
    pub state: ConversationState,
    /// The replies sent right away (none when an agent is to answer).
    pub replies: Vec<Message>,
    /// The message was a retry of one already received; `replies` are the original ones.
    pub duplicate: bool,
    /// The conversation was handed to the platform's own agent tool (WeChat `handoff = "wechat"`).
    pub transferred_out: bool,
}

/// Phrasings up to which the dialog step runs on the async runtime: matching them takes
/// some tens of microseconds, less than handing the step to a blocking thread and back.
const INLINE_PHRASINGS: usize = 5_000;

/// What one bot turn produced, to store.
struct BotTurn {
    state: DialogState,
    decision: Decision,
    confidence: Option<f32>,
    replies: Vec<Reply>,
    handoff: Option<(serde_json::Value, Option<String>)>,
}

impl BotTurn {
    fn new(state: DialogState, decision: Decision, ranking: &Option<Ranking>) -> BotTurn {
        let confidence = ranking.as_ref().and_then(|r| r.best()).map(|c| c.confidence);
        BotTurn { state, decision, confidence, replies: Vec::new(), handoff: None }
    }

    /// Collects the core's replies and hand-off; returns the webhook call it asks for, if any.
    fn take(&mut self, actions: Vec<Action>) -> Option<(String, serde_json::Value)> {
        let mut call = None;
        for action in actions {
            match action {
                Action::Reply { reply } => self.replies.push(reply),
                Action::Handoff { reason } => {
                    let group = match &reason {
                        crate::dialog::HandoffReason::Flow { group, .. } => group.clone(),
                        _ => None,
                    };
                    self.handoff = Some((serde_json::to_value(&reason).unwrap_or_default(), group));
                }
                Action::CallWebhook { webhook, payload, .. } => call = Some((webhook, payload)),
            }
        }
        call
    }
}

/// A bot turn worked out before its message was stored, and the state it assumed.
struct Guess {
    expected: DialogState,
    turn: BotTurn,
}

impl Service {
    /// Handles one customer message. Returns once it is stored and answered (or queued).
    pub async fn receive(&self, inbound: Inbound) -> Result<Delivered, ServiceError> {
        let key = customer_key(&inbound.channel, &inbound.external_id);
        let _turn = self.customer_locks.lock(key.clone()).await;
        // One brain for the whole turn: a reload meanwhile does not change its answer.
        let brain = self.brain();
        let guess = self.guess(&brain, &key, &inbound).await?;
        let mut tx = self.store.begin().await?;
        let customer =
            tx.upsert_customer(&inbound.channel, &inbound.external_id, &inbound.display_name).await?;
        let mut conversation = tx.current_conversation(customer.id, &inbound.channel).await?;
        if conversation.awaiting_rating {
            if let Some(score) = rating(&inbound.text) {
                return self.rate(tx, &customer, conversation, &inbound, score).await;
            }
            // Not a rating: the customer moved on; the next conversation starts.
            conversation.awaiting_rating = false;
            tx.save_conversation(&conversation).await?;
            conversation = tx.current_conversation(customer.id, &inbound.channel).await?;
        }
        let content =
            serde_json::to_value(inbound.media.clone().unwrap_or_else(|| Reply::text(inbound.text.clone())))
                .unwrap_or_default();
        let new = NewMessage {
            conversation_id: conversation.id,
            customer_id: customer.id,
            inbound: true,
            content,
            platform_msg_id: inbound.platform_msg_id.clone(),
            ..NewMessage::default()
        };
        let Some(message_id) = tx.insert_message(&new).await?.map(|m| m.id) else {
            drop(tx);
            return self.duplicate(customer.id, &inbound).await;
        };
        if conversation.channel_blocked.is_some() {
            // The customer wrote: the platform lets kefu answer again.
            tx.reopen_channel(conversation.id).await?;
        }
        let mut payload =
            json!({ "message_id": message_id, "text": inbound.text, "customer_id": customer.id });
        if conversation.state != ConversationState::Bot {
            payload["suggestions"] = self.suggestions(&inbound.text);
        }
        let event = tx
            .append_event(NewEvent {
                kind: "customer_message".into(),
                conversation_id: Some(conversation.id),
                agent_id: conversation.agent_id,
                payload,
                ..NewEvent::default()
            })
            .await?;
        if let Some(guess) = guess
            && conversation.state == ConversationState::Bot
            && guess.expected == dialog_state(&conversation)
        {
            // The guess holds: the answer goes in with the message.
            let (stored, events) = self
                .write_turn(&mut tx, &brain, &mut conversation, message_id, &inbound.text, guess.turn)
                .await?;
            tx.commit().await?;
            self.hub.publish([event]);
            return self.finish_turn(&key, &customer, conversation, message_id, stored, events).await;
        }
        tx.commit().await?;
        self.hub.publish([event]);
        if conversation.state != ConversationState::Bot {
            // An agent answers (or will): the bot stays silent.
            self.hints.remember(&key, Hint::Agent);
            return Ok(Delivered {
                conversation_id: conversation.id,
                message_id: Some(message_id),
                state: conversation.state,
                replies: Vec::new(),
                duplicate: false,
                transferred_out: false,
            });
        }
        self.bot_turn(&brain, &key, &customer, conversation, message_id, &inbound).await
    }

    /// The bot's turn on `inbound`, worked out before the message is stored from the state
    /// its conversation is expected to hold (see `hints`). None when an agent serves the
    /// customer, for an image or a card, and when the turn calls a webhook: a call to the
    /// shop's backend must not be made on a guess.
    async fn guess(
        &self,
        brain: &Arc<Brain>,
        key: &str,
        inbound: &Inbound,
    ) -> Result<Option<Guess>, ServiceError> {
        let Hint::Bot(expected) = self.hints.expected(key) else { return Ok(None) };
        if inbound.media.is_some() {
            return Ok(None);
        }
        let outcome = self.respond(brain, expected.clone(), &inbound.text).await?;
        let mut turn = BotTurn::new(outcome.state, outcome.decision, &outcome.ranking);
        if turn.take(outcome.actions).is_some() {
            return Ok(None);
        }
        Ok(Some(Guess { expected, turn }))
    }

    /// Greets a customer who opened the chat, when the bot serves them and no flow is
    /// running. `key` identifies the platform's event, so a retried event greets once;
    /// `came_from` (where the chat was opened, e.g. a product page) is kept for agents.
    pub async fn welcome(
        &self,
        channel: &str,
        external_id: &str,
        key: &str,
        came_from: &str,
    ) -> Result<Option<Delivered>, ServiceError> {
        let hint_key = customer_key(channel, external_id);
        let _turn = self.customer_locks.lock(hint_key.clone()).await;
        let mut tx = self.store.begin().await?;
        let customer = tx.upsert_customer(channel, external_id, "").await?;
        if !came_from.is_empty()
            && customer.attributes.get("session_from").and_then(|v| v.as_str()) != Some(came_from)
        {
            let mut attributes = customer.attributes.clone();
            attributes.insert("session_from".into(), json!(came_from));
            let patch = CustomerPatch { attributes: Some(attributes), ..CustomerPatch::default() };
            tx.update_customer(customer.id, &patch).await?;
        }
        let mut conversation = tx.current_conversation(customer.id, channel).await?;
        let state = dialog_state(&conversation);
        if conversation.state != ConversationState::Bot || state.flow.is_some() {
            tx.commit().await?;
            return Ok(None);
        }
        let outcome = welcome(&self.brain(), Policy::of(&self.config), &state);
        conversation.dialog_state = serde_json::to_value(&outcome.state).unwrap_or_default();
        let mut greeting = Vec::new();
        for (index, action) in outcome.actions.into_iter().enumerate() {
            if let Action::Reply { reply } = action {
                greeting.push(NewMessage {
                    conversation_id: conversation.id,
                    customer_id: customer.id,
                    content: serde_json::to_value(&reply).unwrap_or_default(),
                    decision: (index == 0)
                        .then(|| serde_json::to_value(&outcome.decision).unwrap_or_default()),
                    platform_msg_id: (index == 0).then(|| key.to_string()),
                    ..NewMessage::default()
                });
            }
        }
        let stored = insert_all(&mut tx, &greeting).await?;
        if stored.len() < greeting.len() {
            // The event was retried: the customer was greeted already.
            return Ok(None);
        }
        tx.save_conversation(&conversation).await?;
        tx.commit().await?;
        self.hints.remember(&hint_key, Hint::Bot(outcome.state));
        self.deliver_to(&customer, Vec::new(), stored.clone());
        Ok(Some(Delivered {
            conversation_id: conversation.id,
            message_id: None,
            state: conversation.state,
            replies: stored,
            duplicate: false,
            transferred_out: false,
        }))
    }

    /// Runs the dialog core on a stored message (text, or an image or card) and stores what
    /// it decided.
    async fn bot_turn(
        &self,
        brain: &Arc<Brain>,
        key: &str,
        customer: &Customer,
        mut conversation: Conversation,
        message_id: i64,
        inbound: &Inbound,
    ) -> Result<Delivered, ServiceError> {
        let state = dialog_state(&conversation);
        let turn = if inbound.media.is_some() {
            let outcome = respond_to_media(Policy::of(&self.config), &state);
            self.perform(brain, customer, &conversation, outcome).await
        } else {
            let outcome = self.respond(brain, state, &inbound.text).await?;
            self.perform(brain, customer, &conversation, outcome).await
        };
        let mut tx = self.store.begin().await?;
        let (stored, events) =
            self.write_turn(&mut tx, brain, &mut conversation, message_id, &inbound.text, turn).await?;
        tx.commit().await?;
        self.finish_turn(key, customer, conversation, message_id, stored, events).await
    }

    /// Writes a bot turn's replies and state in `tx`, handing off if it asked to; returns
    /// the replies as stored and the events to publish once `tx` commits.
    async fn write_turn(
        &self,
        tx: &mut StoreTx<'static>,
        brain: &Brain,
        conversation: &mut Conversation,
        message_id: i64,
        text: &str,
        turn: BotTurn,
    ) -> Result<(Vec<Message>, Vec<Event>), ServiceError> {
        let mut outgoing = Vec::new();
        for (index, reply) in turn.replies.iter().enumerate() {
            let first = index == 0;
            let message = NewMessage {
                conversation_id: conversation.id,
                customer_id: conversation.customer_id,
                content: serde_json::to_value(reply).unwrap_or_default(),
                in_reply_to: Some(message_id),
                decision: first.then(|| serde_json::to_value(&turn.decision).unwrap_or_default()),
                confidence: if first { turn.confidence.map(f64::from) } else { None },
                knowledge_version: first.then(|| brain.version.clone()),
                ..NewMessage::default()
            };
            outgoing.push(message);
        }
        conversation.dialog_state = serde_json::to_value(&turn.state).unwrap_or_default();
        let mut events = Vec::new();
        if let Some((reason, group)) = turn.handoff {
            let (notices, handoff_events) = self.hand_off(tx, conversation, reason, group, text).await?;
            if conversation.state == ConversationState::Closed {
                // Nobody can take it: "transferring you" would contradict the ticket notice.
                let transferring =
                    serde_json::to_value(Reply::text(self.config.dialog.handoff_reply.clone()))
                        .unwrap_or_default();
                outgoing.retain(|message| message.content != transferring);
            }
            outgoing.extend(notices.into_iter().map(|mut notice| {
                notice.in_reply_to = Some(message_id);
                notice
            }));
            // The decision rides on the first reply; the line it was on may have been dropped.
            if let Some(first) = outgoing.first_mut()
                && first.decision.is_none()
            {
                first.decision = serde_json::to_value(&turn.decision).ok();
                first.confidence = turn.confidence.map(f64::from);
                first.knowledge_version = Some(brain.version.clone());
            }
            events.extend(handoff_events);
        }
        tx.save_conversation(conversation).await?;
        let stored = insert_all(tx, &outgoing).await?;
        Ok((stored, events))
    }

    /// After a bot turn committed: delivers its replies, remembers the state for the
    /// customer's next message, and lets an agent take the conversation if it was queued.
    async fn finish_turn(
        &self,
        key: &str,
        customer: &Customer,
        conversation: Conversation,
        message_id: i64,
        stored: Vec<Message>,
        events: Vec<Event>,
    ) -> Result<Delivered, ServiceError> {
        let hint = match conversation.state {
            ConversationState::Bot => Hint::Bot(dialog_state(&conversation)),
            _ => Hint::Agent,
        };
        self.hints.remember(key, hint);
        let queued = conversation.state == ConversationState::Queued;
        let transferred_out = events.iter().any(|event| event.kind == "transferred_out");
        self.deliver_to(customer, events, stored.clone());
        let mut replies = stored;
        let mut state = conversation.state;
        if queued {
            // An agent may take it at once: the customer hears it in this answer too.
            let assigned = self.assign().await?;
            replies.extend(assigned.into_iter().filter(|m| m.conversation_id == conversation.id));
            state = self.store.conversation(conversation.id).await?.map_or(state, |c| c.state);
        }
        Ok(Delivered {
            conversation_id: conversation.id,
            message_id: Some(message_id),
            state,
            replies,
            duplicate: false,
            transferred_out,
        })
    }

    /// The dialog core's decision on `text` from `state`.
    async fn respond(
        &self,
        brain: &Arc<Brain>,
        state: DialogState,
        text: &str,
    ) -> Result<Outcome, ServiceError> {
        let now = now_ms() / 1000;
        if brain.matcher.phrasing_count() <= INLINE_PHRASINGS {
            return Ok(respond(brain, Policy::of(&self.config), &state, text, now));
        }
        let (snapshot, config, message) = (brain.clone(), self.config.clone(), text.to_string());
        // Matching many phrasings is CPU work: keep it off the async runtime.
        tokio::task::spawn_blocking(move || respond(&snapshot, Policy::of(&config), &state, &message, now))
            .await
            .map_err(|e| ServiceError::Task(e.to_string()))
    }

    /// Carries out a core outcome's actions: collects replies and the hand-off, and calls
    /// webhooks, feeding each reply back to the core.
    async fn perform(
        &self,
        brain: &Brain,
        customer: &Customer,
        conversation: &Conversation,
        outcome: Outcome,
    ) -> BotTurn {
        let mut turn = BotTurn::new(outcome.state, outcome.decision, &outcome.ranking);
        let mut pending = outcome.actions;
        let caller = format!("{}:{}", conversation.channel, conversation.customer_id);
        for _ in 0..8 {
            let Some((webhook, payload)) = turn.take(std::mem::take(&mut pending)) else { break };
            if conversation.channel.starts_with("wechat:") {
                self.delivery.bot_typing(customer);
            }
            let reply = self.webhooks.call(&webhook, &payload, &caller).await;
            let next =
                respond_to_webhook(brain, Policy::of(&self.config), &turn.state, reply, now_ms() / 1000);
            turn.state = next.state;
            pending = next.actions;
        }
        turn
    }

    /// A retry of a stored message: the replies it got, or — if it never got any because
    /// processing was cut short — a fresh answer.
    async fn duplicate(&self, customer_id: i64, inbound: &Inbound) -> Result<Delivered, ServiceError> {
        let mut tx = self.store.begin().await?;
        let original = match &inbound.platform_msg_id {
            Some(id) => tx.message_by_platform_id(customer_id, id).await?,
            None => None,
        };
        drop(tx);
        let Some(original) = original else {
            return Err(StoreError::Corrupt("a duplicate message without its original".into()).into());
        };
        let customer = self
            .store
            .customer(customer_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("a message without its customer".into()))?;
        let conversation = self
            .store
            .conversation(original.conversation_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("a message without its conversation".into()))?;
        let replies = self.store.replies_to(original.id).await?;
        if replies.is_empty() && conversation.state == ConversationState::Bot {
            let key = customer_key(&inbound.channel, &inbound.external_id);
            return self.bot_turn(&self.brain(), &key, &customer, conversation, original.id, inbound).await;
        }
        Ok(Delivered {
            message_id: Some(original.id),
            conversation_id: conversation.id,
            state: conversation.state,
            replies,
            duplicate: true,
            transferred_out: false,
        })
    }

    /// Stores the customer's 1–5 rating of a closed conversation and thanks them.
    async fn rate(
        &self,
        mut tx: StoreTx<'static>,
        customer: &Customer,
        mut conversation: Conversation,
        inbound: &Inbound,
        score: i64,
    ) -> Result<Delivered, ServiceError> {
        let new = NewMessage {
            conversation_id: conversation.id,
            customer_id: conversation.customer_id,
            inbound: true,
            content: serde_json::to_value(Reply::text(inbound.text.clone())).unwrap_or_default(),
            platform_msg_id: inbound.platform_msg_id.clone(),
            ..NewMessage::default()
        };
        let Some(message_id) = tx.insert_message(&new).await?.map(|m| m.id) else {
            drop(tx);
            return self.duplicate(conversation.customer_id, inbound).await;
        };
        conversation.satisfaction = Some(score);
        conversation.awaiting_rating = false;
        tx.save_conversation(&conversation).await?;
        let thanks = system_message(&conversation, &self.config.agents.rating_thanks, Some(message_id));
        let stored = insert_all(&mut tx, &[thanks]).await?;
        let event = tx
            .append_event(NewEvent {
                kind: "rated".into(),
                conversation_id: Some(conversation.id),
                agent_id: conversation.agent_id,
                payload: json!({ "score": score }),
                ..NewEvent::default()
            })
            .await?;
        tx.commit().await?;
        self.deliver_to(customer, vec![event], stored.clone());
        Ok(Delivered {
            message_id: Some(message_id),
            conversation_id: conversation.id,
            state: conversation.state,
            replies: stored,
            duplicate: false,
            transferred_out: false,
        })
    }

    /// The co-pilot: the best knowledge answers for a customer message, for the agent.
    pub fn suggestions(&self, text: &str) -> serde_json::Value {
        let brain = self.brain();
        let ranking = brain.matcher.rank(text);
        let suggestions: Vec<serde_json::Value> = ranking
            .candidates
            .iter()
            .filter_map(|candidate| match brain.target(candidate) {
                crate::brain::Target::Entry(entry) => Some(json!({
                    "entry": entry.id,
                    "question": entry.question,
                    "answer": entry.answer.variant(0).summary(),
                    "confidence": candidate.confidence,
                })),
                crate::brain::Target::Flow(_) => None,
            })
            .take(self.config.agents.copilot_suggestions)
            .collect();
        json!(suggestions)
    }
}

/// Names a customer for their lock and hint: the channel and their id on it.
fn customer_key(channel: &str, external_id: &str) -> String {
    format!("{channel}\u{1f}{external_id}")
}

/// The conversation's dialog state; an unreadable one starts afresh.
fn dialog_state(conversation: &Conversation) -> DialogState {
    DialogState::deserialize(&conversation.dialog_state).unwrap_or_else(|error| {
        tracing::warn!(conversation_id = conversation.id, error = %error, "unreadable dialog state, starting afresh");
        DialogState::default()
    })
}

/// A 1–5 rating, alone in a message ("5", "5分", "５").
fn rating(text: &str) -> Option<i64> {
    let normalized = crate::text::normalize(text).replace(' ', "");
    let digits = normalized.trim_end_matches(['分', '星']);
    digits.parse::<i64>().ok().filter(|score| (1..=5).contains(score))
}

/// A message from kefu itself to the customer.
pub(super) fn system_message(
    conversation: &Conversation,
    text: &str,
    in_reply_to: Option<i64>,
) -> NewMessage {
    NewMessage {
        conversation_id: conversation.id,
        customer_id: conversation.customer_id,
        sender: Some(Sender::System),
        content: serde_json::to_value(Reply::text(text)).unwrap_or_default(),
        in_reply_to,
        ..NewMessage::default()
    }
}

/// Stores messages and returns them as stored.
pub(super) async fn insert_all(
    tx: &mut StoreTx<'static>,
    messages: &[NewMessage],
) -> Result<Vec<Message>, StoreError> {
    let mut stored = Vec::with_capacity(messages.len());
    for message in messages {
        stored.extend(tx.insert_message(message).await?);
    }
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::rating;

    #[test]
    fn ratings_are_single_scores() {
        assert_eq!(rating("5"), Some(5));
        assert_eq!(rating(" ４分 "), Some(4));
        assert_eq!(rating("6"), None);
        assert_eq!(rating("5件衣服"), None);
    }
}
