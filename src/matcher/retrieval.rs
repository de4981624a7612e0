//! Candidate retrieval: a tantivy BM25 index of every phrasing (words and character
//! bigrams), queried with an OR of the query's terms.
//!
//! tantivy's `QueryParser` is not used: unspaced Chinese becomes a phrase query and `:` or
//! `(` are syntax, so the boolean query is built from terms directly.

use std::sync::Arc;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{FAST, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::{TextAnalyzer, WhitespaceTokenizer};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::analysis::Analysis;
use crate::text::{KefuTokenizer, Segmenter, TOKENIZER_NAME};

/// Name of the whitespace tokenizer used for the pre-split bigram field.
const BIGRAM_TOKENIZER: &str = "kefu_bigrams";
/// The fast field holding each document's phrasing ordinal.
const PHRASING_FIELD: &str = "phrasing";
/// Bigrams retrieve typo'd and unsegmented text, but words carry more meaning.
const BIGRAM_BOOST: f32 = 0.5;

/// Why the index could not be built or searched.
#[derive(Debug, thiserror::Error)]
#[error("search index: {0}")]
pub struct RetrievalError(#[from] tantivy::TantivyError);

/// The phrasing index.
pub struct PhrasingIndex {
    reader: IndexReader,
    words: Field,
    bigrams: Field,
}

/// A retrieved phrasing and its BM25 score.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    /// Index into the matcher's phrasing list.
    pub phrasing: usize,
    /// BM25 score (words + boosted bigrams).
    pub bm25: f32,
}

impl PhrasingIndex {
    /// Indexes `analyses` (one per phrasing, in order) in RAM.
    pub fn build(analyses: &[Analysis], segmenter: Arc<Segmenter>) -> Result<PhrasingIndex, RetrievalError> {
        let mut schema = Schema::builder();
        let text_options = |tokenizer: &str| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer)
                    .set_index_option(IndexRecordOption::WithFreqs),
            )
        };
        let words = schema.add_text_field("words", text_options(TOKENIZER_NAME));
        let bigrams = schema.add_text_field("bigrams", text_options(BIGRAM_TOKENIZER));
        let phrasing = schema.add_u64_field(PHRASING_FIELD, FAST);
        let index = Index::create_in_ram(schema.build());
        index.tokenizers().register(TOKENIZER_NAME, TextAnalyzer::from(KefuTokenizer::new(segmenter)));
        index.tokenizers().register(BIGRAM_TOKENIZER, TextAnalyzer::from(WhitespaceTokenizer::default()));
        let mut writer: IndexWriter<TantivyDocument> = index.writer_with_num_threads(1, 50_000_000)?;
        for (ordinal, analysis) in analyses.iter().enumerate() {
            let mut document = TantivyDocument::default();
            document.add_text(words, &analysis.normalized);
            document.add_text(bigrams, analysis.bigram_strings().join(" "));
            document.add_u64(phrasing, ordinal as u64);
            writer.add_document(document)?;
        }
        writer.commit()?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(PhrasingIndex { reader, words, bigrams })
    }

    /// The `limit` best phrasings for an analysed query, best first.
    pub fn search(&self, query: &Analysis, limit: usize) -> Result<Vec<Hit>, RetrievalError> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for word in &query.words {
            let term = Term::from_field_text(self.words, word);
            clauses.push((Occur::Should, Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))));
        }
        for gram in query.bigram_strings() {
            let term =
                TermQuery::new(Term::from_field_text(self.bigrams, &gram), IndexRecordOption::WithFreqs);
            clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(term), BIGRAM_BOOST))));
        }
        if clauses.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let top =
            searcher.search(&BooleanQuery::new(clauses), &TopDocs::with_limit(limit).order_by_score())?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let column = searcher.segment_reader(address.segment_ord).fast_fields().u64(PHRASING_FIELD)?;
            if let Some(ordinal) = column.first(address.doc_id) {
                hits.push(Hit { phrasing: ordinal as usize, bm25: score });
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
        PhrasingIndex::build(&analyses, test_segmenter().clone()).unwrap()
    }

    #[test]
    fn the_phrasing_sharing_the_rare_words_ranks_first() {
        let index = index_of(&["退款多久到账", "怎么修改收货地址", "发票怎么开"]);
        let hits = index.search(&Analysis::new("我的退钱什么时候到账", test_segmenter()), 3).unwrap();
        assert_eq!(hits[0].phrasing, 0);
        assert!(hits.iter().all(|hit| hit.phrasing != 1));
    }

    #[test]
    fn raw_query_syntax_characters_are_harmless() {
        let index = index_of(&["发票怎么开"]);
        let hits = index.search(&Analysis::new("发票: (怎么) \"开\" AND OR", test_segmenter()), 3).unwrap();
        assert_eq!(hits.len(), 1);
    }

    #[test]
    fn an_empty_query_finds_nothing() {
        let index = index_of(&["发票怎么开"]);
        assert!(index.search(&Analysis::new("？？", test_segmenter()), 3).unwrap().is_empty());
    }
}
