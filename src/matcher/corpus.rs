//! Statistics of the indexed phrasings: BM25 over words, characters and whole entries,
//! document frequencies and knowledge-base word counts.

use std::sync::Arc;

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

/// A query's distinct terms resolved against one scorer, sorted by id, with a small hash
/// table from id to term in which no two of the query's terms share a slot: looking a
/// document's term up is one read and one comparison, never a walk along a probe chain.
#[derive(Debug, Clone)]
pub struct QueryTerms {
    terms: Vec<QueryTerm>,
    /// The terms by slot, ids [`EMPTY_SLOT`] where free.
    table: Box<[QueryTerm]>,
    /// The multiplier of the multiplicative hash that spreads these terms without collision.
    multiplier: u32,
    /// 32 minus the table's bits.
    shift: u32,
}

/// The id of a free slot in [`QueryTerms`]' table (term ids count from zero).
const EMPTY_SLOT: u32 = u32::MAX;

/// Multipliers tried in turn for a collision-free table (odd, bits well mixed).
const MULTIPLIERS: [u32; 4] = [0x9E37_79B9, 0x85EB_CA6B, 0xC2B2_AE35, 0x27D4_EB2F];

impl QueryTerms {
    /// The table of `terms` (distinct ids).
    pub fn new(mut terms: Vec<QueryTerm>) -> QueryTerms {
        terms.sort_unstable_by_key(|term| term.id);
        let empty = QueryTerm { id: EMPTY_SLOT, idf: 0.0, single: false };
        // Sixteen slots a term: a collision-free spread then takes two tries on average.
        let mut bits = (16 * terms.len()).next_power_of_two().max(64).trailing_zeros();
        loop {
            for multiplier in MULTIPLIERS {
                let shift = 32 - bits;
                let mut table = vec![empty; 1 << bits];
                let spread = terms.iter().all(|term| {
                    let slot = &mut table[(term.id.wrapping_mul(multiplier) >> shift) as usize];
                    let free = slot.id == EMPTY_SLOT;
                    *slot = *term;
                    free
                });
                if spread {
                    return QueryTerms { terms, table: table.into_boxed_slice(), multiplier, shift };
                }
            }
            bits += 1;
        }
    }

    /// The slot of term `id`: the term itself if the query has it.
    fn slot(&self, id: u32) -> &QueryTerm {
        &self.table[(id.wrapping_mul(self.multiplier) >> self.shift) as usize]
    }

    /// Term `id`, if the query has it.
    fn get(&self, id: u32) -> Option<&QueryTerm> {
        let term = self.slot(id);
        (term.id == id).then_some(term)
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

/// Term ids by text: a scorer's own, or shared by scorers over the same terms.
pub type Vocabulary = Arc<HashMap<String, u32>>;

/// A BM25 scorer over a fixed set of term lists.
#[derive(Debug, Clone, Default)]
pub struct Bm25 {
    /// Each distinct term's id.
    term_ids: Vocabulary,
    /// Documents containing each term, by id.
    document_frequency: Vec<u32>,
    /// Per document, its terms' ids and BM25 weights before IDF, sorted by id: a few bytes
    /// per term where a map per document cost a kilobyte (tens of thousands of phrasings).
    term_weights: Vec<Box<[(u32, f32)]>>,
    documents: usize,
    average_length: f32,
}

/// A query's distinct terms in text order, each with its id in a scorer's vocabulary (none
/// when no document has it) and how often the query repeats it: looked up once, then
/// weighed by every scorer sharing that vocabulary.
#[derive(Debug, Clone)]
pub struct TermLookup<'q> {
    terms: Vec<LookedUp<'q>>,
    /// The number of terms with repeats.
    length: usize,
}

/// One distinct term of a [`TermLookup`].
#[derive(Debug, Clone, Copy)]
pub struct LookedUp<'q> {
    /// The term.
    pub text: &'q str,
    /// Its id, if some document has it.
    pub id: Option<u32>,
    /// How often the query has it.
    pub count: u32,
}

impl LookedUp<'_> {
    /// True when the term is one character.
    pub fn single(&self) -> bool {
        self.text.chars().nth(1).is_none()
    }
}

impl<'q> TermLookup<'q> {
    /// The looked-up terms, in text order.
    pub fn terms(&self) -> &[LookedUp<'q>] {
        &self.terms
    }

    /// The same lookup restricted to the terms `keep` accepts.
    pub fn filtered(&self, keep: impl Fn(&str) -> bool) -> TermLookup<'q> {
        let terms: Vec<LookedUp<'q>> = self.terms.iter().copied().filter(|term| keep(term.text)).collect();
        TermLookup { length: terms.iter().map(|term| term.count as usize).sum(), terms }
    }
}

impl Bm25 {
    /// Builds the scorer; document `i` is `documents[i]` (terms with repeats).
    pub fn new<S: AsRef<str>>(documents: impl IntoIterator<Item = Vec<S>>) -> Bm25 {
        Bm25::with_vocabulary(Vocabulary::default(), documents)
    }

    /// Builds the scorer with the term ids of `vocabulary`, extended with any term it lacks
    /// (which copies it if it is shared): scorers over the same terms then look a query's
    /// terms up once.
    pub fn with_vocabulary<S: AsRef<str>>(
        mut vocabulary: Vocabulary,
        documents: impl IntoIterator<Item = Vec<S>>,
    ) -> Bm25 {
        let mut document_frequency = vec![0; vocabulary.len()];
        let (mut lengths, mut document_counts) = (Vec::new(), Vec::new());
        for terms in documents {
            let mut ids: Vec<u32> = Vec::with_capacity(terms.len());
            for term in &terms {
                let term = term.as_ref();
                let id = match vocabulary.get(term) {
                    Some(&id) => id,
                    None => {
                        let ids = Arc::make_mut(&mut vocabulary);
                        let id = ids.len() as u32;
                        ids.insert(term.to_string(), id);
                        document_frequency.push(0);
                        id
                    }
                };
                ids.push(id);
            }
            ids.sort_unstable();
            let counts: Vec<(u32, u32)> =
                ids.chunk_by(|a, b| a == b).map(|run| (run[0], run.len() as u32)).collect();
            for &(id, _) in &counts {
                document_frequency[id as usize] += 1;
            }
            lengths.push(terms.len() as u32);
            document_counts.push(counts);
        }
        if let Some(ids) = Arc::get_mut(&mut vocabulary) {
            ids.shrink_to_fit();
        }
        let total: u32 = lengths.iter().sum();
        let mut bm25 = Bm25 {
            term_ids: vocabulary,
            document_frequency,
            term_weights: Vec::new(),
            documents: lengths.len(),
            average_length: total as f32 / lengths.len().max(1) as f32,
        };
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
        bm25
    }

    /// The term ids, to share with a scorer over the same terms.
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.term_ids
    }

    /// Number of documents.
    pub fn documents(&self) -> usize {
        self.documents
    }

    /// Inverse document frequency of the term with id `id`; an unseen term (none) gets the
    /// largest.
    pub fn idf_of(&self, id: Option<u32>) -> f32 {
        let df = id.map_or(0, |id| self.document_frequency_of(id)) as f32;
        (1.0 + (self.documents() as f32 - df + 0.5) / (df + 0.5)).ln()
    }

    /// True when some document contains `term`.
    pub fn contains(&self, term: &str) -> bool {
        self.term_ids.contains_key(term)
    }

    /// The number of documents containing the term with id `id`.
    fn document_frequency_of(&self, id: u32) -> u32 {
        self.document_frequency.get(id as usize).copied().unwrap_or(0)
    }

    /// Looks up the distinct terms of `terms` (with repeats) in the vocabulary.
    pub fn look_up<'q>(&self, terms: &[&'q str]) -> TermLookup<'q> {
        let mut sorted = terms.to_vec();
        sorted.sort_unstable();
        let terms = sorted
            .chunk_by(|a, b| a == b)
            .map(|run| LookedUp {
                text: run[0],
                id: self.term_ids.get(run[0]).copied(),
                count: run.len() as u32,
            })
            .collect();
        TermLookup { terms, length: sorted.len() }
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

    /// The looked-up terms some document has, resolved against this scorer (whose
    /// vocabulary the lookup used), for [`Bm25::score`] (the others score nothing anywhere).
    pub fn query_terms(&self, lookup: &TermLookup<'_>) -> QueryTerms {
        QueryTerms::new(
            lookup
                .terms
                .iter()
                .filter_map(|term| {
                    let id = term.id.filter(|&id| self.document_frequency_of(id) > 0)?;
                    Some(QueryTerm { id, idf: self.idf_of(Some(id)), single: term.single() })
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

    /// The (term id, weight) pairs of `document` (none when it has none), for bringing
    /// them into the cache (see [`super::Matcher`]'s prefetching).
    pub fn document_terms(&self, document: usize) -> &[(u32, f32)] {
        self.term_weights.get(document).map_or(&[], |weights| weights)
    }

    /// BM25 of the query against a document made of the query itself: the most a document
    /// could score, which makes scores comparable across queries.
    pub fn self_score(&self, lookup: &TermLookup<'_>) -> f32 {
        let length = lookup.length as f32;
        // In text order, so the float sum is the same on every run.
        lookup.terms.iter().map(|term| self.term_score(self.idf_of(term.id), term.count as f32, length)).sum()
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
    /// Salience of each content word, by id, once [`CorpusStats::weigh_words`] ran.
    saliences: Vec<f32>,
    /// Content words in all phrasings, with repeats.
    word_total: u32,
    /// The most characters a content word has.
    longest_word: usize,
}

/// A word's corpus weights.
#[derive(Debug, Clone, Copy)]
pub struct WordWeights {
    /// Its id among the phrasings' content words, if one has it.
    pub id: Option<u32>,
    /// Its IDF over the phrasings.
    pub idf: f32,
    /// Share of phrasings containing it: how central it is to this knowledge.
    pub centrality: f32,
    /// How much more frequent it is in this knowledge than in general Chinese.
    pub salience: f32,
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
        // An entry's terms are its phrasings': the same vocabulary.
        let entries = Bm25::with_vocabulary(
            chars.vocabulary().clone(),
            members.iter().map(|phrasings| phrasings.iter().flat_map(|a| a.char_terms()).collect()),
        );
        let content_words = Bm25::new(analyses.iter().map(|a| a.words.iter().map(String::as_str).collect()));
        // A phrasing's content words are distinct: their counts are document frequencies.
        let word_total = content_words.document_frequency.iter().sum();
        let longest_word = content_words.term_ids.keys().map(|word| word.chars().count()).max().unwrap_or(0);
        CorpusStats { words, chars, entries, content_words, saliences: Vec::new(), word_total, longest_word }
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

    /// IDF of a word no phrasing contains: the largest a word can have.
    pub fn unseen_idf(&self) -> f32 {
        (1.0 + (self.phrasings() as f32 + 0.5) / 0.5).ln()
    }

    /// Weighs every content word of the phrasings once (`background` gives a word's
    /// general-language frequency, which takes a dictionary segmentation to find), so a
    /// question's words are looked up in [`CorpusStats::word_weights`], not weighed.
    pub fn weigh_words(&mut self, background: impl Fn(&str) -> usize) {
        let mut saliences = vec![0.0; self.content_words.document_frequency.len()];
        for (word, &id) in self.content_words.term_ids.iter() {
            saliences[id as usize] = self.salience(Some(id), background(word));
        }
        self.saliences = saliences;
    }

    /// The corpus weights of `word`, looked up once; `background` gives the general-language
    /// frequency of a word the phrasings lack (or of any word before
    /// [`CorpusStats::weigh_words`]).
    pub fn word_weights(&self, word: &str, background: impl Fn(&str) -> usize) -> WordWeights {
        let id = self.word_id(word);
        let df = id.map_or(0, |id| self.content_words.document_frequency_of(id));
        let salience = match id.and_then(|id| self.saliences.get(id as usize)) {
            Some(&salience) => salience,
            None => self.salience(id, background(word)),
        };
        WordWeights {
            id,
            idf: self.content_words.idf_of(id),
            centrality: df as f32 / self.phrasings().max(1) as f32,
            salience,
        }
    }

    /// How much more frequent the content word `id` is in this knowledge than in general
    /// Chinese (log ratio, ≥ 0): high for the shop's own topics, low for everyday words.
    fn salience(&self, id: Option<u32>, background_frequency: usize) -> f32 {
        let count = id.map_or(0, |id| self.content_words.document_frequency_of(id));
        let kb = ((count as f32 + 0.5) / self.word_total.max(1) as f32).ln();
        let general = ((background_frequency as f32 + 1.0) / crate::text::BACKGROUND_TOTAL as f32).ln();
        (kb - general).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idf(bm25: &Bm25, term: &str) -> f32 {
        bm25.idf_of(bm25.term_ids.get(term).copied())
    }

    #[test]
    fn self_score_bounds_the_score_of_an_identical_document() {
        let bm25 = Bm25::new(vec![vec!["退款", "多久"], vec!["发票", "怎么", "开"], vec!["退款", "原因"]]);
        let query = bm25.look_up(&["退款", "多久"]);
        let weighted = bm25.query_terms(&query);
        assert!((bm25.score(&weighted, 0) - bm25.self_score(&query)).abs() < 1e-5);
        assert!(bm25.score(&weighted, 2) < bm25.score(&weighted, 0));
        assert_eq!(bm25.score(&weighted, 1), 0.0);
        let unknown = bm25.query_terms(&bm25.look_up(&["从未出现"]));
        assert_eq!(bm25.score(&unknown, 0), 0.0, "an unknown term scores nothing");
    }

    #[test]
    fn the_self_score_counts_repeats_and_unseen_terms() {
        let bm25 = Bm25::new(vec![vec!["退款", "多久"], vec!["发票", "怎么", "开"], vec!["退款", "原因"]]);
        let lookup = bm25.look_up(&["多久", "退款", "从未出现", "退款"]);
        let texts: Vec<(&str, u32)> = lookup.terms().iter().map(|term| (term.text, term.count)).collect();
        assert_eq!(texts, [("从未出现", 1), ("多久", 1), ("退款", 2)], "distinct, in text order");
        let expected: f32 =
            texts.iter().map(|&(term, count)| bm25.term_score(idf(&bm25, term), count as f32, 4.0)).sum();
        assert_eq!(bm25.self_score(&lookup), expected);
        assert!(idf(&bm25, "从未出现") > idf(&bm25, "多久"), "an unseen term weighs most");
    }

    #[test]
    fn a_scorer_sharing_a_vocabulary_scores_as_one_with_its_own() {
        let phrasings = vec![vec!["退", "款", "退款"], vec!["发", "票", "发票"], vec!["款", "多", "款多"]];
        let entries = vec![vec!["退", "款", "退款", "款", "多", "款多"], vec!["发", "票", "发票"]];
        let shared_owner = Bm25::new(phrasings);
        let shared = Bm25::with_vocabulary(shared_owner.vocabulary().clone(), entries.clone());
        let own = Bm25::new(entries);
        assert!(Arc::ptr_eq(shared.vocabulary(), shared_owner.vocabulary()), "nothing new: not copied");
        for query in [vec!["款", "多", "款多"], vec!["发", "票", "退"], vec!["从", "未"]] {
            let (on_shared, on_own) = (shared_owner.look_up(&query), own.look_up(&query));
            assert_eq!(shared.self_score(&on_shared), own.self_score(&on_own));
            let (terms_shared, terms_own) = (shared.query_terms(&on_shared), own.query_terms(&on_own));
            for entry in 0..2 {
                assert_eq!(shared.score(&terms_shared, entry), own.score(&terms_own, entry), "{query:?}");
            }
        }
        // A term the vocabulary lacks is added to a copy; the owner's ids stay as they were.
        let extended = Bm25::with_vocabulary(shared_owner.vocabulary().clone(), vec![vec!["新"]]);
        assert!(extended.contains("新") && !shared_owner.contains("新"));
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
            terms.iter().map(|term| idf(&bm25, term) * bm25.term_score(1.0, tf, length)).sum()
        };
        for terms in [
            vec!["词7", "词3"],
            vec!["词3", "词7", "词11", "词2", "词30", "词39", "词0", "词21", "词5", "词8"],
        ] {
            let query = bm25.query_terms(&bm25.look_up(&terms));
            assert_eq!(bm25.score(&query, 0), expected(&terms, 0), "{terms:?}");
        }
        let query = bm25.query_terms(&bm25.look_up(&["词3", "从未出现", "词7"]));
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
        let salience = |stats: &CorpusStats| -> Vec<f32> {
            words.iter().map(|w| stats.word_weights(w, background).salience).collect()
        };
        let before = salience(&stats);
        stats.weigh_words(background);
        let after = salience(&stats);
        assert_eq!(before, after);
        assert!(after[0] > 0.0, "the knowledge's own word stands out");
        // Counted over the phrasings, as the definition goes.
        let refunds = stats.word_weights("退款", background);
        assert_eq!(refunds.centrality, 0.5, "two phrasings in four");
        assert_eq!(refunds.idf, stats.content_words.idf_of(stats.word_id("退款")));
        assert_eq!(stats.word_weights("从未见过的词", background).id, None);
    }

    #[test]
    fn rare_terms_weigh_more() {
        let bm25 = Bm25::new(vec![vec!["退款", "多久"], vec!["退款", "原因"], vec!["退款"]]);
        assert!(idf(&bm25, "多久") > idf(&bm25, "退款"));
        assert!(idf(&bm25, "从未见过") > idf(&bm25, "多久"));
    }
}
