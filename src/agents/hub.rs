//! The live hub: committed events fanned out to every connected workbench. Events are in
//! the database first; a workbench that reconnects replays them from its last id.

use tokio::sync::broadcast;

use crate::store::Event;

/// How many events a slow workbench may lag before it must replay from the database.
const BUFFER: usize = 1024;

/// Broadcasts committed events to live subscribers.
#[derive(Debug, Clone)]
pub struct Hub {
    sender: broadcast::Sender<Event>,
}

impl Default for Hub {
    fn default() -> Hub {
        Hub { sender: broadcast::channel(BUFFER).0 }
    }
}

impl Hub {
    /// Publishes events that have been committed.
    pub fn publish(&self, events: impl IntoIterator<Item = Event>) {
        for event in events {
            // No subscriber is fine: the event is in the database.
            let _ = self.sender.send(event);
        }
    }

    /// A new subscription to live events.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }
}
