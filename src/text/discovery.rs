//! Discovering a knowledge base's own words: product and service names jieba does not know
//! (`花呗` → `花`/`呗`, `借呗`), found from how the phrasings themselves use them.
//!
//! A character bigram becomes a word when it recurs (in at least [`MIN_DOCUMENTS`]
//! phrasings), hangs together (it accounts for most occurrences of its rarer character), and
//! jieba keeps cutting it apart. Unsupervised and general: it needs only the phrasings.

use std::collections::{HashMap, HashSet};

use super::normalize::is_cjk;
use super::segmenter::Segmenter;

/// A candidate must occur in at least this many phrasings.
const MIN_DOCUMENTS: usize = 5;
/// Phrasings with the bigram / phrasings with its rarer character.
const MIN_COHESION: f32 = 0.8;
/// Share of occurrences jieba cuts apart (boundaries at both ends and one inside).
const MIN_SPLIT: f32 = 0.8;

/// New words found in normalised `texts`, most frequent first.
pub fn discover_words(segmenter: &Segmenter, texts: &[String]) -> Vec<String> {
    let mut char_documents: HashMap<char, usize> = HashMap::new();
    let mut bigram_documents: HashMap<(char, char), usize> = HashMap::new();
    let chars: Vec<Vec<char>> = texts.iter().map(|t| t.chars().collect()).collect();
    for text in &chars {
        for c in text.iter().copied().collect::<HashSet<char>>() {
            *char_documents.entry(c).or_default() += 1;
        }
        let bigrams: HashSet<(char, char)> = text.windows(2).map(|w| (w[0], w[1])).collect();
        for bigram in bigrams {
            *bigram_documents.entry(bigram).or_default() += 1;
        }
    }
    let boundaries: Vec<HashSet<usize>> = texts.iter().map(|text| char_boundaries(segmenter, text)).collect();
    let mut found: Vec<(String, usize)> = bigram_documents
        .into_iter()
        .filter(|&((a, b), documents)| documents >= MIN_DOCUMENTS && is_cjk(a) && is_cjk(b))
        .filter(|&((a, b), documents)| {
            let rarer = char_documents[&a].min(char_documents[&b]);
            documents as f32 / rarer as f32 >= MIN_COHESION
        })
        .map(|((a, b), documents)| ([a, b].iter().collect::<String>(), documents))
        .filter(|(word, _)| !segmenter.knows(word))
        .filter(|(word, _)| split_share(word, &chars, &boundaries) >= MIN_SPLIT)
        .collect();
    found.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    found.into_iter().map(|(word, _)| word).collect()
}

/// Character offsets where the segmenter's cut puts a word boundary.
fn char_boundaries(segmenter: &Segmenter, text: &str) -> HashSet<usize> {
    let mut boundaries = HashSet::from([0]);
    for token in segmenter.cut(text) {
        boundaries.insert(text[..token.byte_start].chars().count());
        boundaries.insert(text[..token.byte_end].chars().count());
    }
    boundaries
}

/// Share of the bigram's occurrences that the cut splits in two.
fn split_share(word: &str, texts: &[Vec<char>], boundaries: &[HashSet<usize>]) -> f32 {
    let pattern: Vec<char> = word.chars().collect();
    let (mut occurrences, mut split) = (0usize, 0usize);
    for (text, bounds) in texts.iter().zip(boundaries) {
        for start in (0..text.len().saturating_sub(1)).filter(|&i| text[i..i + 2] == pattern[..]) {
            occurrences += 1;
            if bounds.contains(&start) && bounds.contains(&(start + 2)) && bounds.contains(&(start + 1)) {
                split += 1;
            }
        }
    }
    if occurrences == 0 { 0.0 } else { split as f32 / occurrences as f32 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{SynonymGroups, normalize};

    #[test]
    fn a_recurring_name_jieba_splits_becomes_a_word() {
        let segmenter = Segmenter::new([], SynonymGroups::default());
        let texts: Vec<String> =
            ["花呗怎么还款", "花呗额度多少", "花呗逾期了", "我的花呗不能用", "花呗分期", "退款多久到账"]
                .iter()
                .map(|t| normalize(t))
                .collect();
        let words = discover_words(&segmenter, &texts);
        assert_eq!(words, vec!["花呗".to_string()]);
    }

    #[test]
    fn rare_bigrams_are_not_words() {
        let segmenter = Segmenter::new([], SynonymGroups::default());
        let texts: Vec<String> = ["花呗怎么还款", "退款多久到账"].iter().map(|t| normalize(t)).collect();
        assert!(discover_words(&segmenter, &texts).is_empty());
    }
}
