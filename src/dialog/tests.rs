use std::path::Path;

use super::*;
use crate::brain::Brain;
use crate::config::{Config, DialogConfig, MatcherConfig};
use crate::knowledge::{EntryId, Knowledge, Reply, parse_knowledge_file};
use crate::matcher::ScoringModel;

const SHOP: &str = "\
version: 1
entries:
  - id: refund-time
    question: 退款多久到账
    similar: [退款几天能到, 钱多久退回来]
    answer: 原路退回，1-3 个工作日到账。
  - id: address
    question: 怎么修改收货地址
    similar: [地址填错了怎么改]
    answer: [在订单详情里修改地址。, 订单发货前可以在订单详情改地址。]
  - id: complaint
    question: 我要投诉
    similar: [投诉你们]
    answer: 非常抱歉，马上为您转接专员处理。
    handoff: true
  - id: invoice
    question: 发票怎么开
    answer: 确认收货后在订单详情申请电子发票。
    attachments:
      - link: {title: 发票说明, url: https://shop.example.com/invoice}
";

fn brain() -> Brain {
    let (entries, errors) = parse_knowledge_file(Path::new("shop.yaml"), SHOP);
    assert!(errors.is_empty(), "{errors:?}");
    Brain::from_knowledge(Knowledge { entries, ..Knowledge::default() }, ScoringModel::default())
}

/// Thresholds that force a decision regardless of the model's exact confidences.
fn thresholds(answer: f32, suggest: f32) -> MatcherConfig {
    MatcherConfig { answer_threshold: answer, suggest_threshold: suggest, ..Config::default().matcher }
}

fn dialog() -> DialogConfig {
    Config::default().dialog
}

fn step(brain: &Brain, matcher: &MatcherConfig, state: &DialogState, message: &str) -> Outcome {
    let config = Config::default();
    respond(brain, Policy { matcher, dialog: &config.dialog, flows: &config.flows }, state, message, 0)
}

fn texts(outcome: &Outcome) -> Vec<String> {
    outcome
        .actions
        .iter()
        .filter_map(|action| match action {
            Action::Reply { reply } => Some(reply.summary()),
            Action::Handoff { .. } | Action::CallWebhook { .. } => None,
        })
        .collect()
}

fn answered(entry: &str) -> Decision {
    Decision::Answer { entry: EntryId(entry.into()), confidence: None }
}

#[test]
fn a_confident_match_is_answered_with_its_entry() {
    let outcome = step(&brain(), &thresholds(0.0, 0.0), &DialogState::default(), "退款几天到账");
    assert!(
        matches!(&outcome.decision, Decision::Answer { entry, confidence: Some(_) } if entry.0 == "refund-time")
    );
    assert_eq!(texts(&outcome), vec!["原路退回，1-3 个工作日到账。"]);
    assert_eq!(outcome.state.answers_given, 1);
}

#[test]
fn an_explicit_request_for_a_human_wins_over_a_match() {
    let outcome = step(&brain(), &thresholds(0.0, 0.0), &DialogState::default(), "退款多久到账 转人工！");
    assert_eq!(outcome.decision, Decision::Handoff { reason: HandoffReason::Requested });
    assert_eq!(outcome.actions.last(), Some(&Action::Handoff { reason: HandoffReason::Requested }));
}

#[test]
fn repeated_fallbacks_hand_off() {
    let brain = brain();
    let never = thresholds(1.0, 1.0);
    let first = step(&brain, &never, &DialogState::default(), "你们老板是谁");
    assert_eq!(first.decision, Decision::Fallback);
    assert_eq!(texts(&first), vec![dialog().fallback_reply]);
    let second = step(&brain, &never, &first.state, "天气怎么样");
    assert_eq!(second.decision, Decision::Handoff { reason: HandoffReason::RepeatedFallbacks });
    assert_eq!(second.state.consecutive_fallbacks, 0);
}

#[test]
fn an_answer_resets_the_fallback_count() {
    let brain = brain();
    let first = step(&brain, &thresholds(1.0, 1.0), &DialogState::default(), "你们老板是谁");
    let second = step(&brain, &thresholds(0.0, 0.0), &first.state, "退款多久到账");
    assert_eq!(second.state.consecutive_fallbacks, 0);
}

#[test]
fn an_uncertain_match_offers_numbered_choices_and_a_number_picks_one() {
    let brain = brain();
    let unsure = thresholds(1.0, 0.0);
    let offered = step(&brain, &unsure, &DialogState::default(), "地址填错了");
    let Decision::Clarify { options } = &offered.decision else { panic!("{:?}", offered.decision) };
    assert_eq!(options[0], "address");
    assert!(options.len() <= 3);
    let text = &texts(&offered)[0];
    assert!(text.starts_with(&dialog().clarify_intro) && text.contains("\n1. 怎么修改收货地址"), "{text}");
    let picked = step(&brain, &unsure, &offered.state, "1");
    assert_eq!(picked.decision, answered("address"));
    assert!(picked.state.pending_choices.is_empty());
}

#[test]
fn a_number_without_pending_choices_is_matched_as_text() {
    let outcome = step(&brain(), &thresholds(1.0, 1.0), &DialogState::default(), "1");
    assert_eq!(outcome.decision, Decision::Fallback);
}

#[test]
fn a_small_lead_over_the_runner_up_is_not_enough_to_answer() {
    let brain = brain();
    let strict = MatcherConfig { ambiguity_margin: 1.0, ..thresholds(0.0, 0.0) };
    let outcome = step(&brain, &strict, &DialogState::default(), "退款地址发票");
    assert!(matches!(outcome.decision, Decision::Clarify { .. }), "{:?}", outcome.decision);
}

#[test]
fn an_entry_that_needs_a_human_answers_then_hands_off() {
    let outcome = step(&brain(), &thresholds(0.0, 0.0), &DialogState::default(), "我要投诉你们");
    let reason = HandoffReason::EntryNeedsHuman { entry: EntryId("complaint".into()) };
    assert_eq!(outcome.actions.last(), Some(&Action::Handoff { reason }));
    assert_eq!(texts(&outcome), vec!["非常抱歉，马上为您转接专员处理。"]);
}

#[test]
fn attachments_follow_the_answer_and_variants_rotate() {
    let brain = brain();
    let always = thresholds(0.0, 0.0);
    let invoice = step(&brain, &always, &DialogState::default(), "发票怎么开");
    assert!(
        matches!(&invoice.actions[1], Action::Reply { reply: Reply::Link { title, .. } } if title == "发票说明")
    );
    let first = step(&brain, &always, &invoice.state, "地址填错了怎么改");
    // Two other answers in between (the same question twice in a row would hand off).
    let between = step(&brain, &always, &first.state, "退款多久到账");
    let between = step(&brain, &always, &between.state, "发票怎么开");
    let second = step(&brain, &always, &between.state, "地址填错了怎么改");
    assert_ne!(texts(&first), texts(&second));
}

#[test]
fn the_same_question_right_after_its_answer_hands_off() {
    let brain = brain();
    let always = thresholds(0.0, 0.0);
    let first = step(&brain, &always, &DialogState::default(), "退款多久到账");
    let again = step(&brain, &always, &first.state, "退款到底几天能到");
    let reason = HandoffReason::RepeatedQuestion { entry: EntryId("refund-time".into()) };
    assert_eq!(again.decision, Decision::Handoff { reason });
}

#[test]
fn turning_down_every_choice_counts_as_a_fallback() {
    let brain = brain();
    let unsure = thresholds(1.0, 0.0);
    let offered = step(&brain, &unsure, &DialogState::default(), "地址填错了");
    assert!(matches!(offered.decision, Decision::Clarify { .. }));
    let rejected = step(&brain, &unsure, &offered.state, "都不是");
    assert_eq!(rejected.decision, Decision::Fallback);
    assert_eq!(rejected.state.consecutive_fallbacks, 1);
    assert!(rejected.state.pending_choices.is_empty());
}

#[test]
fn the_welcome_menu_is_answerable_by_number() {
    let brain = brain();
    let mut config = Config::default();
    config.dialog.welcome_menu = vec!["invoice".into(), "refund-time".into()];
    let greeted = welcome(&brain, Policy::of(&config), &DialogState::default());
    let text = texts(&greeted).join("\n");
    assert!(text.starts_with(&config.dialog.welcome), "{text}");
    assert!(text.contains("1. 发票怎么开") && text.contains("2. 退款多久到账"), "{text}");
    assert_eq!(greeted.decision, Decision::Welcome { options: vec!["invoice".into(), "refund-time".into()] });
    let picked = step(&brain, &config.matcher, &greeted.state, "2");
    assert!(
        matches!(picked.decision, Decision::Answer { ref entry, confidence: None } if entry.0 == "refund-time")
    );
}

#[test]
fn an_empty_welcome_menu_offers_the_first_entries_and_unknown_ids_are_reported() {
    let brain = brain();
    let mut config = Config::default();
    config.dialog.welcome_menu.clear();
    let greeted = welcome(&brain, Policy::of(&config), &DialogState::default());
    assert_eq!(greeted.state.pending_choices, vec!["refund-time", "address", "complaint", "invoice"]);
    config.dialog.welcome_menu = vec!["invoice".into(), "no-such".into()];
    assert_eq!(unknown_welcome_ids(&brain, &config.dialog), vec!["no-such"]);
}

#[test]
fn media_is_acknowledged_or_handed_off_as_configured() {
    let mut config = Config::default();
    let state = DialogState { pending_choices: vec!["invoice".into()], ..DialogState::default() };
    let acknowledged = respond_to_media(Policy::of(&config), &state);
    assert_eq!(acknowledged.decision, Decision::Media);
    assert_eq!(texts(&acknowledged), vec![config.dialog.media_reply.clone()]);
    assert!(acknowledged.state.pending_choices.is_empty());
    config.dialog.media_handoff = true;
    let handed = respond_to_media(Policy::of(&config), &state);
    assert_eq!(handed.decision, Decision::Handoff { reason: HandoffReason::Media });
    assert!(handed.actions.iter().any(|a| matches!(a, Action::Handoff { reason: HandoffReason::Media })));
}

#[test]
fn a_new_conversations_empty_state_reads_back_as_the_default() {
    let state: DialogState = serde_json::from_str("{}").unwrap();
    assert_eq!(state, DialogState::default());
}
