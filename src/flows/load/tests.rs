use super::*;
use crate::flows::StepAction;

const ORDER: &str = r#"version: 1
id: order-status
description: 查询订单状态
triggers:
  examples: [我的快递到哪了, 查一下订单]
  keywords: [物流]
  patterns: ['(?P<order_no>DD\d{13})']
slots:
  order_no:
    prompt: 请发送订单号
    type: order_number
    pattern: 'DD\d{13}'
    retry: 订单号是 DD 开头的 15 位
    max_attempts: 2
steps:
  - ask: order_no
  - call: order_lookup
    save_as: order
    on_error: sorry
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
  - id: sorry
    handoff: 订单系统不可用
    group: after-sales
"#;

fn webhooks() -> HashSet<String> {
    ["order_lookup".to_string()].into()
}

fn errors(text: &str) -> Vec<String> {
    match parse_flow(Path::new("flow.yaml"), text, &webhooks()) {
        Ok(_) => Vec::new(),
        Err(diagnostics) => diagnostics.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn a_valid_flow_loads_with_resolved_steps() {
    let flow = parse_flow(Path::new("flow.yaml"), ORDER, &webhooks()).unwrap();
    assert_eq!(flow.id, "order-status");
    assert_eq!(flow.steps.len(), 7);
    assert_eq!(flow.keywords, vec!["物流"]);
    assert!(
        matches!(&flow.steps[1].action, StepAction::Call { webhook, save_as, on_error: Some(6) } if webhook == "order_lookup" && save_as == "order")
    );
    assert!(matches!(&flow.steps[2].action, StepAction::Branch { arms, otherwise: 4 } if arms[0].1 == 3));
    assert_eq!(flow.steps[3].next, Some(5));
    assert!(matches!(flow.slots["order_no"].kind, crate::flows::SlotKind::OrderNumber(_)));
}

#[test]
fn every_reference_error_is_reported_with_the_flow_id() {
    let broken = ORDER
        .replace("  - ask: order_no", "  - ask: order_number")
        .replace("call: order_lookup", "call: order_search")
        .replace("goto: done", "goto: finish")
        .replace("已由{{order.courier}}发出", "已由{{parcel.courier}}发出");
    let found = errors(&broken);
    assert!(
        found.iter().any(|e| e.contains("flow `order-status`: `ask: order_number` names no slot")),
        "{found:#?}"
    );
    assert!(found.iter().any(|e| e.contains("webhook `order_search` is not configured")), "{found:#?}");
    assert!(found.iter().any(|e| e.contains("unknown step `finish`")), "{found:#?}");
    assert!(found.iter().any(|e| e.contains("template variable `parcel` is never set")), "{found:#?}");
    assert!(found.iter().all(|e| e.starts_with("flow.yaml:")), "{found:#?}");
}

#[test]
fn a_branch_needs_a_default_and_valid_conditions() {
    let found = errors(&ORDER.replace("      - else: pending\n", ""));
    assert!(found.iter().any(|e| e.contains("a branch needs a default")), "{found:#?}");
    let found = errors(&ORDER.replace(r#"order.status == "shipped""#, r#"order.status == "shipped"#));
    assert!(
        found.iter().any(|e| e.contains("condition `order.status == \"shipped`: unclosed quote")),
        "{found:#?}"
    );
}

#[test]
fn unreachable_steps_are_errors() {
    let text = "version: 1\nid: f\nsteps:\n  - say: 你好\n  - end\n  - id: lost\n    say: 永远到不了\n";
    let found = errors(text);
    assert_eq!(found, vec!["flow.yaml:6:5: flow `f`: step 3 `lost` is unreachable"]);
}

#[test]
fn slot_and_step_shape_errors_are_positioned() {
    let text = "version: 1\nid: f\nslots:\n  size:\n    prompt: 选尺码\n    type: choice\n  color:\n    prompt: 颜色\n    type: colour\nsteps:\n  - ask: size\n    say: 两件事\n  - end\n";
    let found = errors(text);
    assert!(
        found.contains(&"flow.yaml:6:11: flow `f`: slot `size` of type choice needs `choices`".to_string()),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|e| e.starts_with("flow.yaml:9:11: flow `f`: slot `color`: unknown type `colour`")),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|e| e.starts_with("flow.yaml:11:5: flow `f`: a step does one thing")),
        "{found:#?}"
    );
}

#[test]
fn pattern_groups_must_be_slots_and_regexes_valid() {
    let found = errors(&ORDER.replace("(?P<order_no>DD", "(?P<order>DD"));
    assert!(found.iter().any(|e| e.contains("pattern group `order` is not a slot")), "{found:#?}");
    let found = errors(&ORDER.replace(r"pattern: 'DD\d{13}'", "pattern: 'DD(\\d'"));
    assert!(found.iter().any(|e| e.contains("invalid regex")), "{found:#?}");
}

#[test]
fn duplicate_flow_ids_across_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), ORDER).unwrap();
    std::fs::write(dir.path().join("b.yaml"), ORDER).unwrap();
    let found: Vec<String> =
        load_flows(dir.path(), &webhooks()).unwrap_err().iter().map(ToString::to_string).collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].contains("b.yaml:2:5: duplicate flow id `order-status` (first defined at "),
        "{found:#?}"
    );
}

#[test]
fn unknown_fields_are_reported() {
    let found = errors(&ORDER.replace("description:", "descripton:"));
    assert!(
        found.iter().any(|e| e.starts_with("flow.yaml:3:1: flow: unknown field `descripton`")),
        "{found:#?}"
    );
}
