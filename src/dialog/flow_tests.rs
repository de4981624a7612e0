//! Conversation rules around running flows, on a small knowledge base and one flow.

use std::collections::HashSet;
use std::path::Path;

use serde_json::json;

use super::*;
use crate::brain::Brain;
use crate::config::Config;
use crate::flows::{Flows, WebhookFailure, parse_flow};
use crate::knowledge::{Knowledge, parse_knowledge_file};
use crate::matcher::ScoringModel;

const SHOP: &str = "\
version: 1
entries:
  - id: shipping-fee
    question: 运费怎么算
    similar: [邮费多少钱, 要运费吗, 满多少包邮]
    answer: 满 99 元包邮，不满收 8 元运费。
  - id: track
    question: 我的快递到哪了
    similar: [帮我查物流, 包裹到哪里了]
    answer: 请在订单详情查看物流。
    flow: order-status
";

const FLOW: &str = r#"version: 1
id: order-status
description: 查询订单物流
triggers:
  examples: [查一下我的订单状态]
  patterns: ['(?P<order_no>DD\d{13})']
slots:
  order_no:
    prompt: 请发送订单号
    type: order_number
    pattern: 'DD\d{13}'
    max_attempts: 2
steps:
  - ask: order_no
  - call: order_lookup
    save_as: order
  - end: 订单{{order_no}}由{{order.courier}}配送中
"#;

fn brain() -> Brain {
    brain_with(&[FLOW])
}

fn brain_with(flows: &[&str]) -> Brain {
    let (entries, errors) = parse_knowledge_file(Path::new("shop.yaml"), SHOP);
    assert!(errors.is_empty(), "{errors:?}");
    let webhooks: HashSet<String> = ["order_lookup".to_string()].into();
    let flows = flows.iter().map(|text| parse_flow(Path::new("order-status.yaml"), text, &webhooks).unwrap());
    Brain::from_parts(
        Knowledge { entries, ..Knowledge::default() },
        Flows { flows: flows.collect() },
        ScoringModel::default(),
    )
}

/// Answers with every confident enough match, so tests do not depend on exact confidences.
fn config() -> Config {
    let mut config = Config::default();
    config.matcher.answer_threshold = 0.3;
    config.matcher.suggest_threshold = 0.1;
    config
}

fn say(brain: &Brain, config: &Config, state: &DialogState, message: &str, now: i64) -> Exchange {
    let policy = Policy::of(config);
    converse(brain, policy, state, message, now, |webhook, payload| {
        assert_eq!(webhook, "order_lookup");
        assert_eq!(payload["values"]["order_no"], "DD2024111900123");
        Ok(json!({"courier": "顺丰"}))
    })
}

fn replies(exchange: &Exchange) -> Vec<String> {
    exchange
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Reply { reply } => Some(reply.summary()),
            _ => None,
        })
        .collect()
}

fn running(exchange: &Exchange) -> Option<&str> {
    exchange.state.flow.as_ref().map(|f| f.flow.as_str())
}

#[test]
fn an_entry_linked_to_a_flow_starts_it_and_the_flow_completes_through_the_webhook() {
    let (brain, config) = (brain(), config());
    let asked = say(&brain, &config, &DialogState::default(), "我的快递到哪了", 0);
    assert_eq!(replies(&asked), vec!["请发送订单号"]);
    assert_eq!(running(&asked), Some("order-status"));
    let done = say(&brain, &config, &asked.state, "订单号 DD2024111900123", 10);
    assert_eq!(replies(&done), vec!["订单DD2024111900123由顺丰配送中"]);
    assert_eq!(done.webhooks_called, vec!["order_lookup"]);
    assert_eq!(running(&done), None);
}

#[test]
fn a_trigger_pattern_fills_the_slot_from_the_first_message() {
    let (brain, config) = (brain(), config());
    let done = say(&brain, &config, &DialogState::default(), "帮我看看 DD2024111900123", 0);
    assert_eq!(replies(&done), vec!["订单DD2024111900123由顺丰配送中"]);
}

#[test]
fn a_confident_faq_question_mid_flow_is_answered_and_the_question_repeated() {
    let (brain, config) = (brain(), config());
    let asked = say(&brain, &config, &DialogState::default(), "我的快递到哪了", 0);
    let interrupted = say(&brain, &config, &asked.state, "运费怎么算", 5);
    let texts = replies(&interrupted);
    assert_eq!(texts[0], "满 99 元包邮，不满收 8 元运费。");
    assert_eq!(texts[1], format!("{}请发送订单号", config.flows.resume_intro));
    assert_eq!(running(&interrupted), Some("order-status"));
    assert_eq!(
        interrupted.state.flow.as_ref().unwrap().attempts,
        0,
        "an interruption is not a failed attempt"
    );
}

#[test]
fn a_cancel_phrase_leaves_the_flow() {
    let (brain, config) = (brain(), config());
    let asked = say(&brain, &config, &DialogState::default(), "我的快递到哪了", 0);
    let cancelled = say(&brain, &config, &asked.state, "算了吧", 5);
    assert_eq!(replies(&cancelled), vec![config.flows.cancel_reply.clone()]);
    assert_eq!(running(&cancelled), None);
    assert!(matches!(cancelled.decisions[0], Decision::Flow { stage: FlowStage::Cancelled, .. }));
}

#[test]
fn a_sentence_mentioning_a_cancel_word_is_not_a_cancel() {
    let (brain, config) = (brain(), config());
    let asked = say(&brain, &config, &DialogState::default(), "我的快递到哪了", 0);
    let retried = say(&brain, &config, &asked.state, "取消订单以后退款怎么算呢", 5);
    assert_eq!(running(&retried), Some("order-status"));
}

#[test]
fn a_request_for_a_human_wins_over_the_running_flow() {
    let (brain, config) = (brain(), config());
    let asked = say(&brain, &config, &DialogState::default(), "我的快递到哪了", 0);
    let handed = say(&brain, &config, &asked.state, "转人工", 5);
    assert!(handed.actions.iter().any(|a| matches!(a, Action::Handoff { reason: HandoffReason::Requested })));
    assert_eq!(running(&handed), None);
}

#[test]
fn an_idle_flow_is_dropped_and_the_message_handled_afresh() {
    let (brain, config) = (brain(), config());
    let asked = say(&brain, &config, &DialogState::default(), "我的快递到哪了", 0);
    let later = config.flows.idle_timeout_secs as i64 + 1;
    let fresh = say(&brain, &config, &asked.state, "运费怎么算", later);
    assert_eq!(replies(&fresh), vec!["满 99 元包邮，不满收 8 元运费。"]);
    assert_eq!(running(&fresh), None);
}

#[test]
fn running_out_of_attempts_hands_off() {
    let (brain, config) = (brain(), config());
    let asked = say(&brain, &config, &DialogState::default(), "我的快递到哪了", 0);
    let once = say(&brain, &config, &asked.state, "不记得了", 1);
    assert_eq!(running(&once), Some("order-status"));
    let twice = say(&brain, &config, &once.state, "真的找不到", 2);
    assert_eq!(running(&twice), None);
    assert!(
        twice.actions.iter().any(|a| matches!(a, Action::Handoff { reason: HandoffReason::Flow { .. } }))
    );
}

#[test]
fn a_failed_webhook_apologises_and_hands_off() {
    let (brain, config) = (brain(), config());
    let policy = Policy::of(&config);
    let failed = converse(&brain, policy, &DialogState::default(), "查 DD2024111900123", 0, |_, _| {
        Err(WebhookFailure("timed out".into()))
    });
    let texts = replies(&failed);
    assert_eq!(texts[0], config.flows.webhook_error_reply);
    assert!(failed.actions.iter().any(|a| matches!(a, Action::Handoff { reason: HandoffReason::Flow { detail, .. } } if detail.contains("timed out"))));
}

#[test]
fn a_webhook_reply_for_no_running_flow_changes_nothing() {
    let (brain, config) = (brain(), config());
    let policy = Policy::of(&config);
    let state = DialogState::default();
    let outcome = respond_to_webhook(&brain, policy, &state, Ok(json!({})), 0);
    assert_eq!(outcome.state, state);
    assert!(outcome.actions.is_empty());
}

#[test]
fn a_message_without_letters_matches_nothing() {
    // Regression: "3" or "123456" at a flow prompt matched FAQ entries with digits in them.
    let brain = brain();
    for message in ["3", "123456", "？？"] {
        assert!(brain.matcher.rank(message).candidates.is_empty(), "{message}");
    }
}

#[test]
fn the_default_welcome_menu_lists_the_flows_first_and_a_digit_starts_one() {
    let (brain, config) = (brain(), config());
    let policy = Policy::of(&config);
    let greeted = welcome(&brain, policy, &DialogState::default());
    assert_eq!(greeted.state.pending_choices, vec!["order-status", "shipping-fee", "track"]);
    let picked = say(&brain, &config, &greeted.state, "1", 0);
    assert_eq!(running(&picked), Some("order-status"));
    assert_eq!(replies(&picked), vec!["请发送订单号"]);
}

#[test]
fn a_reload_keeps_a_running_flow_whose_steps_did_not_change_and_ends_one_whose_did() {
    let config = config();
    let asked = say(&brain(), &config, &DialogState::default(), "我的快递到哪了", 0);
    assert_eq!(running(&asked), Some("order-status"));

    // New trigger examples only: the customer goes on where they were.
    let retrained = brain_with(&[
        &FLOW.replace("examples: [查一下我的订单状态]", "examples: [查一下我的订单状态, 订单到哪了]")
    ]);
    let done = say(&retrained, &config, &asked.state, "DD2024111900123", 10);
    assert_eq!(replies(&done), vec!["订单DD2024111900123由顺丰配送中"]);

    // A changed prompt (a step the customer may be on): told, and the message taken afresh.
    let reworded = brain_with(&[&FLOW.replace("prompt: 请发送订单号", "prompt: 请发一下订单号")]);
    let restarted = say(&reworded, &config, &asked.state, "运费怎么算", 10);
    let said = replies(&restarted);
    assert_eq!(said[0], config.flows.changed_reply, "{said:?}");
    assert!(said[1].contains("满 99 元包邮"), "{said:?}");
    assert_eq!(running(&restarted), None);

    // The flow is gone: the same, and never a panic.
    let without = brain_with(&[]);
    let after = say(&without, &config, &asked.state, "DD2024111900123", 10);
    assert_eq!(replies(&after)[0], config.flows.changed_reply);
    assert_eq!(running(&after), None);
}
