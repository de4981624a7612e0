//! Customers: one per (channel, id on that channel).

use super::sql::{RowRead, params};
use super::{Customer, Store, StoreError, StoreTx, json, now_ms, to_json};

macro_rules! customer_columns {
    () => {
        "id, channel, external_id, display_name, tags, attributes, notes, created_at, updated_at"
    };
}

fn customer(row: &impl RowRead) -> Result<Customer, StoreError> {
    Ok(Customer {
        id: row.get("id")?,
        channel: row.get("channel")?,
        external_id: row.get("external_id")?,
        display_name: row.get("display_name")?,
        tags: json(&row.get::<String>("tags")?, "customer tags")?,
        attributes: json(&row.get::<String>("attributes")?, "customer attributes")?,
        notes: row.get("notes")?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
    })
}

/// Changes to a customer record; `None` keeps the field.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerPatch {
    /// New display name.
    pub display_name: Option<String>,
    /// New tags.
    pub tags: Option<Vec<String>>,
    /// New attributes.
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
    /// New notes.
    pub notes: Option<String>,
}

const FIND: &str = concat!("SELECT ", customer_columns!(), " FROM customers WHERE id = $1");
const BY_EXTERNAL_ID: &str =
    concat!("SELECT ", customer_columns!(), " FROM customers WHERE channel = $1 AND external_id = $2");

impl StoreTx<'_> {
    /// The customer with this channel id, created on first contact; a non-empty
    /// `display_name` updates the stored one.
    pub async fn upsert_customer(
        &mut self,
        channel: &str,
        external_id: &str,
        display_name: &str,
    ) -> Result<Customer, StoreError> {
        // Most messages come from a known customer with nothing new to store: a read, which
        // leaves the record (and its `updated_at`) as it is.
        if let Some(row) = self.tx.fetch_optional(BY_EXTERNAL_ID, params![channel, external_id]).await? {
            let known = customer(&row)?;
            if display_name.is_empty() || display_name == known.display_name {
                return Ok(known);
            }
        }
        let sql = concat!(
            "INSERT INTO customers (channel, external_id, display_name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) ",
            "ON CONFLICT (channel, external_id) DO UPDATE SET updated_at = excluded.updated_at, ",
            "display_name = CASE WHEN excluded.display_name <> '' THEN excluded.display_name ELSE customers.display_name END ",
            "RETURNING ",
            customer_columns!()
        );
        let row = self.tx.fetch_one(sql, params![channel, external_id, display_name, now_ms()]).await?;
        customer(&row)
    }

    /// Applies `patch` to customer `id`; `None` when there is no such customer.
    pub async fn update_customer(
        &mut self,
        id: i64,
        patch: &CustomerPatch,
    ) -> Result<Option<Customer>, StoreError> {
        let Some(current) = self.customer(id).await? else { return Ok(None) };
        let sql = concat!(
            "UPDATE customers SET display_name = $2, tags = $3, attributes = $4, notes = $5, updated_at = $6 WHERE id = $1 RETURNING ",
            customer_columns!()
        );
        let params = params![
            id,
            patch.display_name.as_ref().unwrap_or(&current.display_name),
            to_json(patch.tags.as_ref().unwrap_or(&current.tags)),
            to_json(patch.attributes.as_ref().unwrap_or(&current.attributes)),
            patch.notes.as_ref().unwrap_or(&current.notes),
            now_ms(),
        ];
        let row = self.tx.fetch_one(sql, params).await?;
        customer(&row).map(Some)
    }

    /// Customer `id`.
    pub async fn customer(&mut self, id: i64) -> Result<Option<Customer>, StoreError> {
        self.tx.fetch_optional(FIND, params![id]).await?.as_ref().map(customer).transpose()
    }
}

impl Store {
    /// Customer `id`.
    pub async fn customer(&self, id: i64) -> Result<Option<Customer>, StoreError> {
        let row = sqlx::query(FIND).bind(id).fetch_optional(self.pool()).await?;
        row.as_ref().map(customer).transpose()
    }

    /// The customer with this channel id, if they ever wrote.
    pub async fn customer_by_external_id(
        &self,
        channel: &str,
        external_id: &str,
    ) -> Result<Option<Customer>, StoreError> {
        let row =
            sqlx::query(BY_EXTERNAL_ID).bind(channel).bind(external_id).fetch_optional(self.pool()).await?;
        row.as_ref().map(customer).transpose()
    }
}
