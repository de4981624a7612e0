//! Chinese word segmentation (jieba, search mode) with the knowledge's own words and synonyms.

use std::sync::OnceLock;

use jieba_rs::Jieba;

use super::dictionary::{SynonymGroups, builtin_words};

/// jieba with its default dictionary and kefu's built-in customer-service words.
///
/// Loading the dictionary costs ~180 ms and 32 MiB, so it happens once per process; each
/// knowledge base clones it and adds its own words.
fn base_jieba() -> &'static Jieba {
    static BASE: OnceLock<Jieba> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut jieba = Jieba::new();
        for word in builtin_words() {
            jieba.add_word(word, None, None);
        }
        jieba
    })
}

/// Total frequency of jieba's general dictionary, the denominator of
/// [`Segmenter::background_frequency`].
pub const BACKGROUND_TOTAL: usize = 60_101_967;

/// One segmented word: its canonical text (after synonym mapping) and byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordToken {
    /// The word, replaced by its synonym group's canonical word when it has one.
    pub text: String,
    /// Byte offset of the word's first byte in the segmented text.
    pub byte_start: usize,
    /// Byte offset one past the word's last byte.
    pub byte_end: usize,
}

/// Splits normalised text into words; one instance is shared by indexing and querying.
#[derive(Clone)]
pub struct Segmenter {
    jieba: Jieba,
    synonyms: SynonymGroups,
}

impl std::fmt::Debug for Segmenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segmenter").field("synonyms", &self.synonyms.len()).finish()
    }
}

impl Segmenter {
    /// A segmenter knowing `custom_words` and the synonym groups' words as whole words.
    pub fn new<'a>(custom_words: impl IntoIterator<Item = &'a str>, synonyms: SynonymGroups) -> Segmenter {
        let mut segmenter = Segmenter { jieba: base_jieba().clone(), synonyms: SynonymGroups::default() };
        segmenter.add_words(custom_words);
        segmenter.add_words(synonyms.words());
        segmenter.synonyms = synonyms;
        segmenter
    }

    /// Segments already-normalised text into words (search mode: long words also yield
    /// their dictionary sub-words), skipping whitespace. Used for retrieval.
    pub fn words(&self, normalized: &str) -> Vec<WordToken> {
        self.tokens(self.jieba.cut_for_search(normalized, true))
    }

    /// Segments already-normalised text into its words, without overlapping sub-words.
    /// Used to compare what two texts say.
    pub fn cut(&self, normalized: &str) -> Vec<WordToken> {
        self.tokens(self.jieba.cut(normalized, true))
    }

    /// [`Segmenter::words`] and [`Segmenter::cut`] from one pass of jieba: search mode
    /// emits each word of the plain cut right after its sub-words, and the plain cut's
    /// words tile the text, so, walking back from the end, a token is a plain word exactly
    /// when it ends where the plain word after it starts.
    pub fn words_and_cut(&self, normalized: &str) -> (Vec<WordToken>, Vec<WordToken>) {
        let search = self.jieba.cut_for_search(normalized, true);
        let mut plain = Vec::new();
        let mut next_start = usize::MAX;
        for token in search.iter().rev() {
            if token.byte_end <= next_start {
                plain.push(token.clone());
                next_start = token.byte_start;
            }
        }
        plain.reverse();
        (self.tokens(search), self.tokens(plain))
    }

    fn tokens(&self, tokens: Vec<jieba_rs::Token<'_>>) -> Vec<WordToken> {
        tokens
            .into_iter()
            .filter(|token| !token.word.trim().is_empty())
            .map(|token| WordToken {
                text: self.synonyms.canonical(token.word).to_string(),
                byte_start: token.byte_start,
                byte_end: token.byte_end,
            })
            .collect()
    }

    /// Adds words the segmenter must keep whole.
    pub fn add_words<'a>(&mut self, words: impl IntoIterator<Item = &'a str>) {
        for word in words {
            if !word.trim().is_empty() && !self.jieba.has_word(word) {
                self.jieba.add_word(word, None, None);
            }
        }
    }

    /// True when the dictionary knows `word`.
    pub fn knows(&self, word: &str) -> bool {
        self.jieba.has_word(word)
    }

    /// How often `word` occurs in general Chinese text: its jieba dictionary frequency
    /// (0 when unknown), out of [`BACKGROUND_TOTAL`].
    pub fn background_frequency(&self, word: &str) -> usize {
        // For a dictionary word that segments as itself, jieba suggests its frequency + 1.
        if self.jieba.has_word(word) { self.jieba.suggest_freq(word).saturating_sub(1) } else { 0 }
    }

    /// The synonym groups this segmenter maps words with.
    pub fn synonyms(&self) -> &SynonymGroups {
        &self.synonyms
    }
}

/// A segmenter with a small custom vocabulary, shared by all unit tests of the process.
#[cfg(test)]
pub(crate) fn test_segmenter() -> &'static std::sync::Arc<Segmenter> {
    static SEGMENTER: OnceLock<std::sync::Arc<Segmenter>> = OnceLock::new();
    SEGMENTER.get_or_init(|| {
        let synonyms = SynonymGroups::new(vec![vec!["退款".into(), "退钱".into(), "返款".into()]]);
        std::sync::Arc::new(Segmenter::new(["七天无理由"], synonyms))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalize;
    use proptest::prelude::*;

    fn segmenter() -> &'static Segmenter {
        test_segmenter()
    }

    fn texts(text: &str) -> Vec<String> {
        segmenter().words(&normalize(text)).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn custom_words_are_kept_whole() {
        assert!(texts("支持七天无理由吗").contains(&"七天无理由".to_string()));
    }

    #[test]
    fn synonyms_map_to_the_canonical_word() {
        assert!(texts("怎么退钱").contains(&"退款".to_string()));
        assert!(texts("返款多久").contains(&"退款".to_string()));
    }

    #[test]
    fn builtin_customer_service_words_are_segmented_whole() {
        assert!(texts("钱什么时候到账").contains(&"到账".to_string()));
    }

    proptest! {
        #[test]
        fn tokens_are_non_empty_and_on_char_boundaries(text in "\\PC{0,40}") {
            let normalized = normalize(&text);
            for token in segmenter().words(&normalized) {
                prop_assert!(!token.text.trim().is_empty());
                prop_assert!(token.byte_start < token.byte_end);
                prop_assert!(normalized.is_char_boundary(token.byte_start));
                prop_assert!(normalized.is_char_boundary(token.byte_end));
            }
        }

        #[test]
        fn one_pass_gives_both_segmentations(text in "[\u{4E00}-\u{9FA5}a-z0-9 .-]{0,30}|\\PC{0,40}") {
            let normalized = normalize(&text);
            let (words, cut) = segmenter().words_and_cut(&normalized);
            prop_assert_eq!(words, segmenter().words(&normalized));
            prop_assert_eq!(cut, segmenter().cut(&normalized));
        }

        #[test]
        fn chinese_text_yields_tokens(text in "[\\u{4E00}-\\u{9FA5}]{1,20}") {
            prop_assert!(!segmenter().words(&normalize(&text)).is_empty());
        }
    }
}
