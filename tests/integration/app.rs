//! `spawn_app()`: the real server on 127.0.0.1:0 with a fresh SQLite database, the shipped
//! knowledge and flows, and an API key; plus small helpers to talk to it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use kefu::config::Config;
use kefu::serve::{Started, bind, prepare, run};

/// The API key the test server accepts.
pub const API_KEY: &str = "test-api-key";

/// A running server.
pub struct TestApp {
    pub address: SocketAddr,
    pub http: Client,
    pub admin_password: String,
    pub started: std::sync::Arc<Started>,
    database: PathBuf,
    _data: Option<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// Settings for a test server.
pub fn test_config(database: &Path) -> Config {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut env = HashMap::new();
    env.insert("KEFU_APP_API_KEY".to_string(), API_KEY.to_string());
    let mut config = Config::load(None, &env).unwrap();
    config.knowledge_dir = root.join("knowledge");
    config.flows_dir = root.join("flows");
    config.database_url = format!("sqlite://{}", database.display());
    // Agents work around the clock, so tests do not depend on the hour they run at.
    config.agents.business_hours = vec!["mon-sun 00:00-24:00".into()];
    config
}

/// Starts a server on a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_adjusted(|_| {}).await
}

/// Starts a server on a fresh database, with `adjust` applied to the test settings.
pub async fn spawn_adjusted(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let data = tempfile::tempdir().unwrap();
    let mut config = test_config(&data.path().join("kefu.db"));
    adjust(&mut config);
    let mut app = spawn_with(config).await;
    app._data = Some(data);
    app
}

/// Starts a server with `config`.
pub async fn spawn_with(config: Config) -> TestApp {
    spawn_at(config, "127.0.0.1:0").await
}

/// Starts a server with `config` on `address` (a restart reuses the previous one).
pub async fn spawn_at(config: Config, address: &str) -> TestApp {
    let database = PathBuf::from(config.database_url.trim_start_matches("sqlite://"));
    let started = std::sync::Arc::new(prepare(config).await.expect("the server starts"));
    let (listener, address) = bind(address).await.unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let running = started.clone();
    let task = tokio::spawn(async move {
        run(&running, listener, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    TestApp {
        address,
        http: Client::new(),
        admin_password: started.first_admin_password.clone().unwrap_or_default(),
        started,
        database,
        _data: None,
        stop: Some(stop),
        task: Some(task),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Sends a request with an optional bearer and JSON body; returns status and JSON.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.url(path));
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// A customer message on the app channel; returns the response body.
    pub async fn say(&self, user: &str, text: &str, msg_id: Option<&str>) -> Value {
        let mut body = json!({ "user_id": user, "text": text });
        if let Some(id) = msg_id {
            body["msg_id"] = json!(id);
        }
        let (status, reply) =
            self.call(Method::POST, "/api/v1/app/messages", Some(API_KEY), Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{reply}");
        reply
    }

    /// Logs in; returns the token.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({ "username": username, "password": password })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["token"].as_str().unwrap().to_string()
    }

    /// Creates an agent (as admin) and logs them in online; returns (id, token).
    pub async fn online_agent(&self, username: &str, max_concurrent: i64) -> (i64, String) {
        let admin = self.login("admin", &self.admin_password).await;
        let body = json!({ "username": username, "password": "agent-password", "display_name": format!("客服{username}"), "max_concurrent": max_concurrent });
        let (status, created) =
            self.call(Method::POST, "/api/v1/admin/agents", Some(&admin), Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{created}");
        let token = self.login(username, "agent-password").await;
        let (status, body) = self
            .call(Method::POST, "/api/v1/me/status", Some(&token), Some(json!({ "status": "online" })))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        (created["agent"]["id"].as_i64().unwrap(), token)
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) -> PathBuf {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
        self.database.clone()
    }
}

/// The texts of a message list (`replies` or `messages`).
pub fn texts(messages: &Value) -> Vec<String> {
    messages.as_array().map_or_else(Vec::new, |list| {
        list.iter().map(|m| m["text"].as_str().unwrap_or_default().to_string()).collect()
    })
}
