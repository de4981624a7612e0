//! Statistics of the indexed phrasings: BM25 over words, characters and whole entries,
//! document frequencies and knowledge-base word counts.

use rustc_hash::FxHashMap as HashMap;

use super::analysis::Analysis;

/// BM25 parameters (Lucene's defaults).
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// A query term some document has, resolved against one scorer: its id there and IDF.
#[derive(Debug, Clone, Copy)]
pub struct QueryTerm {
    id: u32,
    idf: f32,
    /// The term is one character: in the character scorer, a character, not a bigram.
    single: bool,
}

impl QueryTerm {
    /// Its id in the scorer.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Its inverse document frequency.
    pub fn idf(&self) -> f32 {
        self.idf
    }

    /// True when the term is one character.
    pub fn single(&self) -> bool {
        self.single
    }
}

/// A query's distinct terms resolved against one scorer, sorted by id, with a small
/// open-addressing table from id to IDF: scoring a document is then one pass over its own
/// terms with a lookup each, cheaper than a merge of the two sorted lists.
#[derive(Debug, Clone)]
pub struct QueryTerms {
    terms: Vec<QueryTerm>,
    /// The terms by slot, ids [`EMPTY_SLOT`] where free; a power of two at least twice the
    /// terms.
    table: Box<[QueryTerm]>,
}

/// The id of a free slot in [`QueryTerms`]' table (term ids count from zero).
const EMPTY_SLOT: u32 = u32::MAX;

impl QueryTerms {
    /// The table of `terms` (distinct ids).
    pub fn new(mut terms: Vec<QueryTerm>) -> QueryTerms {
        terms.sort_unstable_by_key(|term| term.id);
        let empty = QueryTerm { id: EMPTY_SLOT, idf: 0.0, single: false };
        let mut table = vec![empty; (2 * terms.len()).next_power_of_two().max(8)];
        let mask = table.len() - 1;
        for term in &terms {
            let mut slot = QueryTerms::home(term.id) & mask;
            while table[slot].id != EMPTY_SLOT {
                slot = (slot + 1) & mask;
            }
            table[slot] = *term;
        }
        QueryTerms { terms, table: table.into_boxed_slice() }
    }

    /// A term id's first slot (Fibonacci hashing: ids are dense, the table is small).
    fn home(id: u32) -> usize {
        (id.wrapping_mul(0x9E37_79B9) >> 16) as usize
    }

    /// Term `id`, if the query has it.
    fn get(&self, id: u32) -> Option<&QueryTerm> {
        let mask = self.table.len() - 1;
        let mut slot = QueryTerms::home(id) & mask;
        loop {
            let term = &self.table[slot];
            if term.id == id {
                return Some(term);
            }
            if term.id == EMPTY_SLOT {
                return None;
            }
            slot = (slot + 1) & mask;
        }
    }
}

impl std::ops::Deref for QueryTerms {
    type Target = [QueryTerm];

    fn deref(&self) -> &[QueryTerm] {
        &self.terms
    }
}

/// One document holding a term, with the term's BM25 weight there before IDF.
#[derive(Debug, Clone, Copy)]
pub struct Posting {
    /// The document's ordinal.
    pub document: u32,
    /// The term-frequency part of BM25: the score is this times the term's IDF.
    pub weight: f32,
}

/// A BM25 scorer over a fixed set of term lists.
#[derive(Debug, Clone, Default)]
pub struct Bm25 {
    /// Each distinct term's id.
    term_ids: HashMap<String, u32>,
    /// Documents containing each term, by id.
    document_frequency: Vec<u32>,
    /// Per document, its terms' ids and BM25 weights before IDF, sorted by id: a few bytes
    /// per term where a map per document cost a kilobyte (tens of thousands of phrasings).
    term_weights: Vec<Box<[(u32, f32)]>>,
    documents: usize,
    average_length: f32,
}

impl Bm25 {
    /// Builds the scorer; document `i` is `documents[i]` (terms with repeats).
    pub fn new<S: AsRef<str>>(documents: impl IntoIterator<Item = Vec<S>>) -> Bm25 {
        let mut bm25 = Bm25::default();
        let (mut lengths, mut document_counts) = (Vec::new(), Vec::new());
        for terms in documents {
            let mut ids: Vec<u32> = Vec::with_capacity(terms.len());
            for term in &terms {
                let term = term.as_ref();
                let id = match bm25.term_ids.get(term) {
                    Some(&id) => id,
                    None => {
                        let id = bm25.term_ids.len() as u32;
                        bm25.term_ids.insert(term.to_string(), id);
                        bm25.document_frequency.push(0);
                        id
                    }
                };
                ids.push(id);
            }
            ids.sort_unstable();
            let counts: Vec<(u32, u32)> =
                ids.chunk_by(|a, b| a == b).map(|run| (run[0], run.len() as u32)).collect();
            for &(id, _) in &counts {
                bm25.document_frequency[id as usize] += 1;
            }
            lengths.push(terms.len() as u32);
            document_counts.push(counts);
        }
        bm25.term_ids.shrink_to_fit();
        let total: u32 = lengths.iter().sum();
        bm25.average_length = total as f32 / lengths.len().max(1) as f32;
        // Weights need the average length, known once every document is counted.
        bm25.term_weights = document_counts
            .into_iter()
            .zip(&lengths)
            .map(|(counts, &length)| {
                counts
                    .into_iter()
                    .map(|(id, tf)| (id, bm25.term_score(1.0, tf as f32, length as f32)))
                    .collect()
            })
            .collect();
        bm25.documents = lengths.len();
        bm25
    }

    /// Number of documents.
    pub fn documents(&self) -> usize {
        self.documents
    }

    /// Inverse document frequency; an unseen term gets the largest.
    pub fn idf(&self, term: &str) -> f32 {
        let df = self.document_frequency(term) as f32;
        (1.0 + (self.documents() as f32 - df + 0.5) / (df + 0.5)).ln()
    }

    /// True when some document contains `term`.
    pub fn contains(&self, term: &str) -> bool {
        self.term_ids.contains_key(term)
    }

    /// The number of documents containing `term`.
    pub fn document_frequency(&self, term: &str) -> u32 {
        self.term_ids.get(term).map_or(0, |&id| self.document_frequency[id as usize])
    }

    fn term_score(&self, idf: f32, tf: f32, length: f32) -> f32 {
        idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * length / self.average_length.max(f32::EPSILON)))
    }

    /// For each term id, the documents holding the term, in document order: an inverted
    /// index that scores exactly as [`Bm25::score`] does.
    pub fn postings(&self) -> Vec<Box<[Posting]>> {
        let mut lists: Vec<Vec<Posting>> =
            self.document_frequency.iter().map(|&n| Vec::with_capacity(n as usize)).collect();
        for (document, weights) in self.term_weights.iter().enumerate() {
            for &(id, weight) in weights.iter() {
                lists[id as usize].push(Posting { document: document as u32, weight });
            }
        }
        lists.into_iter().map(Vec::into_boxed_slice).collect()
    }

    /// The distinct `terms` of a query that some document has, resolved against this
    /// scorer, for [`Bm25::score`] (the others score nothing anywhere).
    pub fn query_terms(&self, terms: &[&str]) -> QueryTerms {
        QueryTerms::new(
            terms
                .iter()
                .filter_map(|term| {
                    let id = *self.term_ids.get(*term)?;
                    Some(QueryTerm { id, idf: self.idf(term), single: term.chars().nth(1).is_none() })
                })
                .collect(),
        )
    }

    /// BM25 of `document` for the query terms of [`Bm25::query_terms`].
    pub fn score(&self, query: &QueryTerms, document: usize) -> f32 {
        let mut total = 0.0;
        self.for_each_match(query, document, |_, score| total += score);
        total
    }

    /// Calls `matched` with each query term `document` has and the term's BM25 there, in
    /// the document's term order (so float sums come out the same for every caller).
    pub fn for_each_match(
        &self,
        query: &QueryTerms,
        document: usize,
        mut matched: impl FnMut(&QueryTerm, f32),
    ) {
        for &(id, weight) in self.term_weights.get(document).map_or(&[][..], |weights| weights) {
            if let Some(term) = query.get(id) {
                matched(term, term.idf * weight);
            }
        }
    }

    /// The first term id of `document` (zero when it has none): reading it brings the
    /// document's terms into the cache (see [`super::Matcher`]'s prefetching).
    pub fn first_term(&self, document: usize) -> u32 {
        self.term_weights.get(document).and_then(|weights| weights.first()).map_or(0, |&(id, _)| id)
    }

    /// BM25 of the query against a document made of the query itself: the most a document
    /// could score, which makes scores comparable across queries.
    pub fn self_score(&self, query_with_repeats: &[&str]) -> f32 {
        let mut terms = query_with_repeats.to_vec();
        terms.sort_unstable();
        let length = terms.len() as f32;
        // Sorted, so the float sum is the same on every run.
        terms
            .chunk_by(|a, b| a == b)
            .map(|run| self.term_score(self.idf(run[0]), run.len() as f32, length))
            .sum()
    }
}

/// Everything the features need to know about the corpus of phrasings.
#[derive(Debug, Clone, Default)]
pub struct CorpusStats {
    /// BM25 over the phrasings' search-mode words.
    pub words: Bm25,
    /// BM25 over the phrasings' characters and bigrams.
    pub chars: Bm25,
    /// BM25 over whole entries (all their phrasings' characters and bigrams).
    pub entries: Bm25,
    content_words: Bm25,
    word_counts: HashMap<String, u32>,
    /// Salience of each content word, by id, once [`CorpusStats::weigh_words`] ran.
    saliences: Vec<f32>,
    word_total: u32,
    /// The most characters a content word has.
    longest_word: usize,
}

impl CorpusStats {
    /// Counts the phrasings (`analyses`, with `targets[i]` the entry of phrasing `i`).
    pub fn new(analyses: &[&Analysis], targets: &[usize], target_count: usize) -> CorpusStats {
        let words = Bm25::new(analyses.iter().map(|a| a.search_terms.iter().map(String::as_str).collect()));
        let chars = Bm25::new(analyses.iter().map(|a| a.char_terms()));
        let mut members: Vec<Vec<&Analysis>> = vec![Vec::new(); target_count];
        for (analysis, &target) in analyses.iter().zip(targets) {
            members[target].push(analysis);
        }
        // One entry's terms at a time: all of them at once would be a large build's peak.
        let entries = Bm25::new(
            members.iter().map(|phrasings| phrasings.iter().flat_map(|a| a.char_terms()).collect()),
        );
        let content_words = Bm25::new(analyses.iter().map(|a| a.words.iter().map(String::as_str).collect()));
        let mut word_counts: HashMap<String, u32> = HashMap::default();
        for word in analyses.iter().flat_map(|a| &a.words) {
            *word_counts.entry(word.clone()).or_default() += 1;
        }
        let word_total = word_counts.values().sum();
        let longest_word = word_counts.keys().map(|word| word.chars().count()).max().unwrap_or(0);
        CorpusStats {
            words,
            chars,
            entries,
            content_words,
            word_counts,
            word_total,
            longest_word,
            saliences: Vec::new(),
        }
    }

    /// The id of a content word some phrasing has.
    pub fn word_id(&self, word: &str) -> Option<u32> {
        self.content_words.term_ids.get(word).copied()
    }

    /// The ids of the content words (of any phrasing) that `text` mentions: those among its
    /// `words`, and those of two characters or more found anywhere in its `compact` form.
    pub fn mentioned_words(&self, words: &[String], compact: &str) -> Vec<u32> {
        let mut ids: Vec<u32> = words.iter().filter_map(|word| self.word_id(word)).collect();
        let boundaries: Vec<usize> =
            compact.char_indices().map(|(at, _)| at).chain(std::iter::once(compact.len())).collect();
        let chars = boundaries.len() - 1;
        for length in 2..=self.longest_word.min(chars) {
            for start in 0..=chars - length {
                ids.extend(self.word_id(&compact[boundaries[start]..boundaries[start + length]]));
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Number of phrasings.
    pub fn phrasings(&self) -> usize {
        self.words.documents()
    }

    /// IDF of a content word over the phrasings.
    pub fn word_idf(&self, word: &str) -> f32 {
        self.content_words.idf(word)
    }

    /// IDF of a word no phrasing contains: the largest a word can have.
    pub fn unseen_idf(&self) -> f32 {
        (1.0 + (self.phrasings() as f32 + 0.5) / 0.5).ln()
    }

    /// Share of phrasings containing the content word: how central it is to this knowledge.
    pub fn knowledge_frequency(&self, word: &str) -> f32 {
        self.content_words.document_frequency(word) as f32 / self.phrasings().max(1) as f32
    }

    /// True when no phrasing has `word`, neither as a content word nor as a search term.
    pub fn is_unknown_word(&self, word: &str) -> bool {
        !self.content_words.contains(word) && !self.words.contains(word)
    }

    /// Weighs every content word of the phrasings once (`background` gives a word's
    /// general-language frequency, which takes a dictionary segmentation to find), so a
    /// question's words are looked up in [`CorpusStats::word_salience`], not weighed.
    pub fn weigh_words(&mut self, background: impl Fn(&str) -> usize) {
        let mut saliences = vec![0.0; self.content_words.document_frequency.len()];
        for (word, &id) in &self.content_words.term_ids {
            saliences[id as usize] = self.salience(word, background(word));
        }
        self.saliences = saliences;
    }

    /// How much more frequent `word` is in this knowledge than in general Chinese (log
    /// ratio, ≥ 0): high for the shop's own topics, low for everyday words. Looked up for
    /// the phrasings' words once they are weighed; `background` serves the others.
    pub fn word_salience(&self, word: &str, background: impl Fn(&str) -> usize) -> f32 {
        match self.word_id(word).and_then(|id| self.saliences.get(id as usize)) {
            Some(&salience) => salience,
            None => self.salience(word, background(word)),
        }
    }

    fn salience(&self, word: &str, background_frequency: usize) -> f32 {
        let kb = ((self.word_counts.get(word).copied().unwrap_or(0) as f32 + 0.5)
            / self.word_total.max(1) as f32)
            .ln();
        let general = ((background_frequency as f32 + 1.0) / crate::text::BACKGROUND_TOTAL as f32).ln();
        (kb - general).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_score_bounds_the_score_of_an_identical_document() {
        let bm25 = Bm25::new(vec![vec!["退款", "多久"], vec!["发票", "怎么", "开"], vec!["退款", "原因"]]);
        let query = ["退款", "多久"];
        let weighted = bm25.query_terms(&query);
        assert!((bm25.score(&weighted, 0) - bm25.self_score(&query)).abs() < 1e-5);
        assert!(bm25.score(&weighted, 2) < bm25.score(&weighted, 0));
        assert_eq!(bm25.score(&weighted, 1), 0.0);
        assert_eq!(bm25.score(&bm25.query_terms(&["从未出现"]), 0), 0.0, "an unknown term scores nothing");
    }

    #[test]
    fn long_and_short_documents_score_the_same_way() {
        let long: Vec<String> = (0..40).map(|n| format!("词{n}")).collect();
        let bm25 = Bm25::new(vec![long.iter().map(String::as_str).collect(), vec!["词3", "词7", "别的"]]);
        // Scored term by term, as the definition goes: IDF times the weight before IDF.
        let expected = |terms: &[&str], document: usize| -> f32 {
            let (length, tf) = if document == 0 { (40.0, 1.0) } else { (3.0, 1.0) };
            let mut terms = terms.to_vec();
            terms.sort_by_key(|term| bm25.term_ids[*term]);
            terms.iter().map(|term| bm25.idf(term) * bm25.term_score(1.0, tf, length)).sum()
        };
        for terms in [
            vec!["词7", "词3"],
            vec!["词3", "词7", "词11", "词2", "词30", "词39", "词0", "词21", "词5", "词8"],
        ] {
            let query = bm25.query_terms(&terms);
            assert_eq!(bm25.score(&query, 0), expected(&terms, 0), "{terms:?}");
        }
        let query = bm25.query_terms(&["词3", "从未出现", "词7"]);
        assert_eq!(query.len(), 2);
        assert_eq!(bm25.score(&query, 1), expected(&["词3", "词7"], 1));
    }

    #[test]
    fn the_query_table_finds_exactly_the_query_terms() {
        for count in [0, 1, 3, 8, 50, 300] {
            // Ids a multiple of 7 apart collide in a small table more than dense ones.
            let terms: Vec<QueryTerm> = (0..count)
                .map(|n| QueryTerm { id: 7 * n as u32, idf: n as f32 + 0.5, single: n % 2 == 0 })
                .rev()
                .collect();
            let table = QueryTerms::new(terms);
            assert!(table.windows(2).all(|w| w[0].id < w[1].id), "sorted by id");
            for id in 0..7 * count as u32 + 20 {
                let expected = (id % 7 == 0 && id < 7 * count as u32).then_some((id / 7) as f32 + 0.5);
                assert_eq!(table.get(id).map(|term| term.idf), expected, "{count} terms, id {id}");
                assert!(table.get(id).is_none_or(|term| term.single == (id % 14 == 0)));
            }
        }
    }

    #[test]
    fn mentioned_words_are_those_the_text_has_or_contains() {
        use crate::text::test_segmenter;
        let texts = ["退款多久到账", "发票怎么开", "七天无理由退货可以吗", "订单一直没发货", "退钱", "a"];
        let analyses: Vec<Analysis> = texts.iter().map(|t| Analysis::new(t, test_segmenter())).collect();
        let refs: Vec<&Analysis> = analyses.iter().collect();
        let stats = CorpusStats::new(&refs, &[0, 1, 2, 3, 4, 5], 6);
        let vocabulary: Vec<&String> = analyses.iter().flat_map(|a| &a.words).collect();
        for query in ["我的退款多久能到账啊", "款到", "开发票", "七天无理由", "没发货的订单退钱", "", "a b"]
        {
            let query = Analysis::new(query, test_segmenter());
            let mentioned = stats.mentioned_words(&query.words, &query.compact);
            for word in &vocabulary {
                let id = stats.word_id(word).unwrap();
                let expected = query.words.contains(word) || query.contains_word(word);
                assert_eq!(mentioned.contains(&id), expected, "{:?} mentions {word}", query.compact);
            }
        }
    }

    #[test]
    fn weighed_words_keep_the_salience_the_definition_gives() {
        use crate::text::test_segmenter;
        let texts = ["退款多久到账", "发票怎么开", "七天无理由退货可以吗", "退款原因"];
        let analyses: Vec<Analysis> = texts.iter().map(|t| Analysis::new(t, test_segmenter())).collect();
        let refs: Vec<&Analysis> = analyses.iter().collect();
        let mut stats = CorpusStats::new(&refs, &[0, 1, 2, 3], 4);
        let background = |word: &str| test_segmenter().background_frequency(word);
        let words = ["退款", "发票", "无理由", "从未见过的词", "的"];
        let before: Vec<f32> = words.iter().map(|w| stats.word_salience(w, background)).collect();
        stats.weigh_words(background);
        let after: Vec<f32> = words.iter().map(|w| stats.word_salience(w, background)).collect();
        assert_eq!(before, after);
        assert!(after[0] > 0.0, "the knowledge's own word stands out");
    }

    #[test]
    fn rare_terms_weigh_more() {
        let bm25 = Bm25::new(vec![vec!["退款", "多久"], vec!["退款", "原因"], vec!["退款"]]);
        assert!(bm25.idf("多久") > bm25.idf("退款"));
        assert!(bm25.idf("从未见过") > bm25.idf("多久"));
    }
}
