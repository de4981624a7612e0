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
        let mut jieba = base_jieba().clone();
        let mut add = |word: &str| {
            if !word.trim().is_empty() && !jieba.has_word(word) {
                jieba.add_word(word, None, None);
            }
        };
        custom_words.into_iter().for_each(&mut add);
        synonyms.words().for_each(&mut add);
        Segmenter { jieba, synonyms }
    }

    /// Segments already-normalised text into words (search mode: long words also yield
    /// their dictionary sub-words), skipping whitespace.
    pub fn words(&self, normalized: &str) -> Vec<WordToken> {
        self.jieba
            .cut_for_search(normalized, true)
            .into_iter()
            .filter(|token| !token.word.trim().is_empty())
            .map(|token| WordToken {
                text: self.synonyms.canonical(token.word).to_string(),
                byte_start: token.byte_start,
                byte_end: token.byte_end,
            })
            .collect()
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
        fn chinese_text_yields_tokens(text in "[\\u{4E00}-\\u{9FA5}]{1,20}") {
            prop_assert!(!segmenter().words(&normalize(&text)).is_empty());
        }
    }
}
