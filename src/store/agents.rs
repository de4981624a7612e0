//! Agent accounts.

use super::sql::{RowRead, params};
use super::{Agent, AgentStatus, Role, Store, StoreError, StoreTx, json, now_ms, to_json};

macro_rules! agent_columns {
    () => {
        "id, username, display_name, password_hash, role, groups, max_concurrent, status, disabled, created_at"
    };
}

fn agent(row: &impl RowRead) -> Result<Agent, StoreError> {
    Ok(Agent {
        id: row.get("id")?,
        username: row.get("username")?,
        display_name: row.get("display_name")?,
        password_hash: row.get("password_hash")?,
        role: Role::parse(&row.get::<String>("role")?).unwrap_or(Role::Agent),
        groups: json(&row.get::<String>("groups")?, "agent groups")?,
        max_concurrent: row.get("max_concurrent")?,
        status: AgentStatus::parse(&row.get::<String>("status")?),
        disabled: row.get::<i64>("disabled")? != 0,
        created_at: row.get("created_at")?,
    })
}

/// A new agent account.
#[derive(Debug, Clone)]
pub struct NewAgent {
    /// Login name.
    pub username: String,
    /// Shown to customers.
    pub display_name: String,
    /// Argon2 hash of the password.
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Skill groups.
    pub groups: Vec<String>,
    /// Most conversations at once.
    pub max_concurrent: i64,
}

impl StoreTx<'_> {
    /// Creates an agent; `None` when the username is taken.
    pub async fn insert_agent(&mut self, new: &NewAgent) -> Result<Option<Agent>, StoreError> {
        let sql = concat!(
            "INSERT INTO agents (username, display_name, password_hash, role, groups, max_concurrent, created_at) ",
            "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING ",
            agent_columns!()
        );
        let params = params![
            &new.username,
            &new.display_name,
            &new.password_hash,
            new.role.as_str(),
            to_json(&new.groups),
            new.max_concurrent,
            now_ms(),
        ];
        let row = self.tx.fetch_optional(sql, params).await?;
        row.as_ref().map(agent).transpose()
    }

    /// Writes every changeable field of `agent`.
    pub async fn save_agent(&mut self, agent: &Agent) -> Result<(), StoreError> {
        let sql = "UPDATE agents SET display_name = $2, password_hash = $3, role = $4, groups = $5, max_concurrent = $6, \
             status = $7, disabled = $8 WHERE id = $1";
        let params = params![
            agent.id,
            &agent.display_name,
            &agent.password_hash,
            agent.role.as_str(),
            to_json(&agent.groups),
            agent.max_concurrent,
            agent.status.as_str(),
            i64::from(agent.disabled),
        ];
        self.tx.execute(sql, params).await
    }
}

impl Store {
    /// Agent `id`.
    pub async fn agent(&self, id: i64) -> Result<Option<Agent>, StoreError> {
        let row = sqlx::query(concat!("SELECT ", agent_columns!(), " FROM agents WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(agent).transpose()
    }

    /// The agent with this username.
    pub async fn agent_by_username(&self, username: &str) -> Result<Option<Agent>, StoreError> {
        let row = sqlx::query(concat!("SELECT ", agent_columns!(), " FROM agents WHERE username = $1"))
            .bind(username)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(agent).transpose()
    }

    /// Every agent, by id.
    pub async fn agents(&self) -> Result<Vec<Agent>, StoreError> {
        let rows = sqlx::query(ALL).fetch_all(self.pool()).await?;
        rows.iter().map(agent).collect()
    }
}

impl StoreTx<'_> {
    /// Every agent, by id, as this unit of work sees them.
    pub async fn agents(&mut self) -> Result<Vec<Agent>, StoreError> {
        self.tx.fetch_all(ALL, params![]).await?.iter().map(agent).collect()
    }
}

const ALL: &str = concat!("SELECT ", agent_columns!(), " FROM agents ORDER BY id");
