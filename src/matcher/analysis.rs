//! The analysed form of a text: everything the features compare, computed once per
//! phrasing at build time and once per message.

use pinyin::ToPinyin;

use super::lexicon::{has_negation, is_stop_word, question_classes};
use crate::text::{Segmenter, normalize};

/// A text as the matcher sees it.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// The normalised text (words separated by single spaces).
    pub normalized: String,
    /// The normalised text without spaces.
    pub compact: String,
    /// Its characters.
    pub chars: Vec<char>,
    /// Search-mode words (long words with their parts), with repeats: the word index terms.
    pub search_terms: Vec<String>,
    /// Distinct content words (plain cut, function words left out): what the text says.
    pub words: Vec<String>,
    /// Distinct characters, sorted.
    pub char_set: Vec<char>,
    /// Distinct character bigrams, sorted.
    pub bigrams: Vec<(char, char)>,
    /// Distinct toneless pinyin syllables (a character's default reading; others as is),
    /// as sorted hashes: only equality matters.
    pub syllables: Vec<u64>,
    /// Distinct pinyin syllable bigrams, as sorted hash pairs.
    pub syllable_bigrams: Vec<(u64, u64)>,
    /// Question-word classes present (see [`super::lexicon`]).
    pub question_classes: u8,
    /// Contains a negation.
    pub negated: bool,
}

impl Analysis {
    /// Analyses `text` with `segmenter`.
    pub fn new(text: &str, segmenter: &Segmenter) -> Analysis {
        let normalized = normalize(text);
        let chars: Vec<char> = normalized.chars().filter(|c| *c != ' ').collect();
        let (search_tokens, cut) = segmenter.words_and_cut(&normalized);
        let search_terms = search_tokens.into_iter().map(|t| t.text).collect();
        let mut words: Vec<String> = Vec::new();
        for token in cut {
            if !is_stop_word(&token.text) && !words.contains(&token.text) {
                words.push(token.text);
            }
        }
        let mut char_set = chars.clone();
        char_set.sort_unstable();
        char_set.dedup();
        let mut bigrams: Vec<(char, char)> = chars.windows(2).map(|w| (w[0], w[1])).collect();
        bigrams.sort_unstable();
        bigrams.dedup();
        let spoken: Vec<u64> = chars.iter().map(|&c| syllable(c)).collect();
        let mut syllable_bigrams: Vec<(u64, u64)> = spoken.windows(2).map(|w| (w[0], w[1])).collect();
        syllable_bigrams.sort_unstable();
        syllable_bigrams.dedup();
        let mut syllables = spoken;
        syllables.sort_unstable();
        syllables.dedup();
        let compact: String = chars.iter().collect();
        Analysis {
            compact: compact.clone(),
            question_classes: question_classes(&compact),
            negated: has_negation(&compact),
            normalized,
            chars,
            search_terms,
            words,
            char_set,
            bigrams,
            syllables,
            syllable_bigrams,
        }
    }

    /// Its characters and character bigrams, with repeats: the character index terms, as
    /// slices of `compact` (a query's terms allocate nothing; kept for every phrasing, they
    /// were most of a large build's memory, so they are made when needed).
    pub fn char_terms(&self) -> Vec<&str> {
        let bounds: Vec<usize> = self
            .compact
            .char_indices()
            .map(|(at, _)| at)
            .chain(std::iter::once(self.compact.len()))
            .collect();
        let mut terms: Vec<&str> = Vec::with_capacity(2 * self.chars.len());
        terms.extend(bounds.windows(2).map(|pair| &self.compact[pair[0]..pair[1]]));
        terms.extend(bounds.windows(3).map(|triple| &self.compact[triple[0]..triple[2]]));
        terms
    }

    /// True when `word`, of two characters or more, occurs anywhere in the text, however
    /// jieba cut the text.
    pub fn contains_word(&self, word: &str) -> bool {
        // Most words asked about are absent: their first two characters, looked up among
        // the text's bigrams, rule them out before a substring search.
        let mut chars = word.chars();
        let (Some(first), Some(second)) = (chars.next(), chars.next()) else { return false };
        self.bigrams.binary_search(&(first, second)).is_ok() && self.compact.contains(word)
    }
}

/// A character's toneless pinyin (its default reading), or the character itself, hashed
/// (FNV-1a: stable across runs and builds).
fn syllable(c: char) -> u64 {
    let mut buffer = [0; 4];
    let text = c.to_pinyin().map_or_else(|| &*c.encode_utf8(&mut buffer), |p| p.plain());
    text.bytes()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::test_segmenter;

    #[test]
    fn function_words_are_not_content_words() {
        let analysis = Analysis::new("我的退款怎么还没到账啊", test_segmenter());
        assert!(analysis.words.contains(&"退款".to_string()));
        assert!(!analysis.words.iter().any(|w| w == "的" || w == "啊" || w == "我"));
    }

    #[test]
    fn homophones_share_syllables() {
        let right = Analysis::new("借呗", test_segmenter());
        let typo = Analysis::new("借贝", test_segmenter());
        assert_eq!(right.syllables, typo.syllables);
        assert_ne!(right.char_set, typo.char_set);
    }

    #[test]
    fn words_are_found_however_they_were_cut() {
        let analysis = Analysis::new("退款多久到账", test_segmenter());
        assert!(analysis.contains_word("到账"));
        assert!(analysis.contains_word("款多"));
        assert!(!analysis.contains_word("发票"));
        assert!(!analysis.contains_word("退"), "one character is not a word to find");
    }
}
