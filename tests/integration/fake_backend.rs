//! A fake shop backend on 127.0.0.1:0 that records the webhook calls it receives and answers
//! with a scripted status, body and delay.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

/// What the fake answers.
#[derive(Clone)]
pub struct Script {
    pub status: u16,
    pub body: String,
    pub delay: Duration,
}

/// One received call.
#[derive(Clone, Debug)]
pub struct Received {
    pub signature: Option<String>,
    pub body: Vec<u8>,
}

#[derive(Clone)]
struct Shared {
    script: Script,
    received: Arc<Mutex<Vec<Received>>>,
}

/// A running fake backend.
pub struct FakeBackend {
    pub address: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
}

impl FakeBackend {
    /// Starts the fake on a free loopback port, answering every POST with `script`.
    pub async fn start(script: Script) -> FakeBackend {
        let received = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared { script, received: received.clone() };
        let app = Router::new().route("/{*path}", post(handle)).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeBackend { address, received }
    }

    /// The URL of a path on the fake.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// The calls received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

async fn handle(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> (StatusCode, String) {
    let signature = headers.get("x-kefu-signature").and_then(|v| v.to_str().ok()).map(str::to_string);
    shared.received.lock().unwrap().push(Received { signature, body: body.to_vec() });
    tokio::time::sleep(shared.script.delay).await;
    (StatusCode::from_u16(shared.script.status).unwrap(), shared.script.body.clone())
}
