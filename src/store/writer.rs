//! SQLite's one write connection, with group commit.
//!
//! Units of work take turns on the connection, each inside a savepoint of one shared
//! transaction (a batch). A unit that is done releases its savepoint and lets the units
//! queued behind it run; then it commits the batch — every unit in it at once — or finds
//! that a unit ahead of it already did. A commit writes each changed page once however many
//! messages changed it, where committing every unit alone wrote the same table and index
//! pages to the log again and again. `commit` returns only once its batch is committed.

use std::sync::{Arc, OnceLock};

use tokio::sync::{Mutex, OwnedMutexGuard};

use super::StoreError;

/// The write connection, shared by every unit of work.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    state: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    connection: rusqlite::Connection,
    /// The open batch, if any.
    batch: Option<Arc<Batch>>,
    /// Units done with their work and waiting for the open batch to commit.
    waiting: usize,
}

/// One shared transaction: how its commit went, once it is over.
#[derive(Debug, Default)]
struct Batch {
    result: OnceLock<Result<(), String>>,
}

/// A unit of work holding the write connection; rolled back when dropped uncommitted.
pub(crate) struct LiteTx {
    state: Option<OwnedMutexGuard<State>>,
    writer: Writer,
}

impl Writer {
    /// Wraps an open connection.
    pub(crate) fn new(connection: rusqlite::Connection) -> Writer {
        Writer { state: Arc::new(Mutex::new(State { connection, batch: None, waiting: 0 })) }
    }

    /// Waits for the connection, then starts a unit of work in the open batch (or a new
    /// one: `BEGIN IMMEDIATE` takes the write lock at once, so a batch that reads and then
    /// writes cannot deadlock with another process's writer).
    pub(crate) async fn begin(&self) -> Result<LiteTx, StoreError> {
        let mut state = self.state.clone().lock_owned().await;
        let started =
            state.open_batch().and_then(|()| Ok(state.connection.execute_batch("SAVEPOINT unit")?));
        if let Err(error) = started {
            state.end_batch_if_idle();
            return Err(error);
        }
        Ok(LiteTx { state: Some(state), writer: self.clone() })
    }
}

impl State {
    fn open_batch(&mut self) -> Result<(), StoreError> {
        if self.batch.is_some() {
            if !self.connection.is_autocommit() {
                return Ok(());
            }
            // SQLite ended the transaction on its own (an I/O error, a full disk).
            self.finish_batch(Err("SQLite rolled the transaction back".into()));
        }
        self.connection.execute_batch("BEGIN IMMEDIATE")?;
        self.batch = Some(Arc::default());
        Ok(())
    }

    /// Commits the open batch and tells its units how it went.
    fn commit_batch(&mut self) {
        let result = if self.connection.is_autocommit() {
            Err("SQLite rolled the transaction back".to_string())
        } else {
            self.connection.execute_batch("COMMIT").map_err(|error| error.to_string())
        };
        if result.is_err()
            && !self.connection.is_autocommit()
            && let Err(error) = self.connection.execute_batch("ROLLBACK")
        {
            tracing::error!(error = %error, "cannot roll back a failed SQLite commit");
        }
        self.finish_batch(result);
    }

    fn finish_batch(&mut self, result: Result<(), String>) {
        if let Some(batch) = self.batch.take() {
            // Only the unit holding the connection sets it, once per batch.
            let _ = batch.result.set(result);
        }
        self.waiting = 0;
    }

    /// Nobody waits for the open batch: commit it rather than hold the database's write
    /// lock while idle.
    fn end_batch_if_idle(&mut self) {
        if self.batch.is_some() && self.waiting == 0 {
            self.commit_batch();
        }
    }
}

impl LiteTx {
    /// The connection, for this unit's statements.
    pub(crate) fn connection(&self) -> Result<&rusqlite::Connection, StoreError> {
        self.state.as_ref().map(|state| &state.connection).ok_or_else(finished)
    }

    /// Keeps this unit's work and returns once it is committed.
    pub(crate) async fn commit(mut self) -> Result<(), StoreError> {
        let mut state = self.state.take().ok_or_else(finished)?;
        if let Err(error) = state.connection.execute_batch("RELEASE unit") {
            self.state = Some(state);
            return Err(error.into());
        }
        let batch = state.batch.clone().ok_or_else(finished)?;
        state.waiting += 1;
        drop(state);
        let outcome = match self.writer.state.clone().try_lock_owned() {
            // Nobody is queued to join the batch: commit it now.
            Ok(mut state) => {
                if batch.result.get().is_none() {
                    state.commit_batch();
                }
                batch.result.get().cloned()
            }
            // The units queued behind this one add their work to the batch first. A task of
            // its own commits it even if this caller goes away (a client hung up).
            Err(_) => {
                let writer = self.writer.state.clone();
                let committing = tokio::spawn(async move {
                    let mut state = writer.lock_owned().await;
                    if batch.result.get().is_none() {
                        state.commit_batch();
                    }
                    drop(state);
                    batch.result.get().cloned()
                });
                committing.await.ok().flatten()
            }
        };
        match outcome {
            Some(Ok(())) => Ok(()),
            Some(Err(error)) => Err(StoreError::Commit(error)),
            None => Err(finished()),
        }
    }
}

impl Drop for LiteTx {
    fn drop(&mut self) {
        let Some(mut state) = self.state.take() else { return };
        if let Err(error) = state.connection.execute_batch("ROLLBACK TO unit; RELEASE unit") {
            tracing::error!(error = %error, "cannot roll back a unit of work");
        }
        state.end_batch_if_idle();
    }
}

fn finished() -> StoreError {
    StoreError::Commit("the unit of work is over".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer(dir: &tempfile::TempDir) -> Writer {
        let connection = rusqlite::Connection::open(dir.path().join("w.db")).unwrap();
        connection.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (n INTEGER)").unwrap();
        Writer::new(connection)
    }

    fn count(dir: &tempfile::TempDir) -> i64 {
        let reader = rusqlite::Connection::open(dir.path().join("w.db")).unwrap();
        reader.query_row("SELECT COUNT(*) FROM t", [], |row| row.get(0)).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_units_commit_together_and_a_dropped_one_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let writer = writer(&dir);
        let mut tasks = Vec::new();
        for n in 0..50 {
            let writer = writer.clone();
            tasks.push(tokio::spawn(async move {
                let tx = writer.begin().await.unwrap();
                tx.connection().unwrap().execute("INSERT INTO t VALUES (?1)", [n]).unwrap();
                if n % 10 == 0 {
                    drop(tx);
                } else {
                    tx.commit().await.unwrap();
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        // Every commit returned after its rows were visible to another connection.
        assert_eq!(count(&dir), 45);
        // Nothing is left open: another connection can write at once.
        let other = rusqlite::Connection::open(dir.path().join("w.db")).unwrap();
        other.execute_batch("BEGIN IMMEDIATE; INSERT INTO t VALUES (99); COMMIT").unwrap();
        assert_eq!(count(&dir), 46);
    }

    #[tokio::test]
    async fn a_failed_statement_rolls_back_only_its_unit() {
        let dir = tempfile::tempdir().unwrap();
        let writer = writer(&dir);
        let first = writer.begin().await.unwrap();
        first.connection().unwrap().execute("INSERT INTO t VALUES (1)", []).unwrap();
        first.commit().await.unwrap();
        let broken = writer.begin().await.unwrap();
        broken.connection().unwrap().execute("INSERT INTO t VALUES (2)", []).unwrap();
        assert!(broken.connection().unwrap().execute("INSERT INTO missing VALUES (3)", []).is_err());
        drop(broken);
        assert_eq!(count(&dir), 1);
    }

    #[tokio::test]
    async fn a_commit_lands_even_when_its_caller_goes_away() {
        let dir = tempfile::tempdir().unwrap();
        let writer = writer(&dir);
        let first = writer.begin().await.unwrap();
        first.connection().unwrap().execute("INSERT INTO t VALUES (1)", []).unwrap();
        let (holding, held) = tokio::sync::oneshot::channel();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let other = writer.clone();
        let second = tokio::spawn(async move {
            let tx = other.begin().await.unwrap();
            holding.send(()).unwrap();
            released.await.unwrap();
            drop(tx);
        });
        tokio::task::yield_now().await;
        // The first unit hands the connection to the queued second one and waits behind it
        // to commit; then its caller goes away.
        let committing = tokio::spawn(first.commit());
        held.await.unwrap();
        committing.abort();
        release.send(()).unwrap();
        second.await.unwrap();
        for _ in 0..200 {
            if count(&dir) == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(count(&dir), 1);
    }
}
