//! Candidate retrieval: a tantivy BM25 index of every phrasing, searched twice — by words
//! and by characters and character bigrams — each an OR of the query's terms. Words find
//! paraphrases that share vocabulary; characters find typos and text jieba cut differently.
//!
//! tantivy's `QueryParser` is not used: unspaced Chinese becomes a phrase query and `:` or
//! `(` are syntax, so the boolean query is built from terms directly.

use std::sync::Arc;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{FAST, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{TextAnalyzer, WhitespaceTokenizer};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};

use super::analysis::Analysis;
use crate::text::{KefuTokenizer, Segmenter, TOKENIZER_NAME};

/// Name of the whitespace tokenizer used for the pre-split character field.
const CHAR_TOKENIZER: &str = "kefu_chars";
/// Terms in more than one phrasing in this many are left out of a search …
const COMMON_TERM_SHARE: u64 = 4;
/// … and in more than this many phrasings (a small knowledge base keeps every term).
const COMMON_TERM_MIN: u64 = 50;
/// The fast field holding each document's phrasing ordinal.
const PHRASING_FIELD: &str = "phrasing";

/// Why the index could not be built or searched.
#[derive(Debug, thiserror::Error)]
#[error("search index: {0}")]
pub struct RetrievalError(#[from] tantivy::TantivyError);

/// The phrasing index.
pub struct PhrasingIndex {
    reader: IndexReader,
    words: Field,
    chars: Field,
}

impl PhrasingIndex {
    /// Indexes `analyses` (one per phrasing, in order) in RAM.
    pub fn build(analyses: &[&Analysis], segmenter: Arc<Segmenter>) -> Result<PhrasingIndex, RetrievalError> {
        let mut schema = Schema::builder();
        let text_options = |tokenizer: &str| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer)
                    .set_index_option(IndexRecordOption::WithFreqs),
            )
        };
        let words = schema.add_text_field("words", text_options(TOKENIZER_NAME));
        let chars = schema.add_text_field("chars", text_options(CHAR_TOKENIZER));
        let phrasing = schema.add_u64_field(PHRASING_FIELD, FAST);
        let index = Index::create_in_ram(schema.build());
        index.tokenizers().register(TOKENIZER_NAME, TextAnalyzer::from(KefuTokenizer::new(segmenter)));
        index.tokenizers().register(CHAR_TOKENIZER, TextAnalyzer::from(WhitespaceTokenizer::default()));
        let mut writer: IndexWriter<TantivyDocument> = index.writer_with_num_threads(1, 50_000_000)?;
        for (ordinal, analysis) in analyses.iter().enumerate() {
            let mut document = TantivyDocument::default();
            document.add_text(words, &analysis.normalized);
            document.add_text(chars, analysis.char_terms.join(" "));
            document.add_u64(phrasing, ordinal as u64);
            writer.add_document(document)?;
        }
        writer.commit()?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(PhrasingIndex { reader, words, chars })
    }

    /// The `per_field` best phrasings by words and the `per_field` best by characters, each
    /// list best first, merged without repeats (words first).
    pub fn search(&self, query: &Analysis, per_field: usize) -> Result<Vec<usize>, RetrievalError> {
        let searcher = self.reader.searcher();
        let mut found = Vec::new();
        for (field, terms) in [(self.words, &query.search_terms), (self.chars, &query.char_terms)] {
            for phrasing in self.search_field(&searcher, field, terms, per_field)? {
                if !found.contains(&phrasing) {
                    found.push(phrasing);
                }
            }
        }
        Ok(found)
    }

    fn search_field(
        &self,
        searcher: &Searcher,
        field: Field,
        terms: &[String],
        limit: usize,
    ) -> Result<Vec<usize>, RetrievalError> {
        let mut distinct: Vec<&String> = terms.iter().collect();
        distinct.sort_unstable();
        distinct.dedup();
        // A term in a large share of the phrasings adds almost nothing to any score, but its
        // long posting list is much of the search's work: leave it out, unless nothing else
        // is left.
        let common = (searcher.num_docs() / COMMON_TERM_SHARE).max(COMMON_TERM_MIN);
        let mut terms = Vec::with_capacity(distinct.len());
        for text in distinct {
            let term = Term::from_field_text(field, text);
            let frequency = searcher.doc_freq(&term)?;
            terms.push((term, frequency));
        }
        if terms.iter().any(|(_, frequency)| *frequency <= common) {
            terms.retain(|(_, frequency)| *frequency <= common);
        }
        let clauses: Vec<(Occur, Box<dyn Query>)> = terms
            .into_iter()
            .map(|(term, _)| {
                let query = TermQuery::new(term, IndexRecordOption::WithFreqs);
                (Occur::Should, Box::new(query) as Box<dyn Query>)
            })
            .collect();
        if clauses.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let top =
            searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(limit).order_by_score())?;
        let mut hits = Vec::with_capacity(top.len());
        // Opening a segment's column decodes its header: once per segment, not per hit.
        let mut column = None;
        for (_, address) in top {
            let segment_column = match &column {
                Some((segment, column)) if *segment == address.segment_ord => column,
                _ => {
                    let opened =
                        searcher.segment_reader(address.segment_ord).fast_fields().u64(PHRASING_FIELD)?;
                    &column.insert((address.segment_ord, opened)).1
                }
            };
            if let Some(ordinal) = segment_column.first(address.doc_id) {
                hits.push(ordinal as usize);
            }
        }
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::test_segmenter;

    fn index_of(texts: &[&str]) -> PhrasingIndex {
        let analyses: Vec<Analysis> = texts.iter().map(|t| Analysis::new(t, test_segmenter())).collect();
        PhrasingIndex::build(&analyses.iter().collect::<Vec<_>>(), test_segmenter().clone()).unwrap()
    }

    #[test]
    fn the_phrasing_sharing_the_rare_words_ranks_first() {
        let index = index_of(&["退款多久到账", "怎么修改收货地址", "发票开具"]);
        let hits = index.search(&Analysis::new("我的退钱什么时候到账", test_segmenter()), 3).unwrap();
        assert_eq!(hits[0], 0);
        // Nothing in common, not even a character.
        assert!(!hits.contains(&2));
    }

    #[test]
    fn raw_query_syntax_characters_are_harmless() {
        let index = index_of(&["发票怎么开"]);
        let hits = index.search(&Analysis::new("发票: (怎么) \"开\" AND OR", test_segmenter()), 3).unwrap();
        assert_eq!(hits.len(), 1);
    }

    #[test]
    fn terms_in_most_phrasings_are_left_out_unless_nothing_else_is_left() {
        let mut texts: Vec<String> = (0..300).map(|n| format!("订单{n}号的物流")).collect();
        texts.push("发票抬头写错了怎么办".to_string());
        let index = index_of(&texts.iter().map(String::as_str).collect::<Vec<_>>());
        // "订单", "物流" and their characters are in every phrasing but one: the rare words decide.
        let hits = index.search(&Analysis::new("订单的发票抬头", test_segmenter()), 5).unwrap();
        assert_eq!(hits[0], 300);
        // Only common terms: they are searched after all.
        let hits = index.search(&Analysis::new("物流订单", test_segmenter()), 5).unwrap();
        assert!(hits.len() >= 5, "{hits:?}");
        assert!(!hits.contains(&300));
    }

    #[test]
    fn an_empty_query_finds_nothing() {
        let index = index_of(&["发票怎么开"]);
        assert!(index.search(&Analysis::new("？？", test_segmenter()), 3).unwrap().is_empty());
    }
}
