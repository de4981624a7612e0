use super::*;

fn write_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// Loads a folder and returns the errors with the folder prefix stripped.
fn errors_of(files: &[(&str, &str)], flows: &[&str]) -> Vec<String> {
    let dir = write_dir(files);
    let source = KnowledgeSource {
        dir: dir.path().to_path_buf(),
        flow_ids: Some(flows.iter().map(|f| f.to_string()).collect()),
    };
    let prefix = format!("{}/", dir.path().display());
    match load_knowledge(&source) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.iter().map(|e| e.to_string().replace(&prefix, "")).collect(),
    }
}

const GOOD: &str = "\
version: 1
category: 物流配送
entries:
  - id: shipping-time
    question: 多久发货？
    similar: [什么时候发货, 啥时候发]
    answer: 付款后 48 小时内发货。
    keywords: [发货]
  - id: shipping-fee
    question: 运费多少
    answer:
      - 满 99 元包邮。
      - link: {title: 运费说明, url: https://shop.example.com/fee}
    attachments:
      - miniprogram: {title: 运费规则, pagepath: pages/fee/index, thumb_url: https://shop.example.com/a.png}
    patterns: ['运费\\s*险']
    flow: order-status
    handoff: true
";

#[test]
fn a_valid_file_loads_every_field() {
    let dir = write_dir(&[("shipping.yaml", GOOD)]);
    let source =
        KnowledgeSource { dir: dir.path().into(), flow_ids: Some(["order-status".to_string()].into()) };
    let knowledge = load_knowledge(&source).unwrap();
    assert_eq!(knowledge.entries.len(), 2);
    let first = &knowledge.entries[0];
    assert_eq!(first.id.0, "shipping-time");
    assert_eq!(first.category.as_deref(), Some("物流配送"));
    assert_eq!(first.phrasings().collect::<Vec<_>>(), vec!["多久发货？", "什么时候发货", "啥时候发"]);
    assert_eq!(first.keywords, vec!["发货"]);
    let second = &knowledge.entries[1];
    assert_eq!(second.answer.variants.len(), 2);
    assert!(matches!(&second.answer.variants[1], Reply::Link { title, .. } if title == "运费说明"));
    assert!(
        matches!(&second.attachments[0], Reply::MiniProgram { pagepath, .. } if pagepath == "pages/fee/index")
    );
    assert!(second.patterns[0].is_match("运费 险怎么买"));
    assert_eq!(second.flow.as_deref(), Some("order-status"));
    assert!(second.handoff);
    assert_eq!((second.location.line, second.location.column), (9, 9));
}

#[test]
fn every_error_in_every_file_is_reported_with_its_position() {
    let bad = "\
version: 1
entries:
  - id: a
    question: 问题一
    simlar: [x]
    answer: 答案
  - id: b
    question: '？？'
    answer: ''
  - id: c
    question: 问题三
    answer: 答案
    patterns: ['(unclosed']
    flow: nowhere
";
    let other = "version: 2\nentries:\n  - id: c\n    question: 问题一\n    answer: 另一个\n";
    let errors = errors_of(&[("a.yaml", bad), ("b.yaml", other)], &[]);
    assert_eq!(
        errors,
        vec![
            "a.yaml:5:5: entry: unknown field `simlar`, expected one of `id`, `question`, `similar`, `answer`, `attachments`, `keywords`, `tags`, `patterns`, `flow`, or `handoff` (entry `a`)",
            "a.yaml:8:15: entry `b`: empty question (nothing left after removing punctuation)",
            "a.yaml:9:13: entry `b`: empty answer",
            "a.yaml:13:16: entry `c`: invalid regex `(unclosed`: unclosed group",
            "b.yaml:1:10: unsupported version 2, expected `version: 1`",
        ],
    );
}

#[test]
fn cross_file_rules_name_both_places() {
    let a = "version: 1\nentries:\n  - id: dup\n    question: 怎么退款\n    answer: 答\n    flow: refund\n";
    let b = "version: 1\nentries:\n  - id: dup\n    question: 其他\n    answer: 答\n  - id: other\n    question: 怎么退款！\n    answer: 答\n";
    let errors = errors_of(&[("a.yaml", a), ("b.yaml", b)], &[]);
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(errors[0].starts_with("a.yaml:6:11: entry `dup`: flow `refund` does not exist"), "{errors:#?}");
    assert!(errors[1].starts_with("b.yaml:3:9: duplicate entry id `dup` (first defined at "), "{errors:#?}");
    assert!(errors[1].ends_with("a.yaml:3:9)"), "{errors:#?}");
    assert!(
        errors[2].starts_with("b.yaml:7:15: entry `other`: phrasing `怎么退款` also belongs to entry `dup`"),
        "{errors:#?}"
    );
}

#[test]
fn a_phrasing_repeated_within_an_entry_is_an_error() {
    let a = "version: 1\nentries:\n  - id: x\n    question: 怎么退款\n    similar: ['怎么 退款?']\n    answer: 答\n";
    assert_eq!(
        errors_of(&[("a.yaml", a)], &[]),
        vec!["a.yaml:5:15: entry `x`: phrasing `怎么 退款` is listed twice (also at line 4)"]
    );
}

#[test]
fn yaml_syntax_errors_and_duplicate_keys_are_positioned() {
    let broken = "version: 1\nentries:\n  - id: x\n    question: [unclosed\n";
    let errors = errors_of(&[("a.yaml", broken)], &[]);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with("a.yaml:5:1: invalid YAML"), "{errors:?}");
    let twice = "version: 1\nentries:\n  - id: x\n    question: a\n    question: b\n    answer: c\n";
    assert_eq!(
        errors_of(&[("a.yaml", twice)], &[]),
        vec!["a.yaml:5:5: duplicate key `question` (first defined at line 4)"]
    );
}

#[test]
fn missing_required_fields_are_reported_at_the_entry() {
    let a = "version: 1\nentries:\n  - id: x\n    question: 问\n";
    assert_eq!(
        errors_of(&[("a.yaml", a)], &[]),
        vec!["a.yaml:3:5: entry: missing required field `answer` (entry `x`)"]
    );
}

#[test]
fn rich_replies_are_checked() {
    let a = "version: 1\nentries:\n  - id: x\n    question: 问\n    answer:\n      image: {}\n  - id: y\n    question: 问二\n    answer: {link: {title: t, url: ftp://x}}\n  - id: z\n    question: 问三\n    answer: {video: {}}\n";
    let errors = errors_of(&[("a.yaml", a)], &[]);
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert_eq!(errors[0], "a.yaml:6:7: entry `x`: an answer image needs exactly one of `url` or `media_id`");
    assert_eq!(errors[1], "a.yaml:9:14: entry `y`: an answer link needs a `title` and an http(s) `url`");
    assert!(errors[2].contains("unknown field `video`"), "{errors:#?}");
}

#[test]
fn unknown_special_files_and_empty_folders_are_errors() {
    assert_eq!(errors_of(&[("_extra.yaml", "a: 1\n")], &[]).len(), 1);
    let errors = errors_of(&[("notes.txt", "hello")], &[]);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains("no knowledge entries found"), "{errors:?}");
}

#[test]
fn synonyms_file_is_loaded_with_the_entries() {
    let dir = write_dir(&[
        ("shipping.yaml", GOOD),
        ("_synonyms.yaml", "version: 1\nsynonyms: [[发货, 寄出]]\nwords: [顺丰]\n"),
    ]);
    let source =
        KnowledgeSource { dir: dir.path().into(), flow_ids: Some(["order-status".to_string()].into()) };
    let knowledge = load_knowledge(&source).unwrap();
    assert_eq!(knowledge.synonym_groups, vec![vec!["发货".to_string(), "寄出".to_string()]]);
    assert_eq!(knowledge.segmenter_words().collect::<Vec<_>>(), vec!["顺丰", "发货"]);
}
