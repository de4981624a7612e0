//! A real `kefu serve`, started as a child process, driven through the app channel (closed
//! loop: each worker sends its next message when the last is answered) and through WeChat
//! pushes (open loop at a set rate, every push encrypted and signed like WeChat's), with a
//! fake WeChat API and shop backend on loopback that time every reply.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::routing::post;
use serde::Serialize;
use serde_json::{Value, json};

use super::Latencies;
use super::latency::Summary;
use crate::channels::wechat::crypto::WechatCrypto;

/// The app channel's key the child server accepts.
const APP_KEY: &str = "loadtest-key";
const TOKEN: &str = "loadtest-token";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APPID: &str = "wx0000000000000000";
/// How long replies may trail the last push before they count as missing.
const REPLY_GRACE: Duration = Duration::from_secs(10);

/// Questions customers ask (FAQ), from the sample shop's topics.
const FAQ: [&str; 12] = [
    "退款多久到账",
    "你们发什么快递",
    "满多少包邮啊",
    "优惠券在哪里看",
    "怎么开发票",
    "支持花呗吗",
    "七天无理由退货怎么申请",
    "会员积分怎么用",
    "可以改收货地址吗",
    "东西坏了怎么办",
    "什么时候发货",
    "怎么联系人工",
];

/// A `kefu serve` child process, on a fresh SQLite database unless given another.
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// How long it took from spawn to a healthy `/healthz`.
    pub started_in: Duration,
    _dir: tempfile::TempDir,
}

/// The server's resource use so far.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Usage {
    /// Resident memory now, MB.
    pub rss_mb: f64,
    /// Peak resident memory, MB.
    pub peak_rss_mb: f64,
    /// CPU time used, seconds (user + system).
    pub cpu_seconds: f64,
}

impl ServerProcess {
    /// Starts `exe serve` on `knowledge_dir` and `flows_dir`, its WeChat app and webhooks
    /// pointed at `fake_base`; returns once it is healthy.
    pub async fn start(
        exe: &Path,
        knowledge_dir: &Path,
        flows_dir: &Path,
        fake_base: &str,
        database: Option<&str>,
    ) -> Result<ServerProcess, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let config = format!(
            "[app]\napi_keys = [\"{APP_KEY}\"]\n\n[agents]\nbusiness_hours = [\"mon-sun 00:00-24:00\"]\n\n\
             [webhooks.order_lookup]\nurl = \"{fake_base}/hook/order_lookup\"\n\n\
             [wechat.load]\nappid = \"{APPID}\"\ntoken = \"{TOKEN}\"\nencoding_aes_key = \"{AES_KEY}\"\n\
             secret = \"loadtest-secret\"\napi_base = \"{fake_base}\"\n"
        );
        std::fs::write(dir.path().join("kefu.toml"), config).map_err(|e| e.to_string())?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let log = std::fs::File::create(dir.path().join("server.log")).map_err(|e| e.to_string())?;
        let started = Instant::now();
        let child = Command::new(exe)
            .arg("serve")
            .env("KEFU_CONFIG", dir.path().join("kefu.toml"))
            .env("KEFU_BIND", format!("127.0.0.1:{port}"))
            .env(
                "KEFU_DATABASE_URL",
                database.map_or_else(
                    || format!("sqlite://{}", dir.path().join("kefu.db").display()),
                    str::to_string,
                ),
            )
            .env("KEFU_KNOWLEDGE_DIR", knowledge_dir)
            .env("KEFU_FLOWS_DIR", flows_dir)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|error| format!("cannot start {}: {error}", exe.display()))?;
        let mut server = ServerProcess {
            child,
            base: format!("http://127.0.0.1:{port}"),
            started_in: Duration::ZERO,
            _dir: dir,
        };
        let http = reqwest::Client::new();
        while started.elapsed() < Duration::from_secs(60) {
            if let Ok(Some(status)) = server.child.try_wait() {
                let log = std::fs::read_to_string(server._dir.path().join("server.log")).unwrap_or_default();
                return Err(format!("the server exited ({status}):\n{log}"));
            }
            if http
                .get(format!("{}/healthz", server.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                server.started_in = started.elapsed();
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Err("the server did not become healthy within 60 s".into())
    }

    /// Peak memory and CPU time so far, from `/proc` (zero elsewhere).
    pub fn usage(&self) -> Usage {
        let pid = self.child.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let kb = |field: &str| -> f64 {
            status
                .lines()
                .find_map(|line| line.strip_prefix(field))
                .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
                .unwrap_or(0.0)
        };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
        let fields: Vec<&str> =
            stat.rsplit_once(')').map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
        let ticks: f64 = [11, 12].iter().filter_map(|&i| fields.get(i)?.parse::<f64>().ok()).sum();
        // Linux counts in USER_HZ, 100 per second on every mainstream configuration.
        Usage {
            rss_mb: kb("VmRSS:") / 1024.0,
            peak_rss_mb: kb("VmHWM:") / 1024.0,
            cpu_seconds: ticks / 100.0,
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// When each reply to a customer arrived, and what it said.
type Received = HashMap<String, Vec<(Instant, String)>>;

/// Replies received by the fake WeChat API, by openid.
#[derive(Clone, Default)]
pub struct Replies(Arc<Mutex<Received>>);

impl Replies {
    fn record(&self, openid: String, content: String) {
        let mut replies = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        replies.entry(openid).or_default().push((Instant::now(), content));
    }

    fn snapshot(&self) -> Received {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// Starts the fake WeChat API and shop backend; returns its base URL and what it receives.
pub async fn start_fake_wechat() -> Result<(String, Replies), String> {
    let replies = Replies::default();
    let app = axum::Router::new()
        .route("/cgi-bin/stable_token", post(|| async { Json(json!({ "access_token": "load-token", "expires_in": 7200 })) }))
        .route("/cgi-bin/message/custom/send", post(send))
        .route("/cgi-bin/message/custom/typing", post(|| async { Json(json!({ "errcode": 0, "errmsg": "ok" })) }))
        .route(
            "/hook/order_lookup",
            post(|| async {
                Json(json!({ "found": true, "status": "shipped", "courier": "中通快递", "tracking_no": "75312345678901",
                             "latest": "【杭州市】快件已到达杭州转运中心" }))
            }),
        )
        .with_state(replies.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let base = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((base, replies))
}

async fn send(State(replies): State<Replies>, Json(body): Json<Value>) -> Json<Value> {
    let openid = body["touser"].as_str().unwrap_or_default().to_string();
    let content = match body["msgtype"].as_str() {
        Some("text") => body["text"]["content"].as_str().unwrap_or_default().to_string(),
        _ => body.to_string(),
    };
    replies.record(openid, content);
    Json(json!({ "errcode": 0, "errmsg": "ok" }))
}

/// What a phase measured.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseReport {
    /// Customer messages sent.
    pub messages: usize,
    /// Wall time of the phase.
    pub seconds: f64,
    /// Messages answered per second.
    pub per_second: f64,
    /// Message → reply latency (app: the HTTP answer; WeChat: push sent → reply at the send API).
    pub latency: Summary,
    /// Requests refused or failed.
    pub errors: usize,
    /// Messages that got no reply (WeChat).
    pub missing: usize,
    /// Messages whose reply arrived twice (WeChat).
    pub duplicated: usize,
    /// A few of the failures, to see what went wrong.
    pub samples: Vec<String>,
}

/// The messages of one simulated customer's visit: mostly FAQ, some order lookups through
/// the flow and its webhook, a few hand-offs.
fn session(number: usize) -> Vec<String> {
    match number % 20 {
        0 => vec!["转人工".into()],
        1..=3 => vec!["帮我查一下订单".into(), "DD2024111900123".into()],
        _ => vec![FAQ[number % FAQ.len()].into(), FAQ[(number / 3 + 5) % FAQ.len()].into()],
    }
}

/// Drives the app channel with `concurrency` customers at once for `duration`.
pub async fn app_channel(base: &str, concurrency: usize, duration: Duration) -> PhaseReport {
    let http = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().unwrap_or_default();
    let url = format!("{base}/api/v1/app/messages");
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..concurrency {
        let (http, url) = (http.clone(), url.clone());
        workers.push(tokio::spawn(async move {
            let (mut latencies, mut errors, mut samples) = (Latencies::default(), 0, Vec::new());
            let mut visit = worker;
            while started.elapsed() < duration {
                let user = format!("load-{worker}-{visit}");
                for text in session(visit) {
                    let sent = Instant::now();
                    let result = http
                        .post(&url)
                        .bearer_auth(APP_KEY)
                        .json(&json!({ "user_id": user, "text": text }))
                        .send()
                        .await;
                    let answered = match result {
                        Ok(response) if response.status().is_success() => response.json::<Value>().await.ok(),
                        Ok(response) => {
                            samples.push(format!(
                                "{}: {}",
                                response.status(),
                                response.text().await.unwrap_or_default()
                            ));
                            None
                        }
                        Err(error) => {
                            samples.push(error.to_string());
                            None
                        }
                    };
                    match answered {
                        Some(body) if body["replies"].as_array().is_some_and(|r| !r.is_empty()) => {
                            latencies.push(sent.elapsed())
                        }
                        Some(body) => {
                            errors += 1;
                            samples.push(format!("no reply to {text}: {body}"));
                        }
                        None => errors += 1,
                    }
                }
                visit += concurrency;
            }
            samples.truncate(3);
            (latencies, errors, samples)
        }));
    }
    let (mut latencies, mut errors, mut samples) = (Latencies::default(), 0, Vec::new());
    for worker in workers {
        if let Ok((worker_latencies, worker_errors, worker_samples)) = worker.await {
            latencies.extend(worker_latencies);
            errors += worker_errors;
            samples.extend(worker_samples);
        }
    }
    samples.truncate(5);
    let seconds = started.elapsed().as_secs_f64();
    PhaseReport {
        messages: latencies.len() + errors,
        seconds,
        per_second: latencies.len() as f64 / seconds,
        latency: latencies.summary(),
        errors,
        missing: 0,
        duplicated: 0,
        samples,
    }
}

/// Pushes `rate` encrypted WeChat messages a second for `duration`, each from a new
/// customer, and times each reply's arrival at the fake send API.
pub async fn wechat(base: &str, replies: &Replies, rate: u32, duration: Duration) -> PhaseReport {
    let crypto = match WechatCrypto::new(TOKEN, AES_KEY, APPID) {
        Ok(crypto) => Arc::new(crypto),
        Err(error) => return failed_phase(format!("crypto: {error}")),
    };
    let http = reqwest::Client::new();
    let url = format!("{base}/wechat/load");
    let run_id = crate::store::now_ms();
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate.max(1))));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut sent: Vec<(String, Instant)> = Vec::new();
    let mut pushes = Vec::new();
    while started.elapsed() < duration {
        ticker.tick().await;
        let number = sent.len();
        let openid = format!("o-load-{run_id}-{number}");
        let message = json!({
            "ToUserName": "gh_loadtest", "FromUserName": openid, "CreateTime": run_id / 1000,
            "MsgType": "text", "Content": FAQ[number % FAQ.len()], "MsgId": run_id * 1000 + number as i64,
        });
        let (query, body) = seal(&crypto, &message, number);
        sent.push((openid, Instant::now()));
        let (http, url) = (http.clone(), format!("{url}?{query}"));
        pushes.push(tokio::spawn(async move {
            match http.post(&url).body(body).send().await {
                Ok(response) if response.status().is_success() => None,
                Ok(response) => Some(format!("push refused: {}", response.status())),
                Err(error) => Some(format!("push failed: {error}")),
            }
        }));
    }
    let mut samples = Vec::new();
    let mut errors = 0;
    for push in pushes {
        if let Ok(Some(failure)) = push.await {
            errors += 1;
            samples.push(failure);
        }
    }
    let waited = Instant::now();
    let mut received = replies.snapshot();
    while sent.iter().any(|(openid, _)| !received.contains_key(openid)) && waited.elapsed() < REPLY_GRACE {
        tokio::time::sleep(Duration::from_millis(50)).await;
        received = replies.snapshot();
    }
    let seconds = started.elapsed().as_secs_f64() - waited.elapsed().as_secs_f64();
    let (mut latencies, mut missing, mut duplicated) = (Latencies::default(), 0, 0);
    for (openid, at) in &sent {
        match received.get(openid) {
            Some(got) => {
                let first = got.iter().map(|(when, _)| *when).min().unwrap_or(*at);
                latencies.push(first.saturating_duration_since(*at));
                let mut contents: Vec<&String> = got.iter().map(|(_, content)| content).collect();
                contents.sort();
                if contents.windows(2).any(|pair| pair[0] == pair[1]) {
                    duplicated += 1;
                    samples.push(format!("{openid} got the same reply twice"));
                }
            }
            None => missing += 1,
        }
    }
    samples.truncate(5);
    PhaseReport {
        messages: sent.len(),
        seconds,
        per_second: latencies.len() as f64 / seconds.max(f64::EPSILON),
        latency: latencies.summary(),
        errors,
        missing,
        duplicated,
        samples,
    }
}

/// The query and body of a safe-mode JSON push, signed like WeChat signs them.
fn seal(crypto: &WechatCrypto, message: &Value, number: usize) -> (String, String) {
    let random: [u8; 16] = rand::random();
    let encrypt = crypto.encrypt(&message.to_string(), random);
    let timestamp = (crate::store::now_ms() / 1000).to_string();
    let nonce = format!("{}", 100_000 + number % 900_000);
    let query = format!(
        "signature={}&timestamp={timestamp}&nonce={nonce}&openid={}&encrypt_type=aes&msg_signature={}",
        crypto.signature(&timestamp, &nonce),
        message["FromUserName"].as_str().unwrap_or_default(),
        crypto.msg_signature(&timestamp, &nonce, &encrypt),
    );
    (query, json!({ "ToUserName": "gh_loadtest", "Encrypt": encrypt }).to_string())
}

fn failed_phase(reason: String) -> PhaseReport {
    PhaseReport {
        messages: 0,
        seconds: 0.0,
        per_second: 0.0,
        latency: Latencies::default().summary(),
        errors: 1,
        missing: 0,
        duplicated: 0,
        samples: vec![reason],
    }
}

/// The binary to run as the server: this one.
pub fn current_exe() -> Result<PathBuf, String> {
    std::env::current_exe().map_err(|error| format!("cannot find the kefu binary: {error}"))
}
