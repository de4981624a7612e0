//! Finding, clustering and turning gaps into knowledge, on a small shop.

use std::path::Path;

use serde_json::{Value, json};

use super::*;
use crate::brain::Brain;
use crate::knowledge::{Knowledge, parse_knowledge_file};
use crate::matcher::ScoringModel;

const SHOP: &str = "\
version: 1
entries:
  - id: refunds-arrival
    question: 退款多久到账
    similar: [退款什么时候到, 钱什么时候退回来, 退的钱几天到]
    answer: 原路退回，1-3 个工作日到账。
  - id: shipping-fee
    question: 运费怎么算
    similar: [邮费多少钱, 要运费吗, 满多少包邮]
    answer: 满 99 元包邮。
";

fn brain() -> Brain {
    let (entries, errors) = parse_knowledge_file(Path::new("knowledge/shop.yaml"), SHOP);
    assert!(errors.is_empty(), "{errors:?}");
    Brain::from_knowledge(Knowledge { entries, ..Knowledge::default() }, ScoringModel::default())
}

fn turn(conversation_id: i64, message_id: i64, text: &str, decision: Value) -> Turn {
    let decision = (!decision.is_null()).then_some(decision);
    Turn { message_id, conversation_id, text: text.into(), decision, at: message_id * 1000 }
}

fn answer(entry: &str) -> Value {
    json!({ "decision": "answer", "entry": entry, "confidence": 0.9 })
}

fn reasons(gaps: &[Gap]) -> Vec<(&str, GapReason)> {
    gaps.iter().map(|g| (g.text.as_str(), g.reason)).collect()
}

#[test]
fn each_kind_of_gap_is_found_and_good_answers_are_not() {
    let turns = vec![
        // Not understood twice, then handed off.
        turn(1, 1, "猫粮什么牌子", json!({ "decision": "fallback" })),
        turn(
            1,
            2,
            "你们卖猫粮吗",
            json!({ "decision": "handoff", "reason": { "reason": "repeated_fallbacks" } }),
        ),
        // While the agent serves, nothing counts.
        turn(1, 3, "在吗", Value::Null),
        // Choices offered and one picked: fine. Offered and ignored: a gap.
        turn(2, 4, "退钱", json!({ "decision": "clarify", "options": ["refunds-arrival", "shipping-fee"] })),
        turn(2, 5, "1", json!({ "decision": "answer", "entry": "refunds-arrival", "confidence": null })),
        turn(2, 6, "邮费", json!({ "decision": "clarify", "options": ["shipping-fee"] })),
        turn(2, 7, "算了不问了", json!({ "decision": "fallback" })),
        // Answered, then the same question in other words: likely wrong.
        turn(3, 8, "退款多久能到账", answer("shipping-fee")),
        turn(3, 9, "退款多久能到账啊？", answer("refunds-arrival")),
        // Answered, then a request for a human: likely wrong.
        turn(4, 10, "运费险怎么赔", answer("shipping-fee")),
        turn(4, 11, "转人工", json!({ "decision": "handoff", "reason": { "reason": "requested" } })),
        // Answered, then something else: a good answer.
        turn(5, 12, "运费怎么算", answer("shipping-fee")),
        turn(5, 13, "退款多久到账", answer("refunds-arrival")),
    ];
    let (gaps, entries) = find_gaps(&turns);
    assert_eq!(
        reasons(&gaps),
        vec![
            ("猫粮什么牌子", GapReason::Fallback),
            ("你们卖猫粮吗", GapReason::HandoffAfterFallbacks),
            ("邮费", GapReason::ClarifyIgnored),
            ("算了不问了", GapReason::Fallback),
            ("退款多久能到账", GapReason::LikelyWrong),
            ("运费险怎么赔", GapReason::LikelyWrong),
        ]
    );
    assert_eq!(gaps[4].entry.as_deref(), Some("shipping-fee"));
    let shipping = entries.iter().find(|e| e.entry == "shipping-fee").unwrap();
    assert_eq!((shipping.answers, shipping.likely_wrong), (3, 2));
    assert_eq!(entries[0].entry, "shipping-fee", "worst first: {entries:?}");
    let refunds = entries.iter().find(|e| e.entry == "refunds-arrival").unwrap();
    assert_eq!((refunds.answers, refunds.likely_wrong), (2, 0), "a pick is not a match of its own");
}

fn gap(text: &str, reason: GapReason, at: i64) -> Gap {
    Gap { message_id: at, conversation_id: at, text: text.into(), reason, entry: None, at }
}

#[test]
fn the_same_question_clusters_and_gets_the_entry_to_extend_or_a_new_one() {
    let gaps = vec![
        gap("钱怎么还没退回来", GapReason::Fallback, 1),
        gap("钱怎么还没退回来", GapReason::Fallback, 2),
        gap("钱怎么还没退回来啊", GapReason::ClarifyIgnored, 3),
        gap("猫粮是什么牌子", GapReason::Fallback, 4),
        gap("你们卖猫粮吗", GapReason::Fallback, 5),
        gap("发票", GapReason::Fallback, 6),
    ];
    let clusters = cluster_gaps(&gaps, &brain());
    assert_eq!(clusters.len(), 3, "{clusters:#?}");
    let refunds = &clusters[0];
    assert_eq!((refunds.id, refunds.count, refunds.question.as_str()), (1, 3, "钱怎么还没退回来"));
    assert_eq!(refunds.texts.len(), 2);
    assert_eq!(refunds.reasons[&GapReason::Fallback], 2);
    assert_eq!(refunds.reasons[&GapReason::LikelyWrong], 0, "every reason is listed");
    assert!(
        matches!(&refunds.proposal, Proposal::Extend { entry, file, .. } if entry == "refunds-arrival" && file == "knowledge/shop.yaml"),
        "{:?}",
        refunds.proposal
    );
    let cats = &clusters[1];
    assert_eq!(cats.count, 2);
    assert!(matches!(cats.proposal, Proposal::New), "{:?}", cats.proposal);
    assert_eq!(clusters[2].question, "发票");
}

#[test]
fn the_patch_adds_new_phrasings_and_drafts_new_entries_without_an_answer() {
    let brain = brain();
    let items = vec![
        PatchItem {
            entry: Some("refunds-arrival".into()),
            texts: vec!["钱怎么还没退回来".into(), "退款多久到账".into()],
        },
        PatchItem {
            entry: None,
            texts: vec!["猫粮是什么牌子".into(), "你们卖猫粮吗".into(), "- 宠物: 猫".into()],
        },
    ];
    let patch = render_patch(&items, &brain).unwrap();
    assert!(patch.contains("# knowledge/shop.yaml — entry `refunds-arrival` (退款多久到账): add under its `similar:`\n      - 钱怎么还没退回来\n"), "{patch}");
    assert!(!patch.contains("      - 退款多久到账"), "known phrasings are left out: {patch}");
    assert!(patch.contains("  - id: new-question-1\n    question: 猫粮是什么牌子\n    similar:\n      - 你们卖猫粮吗\n      - '- 宠物: 猫'\n"), "{patch}");
    assert!(patch.contains("    # answer:"), "{patch}");
    // With its answer written, the draft is a valid knowledge file.
    let draft = patch.split("under `entries:` in the file of its topic.\n").nth(1).unwrap();
    let file = format!(
        "version: 1\nentries:\n{}",
        draft.replace("# answer: 在这里写答案", "answer: 暂不销售宠物用品。")
    );
    let (entries, errors) = parse_knowledge_file(Path::new("new.yaml"), &file);
    assert!(errors.is_empty(), "{errors:?}\n{file}");
    assert_eq!(entries[0].similar, vec!["你们卖猫粮吗".to_string(), "- 宠物: 猫".to_string()]);

    let unknown = vec![PatchItem { entry: Some("nope".into()), texts: vec!["x".into()] }];
    assert_eq!(render_patch(&unknown, &brain), Err(PatchError::UnknownEntry("nope".into())));
    let nothing =
        vec![PatchItem { entry: Some("refunds-arrival".into()), texts: vec!["退款多久到账".into()] }];
    assert_eq!(render_patch(&nothing, &brain), Err(PatchError::Empty));
}

#[test]
fn periods_read_days_hours_and_minutes() {
    assert_eq!(parse_period("7d"), Some(7 * 86_400_000));
    assert_eq!(parse_period("24h"), Some(86_400_000));
    assert_eq!(parse_period("30m"), Some(1_800_000));
    for bad in ["", "7", "d", "7w", "-1d", "0d", "99999999999999999d"] {
        assert_eq!(parse_period(bad), None, "{bad}");
    }
}
