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

#[test]
fn a_text_weighs_its_distinct_characters_and_bigrams() {
    let matcher = matcher(shop());
    let stats = &matcher.stats;
    for text in ["退款退款多久到账啊", "发票", "从未见过的字", "iphone 15 退款"] {
        let analysis = Analysis::new(text, &matcher.segmenter);
        let lookup = stats.chars.look_up(&analysis.char_terms());
        let weights =
            TextWeights::new(&analysis, &lookup, stats, |w| matcher.segmenter.background_frequency(w));
        let idf = |term: &str| stats.chars.idf_of(stats.chars.look_up(&[term]).terms()[0].id);
        let chars: f32 = analysis.char_set.iter().map(|c| idf(&c.to_string())).sum();
        let bigrams: f32 = analysis.bigrams.iter().map(|&(a, b)| idf(&format!("{a}{b}"))).sum();
        assert_eq!((weights.char_total, weights.bigram_total), (chars, bigrams), "{text}");
    }
}

#[test]
fn a_synonym_finds_a_phrasing_that_shares_no_character_with_the_message() {
    // The test segmenter groups 退款, 退钱 and 返款: only the word retrieval can find it.
    let matcher = matcher(vec![target(&["退钱"]), target(&["发票怎么开"]), target(&["修改地址"])]);
    let ranking = matcher.rank("返款");
    assert_eq!(ranking.best().map(|best| best.target), Some(0), "{:?}", ranking.candidates);
}
