//! Agent accounts.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Agent, AgentStatus, Role, Store, StoreError, StoreTx, json, now_ms, to_json};

macro_rules! agent_columns {
    () => {
        "id, username, display_name, password_hash, role, groups, max_concurrent, status, disabled, created_at"
    };
}

fn agent(row: &AnyRow) -> Result<Agent, StoreError> {
    Ok(Agent {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        password_hash: row.try_get("password_hash")?,
        role: Role::parse(&row.try_get::<String, _>("role")?).unwrap_or(Role::Agent),
        groups: json(&row.try_get::<String, _>("groups")?, "agent groups")?,
        max_concurrent: row.try_get("max_concurrent")?,
        status: AgentStatus::parse(&row.try_get::<String, _>("status")?),
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        created_at: row.try_get("created_at")?,
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
        let row = sqlx::query(concat!(
            "INSERT INTO agents (username, display_name, password_hash, role, groups, max_concurrent, created_at) ",
            "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING ",
            agent_columns!()
        ))
        .bind(&new.username)
        .bind(&new.display_name)
        .bind(&new.password_hash)
        .bind(new.role.as_str())
        .bind(to_json(&new.groups))
        .bind(new.max_concurrent)
        .bind(now_ms())
        .fetch_optional(&mut *self.tx)
        .await?;
        row.as_ref().map(agent).transpose()
    }

    /// Writes every changeable field of `agent`.
    pub async fn save_agent(&mut self, agent: &Agent) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE agents SET display_name = $2, password_hash = $3, role = $4, groups = $5, max_concurrent = $6, \
             status = $7, disabled = $8 WHERE id = $1",
        )
        .bind(agent.id)
        .bind(&agent.display_name)
        .bind(&agent.password_hash)
        .bind(agent.role.as_str())
        .bind(to_json(&agent.groups))
        .bind(agent.max_concurrent)
        .bind(agent.status.as_str())
        .bind(i64::from(agent.disabled))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
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
        let rows = sqlx::query(concat!("SELECT ", agent_columns!(), " FROM agents ORDER BY id"))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(agent).collect()
    }
}
