//! The command line against the shipped sample knowledge and broken copies of it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `kefu ARGS` run in the project folder with a clean kefu environment.
pub fn kefu(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kefu"));
    command.args(args).current_dir(project());
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("KEFU_")) {
        command.env_remove(name);
    }
    command
}

pub fn run(command: &mut Command) -> Output {
    command.output().expect("the kefu binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn check_accepts_the_shipped_knowledge() {
    let output = run(&mut kefu(&["check"]));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("ok: "), "{}", stdout(&output));
}

fn copy_knowledge_to(dir: &Path) {
    for file in std::fs::read_dir(project().join("knowledge")).unwrap() {
        let path = file.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
}

#[test]
fn check_reports_every_error_with_its_position_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    copy_knowledge_to(dir.path());
    let refunds = dir.path().join("refunds.yaml");
    let text = std::fs::read_to_string(&refunds).unwrap();
    std::fs::write(&refunds, text.replacen("    similar:", "    simlar:", 1)).unwrap();
    std::fs::write(
        dir.path().join("extra.yaml"),
        "version: 1\nentries:\n  - id: refunds-arrival-time\n    question: 新问题\n    answer: 答\n",
    )
    .unwrap();
    let output = run(kefu(&["check"]).arg("--knowledge").arg(dir.path()));
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr(&output);
    let prefix = dir.path().display().to_string();
    assert!(
        errors.contains(&format!("{prefix}/refunds.yaml:6:5: entry: unknown field `simlar`")),
        "{errors}"
    );
    // Files are read in name order, so the later file's entry is the duplicate.
    let line = text.lines().position(|l| l == "  - id: refunds-arrival-time").unwrap() + 1;
    let duplicate = format!(
        "{prefix}/refunds.yaml:{line}:9: duplicate entry id `refunds-arrival-time` (first defined at {prefix}/extra.yaml:3:9)"
    );
    assert!(errors.contains(&duplicate), "{errors}");
    assert!(errors.contains("2 error(s)"), "{errors}");
}

#[test]
fn the_knowledge_folder_comes_from_the_environment_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.yaml"),
        "version: 1\nentries:\n  - id: only\n    question: 唯一的问题\n    answer: 唯一的答案\n",
    )
    .unwrap();
    let output = run(kefu(&["check"]).env("KEFU_KNOWLEDGE_DIR", dir.path()));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("ok: 1 entries"), "{}", stdout(&output));
}

#[test]
fn ask_explains_the_decision_as_json() {
    let output = run(&mut kefu(&["ask", "退款多久能到账", "--json"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["decision"]["decision"], "answer", "{json:#}");
    assert_eq!(json["decision"]["entry"], "refunds-arrival-time", "{json:#}");
    let best = &json["candidates"][0];
    assert_eq!(best["entry"], "refunds-arrival-time");
    assert!(best["features"]["word_cover_query"].as_f64().unwrap() > 0.5, "{best:#}");
    assert!(best["matched_phrasing"].as_str().is_some_and(|p| !p.is_empty()));
    assert_eq!(json["runner_up"], json["candidates"][1]["entry"]);
    assert!(json["confidence_margin"].as_f64().unwrap() > 0.0, "{json:#}");
}

#[test]
fn chat_reads_piped_messages_and_hands_off_on_request() {
    let mut child =
        kefu(&["chat"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all("退款多久能到账\n\n我要转人工\n".as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("客服: 退款原路退回"), "{text}");
    assert!(text.contains("[转人工: {\"reason\":\"requested\"}]"), "{text}");
}

#[test]
fn default_config_prints_the_documented_defaults() {
    let output = run(&mut kefu(&["default-config"]));
    assert!(output.status.success());
    let text = stdout(&output);
    let value: toml::Value = toml::from_str(&text).unwrap();
    assert!(value["matcher"]["answer_threshold"].as_float().is_some(), "{text}");
}

#[test]
fn a_bad_config_file_is_refused_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kefu.toml");
    std::fs::write(&path, "[matcher]\nanswer_treshold = 0.5\n").unwrap();
    let output = run(kefu(&["check"]).env("KEFU_CONFIG", &path));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(&format!("{}:2:1: unknown field `answer_treshold`", path.display())),
        "{}",
        stderr(&output)
    );
}

/// A quality floor on the shipped knowledge: `tests/fixtures/shop_queries.jsonl` holds 200
/// questions written apart from the knowledge (150 it answers, 50 it must not).
#[test]
fn eval_on_the_shipped_knowledge_stays_above_the_quality_floor() {
    let output = run(&mut kefu(&["eval", "--queries", "tests/fixtures/shop_queries.jsonl", "--json"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let figure = |key: &str| report[key].as_f64().unwrap_or_else(|| panic!("no `{key}` in {report:#}"));
    assert_eq!(figure("queries"), 200.0);
    assert!(figure("top1_accuracy") >= 0.80, "{report:#}");
    assert!(figure("mrr_at_5") >= 0.85, "{report:#}");
    assert!(figure("auroc") >= 0.80, "{report:#}");
    // Confident wrong answers are the one thing the bot must avoid.
    assert!(figure("answered_wrong_rate") <= 0.08, "{report:#}");
    for key in ["answered_correct_rate", "clarify_rate", "handoff_rate", "auto_resolution_at_5pct_wrong"] {
        assert!((0.0..=1.0).contains(&figure(key)), "{key}: {report:#}");
    }
}

#[test]
fn eval_reports_a_missing_entry_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let queries = dir.path().join("q.jsonl");
    std::fs::write(&queries, "{\"query\": \"退款多久\", \"expected_id\": \"refunds-arrival-time\"}\n{\"query\": \"x\", \"expected_id\": \"no-such-entry\"}\n").unwrap();
    let output = run(kefu(&["eval", "--queries"]).arg(&queries));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(":2: entry `no-such-entry` is not in the knowledge"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn kefu_test_runs_the_shipped_conversation_tests() {
    let output = run(&mut kefu(&["test"]));
    let text = stdout(&output);
    assert!(output.status.success(), "{text}{}", stderr(&output));
    assert!(text.contains(" 0 failed"), "{text}");
}

#[test]
fn a_failing_conversation_test_shows_what_differed_and_exits_1() {
    let flows = tempfile::tempdir().unwrap();
    std::fs::create_dir(flows.path().join("tests")).unwrap();
    let test = "version: 1\ntests:\n  - name: 运费\n    turns:\n      - user: 运费怎么算\n        bot_contains: 免费送到月球\n";
    std::fs::write(flows.path().join("tests/fee.yaml"), test).unwrap();
    let knowledge = tempfile::tempdir().unwrap();
    std::fs::write(
        knowledge.path().join("a.yaml"),
        "version: 1\nentries:\n  - id: fee\n    question: 运费怎么算\n    answer: 满 99 元包邮。\n",
    )
    .unwrap();
    let output =
        run(kefu(&["test"]).arg("--flows").arg(flows.path()).arg("--knowledge").arg(knowledge.path()));
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("FAIL  运费"), "{text}");
    assert!(text.contains("expected the reply to contain \"免费送到月球\""), "{text}");
    assert!(text.contains("|   满 99 元包邮。"), "{text}");
    assert!(text.contains("1 tests, 0 passed, 1 failed"), "{text}");
}

#[test]
fn check_reports_flow_errors_with_the_flow_id() {
    let flows = tempfile::tempdir().unwrap();
    let flow = "version: 1\nid: broken\nsteps:\n  - ask: order_no\n  - call: nowhere\n";
    std::fs::write(flows.path().join("broken.yaml"), flow).unwrap();
    let output = run(kefu(&["check"]).arg("--flows").arg(flows.path()));
    assert_eq!(output.status.code(), Some(1));
    let errors = stderr(&output);
    let file = flows.path().join("broken.yaml").display().to_string();
    assert!(
        errors.contains(&format!("{file}:4:10: flow `broken`: `ask: order_no` names no slot of this flow")),
        "{errors}"
    );
    assert!(
        errors.contains(&format!("{file}:5:11: flow `broken`: webhook `nowhere` is not configured")),
        "{errors}"
    );
}

#[test]
fn chat_runs_a_flow_with_stubbed_webhooks() {
    let dir = tempfile::tempdir().unwrap();
    let stubs = dir.path().join("stubs.yaml");
    std::fs::write(
        &stubs,
        "order_lookup:\n  reply: {found: true, status: shipped, courier: 顺丰, tracking_no: SF1234567890}\n",
    )
    .unwrap();
    let mut child = kefu(&["chat", "--webhook-stub"])
        .arg(&stubs)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all("帮我查一下 DD2024111900123 到哪了\n".as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("SF1234567890"), "{}", stdout(&output));
}

#[test]
fn agent_add_reads_the_password_from_stdin_and_refuses_a_taken_name() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("kefu.db").display());
    let migrate = run(kefu(&["migrate"]).env("KEFU_DATABASE_URL", &url));
    assert!(migrate.status.success(), "{}", stderr(&migrate));
    let add = |password: &str| {
        let mut child = kefu(&["agent", "add", "mei", "--group", "after-sales"])
            .env("KEFU_DATABASE_URL", &url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let short = add("short");
    assert_eq!(short.status.code(), Some(1));
    assert!(stderr(&short).contains("at least 8 characters"), "{}", stderr(&short));
    let created = add("a-long-password");
    assert!(created.status.success(), "{}", stderr(&created));
    assert!(stdout(&created).contains("created agent `mei`"), "{}", stdout(&created));
    let again = add("a-long-password");
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("taken"), "{}", stderr(&again));
}

#[test]
fn kefu_loadtest_drives_a_real_server_and_reports_every_reply() {
    let args = [
        "loadtest",
        "--seconds",
        "1",
        "--entries",
        "300",
        "--concurrency",
        "4",
        "--wechat-rate",
        "40",
        "--no-baseline",
        "--json",
    ];
    let output = run(&mut kefu(&args));
    assert!(output.status.success(), "{}\n{}", stdout(&output), stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["matcher"]["entries"], 300);
    assert!(report["matcher"]["kefu"]["per_second"].as_f64().unwrap() > 0.0);
    // The generated questions are the entries' own phrasings, reworded a little.
    assert!(report["matcher"]["kefu"]["top1_right"].as_f64().unwrap() > 0.9, "{}", report["matcher"]);
    for phase in ["app", "wechat"] {
        let phase = &report[phase];
        assert!(phase["messages"].as_u64().unwrap() > 0, "{phase}");
        assert_eq!(
            (phase["errors"].as_u64(), phase["missing"].as_u64(), phase["duplicated"].as_u64()),
            (Some(0), Some(0), Some(0)),
            "{phase}"
        );
        assert!(phase["latency"]["p99_ms"].as_f64().unwrap() > 0.0);
    }
    assert!(report["start"]["sample_seconds"].as_f64().unwrap() > 0.0);
}
