//! SQLite's one write connection, with group commit.
//!
//! Units of work take turns on the connection, each inside a savepoint of one shared
//! transaction (a batch). A unit that is done releases its savepoint; if another unit is
//! queued for the connection it hands over and waits, else it commits the batch — every
//! unit in it at once. A commit writes each changed page once however many messages changed
//! it, where committing every unit alone wrote the same table and index pages to the log
//! again and again; and a unit that hands over waits for the batch without taking the
//! connection again, where each turn on it costs a task wake-up. `commit` returns only once
//! its batch is committed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Mutex, OwnedMutexGuard, SetOnce};

use super::StoreError;

/// Units a batch takes before it commits even though more are queued: under steady load
/// the queue never empties, and the first unit's caller would wait ever longer.
const MAX_BATCH: usize = 64;

/// The write connection, shared by every unit of work.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    state: Arc<Mutex<State>>,
    /// Units waiting for the connection.
    queued: Arc<AtomicUsize>,
}

#[derive(Debug)]
struct State {
    connection: rusqlite::Connection,
    /// The open batch, if any.
    batch: Option<Arc<Batch>>,
    /// Units done with their work in the open batch.
    done: usize,
}

/// One shared transaction: how its commit went, once it is over.
#[derive(Debug, Default)]
struct Batch {
    result: SetOnce<Result<(), String>>,
}

/// A unit of work holding the write connection; rolled back when dropped uncommitted.
pub(crate) struct LiteTx {
    state: Option<OwnedMutexGuard<State>>,
    writer: Writer,
}

/// A unit's place in the queue for the connection. A unit that gives up waiting may have
/// been the one its predecessor handed the batch's commit to: it settles the batch.
struct Queued<'a> {
    writer: &'a Writer,
    waiting: bool,
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.writer.queued.fetch_sub(1, Ordering::SeqCst);
        if self.waiting {
            self.writer.settle();
        }
    }
}

impl Writer {
    /// Wraps an open connection.
    pub(crate) fn new(connection: rusqlite::Connection) -> Writer {
        Writer {
            state: Arc::new(Mutex::new(State { connection, batch: None, done: 0 })),
            queued: Arc::default(),
        }
    }

    /// Waits for the connection, then starts a unit of work in the open batch (or a new
    /// one: `BEGIN IMMEDIATE` takes the write lock at once, so a batch that reads and then
    /// writes cannot deadlock with another process's writer).
    pub(crate) async fn begin(&self) -> Result<LiteTx, StoreError> {
        self.queued.fetch_add(1, Ordering::SeqCst);
        let mut place = Queued { writer: self, waiting: true };
        let mut state = self.state.clone().lock_owned().await;
        place.waiting = false;
        drop(place);
        let started =
            state.open_batch().and_then(|()| Ok(state.connection.execute_batch("SAVEPOINT unit")?));
        if let Err(error) = started {
            self.hand_over(state);
            return Err(error);
        }
        Ok(LiteTx { state: Some(state), writer: self.clone() })
    }

    /// Gives the connection up: commits the open batch first unless a queued unit will.
    fn hand_over(&self, mut state: OwnedMutexGuard<State>) {
        if self.queued.load(Ordering::SeqCst) == 0 || state.done >= MAX_BATCH {
            state.commit_batch();
        }
        drop(state);
        self.settle();
    }

    /// Commits the open batch if nobody is queued to: the unit the connection was handed
    /// to may have given up waiting. Whoever holds the connection now settles it when done.
    fn settle(&self) {
        if self.queued.load(Ordering::SeqCst) == 0
            && let Ok(mut state) = self.state.clone().try_lock_owned()
        {
            state.commit_batch();
        }
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

    /// Commits the open batch, if any, and tells its units how it went.
    fn commit_batch(&mut self) {
        if self.batch.is_none() {
            return;
        }
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
            // Only the holder of the connection sets it, once per batch.
            let _ = batch.result.set(result);
        }
        self.done = 0;
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
        state.done += 1;
        self.writer.hand_over(state);
        // The batch commits without this caller: it may go away (a client hung up).
        match batch.result.wait().await {
            Ok(()) => Ok(()),
            Err(error) => Err(StoreError::Commit(error.clone())),
        }
    }
}

impl Drop for LiteTx {
    fn drop(&mut self) {
        let Some(state) = self.state.take() else { return };
        if let Err(error) = state.connection.execute_batch("ROLLBACK TO unit; RELEASE unit") {
            tracing::error!(error = %error, "cannot roll back a unit of work");
        }
        self.writer.hand_over(state);
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
        rows(dir.path())
    }

    /// Rows committed, as another connection sees them.
    fn rows(dir: &std::path::Path) -> i64 {
        let reader = rusqlite::Connection::open(dir.join("w.db")).unwrap();
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

    #[tokio::test]
    async fn a_unit_that_gives_up_waiting_still_lets_the_batch_commit() {
        use std::future::Future;
        use std::task::{Context, Waker};
        let dir = tempfile::tempdir().unwrap();
        let writer = writer(&dir);
        let first = writer.begin().await.unwrap();
        first.connection().unwrap().execute("INSERT INTO t VALUES (1)", []).unwrap();
        let mut context = Context::from_waker(Waker::noop());
        // A second unit queues for the connection ...
        let mut second = Box::pin(writer.begin());
        assert!(second.as_mut().poll(&mut context).is_pending());
        // ... so the first hands the batch's commit over to it and waits ...
        let mut committing = Box::pin(first.commit());
        assert!(committing.as_mut().poll(&mut context).is_pending());
        // ... and the second gives up before it ever runs.
        drop(second);
        let committed = tokio::time::timeout(std::time::Duration::from_secs(5), committing).await;
        assert!(matches!(committed, Ok(Ok(()))), "{committed:?}");
        assert_eq!(count(&dir), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_commits_at_its_size_limit_while_units_keep_coming() {
        let dir = tempfile::tempdir().unwrap();
        let writer = writer(&dir);
        // The first unit holds the connection while many queue behind it: the queue stays
        // full, so only the size limit commits the first batch before the last unit is done.
        let first = writer.begin().await.unwrap();
        let mut tasks = Vec::new();
        for n in 0..(3 * MAX_BATCH as i64) {
            let (writer, path) = (writer.clone(), dir.path().to_path_buf());
            tasks.push(tokio::spawn(async move {
                let tx = writer.begin().await.unwrap();
                tx.connection().unwrap().execute("INSERT INTO t VALUES (?1)", [n]).unwrap();
                tx.commit().await.unwrap();
                rows(&path)
            }));
        }
        while writer.queued.load(Ordering::SeqCst) < 3 * MAX_BATCH {
            tokio::task::yield_now().await;
        }
        first.commit().await.unwrap();
        let mut seen = Vec::new();
        for task in tasks {
            seen.push(task.await.unwrap());
        }
        assert_eq!(count(&dir), 3 * MAX_BATCH as i64);
        // Some unit saw its batch committed while later ones were still queued.
        assert!(seen.iter().any(|&n| n < 3 * MAX_BATCH as i64), "{seen:?}");
    }
}
