//! A fake WeChat API on 127.0.0.1:0: issues access tokens, records customer-service sends,
//! typing and uploads, and answers with scripted error codes.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::post;
use axum::{Json, body::Bytes};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Default)]
struct Recorded {
    tokens_issued: u32,
    valid_token: String,
    /// Every send attempt, answered or not.
    attempts: u32,
    sends: Vec<Value>,
    typing: Vec<Value>,
    uploads: u32,
    /// errcodes for the next send attempts.
    script: VecDeque<i64>,
}

/// A running fake WeChat API.
pub struct FakeWechat {
    pub address: SocketAddr,
    state: Arc<Mutex<Recorded>>,
}

#[derive(Deserialize)]
struct Token {
    access_token: Option<String>,
}

impl FakeWechat {
    /// Starts the fake on a free loopback port.
    pub async fn start() -> FakeWechat {
        let state = Arc::new(Mutex::new(Recorded::default()));
        let app = Router::new()
            .route("/cgi-bin/stable_token", post(stable_token))
            .route("/cgi-bin/message/custom/send", post(send))
            .route("/cgi-bin/message/custom/typing", post(typing))
            .route("/cgi-bin/media/upload", post(upload))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeWechat { address, state }
    }

    /// The `api_base` to configure.
    pub fn base(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Messages delivered so far.
    pub fn sends(&self) -> Vec<Value> {
        self.state.lock().unwrap().sends.clone()
    }

    /// The texts delivered to `openid`.
    pub fn texts_to(&self, openid: &str) -> Vec<String> {
        self.sends()
            .iter()
            .filter(|send| send["touser"] == openid && send["msgtype"] == "text")
            .map(|send| send["text"]["content"].as_str().unwrap().to_string())
            .collect()
    }

    /// Send attempts so far, refused ones included.
    pub fn attempts(&self) -> u32 {
        self.state.lock().unwrap().attempts
    }

    /// Typing commands received.
    pub fn typing(&self) -> Vec<Value> {
        self.state.lock().unwrap().typing.clone()
    }

    /// Access tokens issued.
    pub fn tokens_issued(&self) -> u32 {
        self.state.lock().unwrap().tokens_issued
    }

    /// Invalidates the current token, as when another client fetched a new one.
    pub fn expire_token(&self) {
        self.state.lock().unwrap().valid_token = String::new();
    }

    /// The next send attempts get these errcodes.
    pub fn script(&self, codes: &[i64]) {
        self.state.lock().unwrap().script.extend(codes);
    }
}

async fn stable_token(State(state): State<Arc<Mutex<Recorded>>>, Json(body): Json<Value>) -> Json<Value> {
    assert_eq!(body["grant_type"], "client_credential");
    assert!(body["secret"].as_str().is_some_and(|s| !s.is_empty()), "the secret is sent: {body}");
    let mut state = state.lock().unwrap();
    state.tokens_issued += 1;
    state.valid_token = format!("TOKEN-{}", state.tokens_issued);
    Json(json!({ "access_token": state.valid_token, "expires_in": 7200 }))
}

fn token_error(state: &Recorded, token: &Token) -> Option<Json<Value>> {
    (token.access_token.as_deref() != Some(state.valid_token.as_str()) || state.valid_token.is_empty())
        .then(|| Json(json!({ "errcode": 40001, "errmsg": "invalid credential" })))
}

async fn send(
    State(state): State<Arc<Mutex<Recorded>>>,
    Query(token): Query<Token>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let mut state = state.lock().unwrap();
    state.attempts += 1;
    if let Some(error) = token_error(&state, &token) {
        return error;
    }
    if let Some(code) = state.script.pop_front() {
        return Json(json!({ "errcode": code, "errmsg": "scripted" }));
    }
    state.sends.push(body);
    Json(json!({ "errcode": 0, "errmsg": "ok" }))
}

async fn typing(
    State(state): State<Arc<Mutex<Recorded>>>,
    Query(token): Query<Token>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let mut state = state.lock().unwrap();
    if let Some(error) = token_error(&state, &token) {
        return error;
    }
    state.typing.push(body);
    Json(json!({ "errcode": 0, "errmsg": "ok" }))
}

async fn upload(
    State(state): State<Arc<Mutex<Recorded>>>,
    Query(token): Query<Token>,
    _body: Bytes,
) -> Json<Value> {
    let mut state = state.lock().unwrap();
    if let Some(error) = token_error(&state, &token) {
        return error;
    }
    state.uploads += 1;
    Json(json!({ "type": "image", "media_id": format!("MEDIA-{}", state.uploads), "created_at": 1 }))
}
