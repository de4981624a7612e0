//! The analysed form of a text (normalised, words, characters) and corpus statistics.

use std::collections::HashMap;

use crate::text::{Segmenter, normalize};

/// A text as the matcher sees it.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// The normalised text.
    pub normalized: String,
    /// Distinct canonical words (search mode, so long words come with their parts), in
    /// first-seen order.
    pub words: Vec<String>,
    /// The normalised text's characters without spaces.
    pub chars: Vec<char>,
}

impl Analysis {
    /// Analyses `text` with `segmenter`.
    pub fn new(text: &str, segmenter: &Segmenter) -> Analysis {
        let normalized = normalize(text);
        let mut words: Vec<String> = Vec::new();
        for token in segmenter.words(&normalized) {
            if !words.contains(&token.text) {
                words.push(token.text);
            }
        }
        let chars = normalized.chars().filter(|c| *c != ' ').collect();
        Analysis { normalized, words, chars }
    }

    /// Distinct character bigrams of the text (spaces removed).
    pub fn bigrams(&self) -> Vec<(char, char)> {
        let mut grams: Vec<(char, char)> = self.chars.windows(2).map(|w| (w[0], w[1])).collect();
        grams.sort_unstable();
        grams.dedup();
        grams
    }

    /// The character bigrams as strings, for indexing.
    pub fn bigram_strings(&self) -> Vec<String> {
        self.bigrams().into_iter().map(|(a, b)| [a, b].iter().collect()).collect()
    }
}

/// Document frequencies over all phrasings, for inverse document frequency weights.
#[derive(Debug, Clone, Default)]
pub struct CorpusStats {
    documents: usize,
    word_frequency: HashMap<String, u32>,
}

impl CorpusStats {
    /// Counts, for every word, how many of `analyses` contain it.
    pub fn new<'a>(analyses: impl IntoIterator<Item = &'a Analysis>) -> CorpusStats {
        let mut stats = CorpusStats::default();
        for analysis in analyses {
            stats.documents += 1;
            for word in &analysis.words {
                *stats.word_frequency.entry(word.clone()).or_insert(0) += 1;
            }
        }
        stats
    }

    /// BM25-style inverse document frequency; words never seen get the highest weight.
    pub fn idf(&self, word: &str) -> f32 {
        let df = self.word_frequency.get(word).copied().unwrap_or(0) as f32;
        let n = self.documents as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// The weight of a word no phrasing contains: the largest any word can have.
    pub fn max_idf(&self) -> f32 {
        (1.0 + (self.documents as f32 + 0.5) / 0.5).ln()
    }

    /// Number of phrasings counted.
    pub fn documents(&self) -> usize {
        self.documents
    }
}
