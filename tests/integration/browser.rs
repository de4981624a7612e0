//! End to end in a real browser (headless Chromium over the DevTools protocol): the website
//! widget on a phone-sized screen, the agents' workbench and the admin pages, together. Each
//! side runs in its own browser, as a customer and an agent would. Skipped with a notice
//! where Chromium is not installed (`.ci/run` installs it; `KEFU_CHROMIUM` points elsewhere).
//! Screenshots land in `target/tmp/browser/`.

use std::path::PathBuf;
use std::time::Duration;

use chromiumoxide::cdp::browser_protocol::input::InsertTextParams;
use chromiumoxide::handler::viewport::Viewport;
use chromiumoxide::{Browser, BrowserConfig, Page};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use tokio::task::JoinHandle;

/// How long a step may take before the test fails (generous: CI machines are shared).
const STEP_TIMEOUT: Duration = Duration::from_secs(20);

/// A phone: the widget goes full screen.
pub const PHONE: (u32, u32) = (390, 844);
/// An agent's desktop.
pub const DESKTOP: (u32, u32) = (1366, 860);

/// Where screenshots go.
pub fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn chromium_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("KEFU_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .into_iter()
        .map(PathBuf::from)
        .find(|path| path.exists())
}

/// A headless Chromium with its own profile.
pub struct Chrome {
    browser: Browser,
    handler: JoinHandle<()>,
    _profile: tempfile::TempDir,
}

impl Chrome {
    /// Launches a browser with a window of `size`; `None` (after a printed notice) where
    /// Chromium is not installed.
    pub async fn launch(size: (u32, u32), mobile: bool) -> Option<Chrome> {
        let Some(executable) = chromium_path() else {
            eprintln!(
                "NOTICE: skipping browser test: no Chromium (apt-get install -y chromium, or set KEFU_CHROMIUM)"
            );
            return None;
        };
        let profile = tempfile::tempdir().unwrap();
        let viewport = Viewport {
            width: size.0,
            height: size.1,
            device_scale_factor: Some(if mobile { 2.0 } else { 1.0 }),
            emulating_mobile: mobile,
            is_landscape: false,
            has_touch: mobile,
        };
        let config = BrowserConfig::builder()
            .chrome_executable(executable)
            .no_sandbox()
            .new_headless_mode()
            .user_data_dir(profile.path())
            .window_size(size.0, size.1)
            .viewport(viewport)
            .request_timeout(STEP_TIMEOUT)
            .arg("--disable-dev-shm-usage")
            .arg("--disable-gpu")
            .arg("--lang=zh-CN")
            .build()
            .unwrap();
        let (browser, mut events) = Browser::launch(config).await.expect("Chromium starts");
        let handler = tokio::spawn(async move { while events.next().await.is_some() {} });
        Some(Chrome { browser, handler, _profile: profile })
    }

    /// Opens `url` in a new tab; `name` labels its screenshots.
    pub async fn open(&self, url: &str, name: &'static str) -> Tab {
        // A failure screenshot from an earlier run would mislead.
        if let Ok(files) = std::fs::read_dir(screenshot_dir()) {
            let prefix = format!("FAILED-{name}-");
            for file in files.flatten() {
                if file.file_name().to_string_lossy().starts_with(&prefix) {
                    let _ = std::fs::remove_file(file.path());
                }
            }
        }
        let page = self.browser.new_page(url).await.expect("the page opens");
        Tab { page, name }
    }

    /// Closes the browser.
    pub async fn close(mut self) {
        let _ = self.browser.close().await;
        let _ = self.browser.wait().await;
        self.handler.abort();
    }
}

/// One open page.
pub struct Tab {
    pub page: Page,
    name: &'static str,
}

/// JavaScript: element `e` is rendered (fixed-position elements included).
const VISIBLE: &str = "(e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden')";

/// JavaScript: the element matching a selector exists and is rendered.
pub fn shown(selector: &str) -> String {
    format!("(e => !!e && {VISIBLE})(document.querySelector({}))", js(selector))
}

/// A JavaScript string literal.
pub fn js(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

impl Tab {
    /// Evaluates an expression.
    pub async fn eval<T: DeserializeOwned>(&self, expression: &str) -> T {
        let result = self.page.evaluate(expression).await.unwrap_or_else(|e| panic!("{expression}: {e}"));
        result.into_value().unwrap_or_else(|e| panic!("{expression}: {e}"))
    }

    /// Waits until `condition` (a JavaScript expression) is true; on timeout takes a
    /// screenshot and fails with what the page shows.
    pub async fn wait(&self, what: &str, condition: &str) {
        let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
        let probe =
            format!("(() => {{ try {{ return !!({condition}); }} catch (e) {{ return false; }} }})()");
        loop {
            if let Ok(result) = self.page.evaluate(probe.as_str()).await
                && result.into_value::<bool>().unwrap_or(false)
            {
                return;
            }
            if tokio::time::Instant::now() > deadline {
                let file =
                    format!("FAILED-{}-{}.png", self.name, what.replace(|c: char| !c.is_alphanumeric(), "_"));
                self.screenshot(&file).await;
                let text: String = self.eval("document.body ? document.body.innerText : ''").await;
                panic!(
                    "{}: timed out waiting for {what}\n(screenshot {file})\npage text:\n{text}",
                    self.name
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until an element matching `selector` contains `text`.
    pub async fn wait_text(&self, selector: &str, text: &str) {
        let condition = format!(
            "[...document.querySelectorAll({})].some(e => e.textContent.includes({}))",
            js(selector),
            js(text)
        );
        self.wait(&format!("{selector} with “{text}”"), &condition).await;
    }

    /// Clicks the first visible element matching `selector` with the mouse.
    pub async fn click(&self, selector: &str) {
        let visible =
            format!("[...document.querySelectorAll({})].some(e => {VISIBLE} && !e.disabled)", js(selector));
        self.wait(&format!("{selector} to be clickable"), &visible).await;
        let element = self.page.find_element(selector).await.unwrap_or_else(|e| panic!("{selector}: {e}"));
        element.scroll_into_view().await.ok();
        element.click().await.unwrap_or_else(|e| panic!("click {selector}: {e}"));
    }

    /// Clicks the element matching `selector` whose text contains `text` (by marking it first).
    pub async fn click_text(&self, selector: &str, text: &str) {
        self.wait_text(selector, text).await;
        let marked: bool = self
            .eval(&format!(
                "(() => {{ const e = [...document.querySelectorAll({})].find(e => e.textContent.includes({})); \
                 if (!e) return false; document.querySelectorAll('[data-test-target]').forEach(x => x.removeAttribute('data-test-target')); \
                 e.setAttribute('data-test-target', '1'); return true; }})()",
                js(selector),
                js(text)
            ))
            .await;
        assert!(marked, "{selector} with {text}");
        self.click("[data-test-target]").await;
    }

    /// Types `text` into the field like a keyboard or an input method would (Chinese included).
    pub async fn type_into(&self, selector: &str, text: &str) {
        self.click(selector).await;
        self.page.execute(InsertTextParams::new(text)).await.unwrap();
    }

    /// Replaces the field's content with `text`.
    pub async fn fill(&self, selector: &str, text: &str) {
        self.click(selector).await;
        let _: bool = self
            .eval(&format!(
                "(() => {{ const e = document.querySelector({}); e.select && e.select(); return true; }})()",
                js(selector)
            ))
            .await;
        self.page.execute(InsertTextParams::new(text)).await.unwrap();
    }

    /// Presses a key in the element matching `selector`.
    pub async fn press(&self, selector: &str, key: &str) {
        let element = self.page.find_element(selector).await.unwrap_or_else(|e| panic!("{selector}: {e}"));
        element.press_key(key).await.unwrap_or_else(|e| panic!("{key} in {selector}: {e}"));
    }

    /// Saves a screenshot of the viewport into the screenshot folder.
    pub async fn screenshot(&self, file: &str) {
        let params = chromiumoxide::page::ScreenshotParams::builder().build();
        if let Err(error) = self.page.save_screenshot(params, screenshot_dir().join(file)).await {
            eprintln!("cannot save screenshot {file}: {error}");
        }
    }
}

impl Tab {
    /// Picks `value` in a `<select>` as a user would (the page hears `change`).
    pub async fn select(&self, selector: &str, value: &str) {
        self.wait(
            &format!("{selector} to have option {value}"),
            &format!(
                "[...document.querySelector({}).options].some(o => o.value === {})",
                js(selector),
                js(value)
            ),
        )
        .await;
        let _: bool = self
            .eval(&format!(
                "(() => {{ const e = document.querySelector({}); e.focus(); e.value = {}; \
                 e.dispatchEvent(new Event('input', {{ bubbles: true }})); \
                 e.dispatchEvent(new Event('change', {{ bubbles: true }})); return true; }})()",
                js(selector),
                js(value)
            ))
            .await;
    }

    /// How many elements match `selector`.
    pub async fn count(&self, selector: &str) -> usize {
        self.eval(&format!("document.querySelectorAll({}).length", js(selector))).await
    }

    /// The value of the field matching `selector`.
    pub async fn value(&self, selector: &str) -> String {
        self.eval(&format!("document.querySelector({}).value", js(selector))).await
    }
}

mod scenarios {
    use reqwest::Method;
    use serde_json::json;

    use super::*;
    use crate::app::{TestApp, spawn_app, spawn_at, test_config};

    /// The widget's message bubbles from `sender` containing `text`.
    fn widget_message(sender: &str, text: &str) -> String {
        format!(
            "[...document.querySelectorAll('#kefu-messages .kefu-msg[data-sender={sender}]')].some(e => e.textContent.includes({}))",
            js(text)
        )
    }

    async fn create_agent(app: &TestApp, username: &str, display_name: &str) {
        let admin = app.login("admin", &app.admin_password).await;
        let body =
            json!({ "username": username, "password": "agent-password", "display_name": display_name });
        let (status, created) =
            app.call(Method::POST, "/api/v1/admin/agents", Some(&admin), Some(body)).await;
        assert!(status.is_success(), "{created}");
    }

    async fn log_in(tab: &Tab, username: &str, password: &str) {
        tab.fill("#login-username", username).await;
        tab.fill("#login-password", password).await;
        tab.click("#login-submit").await;
        tab.wait("the workbench after login", &shown("#app")).await;
    }

    /// Sends a message from the widget with the keyboard.
    async fn visitor_says(shop: &Tab, text: &str) {
        shop.type_into("#kefu-input", text).await;
        shop.press("#kefu-input", "Enter").await;
        shop.wait(&format!("“{text}” sent"), &widget_message("user", text)).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_visitor_and_an_agent_serve_each_other_through_the_widget_and_the_workbench() {
        let Some(visitor) = Chrome::launch(PHONE, true).await else { return };
        let agent_browser = Chrome::launch(DESKTOP, false).await.expect("a second browser");
        let app = spawn_app().await;
        // Another agent is online and full, so the visitor waits in the queue for mei.
        app.online_agent("busy", 1).await;
        app.say("u-first", "转人工", None).await;
        create_agent(&app, "mei", "小美").await;

        // The visitor opens the chat on the shop page and is greeted with a menu.
        let shop = visitor.open(&app.url("/"), "widget").await;
        shop.click("#kefu-launcher").await;
        shop.wait("the welcome menu", "document.querySelectorAll('.kefu-choice').length >= 3").await;
        shop.screenshot("widget-phone-welcome.png").await;
        // A numbered choice is a button: it starts the order lookup, which asks for the number.
        shop.click_text(".kefu-choice", "查询订单物流状态").await;
        shop.wait("the flow's prompt", &widget_message("bot", "订单号")).await;
        visitor_says(&shop, "算了").await;
        shop.wait("the flow cancelled", &widget_message("bot", "已为您取消")).await;
        // An FAQ is answered.
        visitor_says(&shop, "退款多久到账").await;
        shop.wait("the FAQ answer", &widget_message("bot", "原路退回")).await;
        shop.screenshot("widget-phone-answer.png").await;

        // The agent logs in and watches the queue.
        let bench = agent_browser.open(&app.url("/agent"), "workbench").await;
        log_in(&bench, "mei", "agent-password").await;
        assert_eq!(bench.count("#queue .conv-item").await, 0);

        // The visitor asks for a human and waits in the queue; the queue updates live.
        visitor_says(&shop, "转人工").await;
        shop.wait_text("#kefu-state", "排队").await;
        bench
            .wait("the visitor in the queue", "document.querySelectorAll('#queue .conv-item').length === 1")
            .await;
        bench.click("#queue .claim").await;
        shop.wait("the agent joined", &widget_message("system", "小美")).await;
        shop.wait_text("#kefu-state", "小美").await;

        // The transcript shows what the bot answered and how sure it was.
        bench
            .wait("the open conversation", "document.querySelectorAll('#transcript .msg').length >= 6")
            .await;
        bench.wait_text("#transcript .msg[data-sender=bot]", "原路退回").await;
        bench.wait("a bot decision with confidence", "[...document.querySelectorAll('#transcript .decision')].some(e => /答 [01]\\.\\d\\d/.test(e.textContent))").await;
        bench.select("#status", "online").await;

        // The visitor asks; the co-pilot suggests the answer; one click inserts it.
        visitor_says(&shop, "退款一般几天能到账啊").await;
        bench.wait_text("#transcript .msg[data-sender=user]", "退款一般几天能到账啊").await;
        bench.wait_text("#copilot", "原路退回").await;
        bench.click(".copilot-insert").await;
        assert!(bench.value("#reply").await.contains("原路退回"), "the suggestion is in the composer");
        bench.click("#send").await;
        shop.wait("the co-pilot answer from the agent", &widget_message("agent", "原路退回")).await;

        // A canned reply by its shortcut.
        bench.type_into("#reply", "/tuikuan").await;
        bench
            .wait(
                "the canned picker",
                "document.querySelector('.canned-item[data-shortcut=tuikuan]') !== null",
            )
            .await;
        bench.press("#reply", "Enter").await;
        bench
            .wait(
                "the canned text inserted",
                "document.querySelector('#reply').value.includes('退款详情里查看进度')",
            )
            .await;
        bench.click("#send").await;
        shop.wait("the canned reply", &widget_message("agent", "退款审核通过后会原路退回")).await;
        shop.screenshot("widget-phone-agent.png").await;
        bench.screenshot("workbench-conversation.png").await;

        // A ticket for the follow-up.
        bench.click("#ticket").await;
        bench.wait("the ticket dialog", "document.querySelector('#ticket-dialog').open").await;
        bench.fill("#ticket-subject", "退款未到账，跟进银行处理进度").await;
        bench.select("#ticket-priority", "high").await;
        bench.click("#ticket-submit").await;
        bench.wait("the dialog closed", "!document.querySelector('#ticket-dialog').open").await;

        // The agent closes; the visitor is asked to rate and rates.
        bench.click("#close").await;
        bench.wait("the close dialog", "document.querySelector('#close-dialog').open").await;
        bench.click("#close-confirm").await;
        shop.click(".kefu-rate button[data-score='5']").await;
        shop.wait("the thanks", &widget_message("system", "感谢您的评价")).await;
        shop.screenshot("widget-phone-rated.png").await;

        // Tickets: filter, open, note, solve.
        bench.click("#tab-tickets").await;
        bench.wait_text(".ticket-row", "退款未到账").await;
        bench.select("#f-priority", "high").await;
        bench.wait_text(".ticket-row", "退款未到账").await;
        bench.select("#f-priority", "low").await;
        bench.wait("no low-priority tickets", "document.querySelectorAll('.ticket-row').length === 0").await;
        bench.select("#f-priority", "").await;
        bench.click_text(".ticket-row", "退款未到账").await;
        bench.type_into("#note-text", "已联系财务，预计明天到账").await;
        bench.click("#note-add").await;
        bench.wait_text("#notes .note", "已联系财务").await;
        bench.select("#t-status", "solved").await;
        bench
            .wait(
                "the change in the history",
                "document.querySelector('#ticket-history li[data-kind=ticket_updated]') !== null",
            )
            .await;
        bench.screenshot("workbench-tickets.png").await;

        // What the browsers did is what the database holds.
        let admin = app.login("admin", &app.admin_password).await;
        let (_, tickets) = app.call(Method::GET, "/api/v1/tickets?priority=high", Some(&admin), None).await;
        let ticket = &tickets["tickets"][0];
        assert_eq!(ticket["subject"], "退款未到账，跟进银行处理进度", "{tickets}");
        assert_eq!(ticket["status"], "solved", "{tickets}");
        let (_, detail) =
            app.call(Method::GET, &format!("/api/v1/tickets/{}", ticket["id"]), Some(&admin), None).await;
        assert_eq!(detail["notes"][0]["body"], "已联系财务，预计明天到账", "{detail}");
        let (_, conversation) = app
            .call(
                Method::GET,
                &format!("/api/v1/conversations/{}", ticket["conversation_id"]),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(conversation["conversation"]["satisfaction"], 5, "{conversation}");
        assert_eq!(conversation["conversation"]["state"], "closed");

        visitor.close().await;
        agent_browser.close().await;
        app.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_widget_reconnects_after_a_server_restart_and_keeps_its_history() {
        let Some(visitor) = Chrome::launch(PHONE, true).await else { return };
        let data = tempfile::tempdir().unwrap();
        let config = test_config(&data.path().join("kefu.db"));
        let app = spawn_at(config.clone(), "127.0.0.1:0").await;
        let address = app.address.to_string();
        let shop = visitor.open(&app.url("/"), "widget-restart").await;
        shop.click("#kefu-launcher").await;
        visitor_says(&shop, "退款多久到账").await;
        shop.wait("the answer", &widget_message("bot", "原路退回")).await;

        app.stop().await;
        shop.wait("the widget noticing the server is gone", &shown("#kefu-conn")).await;
        let app = spawn_at(config, &address).await;
        // Written while reconnecting or after: it arrives once.
        visitor_says(&shop, "发什么快递").await;
        shop.wait(
            "the answer after the restart",
            "document.querySelectorAll('#kefu-messages .kefu-msg[data-sender=bot]').length >= 2",
        )
        .await;
        shop.wait("the connection restored", &format!("!{}", shown("#kefu-conn"))).await;

        // A reload shows the whole history, each message once.
        shop.page.reload().await.unwrap();
        shop.wait("the page again", "document.querySelector('#kefu-launcher') !== null").await;
        // The widget remembers it was open; open it if it is not.
        let open: bool = shop.eval(&shown("#kefu-panel")).await;
        if !open {
            shop.click("#kefu-launcher").await;
        }
        shop.wait("the history", &widget_message("user", "发什么快递")).await;
        let ids: Vec<String> = shop
            .eval(
                "[...document.querySelectorAll('#kefu-messages .kefu-msg[data-id]')].map(e => e.dataset.id)",
            )
            .await;
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(ids.len(), unique.len(), "no message shown twice: {ids:?}");
        let asked: usize = shop
            .eval("[...document.querySelectorAll('#kefu-messages .kefu-msg[data-sender=user]')].filter(e => e.textContent.includes('退款多久到账')).length")
            .await;
        assert_eq!(asked, 1);
        let customers = app.started.service.store.message_count().await.unwrap();
        assert!(customers >= 4, "both questions and both answers are stored");
        visitor.close().await;
        app.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_admin_creates_an_agent_and_asks_the_bot_why() {
        let Some(browser) = Chrome::launch(DESKTOP, false).await else { return };
        let app = spawn_app().await;
        // Questions the bot cannot answer, for the gaps report.
        for (user, text) in [("cat-1", "你们的猫粮是什么牌子"), ("cat-2", "猫粮是什么牌子的")]
        {
            app.say(user, text, None).await;
        }
        let admin = browser.open(&app.url("/admin"), "admin").await;
        log_in(&admin, "admin", &app.admin_password).await;
        admin.wait_text("#knowledge", "133").await;
        admin.click("#kn-reload").await;
        admin.wait_text("#toasts", "文件没有变化").await;
        admin.fill("#na-username", "lan").await;
        admin.fill("#na-password", "lan-password").await;
        admin.fill("#na-display", "小兰").await;
        admin.fill("#na-groups", "售后").await;
        admin.click("#na-submit").await;
        admin.wait_text(".agent-row[data-username=lan]", "小兰").await;
        admin.fill("#try-text", "优惠券在哪里看").await;
        admin.click("#try-submit").await;
        admin.wait_text("#try-candidates .cand-row", "coupons-my-coupons").await;
        admin.screenshot("admin.png").await;
        // The gaps: tick the cluster, download its patch.
        admin.wait_text(".gap-cluster", "猫粮").await;
        admin.click(".gap-cluster .gap-pick").await;
        admin.click("#gaps-download").await;
        admin.wait_text("#gaps-patch", "question: 你们的猫粮是什么牌子").await;
        admin.screenshot("admin-gaps.png").await;
        // The new agent can log in.
        app.login("lan", "lan-password").await;
        browser.close().await;
        app.stop().await;
    }
}
