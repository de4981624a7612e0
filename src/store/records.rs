//! The records the store keeps, as the rest of kefu sees them.

use serde::{Deserialize, Serialize};

/// A customer: someone on a channel (the CRM record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    /// Id.
    pub id: i64,
    /// The channel (`app`, `web`, `wechat:shop` …).
    pub channel: String,
    /// The customer's id on that channel (WeChat OpenID, the app's user id …).
    pub external_id: String,
    /// Display name.
    pub display_name: String,
    /// Labels agents attach.
    pub tags: Vec<String>,
    /// Free-form attributes (from the channel or agents).
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Agents' notes.
    pub notes: String,
    /// Created, ms.
    pub created_at: i64,
    /// Last changed, ms.
    pub updated_at: i64,
}

/// Where a conversation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationState {
    /// The bot answers.
    Bot,
    /// Waiting for an agent; the bot is silent.
    Queued,
    /// An agent answers.
    Human,
    /// Over; the customer's next message opens a new conversation.
    Closed,
}

impl ConversationState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationState::Bot => "bot",
            ConversationState::Queued => "queued",
            ConversationState::Human => "human",
            ConversationState::Closed => "closed",
        }
    }

    pub(super) fn parse(text: &str) -> ConversationState {
        match text {
            "queued" => ConversationState::Queued,
            "human" => ConversationState::Human,
            "closed" => ConversationState::Closed,
            _ => ConversationState::Bot,
        }
    }
}

/// A conversation between a customer and the bot or an agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversation {
    /// Id.
    pub id: i64,
    /// The customer.
    pub customer_id: i64,
    /// The channel it happens on.
    pub channel: String,
    /// Where it stands.
    pub state: ConversationState,
    /// The dialog core's state (flow, pending choices …), as JSON.
    pub dialog_state: serde_json::Value,
    /// The agent serving it.
    pub agent_id: Option<i64>,
    /// The agent group it is routed to.
    pub agent_group: Option<String>,
    /// Why it was handed off, as JSON.
    pub handoff_reason: Option<serde_json::Value>,
    /// When it entered the queue, ms.
    pub queued_at: Option<i64>,
    /// The customer was asked to rate the service.
    pub awaiting_rating: bool,
    /// The customer's 1–5 rating.
    pub satisfaction: Option<i64>,
    /// Created, ms.
    pub created_at: i64,
    /// Last changed, ms.
    pub updated_at: i64,
    /// Closed, ms.
    pub closed_at: Option<i64>,
    /// Why the platform refuses messages to the customer until they write again (WeChat's
    /// reply window); kept by the channel, never written by `save_conversation`.
    pub channel_blocked: Option<String>,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sender {
    /// The customer.
    User,
    /// The bot.
    Bot,
    /// A human agent.
    Agent,
    /// kefu itself (queue position, hand-off notices …).
    System,
}

impl Sender {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Sender::User => "user",
            Sender::Bot => "bot",
            Sender::Agent => "agent",
            Sender::System => "system",
        }
    }

    pub(super) fn parse(text: &str) -> Sender {
        match text {
            "bot" => Sender::Bot,
            "agent" => Sender::Agent,
            "system" => Sender::System,
            _ => Sender::User,
        }
    }
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    /// Id (increasing).
    pub id: i64,
    /// Its conversation.
    pub conversation_id: i64,
    /// Its customer.
    pub customer_id: i64,
    /// `in` from the customer, `out` to the customer.
    pub direction: String,
    /// Who wrote it.
    pub sender: Sender,
    /// The agent who wrote it.
    pub agent_id: Option<i64>,
    /// The content: a reply (text or rich) as JSON.
    pub content: serde_json::Value,
    /// The platform's id of an inbound message.
    pub platform_msg_id: Option<String>,
    /// The inbound message this one answers.
    pub in_reply_to: Option<i64>,
    /// The bot's decision, as JSON.
    pub decision: Option<serde_json::Value>,
    /// The bot's confidence.
    pub confidence: Option<f64>,
    /// The knowledge version that answered.
    pub knowledge_version: Option<String>,
    /// Created, ms.
    pub created_at: i64,
}

/// A message to store.
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    /// Its conversation.
    pub conversation_id: i64,
    /// Its customer.
    pub customer_id: i64,
    /// Inbound (from the customer) or outbound.
    pub inbound: bool,
    /// Who wrote it (`None` means the customer).
    pub sender: Option<Sender>,
    /// The agent who wrote it.
    pub agent_id: Option<i64>,
    /// The content, as JSON.
    pub content: serde_json::Value,
    /// The platform's id of an inbound message (dedupe key with the customer).
    pub platform_msg_id: Option<String>,
    /// The inbound message this one answers.
    pub in_reply_to: Option<i64>,
    /// The bot's decision.
    pub decision: Option<serde_json::Value>,
    /// The bot's confidence.
    pub confidence: Option<f64>,
    /// The knowledge version that answered.
    pub knowledge_version: Option<String>,
}

/// An agent's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Answers conversations and tickets.
    Agent,
    /// Also manages agents.
    Admin,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Admin => "admin",
        }
    }

    /// Parses `agent` or `admin`.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "agent" => Some(Role::Agent),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// An agent's availability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    /// Takes new conversations.
    Online,
    /// Keeps their conversations, takes no new ones.
    Away,
    /// Not working.
    Offline,
}

impl AgentStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentStatus::Online => "online",
            AgentStatus::Away => "away",
            AgentStatus::Offline => "offline",
        }
    }

    pub(super) fn parse(text: &str) -> AgentStatus {
        match text {
            "online" => AgentStatus::Online,
            "away" => AgentStatus::Away,
            _ => AgentStatus::Offline,
        }
    }
}

/// A human agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agent {
    /// Id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Shown to customers ("客服小美").
    pub display_name: String,
    /// Argon2 hash of the password.
    #[serde(skip)]
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Skill groups.
    pub groups: Vec<String>,
    /// Most conversations at once.
    pub max_concurrent: i64,
    /// Availability.
    pub status: AgentStatus,
    /// Cannot log in.
    pub disabled: bool,
    /// Created, ms.
    pub created_at: i64,
}

/// A ticket's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// New, not handled.
    Open,
    /// Waiting on the customer or a third party.
    Pending,
    /// Answered.
    Solved,
    /// Done.
    Closed,
}

impl TicketStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Open => "open",
            TicketStatus::Pending => "pending",
            TicketStatus::Solved => "solved",
            TicketStatus::Closed => "closed",
        }
    }

    /// Parses a status name.
    pub fn parse(text: &str) -> Option<TicketStatus> {
        match text {
            "open" => Some(TicketStatus::Open),
            "pending" => Some(TicketStatus::Pending),
            "solved" => Some(TicketStatus::Solved),
            "closed" => Some(TicketStatus::Closed),
            _ => None,
        }
    }
}

/// A ticket (留言): a request to answer later.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ticket {
    /// Id.
    pub id: i64,
    /// The customer.
    pub customer_id: i64,
    /// The conversation it came from.
    pub conversation_id: Option<i64>,
    /// What it is about.
    pub subject: String,
    /// Status.
    pub status: TicketStatus,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: String,
    /// The agent handling it.
    pub assignee_id: Option<i64>,
    /// The agent group.
    pub agent_group: Option<String>,
    /// Created, ms.
    pub created_at: i64,
    /// Last changed, ms.
    pub updated_at: i64,
}

/// An internal note on a ticket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketNote {
    /// Id.
    pub id: i64,
    /// The ticket.
    pub ticket_id: i64,
    /// Its author.
    pub agent_id: Option<i64>,
    /// The note.
    pub body: String,
    /// Created, ms.
    pub created_at: i64,
}

/// An entry of the append-only event log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Id (increasing; live views resume after one).
    pub id: i64,
    /// What happened (`customer_message`, `queued`, `assigned` …).
    pub kind: String,
    /// The conversation concerned.
    pub conversation_id: Option<i64>,
    /// The ticket concerned.
    pub ticket_id: Option<i64>,
    /// The agent concerned.
    pub agent_id: Option<i64>,
    /// Details.
    pub payload: serde_json::Value,
    /// When, ms.
    pub created_at: i64,
}

/// An event to append.
#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    /// What happened.
    pub kind: String,
    /// The conversation concerned.
    pub conversation_id: Option<i64>,
    /// The ticket concerned.
    pub ticket_id: Option<i64>,
    /// The agent concerned.
    pub agent_id: Option<i64>,
    /// Details.
    pub payload: serde_json::Value,
}
