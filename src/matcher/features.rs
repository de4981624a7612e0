//! Features of a (query, phrasing) pair, comparable across queries (mostly in [0, 1]).
//!
//! Raw BM25 grows with query length, so every BM25 is divided by the query's score
//! against itself. The rest describe how much of each side the other covers (words,
//! characters, bigrams, pinyin), how alike the strings are, whether they ask the same kind
//! of question, and — the strongest near-miss signals — how important the words are that
//! only one side has: rare, central to this knowledge, or typical of it.

use super::analysis::Analysis;
use super::corpus::{CorpusStats, QueryTerms, TermLookup, WordWeights};
use super::strings::Pattern;
use crate::text::Segmenter;

/// Number of pair features.
pub const FEATURE_COUNT: usize = 29;
/// The first this many features are the ranker's inputs; the rest only inform confidence.
pub const RANK_FEATURE_COUNT: usize = 24;

/// The pair features, in the order of [`FEATURE_NAMES`].
pub type PairFeatures = [f32; FEATURE_COUNT];

/// Names of the pair features, as shown in explanations.
pub const FEATURE_NAMES: [&str; FEATURE_COUNT] = [
    "bm25_words",
    "bm25_chars",
    "bm25_entry",
    "word_overlap",
    "char_cover_query",
    "char_cover_phrasing",
    "bigram_cover_phrasing",
    "bigram_dice",
    "edit_similarity",
    "substring_query",
    "substring_phrasing",
    "subsequence",
    "length_ratio",
    "pinyin_dice",
    "pinyin_cover_query",
    "question_word_agree",
    "negation_mismatch",
    "query_unmatched_idf",
    "phrasing_unmatched_idf",
    "query_unmatched_share",
    "phrasing_unmatched_share",
    "phrasing_unmatched_centrality",
    "query_unmatched_salience",
    "phrasing_unmatched_salience",
    "word_cover_query",
    "word_cover_phrasing",
    "bigram_cover_query",
    "query_unmatched_centrality",
    "query_unknown_words",
];

/// Indices of named features, for the confidence model.
pub mod index {
    /// `bm25_entry`
    pub const BM25_ENTRY: usize = 2;
    /// `edit_similarity`
    pub const EDIT_SIMILARITY: usize = 8;
    /// `length_ratio`
    pub const LENGTH_RATIO: usize = 12;
    /// `query_unmatched_idf`
    pub const QUERY_UNMATCHED_IDF: usize = 17;
    /// `phrasing_unmatched_idf`
    pub const PHRASING_UNMATCHED_IDF: usize = 18;
    /// `phrasing_unmatched_centrality`
    pub const PHRASING_UNMATCHED_CENTRALITY: usize = 21;
    /// `word_cover_query`
    pub const WORD_COVER_QUERY: usize = 24;
    /// `word_cover_phrasing`
    pub const WORD_COVER_PHRASING: usize = 25;
    /// `bigram_cover_query`
    pub const BIGRAM_COVER_QUERY: usize = 26;
    /// `query_unmatched_centrality`
    pub const QUERY_UNMATCHED_CENTRALITY: usize = 27;
    /// `query_unknown_words`
    pub const QUERY_UNKNOWN_WORDS: usize = 28;
}

/// How much an operator keyword outweighs other words of its entry.
const KEYWORD_WEIGHT: f32 = 2.0;

/// The word id of a word no phrasing has.
pub const NO_WORD: u32 = u32::MAX;

/// Corpus weights of a text's characters, bigrams and words, aligned with its
/// [`Analysis`] lists: computed once per phrasing at build time and once per query.
#[derive(Debug, Clone, Default)]
pub struct TextWeights {
    /// IDF of each content word.
    pub words: Vec<f32>,
    /// Knowledge frequency of each content word.
    pub centrality: Vec<f32>,
    /// Salience of each content word.
    pub salience: Vec<f32>,
    /// Id of each content word among the phrasings' ([`NO_WORD`] when none has it).
    pub word_ids: Vec<u32>,
    /// Sum of the IDFs of the distinct characters.
    pub char_total: f32,
    /// Sum of the IDFs of the distinct bigrams.
    pub bigram_total: f32,
}

impl TextWeights {
    /// Weighs `analysis` against the corpus, given its character terms looked up in the
    /// character scorer; `background` gives a word's general frequency.
    pub fn new(
        analysis: &Analysis,
        chars: &TermLookup<'_>,
        stats: &CorpusStats,
        background: impl Fn(&str) -> usize,
    ) -> TextWeights {
        let words: Vec<WordWeights> =
            analysis.words.iter().map(|w| stats.word_weights(w, &background)).collect();
        // In text order, which is the order of the distinct characters and bigrams.
        let idf_total = |single: bool| -> f32 {
            chars
                .terms()
                .iter()
                .filter(|term| term.single() == single)
                .map(|term| stats.chars.idf_of(term.id))
                .sum()
        };
        TextWeights {
            char_total: idf_total(true),
            bigram_total: idf_total(false),
            words: words.iter().map(|w| w.idf).collect(),
            centrality: words.iter().map(|w| w.centrality).collect(),
            salience: words.iter().map(|w| w.salience).collect(),
            word_ids: words.iter().map(|w| w.id.unwrap_or(NO_WORD)).collect(),
        }
    }
}

/// What is computed once per query and shared by all its candidates.
pub struct QueryContext<'a> {
    /// The analysed query.
    pub query: &'a Analysis,
    /// Its corpus weights.
    pub weights: TextWeights,
    /// Corpus statistics.
    pub stats: &'a CorpusStats,
    /// Distinct search terms, resolved in the word index.
    pub search_terms: QueryTerms,
    /// The search terms of a synonym group, resolved in the word index: the terms the word
    /// retrieval looks for (the characters find phrasings that share anything else).
    pub synonym_terms: QueryTerms,
    /// Distinct character terms, resolved in the character index.
    pub char_terms: QueryTerms,
    /// Distinct character terms, resolved in the entry index.
    pub entry_terms: QueryTerms,
    /// The query's BM25 against itself in the word, character and entry indexes.
    pub self_scores: [f32; 3],
    /// Share of the query's word weight the knowledge has never seen.
    pub unknown_words: f32,
    /// The query's characters, prepared for comparing with every candidate.
    pub pattern: Pattern,
    /// Ids of the phrasings' content words the query mentions (sorted): whether it
    /// mentions a candidate's word is then a lookup, not a search of its text.
    pub mentioned: Vec<u32>,
}

impl<'a> QueryContext<'a> {
    /// Prepares a query analysed with `segmenter`.
    pub fn new(query: &'a Analysis, stats: &'a CorpusStats, segmenter: &Segmenter) -> QueryContext<'a> {
        let all_search: Vec<&str> = query.search_terms.iter().map(String::as_str).collect();
        let all_chars = query.char_terms();
        let search = stats.words.look_up(&all_search);
        // The entry scorer shares the character scorer's vocabulary: one lookup serves both.
        let chars = stats.chars.look_up(&all_chars);
        let weights = TextWeights::new(query, &chars, stats, |word| segmenter.background_frequency(word));
        let total: f32 = weights.words.iter().sum();
        let unknown: f32 = query
            .words
            .iter()
            .zip(&weights.word_ids)
            .zip(&weights.words)
            .filter(|((word, id), _)| **id == NO_WORD && !stats.words.contains(word))
            .map(|(_, idf)| idf)
            .sum();
        let synonyms = segmenter.synonyms();
        QueryContext {
            query,
            stats,
            search_terms: stats.words.query_terms(&search),
            synonym_terms: stats.words.query_terms(&search.filtered(|term| synonyms.contains(term))),
            char_terms: stats.chars.query_terms(&chars),
            entry_terms: stats.entries.query_terms(&chars),
            self_scores: [
                stats.words.self_score(&search),
                stats.chars.self_score(&chars),
                stats.entries.self_score(&chars),
            ],
            unknown_words: ratio(unknown, total),
            pattern: Pattern::new(&query.chars),
            mentioned: stats.mentioned_words(&query.words, &query.compact),
            weights,
        }
    }
}

/// A candidate phrasing: its analysis and weights, ordinal, and its entry's keywords.
pub struct PhrasingRef<'a> {
    /// The analysed phrasing.
    pub analysis: &'a Analysis,
    /// Its corpus weights.
    pub weights: &'a TextWeights,
    /// Its ordinal in the corpus.
    pub ordinal: usize,
    /// The entry's operator keywords.
    pub keywords: &'a [String],
}

/// Computes the features of the query against one phrasing; `entry_bm25` is the query's
/// BM25 against the phrasing's whole entry.
pub fn pair_features(
    context: &QueryContext<'_>,
    phrasing: &PhrasingRef<'_>,
    entry_bm25: f32,
) -> PairFeatures {
    let (q, p, stats) = (context.query, phrasing.analysis, context.stats);
    let (qw, pw) = (&context.weights, phrasing.weights);
    let boost = |word: &str| if phrasing.keywords.iter().any(|k| k == word) { KEYWORD_WEIGHT } else { 1.0 };
    // Words compare by id; a word of one text may also occur in the other cut differently.
    let query_side = unmatched_side(&q.words, qw, &boost, |at| {
        let id = qw.word_ids[at];
        (id != NO_WORD && pw.word_ids.contains(&id)) || p.contains_word(&q.words[at])
    });
    let phrasing_side =
        unmatched_side(&p.words, pw, &boost, |at| context.mentioned.binary_search(&pw.word_ids[at]).is_ok());
    let harmonic = if query_side.cover + phrasing_side.cover > 0.0 {
        2.0 * query_side.cover * phrasing_side.cover / (query_side.cover + phrasing_side.cover)
    } else {
        0.0
    };
    // One pass over the phrasing's characters and bigrams gives their BM25 and what the
    // query shares of each.
    let (mut chars_bm25, mut shared_char_weight, mut shared_bigram_weight, mut shared_bigrams) =
        (0.0, 0.0, 0.0, 0);
    stats.chars.for_each_match(&context.char_terms, phrasing.ordinal, |term, score| {
        chars_bm25 += score;
        if term.single() {
            shared_char_weight += term.idf();
        } else {
            shared_bigram_weight += term.idf();
            shared_bigrams += 1;
        }
    });
    let (lq, lp) = (q.chars.len() as f32, p.chars.len() as f32);
    let alike = context.pattern.similarity(&p.chars);
    let common_run = alike.common_substring as f32;
    let shared_syllable_bigrams = shared_count(&q.syllable_bigrams, &p.syllable_bigrams);
    let shared_syllables = shared_count(&q.syllables, &p.syllables);
    let unseen = stats.unseen_idf();
    [
        relative(stats.words.score(&context.search_terms, phrasing.ordinal), context.self_scores[0]),
        relative(chars_bm25, context.self_scores[1]),
        relative(entry_bm25, context.self_scores[2]),
        harmonic,
        ratio(shared_char_weight, qw.char_total),
        ratio(shared_char_weight, pw.char_total),
        ratio(shared_bigram_weight, pw.bigram_total),
        ratio(2.0 * shared_bigrams as f32, (q.bigrams.len() + p.bigrams.len()) as f32),
        alike.edit,
        ratio(common_run, lq),
        ratio(common_run, lp),
        ratio(2.0 * alike.common_subsequence as f32, lq + lp),
        ratio(lq.min(lp), lq.max(lp)),
        ratio(
            2.0 * shared_syllable_bigrams as f32,
            (q.syllable_bigrams.len() + p.syllable_bigrams.len()) as f32,
        ),
        ratio(shared_syllables as f32, q.syllables.len() as f32),
        f32::from(u8::from(q.question_classes & p.question_classes != 0)),
        f32::from(u8::from(q.negated != p.negated)),
        query_side.max_idf / unseen,
        phrasing_side.max_idf / unseen,
        query_side.unmatched_share,
        phrasing_side.unmatched_share,
        phrasing_side.max_centrality,
        query_side.max_salience / 10.0,
        phrasing_side.max_salience / 10.0,
        query_side.cover,
        phrasing_side.cover,
        ratio(shared_bigram_weight, qw.bigram_total),
        query_side.max_centrality,
        context.unknown_words,
    ]
}

/// How many items sorted, distinct `ours` and `theirs` share: one merged walk (both are a
/// question long).
fn shared_count<T: Ord + Copy>(ours: &[T], theirs: &[T]) -> usize {
    let (mut i, mut j, mut count) = (0, 0, 0);
    while i < ours.len() && j < theirs.len() {
        let (item, other) = (ours[i], theirs[j]);
        count += usize::from(item == other);
        i += usize::from(item <= other);
        j += usize::from(other <= item);
    }
    count
}

/// How one side's words fare in the other text.
struct Side {
    /// Weighted share of the words the other text mentions.
    cover: f32,
    /// Largest IDF among the words the other text lacks.
    max_idf: f32,
    /// Share of the words the other text lacks.
    unmatched_share: f32,
    /// Largest knowledge frequency among the words the other text lacks.
    max_centrality: f32,
    /// Largest salience among the words the other text lacks.
    max_salience: f32,
}

/// How `words` (weighted by `weights`) fare in another text; `mentioned(i)` tells whether
/// it mentions the `i`th.
fn unmatched_side(
    words: &[String],
    weights: &TextWeights,
    boost: &impl Fn(&str) -> f32,
    mentioned: impl Fn(usize) -> bool,
) -> Side {
    let mut side =
        Side { cover: 0.0, max_idf: 0.0, unmatched_share: 0.0, max_centrality: 0.0, max_salience: 0.0 };
    let (mut matched_weight, mut total_weight, mut unmatched) = (0.0, 0.0, 0usize);
    for (index, word) in words.iter().enumerate() {
        let idf = weights.words[index];
        let weight = idf * boost(word);
        total_weight += weight;
        if mentioned(index) {
            matched_weight += weight;
        } else {
            unmatched += 1;
            side.max_idf = side.max_idf.max(idf);
            side.max_centrality = side.max_centrality.max(weights.centrality[index]);
            side.max_salience = side.max_salience.max(weights.salience[index]);
        }
    }
    side.cover = ratio(matched_weight, total_weight);
    side.unmatched_share = ratio(unmatched as f32, words.len() as f32);
    side
}

/// A score relative to the query's own maximum (can exceed 1 for short documents).
fn relative(score: f32, self_score: f32) -> f32 {
    if self_score > 0.0 { score / self_score } else { 0.0 }
}

fn ratio(part: f32, whole: f32) -> f32 {
    // `+ 0.0` turns a negative zero (an empty float sum) into zero.
    if whole > 0.0 { (part / whole).clamp(0.0, 1.0) + 0.0 } else { 0.0 }
}
