use super::*;
use crate::text::test_segmenter;

fn target(phrasings: &[&str]) -> MatchTarget {
    MatchTarget { phrasings: phrasings.iter().map(|p| p.to_string()).collect(), ..MatchTarget::default() }
}

fn matcher(targets: Vec<MatchTarget>) -> Matcher {
    Matcher::build(targets, (**test_segmenter()).clone(), ScoringModel::default())
}

fn shop() -> Vec<MatchTarget> {
    vec![
        target(&["退款多久到账", "退款几天能到", "钱多久退回来"]),
        target(&["怎么修改收货地址", "地址填错了怎么改"]),
        target(&["发票怎么开", "可以开发票吗"]),
    ]
}

#[test]
fn a_paraphrase_ranks_its_entry_first_with_a_higher_confidence() {
    let matcher = matcher(shop());
    let ranking = matcher.rank("退款要几天到账啊");
    let best = ranking.best().unwrap();
    assert_eq!(best.target, 0);
    assert!(ranking.candidates.iter().skip(1).all(|c| c.confidence <= best.confidence));
}

#[test]
fn the_exact_phrasing_is_more_confident_than_an_unrelated_question() {
    let matcher = matcher(shop());
    let exact = matcher.rank("发票怎么开").best().unwrap().confidence;
    let unrelated = matcher.rank("你们老板是谁").best().map_or(0.0, |c| c.confidence);
    assert!(exact > unrelated, "{exact} vs {unrelated}");
}

#[test]
fn confidences_are_probabilities_and_candidates_are_sorted() {
    let matcher = matcher(shop());
    for message in ["", "退款", "地址 发票 退款", "???", "iphone 15 pro max 256g"] {
        let ranking = matcher.rank(message);
        assert!(ranking.candidates.windows(2).all(|w| w[0].confidence >= w[1].confidence), "{message}");
        assert!(ranking.candidates.iter().all(|c| (0.0..=1.0).contains(&c.confidence)), "{message}");
    }
}

#[test]
fn an_operator_pattern_selects_its_target_with_full_confidence() {
    let mut targets = shop();
    targets[2].patterns = vec![Regex::new("(?i)^invoice").unwrap()];
    let ranking = matcher(targets).rank("Invoice please");
    let best = ranking.best().unwrap();
    assert_eq!((best.target, best.confidence, best.via_pattern), (2, 1.0, true));
}

#[test]
fn the_best_phrasing_of_the_target_is_reported() {
    let matcher = matcher(shop());
    let ranking = matcher.rank("地址填错了");
    assert_eq!(matcher.phrasing_text(ranking.best().unwrap().phrasing), "地址填错了怎么改");
}
