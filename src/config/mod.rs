//! Configuration: defaults → `kefu.toml` → `KEFU_*` environment → command-line flags.
//!
//! The environment is passed in as a map so tests need no process state; the documented
//! example printed by `kefu default-config` is the same file the defaults are read from.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::matcher::ScoringModel;

/// The documented example configuration; parsing it yields [`Config::default`].
pub const DEFAULT_CONFIG: &str = include_str!("default.toml");

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The config file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown/ill-typed settings.
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        /// The config file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// An environment variable has a value of the wrong kind.
    #[error("environment variable {name}={value:?}: {message}")]
    Env {
        /// The variable.
        name: String,
        /// Its value.
        value: String,
        /// What is wrong.
        message: String,
    },
    /// A setting is out of its range.
    #[error("invalid setting `{setting}`: {message}")]
    Invalid {
        /// The setting's dotted name.
        setting: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The knowledge folder.
    pub knowledge_dir: PathBuf,
    /// The flows folder.
    pub flows_dir: PathBuf,
    /// Where `kefu serve` listens.
    pub bind: String,
    /// The database: `sqlite://PATH` or `postgres://…`.
    pub database_url: String,
    /// Matching thresholds.
    pub matcher: MatcherConfig,
    /// Conversation policy and the bot's fixed lines.
    pub dialog: DialogConfig,
    /// How running flows behave.
    pub flows: FlowsConfig,
    /// Operator webhooks flows may call, by name.
    #[serde(default)]
    pub webhooks: BTreeMap<String, WebhookConfig>,
    /// The app channel (REST API for native apps and backends).
    pub app: AppConfig,
    /// The website channel: the chat widget and its demo page.
    pub web: WebConfig,
    /// Human agents: hours, queue, sessions and the lines around a hand-off.
    pub agents: AgentsConfig,
    /// WeChat mini programs and official accounts, by name (push URL `/wechat/NAME`).
    #[serde(default)]
    pub wechat: BTreeMap<String, WechatConfig>,
}

/// When to answer, clarify or fall back.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MatcherConfig {
    /// Minimum confidence to answer directly.
    pub answer_threshold: f32,
    /// Minimum lead over the runner-up to answer directly.
    pub ambiguity_margin: f32,
    /// Minimum confidence to offer choices.
    pub suggest_threshold: f32,
    /// Number of choices offered.
    pub max_suggestions: usize,
    /// Ranker and confidence weights (`kefu eval --fit` prints a fitted set).
    #[serde(default)]
    pub model: ScoringModel,
}

/// Conversation policy.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DialogConfig {
    /// Consecutive fallbacks before handing off.
    pub handoff_after_fallbacks: u32,
    /// Hand off when the customer asks again what the bot just answered.
    pub handoff_on_repeated_question: bool,
    /// Phrases that ask for a human.
    pub human_request_phrases: Vec<String>,
    /// The fallback line.
    pub fallback_reply: String,
    /// The hand-off line.
    pub handoff_reply: String,
    /// The line introducing numbered choices.
    pub clarify_intro: String,
    /// Said when a customer sends an image or a card instead of text.
    pub media_reply: String,
    /// Hand images and cards to an agent instead of answering `media_reply`.
    pub media_handoff: bool,
    /// Said when a customer opens the chat (e.g. taps a mini program's contact button).
    pub welcome: String,
    /// Entry and flow ids offered as a numbered menu under the welcome (empty: the flows,
    /// then the first entries, five in all).
    pub welcome_menu: Vec<String>,
}

/// How running flows behave.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FlowsConfig {
    /// A flow left this long without an answer is dropped.
    pub idle_timeout_secs: u64,
    /// A message that is one of these leaves the running flow.
    pub cancel_phrases: Vec<String>,
    /// Said when a flow is cancelled.
    pub cancel_reply: String,
    /// Said before repeating a flow's question after answering an interruption.
    pub resume_intro: String,
    /// Said when a webhook fails and the flow declares no error path (then: hand-off).
    pub webhook_error_reply: String,
    /// Said when a message arrives while a webhook call is still running.
    pub busy_reply: String,
    /// What a customer hears when a reload changed or removed the flow they were in.
    pub changed_reply: String,
}

/// An operator webhook: an HTTPS endpoint of the shop's own systems.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Where the JSON POST goes.
    pub url: String,
    /// Key of the HMAC-SHA256 body signature (`KEFU_WEBHOOK_<NAME>_SECRET` overrides it).
    #[serde(default)]
    pub secret: String,
    /// How long to wait for the reply.
    #[serde(default = "default_webhook_timeout")]
    pub timeout_ms: u64,
}

fn default_webhook_timeout() -> u64 {
    3000
}

impl std::fmt::Debug for WebhookConfig {
    /// The secret never appears in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret = if self.secret.is_empty() { "(none)" } else { "(redacted)" };
        f.debug_struct("WebhookConfig")
            .field("url", &self.url)
            .field("secret", &secret)
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

/// A WeChat mini program or official account.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WechatConfig {
    /// The app's AppID (`wx…`), checked in every decrypted message.
    pub appid: String,
    /// The push Token from the admin console (signatures only).
    pub token: String,
    /// The 43-character EncodingAESKey (safe and compatible modes).
    #[serde(default)]
    pub encoding_aes_key: String,
    /// The AppSecret, for access tokens (`KEFU_WECHAT_<NAME>_SECRET` overrides it).
    #[serde(default)]
    pub secret: String,
    /// The push data format chosen in the console: `json` (mini programs) or `xml`.
    #[serde(default = "default_wechat_format")]
    pub format: String,
    /// The API host; tests point it at a fake.
    #[serde(default = "default_wechat_api")]
    pub api_base: String,
    /// `kefu` (hand-offs go to kefu's workbench) or `wechat` (to WeChat's own web tool).
    #[serde(default = "default_wechat_handoff")]
    pub handoff: String,
    /// Messages the app may send after a user message, within `window_hours`.
    #[serde(default = "default_window_messages")]
    pub window_messages: i64,
    /// How long the reply window after a user message lasts.
    #[serde(default = "default_window_hours")]
    pub window_hours: i64,
}

fn default_wechat_format() -> String {
    "json".into()
}

fn default_wechat_api() -> String {
    "https://api.weixin.qq.com".into()
}

fn default_wechat_handoff() -> String {
    "kefu".into()
}

fn default_window_messages() -> i64 {
    5
}

fn default_window_hours() -> i64 {
    48
}

impl std::fmt::Debug for WechatConfig {
    /// Token, key and secret never appear in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatConfig")
            .field("appid", &self.appid)
            .field("token", &"(redacted)")
            .field("encoding_aes_key", &"(redacted)")
            .field("secret", &if self.secret.is_empty() { "(none)" } else { "(redacted)" })
            .field("format", &self.format)
            .field("api_base", &self.api_base)
            .field("handoff", &self.handoff)
            .finish()
    }
}

/// The app channel.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// Keys an app sends as `Authorization: Bearer KEY` (`KEFU_APP_API_KEY` adds one); none:
    /// the channel is off.
    pub api_keys: Vec<String>,
    /// Where to POST every message to an app user (empty: nowhere), signed like webhooks.
    pub webhook_url: String,
    /// Key of that POST's signature.
    pub webhook_secret: String,
}

impl std::fmt::Debug for AppConfig {
    /// Keys and secrets never appear in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConfig")
            .field("api_keys", &format!("({} redacted)", self.api_keys.len()))
            .field("webhook_url", &self.webhook_url)
            .field("webhook_secret", &if self.webhook_secret.is_empty() { "(none)" } else { "(redacted)" })
            .finish()
    }
}

/// The website channel (`/widget.js`, `/ws/chat`).
#[derive(Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// Serve the widget, its WebSocket and the demo page at `/`.
    pub enabled: bool,
    /// Key of the HMAC-SHA256 that host sites sign their logged-in user ids with
    /// (`KEFU_WEB_IDENTITY_SECRET` overrides it); empty: only anonymous visitors.
    pub identity_secret: String,
    /// Origins (`https://shop.example.com`) whose pages may open the widget's WebSocket;
    /// empty: any.
    pub allowed_origins: Vec<String>,
}

impl std::fmt::Debug for WebConfig {
    /// The secret never appears in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebConfig")
            .field("enabled", &self.enabled)
            .field("identity_secret", &if self.identity_secret.is_empty() { "(none)" } else { "(redacted)" })
            .field("allowed_origins", &self.allowed_origins)
            .finish()
    }
}

/// Human agents.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AgentsConfig {
    /// The time zone of `business_hours`, as a UTC offset (`+08:00`).
    pub timezone: String,
    /// When agents work: `DAYS HH:MM-HH:MM` lines, days `mon`…`sun` or a range `mon-fri`.
    pub business_hours: Vec<String>,
    /// A conversation queued longer than this becomes a ticket.
    pub queue_timeout_secs: u64,
    /// How long an agent's login lasts.
    pub session_hours: u64,
    /// Default for new agents' concurrent conversations.
    pub default_max_concurrent: i64,
    /// Knowledge answers suggested to the agent for each customer message.
    pub copilot_suggestions: usize,
    /// Said when queued; `{position}` is the place in the queue.
    pub queued_reply: String,
    /// Said when the queue moves the customer up to a near place; `{position}`.
    pub queue_moved_reply: String,
    /// Said when an agent takes over; `{agent}` is their display name.
    pub agent_joined_reply: String,
    /// Said when no agent can take the conversation; `{ticket}` is the ticket number.
    pub no_agent_reply: String,
    /// Said when the queue waited too long; `{ticket}`.
    pub queue_timeout_reply: String,
    /// Said when an agent closes the conversation.
    pub rating_prompt: String,
    /// Said after a rating.
    pub rating_thanks: String,
}

/// Generates a section's file layer (every setting optional) and how it overrides.
macro_rules! layer {
    ($layer:ident for $section:ident { $($field:ident: $ty:ty),* $(,)? }) => {
        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct $layer {
            $($field: Option<$ty>,)*
        }

        impl $layer {
            fn apply(self, section: &mut $section) {
                $(set(&mut section.$field, self.$field);)*
            }
        }
    };
}

layer!(MatcherLayer for MatcherConfig {
    answer_threshold: f32, ambiguity_margin: f32, suggest_threshold: f32, max_suggestions: usize, model: ScoringModel,
});
layer!(DialogLayer for DialogConfig {
    handoff_after_fallbacks: u32, handoff_on_repeated_question: bool, human_request_phrases: Vec<String>,
    fallback_reply: String, handoff_reply: String, clarify_intro: String, media_reply: String, media_handoff: bool, welcome: String, welcome_menu: Vec<String>,
});
layer!(FlowsLayer for FlowsConfig {
    idle_timeout_secs: u64, cancel_phrases: Vec<String>, cancel_reply: String, resume_intro: String,
    webhook_error_reply: String, busy_reply: String, changed_reply: String,
});
layer!(AppLayer for AppConfig { api_keys: Vec<String>, webhook_url: String, webhook_secret: String });
layer!(WebLayer for WebConfig { enabled: bool, identity_secret: String, allowed_origins: Vec<String> });
layer!(AgentsLayer for AgentsConfig {
    timezone: String, business_hours: Vec<String>, queue_timeout_secs: u64, session_hours: u64,
    default_max_concurrent: i64, copilot_suggestions: usize, queued_reply: String, queue_moved_reply: String,
    agent_joined_reply: String, no_agent_reply: String, queue_timeout_reply: String, rating_prompt: String,
    rating_thanks: String,
});

/// A config file as written: every setting optional, layered over the defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigLayer {
    knowledge_dir: Option<PathBuf>,
    flows_dir: Option<PathBuf>,
    bind: Option<String>,
    database_url: Option<String>,
    #[serde(default)]
    matcher: MatcherLayer,
    #[serde(default)]
    dialog: DialogLayer,
    #[serde(default)]
    flows: FlowsLayer,
    #[serde(default)]
    webhooks: Option<BTreeMap<String, WebhookConfig>>,
    #[serde(default)]
    app: AppLayer,
    #[serde(default)]
    web: WebLayer,
    #[serde(default)]
    agents: AgentsLayer,
    #[serde(default)]
    wechat: Option<BTreeMap<String, WechatConfig>>,
}

impl Default for Config {
    fn default() -> Config {
        // The embedded default file is checked by a unit test; it cannot fail at run time.
        toml::from_str(DEFAULT_CONFIG).expect("the embedded default configuration is valid")
    }
}

impl Config {
    /// Loads the configuration: `file` (if any) over the defaults, then the environment.
    pub fn load(file: Option<&Path>, env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
            config.apply_file(path, &text)?;
        }
        config.apply_env(env)?;
        config.validate()?;
        Ok(config)
    }

    fn apply_file(&mut self, path: &Path, text: &str) -> Result<(), ConfigError> {
        let layer: ConfigLayer = toml::from_str(text).map_err(|error| {
            let (line, column) = error.span().map_or((1, 1), |span| line_column(text, span.start));
            ConfigError::Parse {
                path: path.to_path_buf(),
                line,
                column,
                message: error.message().to_string(),
            }
        })?;
        let ConfigLayer {
            knowledge_dir,
            flows_dir,
            bind,
            database_url,
            matcher,
            dialog,
            flows,
            webhooks,
            app,
            web,
            agents,
            wechat,
        } = layer;
        set(&mut self.knowledge_dir, knowledge_dir);
        set(&mut self.flows_dir, flows_dir);
        set(&mut self.bind, bind);
        set(&mut self.database_url, database_url);
        matcher.apply(&mut self.matcher);
        dialog.apply(&mut self.dialog);
        flows.apply(&mut self.flows);
        app.apply(&mut self.app);
        web.apply(&mut self.web);
        agents.apply(&mut self.agents);
        // Webhooks merge by name: a file adds its own and re-points the sample ones.
        self.webhooks.extend(webhooks.unwrap_or_default());
        self.wechat.extend(wechat.unwrap_or_default());
        Ok(())
    }

    fn apply_env(&mut self, env: &HashMap<String, String>) -> Result<(), ConfigError> {
        set(&mut self.knowledge_dir, env.get("KEFU_KNOWLEDGE_DIR").map(PathBuf::from));
        set(&mut self.flows_dir, env.get("KEFU_FLOWS_DIR").map(PathBuf::from));
        set(&mut self.bind, env.get("KEFU_BIND").cloned());
        set(&mut self.database_url, env.get("KEFU_DATABASE_URL").cloned());
        set(&mut self.web.identity_secret, env.get("KEFU_WEB_IDENTITY_SECRET").cloned());
        if let Some(key) = env.get("KEFU_APP_API_KEY").filter(|key| !key.trim().is_empty()) {
            self.app.api_keys.push(key.trim().to_string());
        }
        set(&mut self.matcher.answer_threshold, env_value(env, "KEFU_ANSWER_THRESHOLD")?);
        set(&mut self.matcher.ambiguity_margin, env_value(env, "KEFU_AMBIGUITY_MARGIN")?);
        set(&mut self.matcher.suggest_threshold, env_value(env, "KEFU_SUGGEST_THRESHOLD")?);
        set(&mut self.dialog.handoff_after_fallbacks, env_value(env, "KEFU_HANDOFF_AFTER_FALLBACKS")?);
        for (name, app) in &mut self.wechat {
            let variable = format!("KEFU_WECHAT_{}_SECRET", name.to_uppercase().replace('-', "_"));
            set(&mut app.secret, env.get(&variable).cloned());
        }
        for (name, webhook) in &mut self.webhooks {
            let variable = format!("KEFU_WEBHOOK_{}_SECRET", name.to_uppercase().replace('-', "_"));
            set(&mut webhook.secret, env.get(&variable).cloned());
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let unit = |setting: &'static str, value: f32| {
            if (0.0..=1.0).contains(&value) {
                Ok(())
            } else {
                Err(ConfigError::Invalid { setting, message: format!("{value} is not between 0 and 1") })
            }
        };
        unit("matcher.answer_threshold", self.matcher.answer_threshold)?;
        unit("matcher.suggest_threshold", self.matcher.suggest_threshold)?;
        unit("matcher.ambiguity_margin", self.matcher.ambiguity_margin)?;
        if self.matcher.suggest_threshold > self.matcher.answer_threshold {
            let message = "must not be above matcher.answer_threshold".to_string();
            return Err(ConfigError::Invalid { setting: "matcher.suggest_threshold", message });
        }
        if self.matcher.max_suggestions == 0 || self.matcher.max_suggestions > 9 {
            let message = "must be between 1 and 9 (choices are answered with one digit)".to_string();
            return Err(ConfigError::Invalid { setting: "matcher.max_suggestions", message });
        }
        for (name, webhook) in &self.webhooks {
            if !(webhook.url.starts_with("https://") || webhook.url.starts_with("http://")) {
                let message = format!("webhook `{name}`: url must start with https:// or http://");
                return Err(ConfigError::Invalid { setting: "webhooks", message });
            }
        }
        if let Some(origin) = self.web.allowed_origins.iter().find(|o| !is_origin(o)) {
            let message = format!("`{origin}` is not an origin like https://shop.example.com (no path)");
            return Err(ConfigError::Invalid { setting: "web.allowed_origins", message });
        }
        for (name, app) in &self.wechat {
            if let Some(problem) = wechat_problem(name, app) {
                return Err(ConfigError::Invalid {
                    setting: "wechat",
                    message: format!("[wechat.{name}]: {problem}"),
                });
            }
        }
        self.matcher
            .model
            .check_shape()
            .map_err(|error| ConfigError::Invalid { setting: "matcher.model", message: error.to_string() })
    }
}

/// `scheme://host[:port]`, as browsers send it in `Origin`.
fn is_origin(text: &str) -> bool {
    let rest = text.strip_prefix("https://").or_else(|| text.strip_prefix("http://"));
    rest.is_some_and(|host| !host.is_empty() && !host.contains('/'))
}

/// What is wrong with a WeChat app's settings, if anything.
fn wechat_problem(name: &str, app: &WechatConfig) -> Option<String> {
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        Some("the name may use only letters, digits, `-` and `_` (it is in the push URL)".into())
    } else if !matches!(app.format.as_str(), "json" | "xml") {
        Some(format!("format `{}` must be `json` or `xml`", app.format))
    } else if !matches!(app.handoff.as_str(), "kefu" | "wechat") {
        Some(format!("handoff `{}` must be `kefu` or `wechat`", app.handoff))
    } else if !app.encoding_aes_key.is_empty() && app.encoding_aes_key.len() != 43 {
        Some("encoding_aes_key must be the 43 characters from the admin console".into())
    } else if app.appid.is_empty() || app.token.is_empty() {
        Some("appid and token are required".into())
    } else {
        None
    }
}

fn set<T>(target: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *target = value;
    }
}

fn env_value<T: std::str::FromStr>(
    env: &HashMap<String, String>,
    name: &str,
) -> Result<Option<T>, ConfigError>
where
    T::Err: std::fmt::Display,
{
    env.get(name)
        .map(|value| {
            value.trim().parse().map_err(|error: T::Err| ConfigError::Env {
                name: name.to_string(),
                value: value.clone(),
                message: error.to_string(),
            })
        })
        .transpose()
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |last| last.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests;
