-- kefu schema, SQLite. Timestamps are unix milliseconds; JSON is stored as text.
CREATE TABLE customers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    external_id TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    attributes TEXT NOT NULL DEFAULT '{}',
    notes TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (channel, external_id)
);

CREATE TABLE agents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    groups TEXT NOT NULL DEFAULT '[]',
    max_concurrent INTEGER NOT NULL DEFAULT 5,
    status TEXT NOT NULL DEFAULT 'offline',
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    channel TEXT NOT NULL,
    state TEXT NOT NULL,
    dialog_state TEXT NOT NULL DEFAULT '{}',
    agent_id INTEGER REFERENCES agents (id),
    agent_group TEXT,
    handoff_reason TEXT,
    queued_at INTEGER,
    awaiting_rating INTEGER NOT NULL DEFAULT 0,
    satisfaction INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    closed_at INTEGER
);
CREATE INDEX conversations_by_customer ON conversations (customer_id, id);
CREATE INDEX conversations_by_state ON conversations (state, queued_at);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    direction TEXT NOT NULL,
    sender TEXT NOT NULL,
    agent_id INTEGER REFERENCES agents (id),
    content TEXT NOT NULL,
    platform_msg_id TEXT,
    in_reply_to INTEGER,
    decision TEXT,
    confidence REAL,
    knowledge_version TEXT,
    created_at INTEGER NOT NULL
);
-- A platform message seen before is a retry: the unique index drops it, across replicas.
CREATE UNIQUE INDEX messages_dedupe ON messages (customer_id, platform_msg_id) WHERE platform_msg_id IS NOT NULL;
CREATE INDEX messages_by_conversation ON messages (conversation_id, id);
CREATE INDEX messages_by_customer ON messages (customer_id, id);

CREATE TABLE tickets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    conversation_id INTEGER REFERENCES conversations (id),
    subject TEXT NOT NULL,
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    assignee_id INTEGER REFERENCES agents (id),
    agent_group TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX tickets_by_status ON tickets (status, id);

CREATE TABLE ticket_notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    agent_id INTEGER REFERENCES agents (id),
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    agent_id INTEGER NOT NULL REFERENCES agents (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

-- Append-only: what happened, in order; agents' live views resume from an event id.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    conversation_id INTEGER,
    ticket_id INTEGER,
    agent_id INTEGER,
    payload TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);
