//! Features of a (query, phrasing) pair: each comparable across queries, mostly in [0, 1].
//!
//! Raw BM25 grows with query length, so it only retrieves; the features here describe how
//! much of each side the other covers, how similar the strings are, and — the strongest
//! near-miss signal — how important the words are that only one side has.

use super::analysis::{Analysis, CorpusStats};

/// The pair features, in the order of [`FEATURE_NAMES`].
pub type PairFeatures = [f32; FEATURE_COUNT];

/// Number of pair features.
pub const FEATURE_COUNT: usize = 12;

/// Names of the pair features, as shown in explanations and fitted models.
pub const FEATURE_NAMES: [&str; FEATURE_COUNT] = [
    "word_query_coverage",
    "word_phrasing_coverage",
    "bigram_dice",
    "char_query_coverage",
    "char_phrasing_coverage",
    "edit_similarity",
    "common_substring",
    "bm25_relative",
    "query_unmatched_idf",
    "phrasing_unmatched_idf",
    "keyword_hit",
    "length_ratio",
];

/// What the feature computation needs to know about a phrasing's entry.
pub struct EntryContext<'a> {
    /// The entry's keywords (normalised).
    pub keywords: &'a [String],
}

/// Computes the features of `query` against `phrasing`.
pub fn pair_features(
    query: &Analysis,
    phrasing: &Analysis,
    entry: &EntryContext<'_>,
    stats: &CorpusStats,
    bm25_relative: f32,
) -> PairFeatures {
    let max_idf = stats.max_idf().max(f32::EPSILON);
    let query_idf: Vec<f32> = query.words.iter().map(|w| stats.idf(w)).collect();
    let phrasing_idf: Vec<f32> = phrasing.words.iter().map(|w| stats.idf(w)).collect();
    let mut common = 0.0;
    let mut query_unmatched: f32 = 0.0;
    for (word, idf) in query.words.iter().zip(&query_idf) {
        if phrasing.words.contains(word) {
            common += idf;
        } else {
            query_unmatched = query_unmatched.max(*idf);
        }
    }
    let phrasing_unmatched = phrasing
        .words
        .iter()
        .zip(&phrasing_idf)
        .filter(|(word, _)| !query.words.contains(word))
        .map(|(_, idf)| *idf)
        .fold(0.0, f32::max);
    let query_total: f32 = query_idf.iter().sum();
    let phrasing_total: f32 = phrasing_idf.iter().sum();
    let keyword_hit = if entry.keywords.is_empty() {
        0.0
    } else if entry.keywords.iter().any(|k| query.normalized.contains(k.as_str())) {
        1.0
    } else {
        -1.0
    };
    [
        ratio(common, query_total),
        ratio(common, phrasing_total),
        bigram_dice(query, phrasing),
        char_coverage(&query.chars, &phrasing.chars),
        char_coverage(&phrasing.chars, &query.chars),
        edit_similarity(&query.chars, &phrasing.chars),
        ratio(longest_common_substring(&query.chars, &phrasing.chars) as f32, query.chars.len() as f32),
        bm25_relative,
        query_unmatched / max_idf,
        phrasing_unmatched / max_idf,
        keyword_hit,
        ratio(
            query.chars.len().min(phrasing.chars.len()) as f32,
            query.chars.len().max(phrasing.chars.len()) as f32,
        ),
    ]
}

fn ratio(part: f32, whole: f32) -> f32 {
    if whole > 0.0 { (part / whole).clamp(0.0, 1.0) } else { 0.0 }
}

fn bigram_dice(a: &Analysis, b: &Analysis) -> f32 {
    let (left, right) = (a.bigrams(), b.bigrams());
    let common = left.iter().filter(|gram| right.binary_search(gram).is_ok()).count();
    ratio(2.0 * common as f32, (left.len() + right.len()) as f32)
}

/// Share of `of`'s characters that occur in `within`.
fn char_coverage(of: &[char], within: &[char]) -> f32 {
    let found = of.iter().filter(|c| within.contains(c)).count();
    ratio(found as f32, of.len() as f32)
}

/// 1 − Levenshtein distance / longer length, over characters.
fn edit_similarity(a: &[char], b: &[char]) -> f32 {
    let longer = a.len().max(b.len());
    if longer == 0 {
        return 0.0;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    1.0 - previous[b.len()] as f32 / longer as f32
}

/// Length of the longest run of characters both texts share.
fn longest_common_substring(a: &[char], b: &[char]) -> usize {
    let mut best = 0;
    let mut previous = vec![0usize; b.len() + 1];
    let mut current = vec![0usize; b.len() + 1];
    for ca in a {
        for (j, cb) in b.iter().enumerate() {
            current[j + 1] = if ca == cb { previous[j] + 1 } else { 0 };
            best = best.max(current[j + 1]);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(text: &str) -> Vec<char> {
        text.chars().collect()
    }

    #[test]
    fn edit_similarity_is_one_for_equal_text_and_drops_per_edit() {
        assert_eq!(edit_similarity(&chars("退款多久"), &chars("退款多久")), 1.0);
        assert_eq!(edit_similarity(&chars("退款多久"), &chars("退钱多久")), 0.75);
        assert_eq!(edit_similarity(&chars(""), &chars("")), 0.0);
    }

    #[test]
    fn longest_common_substring_counts_the_longest_shared_run() {
        assert_eq!(longest_common_substring(&chars("怎么申请退款"), &chars("退款怎么申请")), 4);
    }

    #[test]
    fn char_coverage_is_the_share_found_on_the_other_side() {
        assert_eq!(char_coverage(&chars("退款"), &chars("退货")), 0.5);
    }
}
