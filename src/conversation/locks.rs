//! One lock per customer, so two messages of one customer are never processed at once (and
//! their replies stay in order), while different customers proceed in parallel.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// Locks by key, forgetting keys nobody holds.
#[derive(Debug, Default)]
pub struct KeyedLocks {
    locks: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
}

/// Held while a customer's message is processed.
pub struct KeyGuard<'a> {
    owner: &'a KeyedLocks,
    key: String,
    guard: Option<OwnedMutexGuard<()>>,
}

impl KeyedLocks {
    /// Waits for, then takes, the lock of `key`.
    pub async fn lock(&self, key: String) -> KeyGuard<'_> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            locks.entry(key.clone()).or_default().clone()
        };
        let guard = lock.lock_owned().await;
        KeyGuard { owner: self, key, guard: Some(guard) }
    }
}

impl Drop for KeyGuard<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut locks = self.owner.locks.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Only the map and nobody else hold it: forget the key so the map does not grow.
        if locks.get(&self.key).is_some_and(|lock| Arc::strong_count(lock) == 1) {
            locks.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_same_key_waits_and_keys_are_forgotten() {
        let locks = Arc::new(KeyedLocks::default());
        let first = locks.lock("a".into()).await;
        let other = locks.clone();
        let waiting = tokio::spawn(async move {
            let _second = other.lock("a".into()).await;
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        let _unrelated = locks.lock("b".into()).await;
        drop(first);
        waiting.await.unwrap();
        drop(_unrelated);
        assert!(locks.locks.lock().unwrap().is_empty());
    }
}
