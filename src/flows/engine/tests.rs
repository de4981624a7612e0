use std::collections::HashSet;
use std::path::Path;

use serde_json::{Map, Value, json};

use super::*;
use crate::flows::parse_flow;

const APOLOGY: &str = "抱歉，系统暂时无法查询。";

fn flow(text: &str) -> Flow {
    let webhooks: HashSet<String> = ["order_lookup".to_string()].into();
    parse_flow(Path::new("flow.yaml"), text, &webhooks).unwrap()
}

const ORDER: &str = r#"version: 1
id: order-status
slots:
  order_no:
    prompt: 请发送订单号
    type: order_number
    pattern: 'DD\d{13}'
    retry: 订单号是 DD 开头的 15 位，请再发一次
    max_attempts: 2
steps:
  - ask: order_no
  - call: order_lookup
    save_as: order
  - branch:
      - when: order.status == "shipped"
        goto: shipped
      - else: pending
  - id: shipped
    say: 已由{{order.courier}}发出
    goto: done
  - id: pending
    say: 订单{{order_no}}还没发货
  - id: done
    end: 还有什么可以帮您？
"#;

fn texts(turn: &FlowTurn) -> Vec<String> {
    turn.events
        .iter()
        .filter_map(|e| match e {
            FlowEvent::Say { text } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_flow_asks_calls_branches_and_ends() {
    let flow = flow(ORDER);
    let asked = start(&flow, Map::new(), 100, APOLOGY);
    assert_eq!(texts(&asked), vec!["请发送订单号"]);
    let state = asked.state.unwrap();
    assert_eq!(state.waiting, Waiting::Slot { slot: "order_no".into() });
    let called = answer(&flow, state, "DD2024111900123", 110, APOLOGY);
    let [FlowEvent::CallWebhook { webhook, payload }] = &called.events[..] else {
        panic!("{:?}", called.events)
    };
    assert_eq!(webhook, "order_lookup");
    assert_eq!(payload, &json!({"flow": "order-status", "values": {"order_no": "DD2024111900123"}}));
    let state = called.state.unwrap();
    let done = webhook_reply(&flow, state, Ok(json!({"status": "shipped", "courier": "顺丰"})), 120, APOLOGY);
    assert_eq!(texts(&done), vec!["已由顺丰发出", "还有什么可以帮您？"]);
    assert!(done.state.is_none());
}

#[test]
fn the_other_branch_uses_the_slot_value() {
    let flow = flow(ORDER);
    let mut values = Map::new();
    values.insert("order_no".into(), Value::String("DD2024111900123".into()));
    let called = start(&flow, values, 0, APOLOGY);
    assert!(matches!(called.events[0], FlowEvent::CallWebhook { .. }), "a prefilled slot is not asked");
    let done = webhook_reply(&flow, called.state.unwrap(), Ok(json!({"status": "paid"})), 0, APOLOGY);
    assert_eq!(texts(&done)[0], "订单DD2024111900123还没发货");
}

#[test]
fn invalid_answers_are_retried_then_handed_off() {
    let flow = flow(ORDER);
    let state = start(&flow, Map::new(), 0, APOLOGY).state.unwrap();
    let retried = answer(&flow, state, "我忘了", 0, APOLOGY);
    assert_eq!(texts(&retried), vec!["订单号是 DD 开头的 15 位，请再发一次"]);
    let state = retried.state.unwrap();
    assert_eq!(state.attempts, 1);
    let gave_up = answer(&flow, state, "真的不知道", 0, APOLOGY);
    assert!(gave_up.state.is_none());
    assert!(
        matches!(&gave_up.events[..], [FlowEvent::Handoff { reason, .. }] if reason.contains("order_no")),
        "{:?}",
        gave_up.events
    );
}

#[test]
fn a_failed_webhook_without_error_path_apologises_and_hands_off() {
    let flow = flow(ORDER);
    let called = start(&flow, Map::new(), 0, APOLOGY);
    let called = answer(&flow, called.state.unwrap(), "DD2024111900123", 0, APOLOGY);
    let failed =
        webhook_reply(&flow, called.state.unwrap(), Err(WebhookFailure("timed out".into())), 0, APOLOGY);
    assert_eq!(texts(&failed), vec![APOLOGY]);
    assert!(matches!(&failed.events[1], FlowEvent::Handoff { reason, .. } if reason.contains("timed out")));
    assert!(failed.state.is_none());
}

#[test]
fn an_error_path_is_taken_when_declared() {
    let text = ORDER.replace("    save_as: order\n", "    save_as: order\n    on_error: sorry\n").replace(
        "  - id: done\n    end: 还有什么可以帮您？\n",
        "  - id: done\n    end: 还有什么可以帮您？\n  - id: sorry\n    handoff: 查询失败\n    group: after-sales\n",
    );
    let flow = flow(&text);
    let called = start(&flow, Map::new(), 0, APOLOGY);
    let called = answer(&flow, called.state.unwrap(), "DD2024111900123", 0, APOLOGY);
    let failed =
        webhook_reply(&flow, called.state.unwrap(), Err(WebhookFailure("HTTP 500".into())), 0, APOLOGY);
    assert_eq!(
        failed.events,
        vec![FlowEvent::Handoff { reason: "查询失败".into(), group: Some("after-sales".into()) }]
    );
}

#[test]
fn a_goto_loop_is_cut_off_with_a_handoff() {
    let flow = flow("version: 1\nid: loop\nsteps:\n  - id: a\n    goto: b\n  - id: b\n    goto: a\n");
    let turn = start(&flow, Map::new(), 0, APOLOGY);
    assert!(turn.state.is_none());
    assert!(matches!(turn.events.last(), Some(FlowEvent::Handoff { reason, .. }) if reason.contains("loop")));
}

#[test]
fn choices_are_numbered_under_the_prompt_and_accepted_by_number() {
    let text = "version: 1\nid: r\nslots:\n  reason:\n    prompt: 退货原因？\n    type: choice\n    choices: [质量问题, 不想要了]\nsteps:\n  - ask: reason\n  - end: 已记录{{reason}}\n";
    let flow = flow(text);
    let asked = start(&flow, Map::new(), 0, APOLOGY);
    assert_eq!(texts(&asked), vec!["退货原因？\n1. 质量问题\n2. 不想要了"]);
    let done = answer(&flow, asked.state.unwrap(), "2", 0, APOLOGY);
    assert_eq!(texts(&done), vec!["已记录不想要了"]);
}

#[test]
fn flow_state_survives_a_round_trip_through_json() {
    let flow = flow(ORDER);
    let state = start(&flow, Map::new(), 42, APOLOGY).state.unwrap();
    let stored = serde_json::to_string(&state).unwrap();
    assert_eq!(serde_json::from_str::<FlowState>(&stored).unwrap(), state);
}
