//! Per-customer send queues: a customer's messages leave in the order they were stored, and
//! neither the push endpoint nor an agent's request waits for WeChat's API.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::WechatApp;
use crate::store::Message;

/// A queue's worker stops after this long without work.
const IDLE: Duration = Duration::from_secs(60);

enum Job {
    Send(Vec<Message>),
    /// "typing…", before the messages that follow.
    Typing,
    /// Answered once everything queued before it was sent.
    Barrier(oneshot::Sender<()>),
}

/// The open queues of one app, by OpenID.
#[derive(Debug, Default)]
pub(super) struct Outbox {
    queues: Mutex<HashMap<String, mpsc::UnboundedSender<Job>>>,
}

impl WechatApp {
    /// Queues stored messages for `openid`; they are sent after everything queued before.
    pub fn enqueue(self: &Arc<Self>, openid: &str, messages: Vec<Message>) {
        self.submit(openid, Job::Send(messages));
    }

    /// Queues "typing…" for `openid`, shown until the next message goes out (best effort).
    pub fn enqueue_typing(self: &Arc<Self>, openid: &str) {
        self.submit(openid, Job::Typing);
    }

    /// Waits until every message queued so far was sent (or given up on).
    pub async fn drain(self: &Arc<Self>) {
        let openids: Vec<String> =
            self.outbox.queues.lock().unwrap_or_else(PoisonError::into_inner).keys().cloned().collect();
        for openid in openids {
            let (done, sent) = oneshot::channel();
            self.submit(&openid, Job::Barrier(done));
            let _ = sent.await;
        }
    }

    fn submit(self: &Arc<Self>, openid: &str, job: Job) {
        let mut queues = self.outbox.queues.lock().unwrap_or_else(PoisonError::into_inner);
        let job = match queues.get(openid) {
            Some(queue) => match queue.send(job) {
                Ok(()) => return,
                // The worker stopped: start a new one with the job.
                Err(mpsc::error::SendError(job)) => job,
            },
            None => job,
        };
        let (queue, jobs) = mpsc::unbounded_channel();
        // A fresh receiver is open, so this send cannot fail.
        let _ = queue.send(job);
        queues.insert(openid.to_string(), queue);
        tokio::spawn(work(self.clone(), openid.to_string(), jobs));
    }
}

async fn work(app: Arc<WechatApp>, openid: String, mut jobs: mpsc::UnboundedReceiver<Job>) {
    loop {
        match tokio::time::timeout(IDLE, jobs.recv()).await {
            Ok(Some(Job::Send(messages))) => app.deliver(&openid, &messages).await,
            Ok(Some(Job::Typing)) => {
                if let Err(error) = app.api.typing(&openid, true).await {
                    tracing::debug!(app = %app.name, error = %error, "typing not shown");
                }
            }
            Ok(Some(Job::Barrier(done))) => {
                let _ = done.send(());
            }
            Ok(None) => return,
            Err(_) => {
                // Idle: close the queue, unless a job arrived meanwhile (the lock keeps
                // `submit` from queueing onto a closing queue).
                let mut queues = app.outbox.queues.lock().unwrap_or_else(PoisonError::into_inner);
                if jobs.is_empty() {
                    queues.remove(&openid);
                    return;
                }
            }
        }
    }
}
