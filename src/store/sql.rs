//! How a unit of work runs its statements: the same SQL text and parameters go either
//! through sqlx (PostgreSQL) or straight to SQLite's one writer connection.
//!
//! SQLite's writes run on that connection synchronously, in the task that holds it (see
//! `writer`): a statement costs microseconds there, where a trip to sqlx's connection
//! thread and back costs a thread wake-up each way — and all writers wait behind the one
//! holding the lock.

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Any, Executor, Transaction};

use super::StoreError;
use super::writer::LiteTx;

/// A statement parameter. Nulls keep their type: PostgreSQL checks it.
#[derive(Debug)]
pub(crate) enum Param {
    /// An integer.
    Int(Option<i64>),
    /// A float.
    Real(Option<f64>),
    /// Text.
    Text(Option<String>),
}

impl From<i64> for Param {
    fn from(value: i64) -> Param {
        Param::Int(Some(value))
    }
}

impl From<Option<i64>> for Param {
    fn from(value: Option<i64>) -> Param {
        Param::Int(value)
    }
}

impl From<Option<f64>> for Param {
    fn from(value: Option<f64>) -> Param {
        Param::Real(value)
    }
}

impl From<String> for Param {
    fn from(value: String) -> Param {
        Param::Text(Some(value))
    }
}

impl From<&str> for Param {
    fn from(value: &str) -> Param {
        Param::Text(Some(value.to_string()))
    }
}

impl From<&String> for Param {
    fn from(value: &String) -> Param {
        Param::Text(Some(value.clone()))
    }
}

impl From<Option<&str>> for Param {
    fn from(value: Option<&str>) -> Param {
        Param::Text(value.map(str::to_string))
    }
}

impl From<Option<String>> for Param {
    fn from(value: Option<String>) -> Param {
        Param::Text(value)
    }
}

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Param::Int(value) => value.to_sql(),
            Param::Real(value) => value.to_sql(),
            Param::Text(value) => value.to_sql(),
        }
    }
}

/// `params![a, b]`: a statement's parameters, `$1`, `$2`, … in order.
macro_rules! params {
    ($($value:expr),* $(,)?) => {
        vec![$($crate::store::sql::Param::from($value)),*]
    };
}
pub(crate) use params;

/// A column type both backends decode.
pub(crate) trait Column:
    for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + rusqlite::types::FromSql
{
}

impl<T> Column for T where T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + rusqlite::types::FromSql {}

/// A result row, read by column name.
pub(crate) trait RowRead {
    /// The value of column `name`.
    fn get<T: Column>(&self, name: &str) -> Result<T, StoreError>;
}

impl RowRead for AnyRow {
    fn get<T: Column>(&self, name: &str) -> Result<T, StoreError> {
        Ok(sqlx::Row::try_get(self, name)?)
    }
}

/// A row read from SQLite's writer connection.
#[derive(Debug)]
pub(crate) struct LiteRow {
    columns: std::sync::Arc<[String]>,
    values: Vec<rusqlite::types::Value>,
}

impl RowRead for LiteRow {
    fn get<T: Column>(&self, name: &str) -> Result<T, StoreError> {
        let index = self
            .columns
            .iter()
            .position(|column| column == name)
            .ok_or_else(|| rusqlite::Error::InvalidColumnName(name.to_string()))?;
        T::column_result((&self.values[index]).into())
            .map_err(|error| StoreError::Corrupt(format!("column `{name}`: {error}")))
    }
}

/// A row from either backend.
pub(crate) enum TxRow {
    /// From sqlx.
    Any(AnyRow),
    /// From SQLite's writer connection.
    Lite(LiteRow),
}

impl RowRead for TxRow {
    fn get<T: Column>(&self, name: &str) -> Result<T, StoreError> {
        match self {
            TxRow::Any(row) => row.get(name),
            TxRow::Lite(row) => row.get(name),
        }
    }
}

/// An open transaction on either backend.
pub(crate) enum Tx<'a> {
    /// PostgreSQL, through sqlx.
    Any(Transaction<'a, Any>),
    /// A unit of work on SQLite's write connection.
    Lite(LiteTx),
}

/// Parameter names as SQLite sees them; statements number theirs `$1`, `$2`, … but may
/// use them out of order (`SET a = $2 WHERE id = $1`), so they are bound by name.
const NAMES: [&str; 16] =
    ["$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10", "$11", "$12", "$13", "$14", "$15", "$16"];

/// `sql` prepared (or found in the connection's cache) with `params` bound.
fn lite_statement<'c>(
    connection: &'c rusqlite::Connection,
    sql: &str,
    params: &[Param],
) -> Result<rusqlite::CachedStatement<'c>, StoreError> {
    let mut statement = connection.prepare_cached(sql)?;
    for (name, param) in NAMES.iter().zip(params) {
        let index = statement
            .parameter_index(name)?
            .ok_or_else(|| rusqlite::Error::InvalidParameterName(name.to_string()))?;
        statement.raw_bind_parameter(index, param)?;
    }
    Ok(statement)
}

/// Runs `sql` on SQLite and returns its rows.
fn lite_rows(
    connection: &rusqlite::Connection,
    sql: &str,
    params: &[Param],
) -> Result<Vec<LiteRow>, StoreError> {
    let mut statement = lite_statement(connection, sql, params)?;
    let columns: std::sync::Arc<[String]> =
        statement.column_names().into_iter().map(str::to_string).collect();
    let width = columns.len();
    let mut rows = statement.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut values = Vec::with_capacity(width);
        for index in 0..width {
            values.push(row.get::<_, rusqlite::types::Value>(index)?);
        }
        out.push(LiteRow { columns: columns.clone(), values });
    }
    Ok(out)
}

/// `sql` with `params` bound, for sqlx.
fn any_query(sql: &'static str, params: Vec<Param>) -> sqlx::query::Query<'static, Any, AnyArguments> {
    // sqlx 0.9.0 sends a null f64 to PostgreSQL as a float4 (transact-rs/sqlx#4284), and a
    // prepared statement keeps the parameter types it was first prepared with: the next
    // message with a confidence would be refused ("incorrect binary data format"). A
    // statement with a float parameter is therefore prepared afresh each time.
    let persistent = !params.iter().any(|param| matches!(param, Param::Real(_)));
    let query = params.into_iter().fold(sqlx::query(sql), |query, param| match param {
        Param::Int(value) => query.bind(value),
        Param::Real(value) => query.bind(value),
        Param::Text(value) => query.bind(value),
    });
    query.persistent(persistent)
}

impl Tx<'_> {
    /// The first row `sql` returns, if any.
    pub(crate) async fn fetch_optional(
        &mut self,
        sql: &'static str,
        params: Vec<Param>,
    ) -> Result<Option<TxRow>, StoreError> {
        match self {
            Tx::Any(tx) => Ok(any_query(sql, params).fetch_optional(&mut **tx).await?.map(TxRow::Any)),
            Tx::Lite(tx) => {
                Ok(lite_rows(tx.connection()?, sql, &params)?.into_iter().next().map(TxRow::Lite))
            }
        }
    }

    /// Every row `sql` returns.
    pub(crate) async fn fetch_all(
        &mut self,
        sql: &'static str,
        params: Vec<Param>,
    ) -> Result<Vec<TxRow>, StoreError> {
        match self {
            Tx::Any(tx) => {
                Ok(any_query(sql, params).fetch_all(&mut **tx).await?.into_iter().map(TxRow::Any).collect())
            }
            Tx::Lite(tx) => {
                Ok(lite_rows(tx.connection()?, sql, &params)?.into_iter().map(TxRow::Lite).collect())
            }
        }
    }

    /// The row `sql` returns; an error when it returns none.
    pub(crate) async fn fetch_one(
        &mut self,
        sql: &'static str,
        params: Vec<Param>,
    ) -> Result<TxRow, StoreError> {
        self.fetch_optional(sql, params).await?.ok_or(StoreError::Database(sqlx::Error::RowNotFound))
    }

    /// Inserts a row and returns its id; `None` when `ON CONFLICT DO NOTHING` dropped it.
    /// `sql` ends in `RETURNING id`, which SQLite's writer leaves out: SQLite would build a
    /// temporary table to hold the returned row, where the connection knows the id anyway.
    pub(crate) async fn insert(
        &mut self,
        sql: &'static str,
        params: Vec<Param>,
    ) -> Result<Option<i64>, StoreError> {
        match self {
            Tx::Any(tx) => match any_query(sql, params).fetch_optional(&mut **tx).await? {
                Some(row) => Ok(Some(sqlx::Row::try_get(&row, "id")?)),
                None => Ok(None),
            },
            Tx::Lite(tx) => {
                let connection = tx.connection()?;
                let plain = sql.strip_suffix(" RETURNING id").unwrap_or(sql);
                let inserted = lite_statement(connection, plain, &params)?.raw_execute()?;
                Ok((inserted > 0).then(|| connection.last_insert_rowid()))
            }
        }
    }

    /// Inserts a row that cannot conflict and returns its id (see [`Tx::insert`]).
    pub(crate) async fn insert_one(
        &mut self,
        sql: &'static str,
        params: Vec<Param>,
    ) -> Result<i64, StoreError> {
        self.insert(sql, params).await?.ok_or(StoreError::Database(sqlx::Error::RowNotFound))
    }

    /// Runs `sql` for its effect.
    pub(crate) async fn execute(&mut self, sql: &'static str, params: Vec<Param>) -> Result<(), StoreError> {
        match self {
            Tx::Any(tx) => {
                any_query(sql, params).execute(&mut **tx).await?;
            }
            Tx::Lite(tx) => {
                lite_statement(tx.connection()?, sql, &params)?.raw_execute()?;
            }
        }
        Ok(())
    }

    /// Runs several trusted statements (a migration).
    pub(crate) async fn execute_script(&mut self, sql: &'static str) -> Result<(), StoreError> {
        match self {
            Tx::Any(tx) => {
                (&mut **tx).execute(sqlx::raw_sql(sql)).await?;
            }
            Tx::Lite(tx) => tx.connection()?.execute_batch(sql)?,
        }
        Ok(())
    }

    /// Makes the unit of work permanent.
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Any(tx) => tx.commit().await?,
            Tx::Lite(tx) => tx.commit().await?,
        }
        Ok(())
    }
}
