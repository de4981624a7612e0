//! Customers: one per (channel, id on that channel).

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Customer, Store, StoreError, StoreTx, json, now_ms, to_json};

macro_rules! customer_columns {
    () => {
        "id, channel, external_id, display_name, tags, attributes, notes, created_at, updated_at"
    };
}

fn customer(row: &AnyRow) -> Result<Customer, StoreError> {
    Ok(Customer {
        id: row.try_get("id")?,
        channel: row.try_get("channel")?,
        external_id: row.try_get("external_id")?,
        display_name: row.try_get("display_name")?,
        tags: json(&row.try_get::<String, _>("tags")?, "customer tags")?,
        attributes: json(&row.try_get::<String, _>("attributes")?, "customer attributes")?,
        notes: row.try_get("notes")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
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

async fn find<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    id: i64,
) -> Result<Option<Customer>, StoreError> {
    let row = sqlx::query(concat!("SELECT ", customer_columns!(), " FROM customers WHERE id = $1"))
        .bind(id)
        .fetch_optional(executor)
        .await?;
    row.as_ref().map(customer).transpose()
}

impl StoreTx<'_> {
    /// The customer with this channel id, created on first contact; a non-empty
    /// `display_name` updates the stored one.
    pub async fn upsert_customer(
        &mut self,
        channel: &str,
        external_id: &str,
        display_name: &str,
    ) -> Result<Customer, StoreError> {
        let now = now_ms();
        let row = sqlx::query(concat!(
            "INSERT INTO customers (channel, external_id, display_name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) ",
            "ON CONFLICT (channel, external_id) DO UPDATE SET updated_at = excluded.updated_at, ",
            "display_name = CASE WHEN excluded.display_name <> '' THEN excluded.display_name ELSE customers.display_name END ",
            "RETURNING ",
            customer_columns!()
        ))
        .bind(channel)
        .bind(external_id)
        .bind(display_name)
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?;
        customer(&row)
    }

    /// Applies `patch` to customer `id`; `None` when there is no such customer.
    pub async fn update_customer(
        &mut self,
        id: i64,
        patch: &CustomerPatch,
    ) -> Result<Option<Customer>, StoreError> {
        let Some(current) = self.customer(id).await? else { return Ok(None) };
        let row = sqlx::query(concat!(
            "UPDATE customers SET display_name = $2, tags = $3, attributes = $4, notes = $5, updated_at = $6 WHERE id = $1 RETURNING ",
            customer_columns!()
        ))
        .bind(id)
        .bind(patch.display_name.as_ref().unwrap_or(&current.display_name))
        .bind(to_json(patch.tags.as_ref().unwrap_or(&current.tags)))
        .bind(to_json(patch.attributes.as_ref().unwrap_or(&current.attributes)))
        .bind(patch.notes.as_ref().unwrap_or(&current.notes))
        .bind(now_ms())
        .fetch_one(&mut *self.tx)
        .await?;
        customer(&row).map(Some)
    }

    /// Customer `id`.
    pub async fn customer(&mut self, id: i64) -> Result<Option<Customer>, StoreError> {
        find(&mut *self.tx, id).await
    }
}

impl Store {
    /// Customer `id`.
    pub async fn customer(&self, id: i64) -> Result<Option<Customer>, StoreError> {
        find(self.pool(), id).await
    }

    /// The customer with this channel id, if they ever wrote.
    pub async fn customer_by_external_id(
        &self,
        channel: &str,
        external_id: &str,
    ) -> Result<Option<Customer>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            customer_columns!(),
            " FROM customers WHERE channel = $1 AND external_id = $2"
        ))
        .bind(channel)
        .bind(external_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(customer).transpose()
    }
}
