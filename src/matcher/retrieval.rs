//! Candidate retrieval: BM25 over the phrasings' words and over their characters and
//! character bigrams, each an OR of the query's terms. Characters find paraphrases, typos
//! and text jieba cut differently; words find what a synonym says with other characters.
//!
//! The index is the corpus statistics' own term ids turned into posting lists held in RAM,
//! scored a term at a time into one accumulator per phrasing, the terms that can add most
//! first. Once the remaining terms together could not lift a phrasing without a score to
//! the best so far, new phrasings stop entering, and the remaining lists are only looked
//! into for the phrasings still in the running (MaxScore). The results are exact, the same
//! BM25 the reranker's features compute.

use std::cell::RefCell;
use std::collections::BinaryHeap;

use super::corpus::{Bm25, Posting, QueryTerm};

/// Terms in more than one phrasing in this many are left out of a search …
const COMMON_TERM_SHARE: usize = 4;
/// … and in more than this many phrasings (a small knowledge base keeps every term).
const COMMON_TERM_MIN: usize = 50;

/// Bounds are compared with this much to spare: float sums in another order may round up.
const ROUNDING_MARGIN: f32 = 1.0001;

/// Seeking one phrasing in a posting list costs about this many postings read in a row.
const SEEK_COST: usize = 16;

/// The posting lists of one scorer, with each list's largest weight and each phrasing's.
struct Postings {
    lists: Vec<Box<[Posting]>>,
    max_weights: Vec<f32>,
    /// The largest weight any term has in each phrasing (short phrasings weigh more).
    phrasing_max_weights: Vec<f32>,
}

impl Postings {
    fn new(bm25: &Bm25) -> Postings {
        let lists = bm25.postings();
        let max_weights =
            lists.iter().map(|list| list.iter().map(|p| p.weight).fold(0.0, f32::max)).collect();
        let mut phrasing_max_weights = vec![0.0f32; bm25.documents()];
        for posting in lists.iter().flat_map(|list| list.iter()) {
            let max = &mut phrasing_max_weights[posting.document as usize];
            *max = max.max(posting.weight);
        }
        Postings { lists, max_weights, phrasing_max_weights }
    }
}

/// The phrasing index.
pub struct PhrasingIndex {
    words: Postings,
    chars: Postings,
    phrasings: usize,
}

/// One query term in a search: its IDF, posting list, and the most it can add.
struct SearchTerm<'a> {
    idf: f32,
    list: &'a [Posting],
    bound: f32,
}

/// Per-thread buffers of a search, kept between searches so a query allocates nothing
/// proportional to the knowledge base.
#[derive(Default)]
struct Scratch {
    /// Score of every phrasing so far; zero for those no term reached or that dropped out.
    scores: Vec<f32>,
    /// The phrasings some term reached (and, once no new ones can enter, those that did
    /// and are still in the running).
    reached: Vec<u32>,
    /// The best phrasings so far and the lowest score among them.
    leaders: Leaders,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

/// The `limit` best-scoring phrasings after the last term, and the lowest score among them
/// (zero while fewer have a score): a phrasing that ends below it cannot make the list.
/// Scores only grow, so between updates it is a safe lower bound.
#[derive(Default)]
struct Leaders {
    members: Vec<u32>,
    /// Per phrasing, whether it is a member.
    member: Vec<bool>,
    /// Phrasings not members whose score rose above `lowest` during the current term.
    risen: Vec<u32>,
    /// The contenders, while updating.
    contenders: Vec<Leader>,
    limit: usize,
    lowest: f32,
}

impl Leaders {
    fn reset(&mut self, limit: usize, phrasings: usize) {
        for &phrasing in &self.members {
            self.member[phrasing as usize] = false;
        }
        if self.member.len() < phrasings {
            self.member.resize(phrasings, false);
        }
        self.members.clear();
        self.risen.clear();
        self.limit = limit;
        self.lowest = 0.0;
    }

    /// What one term's pass adds scores with (its fields copied out of `self`, so the
    /// pass keeps them in registers).
    fn adder(&mut self) -> Adder<'_> {
        Adder { member: &self.member, risen: &mut self.risen, lowest: self.lowest }
    }

    /// After a term: the leaders are the best of the old leaders and the risen.
    fn update(&mut self, scores: &[f32]) {
        if self.risen.is_empty() && self.members.len() == self.limit {
            // Members' scores may have grown, which only raises the floor: recompute it.
            self.lowest = self.members.iter().map(|&p| scores[p as usize]).fold(f32::INFINITY, f32::min);
            return;
        }
        // The worst leader on top: a risen phrasing only has to beat it (most do not once
        // the first term has filled the places).
        let mut contenders = std::mem::take(&mut self.contenders);
        contenders.clear();
        contenders.extend(self.members.iter().map(|&p| Leader::new(scores[p as usize], p)));
        let mut heap = BinaryHeap::from(contenders);
        for &phrasing in &self.risen {
            let contender = Leader::new(scores[phrasing as usize], phrasing);
            if heap.len() < self.limit {
                heap.push(contender);
            } else if let Some(mut worst) = heap.peek_mut()
                && contender < *worst
            {
                *worst = contender;
            }
        }
        self.risen.clear();
        for &phrasing in &self.members {
            self.member[phrasing as usize] = false;
        }
        self.members.clear();
        for phrasing in heap.iter().map(|leader| leader.phrasing()) {
            self.members.push(phrasing);
            self.member[phrasing as usize] = true;
        }
        if heap.len() == self.limit {
            self.lowest = heap.peek().map_or(0.0, |worst| worst.score());
        }
        self.contenders = heap.into_vec();
    }
}

/// Adds one term's points to phrasings' scores, noting those that rose above the leaders'
/// floor. A term adds to a phrasing at most once, so `risen` holds no repeats.
struct Adder<'a> {
    member: &'a [bool],
    risen: &'a mut Vec<u32>,
    lowest: f32,
}

impl Adder<'_> {
    fn add(&mut self, scores: &mut [f32], phrasing: u32, points: f32) {
        let score = &mut scores[phrasing as usize];
        *score += points;
        if *score > self.lowest && !self.member[phrasing as usize] {
            self.risen.push(phrasing);
        }
    }

    /// Adds a term's points to the phrasings of `postings` that have a score.
    fn add_running(&mut self, scores: &mut [f32], postings: &[Posting], idf: f32) {
        for posting in postings {
            if scores[posting.document as usize] > 0.0 {
                self.add(scores, posting.document, idf * posting.weight);
            }
        }
    }
}

/// The first position at or after `from` whose phrasing is not before `phrasing`
/// (galloping: cheap for near targets, logarithmic for far ones).
fn seek(list: &[Posting], from: usize, phrasing: u32) -> usize {
    let mut step = 1;
    while from + step < list.len() && list[from + step].document < phrasing {
        step *= 2;
    }
    let end = (from + step + 1).min(list.len());
    from + list[from.min(end)..end].partition_point(|p| p.document < phrasing)
}

/// A phrasing and its score, ordered best score first; ties go to the earlier phrasing,
/// so results never depend on the order phrasings were met in. One integer: the bits of a
/// score that is not negative order as the score does, so a comparison is one instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Leader(u64);

impl Leader {
    fn new(score: f32, phrasing: u32) -> Leader {
        debug_assert!(score >= 0.0, "BM25 scores are not negative");
        Leader((u64::from(!score.to_bits()) << 32) | u64::from(phrasing))
    }

    fn phrasing(self) -> u32 {
        self.0 as u32
    }

    fn score(self) -> f32 {
        f32::from_bits(!((self.0 >> 32) as u32))
    }
}

impl PhrasingIndex {
    /// Indexes the documents of the word and the character scorers (one per phrasing).
    pub fn build(words: &Bm25, chars: &Bm25) -> PhrasingIndex {
        PhrasingIndex {
            words: Postings::new(words),
            chars: Postings::new(chars),
            phrasings: words.documents(),
        }
    }

    /// The `limits.0` best phrasings for the distinct word terms and the `limits.1` best
    /// for the distinct character terms (each resolved against the scorer the index was
    /// built from), each list best first, merged without repeats (words first).
    pub fn search(&self, words: &[QueryTerm], chars: &[QueryTerm], limits: (usize, usize)) -> Vec<usize> {
        let mut found = Vec::with_capacity(limits.0 + limits.1);
        SCRATCH.with_borrow_mut(|scratch| {
            for (postings, terms, limit) in [(&self.words, words, limits.0), (&self.chars, chars, limits.1)] {
                for phrasing in self.search_field(scratch, postings, terms, limit) {
                    if !found.contains(&phrasing) {
                        found.push(phrasing);
                    }
                }
            }
        });
        found
    }

    fn search_field(
        &self,
        scratch: &mut Scratch,
        postings: &Postings,
        terms: &[QueryTerm],
        limit: usize,
    ) -> Vec<usize> {
        let mut terms: Vec<SearchTerm<'_>> = terms
            .iter()
            .map(|term| {
                let id = term.id() as usize;
                let bound = term.idf() * postings.max_weights[id];
                SearchTerm { idf: term.idf(), list: &postings.lists[id], bound }
            })
            .collect();
        // A term in a large share of the phrasings adds almost nothing to any score, but its
        // long posting list would be most of the work: leave it out, unless nothing else is
        // left.
        let common = (self.phrasings / COMMON_TERM_SHARE).max(COMMON_TERM_MIN);
        if terms.iter().any(|term| term.list.len() <= common) {
            terms.retain(|term| term.list.len() <= common);
        }
        if terms.is_empty() || limit == 0 {
            return Vec::new();
        }
        terms.sort_by(|a, b| b.bound.total_cmp(&a.bound));
        // rest[i]: the most terms i.. can add to any phrasing; rest_idf[i]: their IDFs' sum,
        // which times a phrasing's largest weight bounds what they can add to that phrasing.
        let mut rest = vec![0.0; terms.len() + 1];
        let mut rest_idf = vec![0.0; terms.len() + 1];
        for i in (0..terms.len()).rev() {
            rest[i] = rest[i + 1] + terms[i].bound;
            rest_idf[i] = rest_idf[i + 1] + terms[i].idf;
        }
        let can_add = |phrasing: u32, from: usize| {
            rest[from].min(postings.phrasing_max_weights[phrasing as usize] * rest_idf[from])
                * ROUNDING_MARGIN
        };
        let Scratch { scores, reached, leaders } = scratch;
        if scores.len() < self.phrasings {
            scores.resize(self.phrasings, 0.0);
        }
        // A slice, not the vector: the hot loops keep its address in a register.
        let scores = &mut scores[..];
        leaders.reset(limit, self.phrasings);
        let mut next = 0;
        while next < terms.len() && rest[next] * ROUNDING_MARGIN >= leaders.lowest {
            let term = &terms[next];
            let mut adder = leaders.adder();
            for posting in term.list {
                if scores[posting.document as usize] == 0.0 {
                    reached.push(posting.document);
                }
                adder.add(scores, posting.document, term.idf * posting.weight);
            }
            leaders.update(scores);
            next += 1;
        }
        // The phrasings reached are the running; one drops out (its score zeroed) when it
        // could no longer reach the leaders. Reading a list costs the same however many are
        // in the running, so they are counted out only before a list is sought in.
        let live = reached;
        let mut sorted = false;
        for (at, term) in terms.iter().enumerate().skip(next) {
            if term.list.len() >= live.len() * SEEK_COST {
                live.retain(|&phrasing| {
                    let score = &mut scores[phrasing as usize];
                    let running = *score + can_add(phrasing, at) >= leaders.lowest;
                    if !running {
                        *score = 0.0;
                    }
                    running
                });
            }
            let mut adder = leaders.adder();
            if term.list.len() < live.len() * SEEK_COST {
                // Phrasings out of the running have no score: the list is read, not changed.
                // Most postings are of such phrasings, so four are tested at once (a score
                // is zero when its bits are).
                let (chunks, tail) = term.list.as_chunks::<4>();
                for chunk in chunks {
                    let any = chunk.iter().fold(0, |any, p| any | scores[p.document as usize].to_bits());
                    if any != 0 {
                        adder.add_running(scores, chunk, term.idf);
                    }
                }
                adder.add_running(scores, tail, term.idf);
            } else {
                if !sorted {
                    live.sort_unstable();
                    sorted = true;
                }
                let mut position = 0;
                for &phrasing in live.iter() {
                    position = seek(term.list, position, phrasing);
                    match term.list.get(position) {
                        Some(posting) if posting.document == phrasing => {
                            adder.add(scores, phrasing, term.idf * posting.weight)
                        }
                        Some(_) => {}
                        None => break,
                    }
                }
            }
            leaders.update(scores);
        }
        // After the last term the leaders are the best.
        let mut ranked: Vec<Leader> = leaders
            .members
            .iter()
            .map(|&phrasing| Leader::new(scores[phrasing as usize], phrasing))
            .collect();
        for phrasing in live.drain(..) {
            scores[phrasing as usize] = 0.0;
        }
        ranked.sort_unstable();
        ranked.into_iter().map(|leader| leader.phrasing() as usize).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::analysis::Analysis;
    use crate::matcher::corpus::{CorpusStats, QueryTerms};
    use crate::text::test_segmenter;

    struct Fixture {
        stats: CorpusStats,
        index: PhrasingIndex,
    }

    impl Fixture {
        fn of(texts: &[&str]) -> Fixture {
            let analyses: Vec<Analysis> = texts.iter().map(|t| Analysis::new(t, test_segmenter())).collect();
            let refs: Vec<&Analysis> = analyses.iter().collect();
            let owners: Vec<usize> = (0..texts.len()).collect();
            let stats = CorpusStats::new(&refs, &owners, texts.len());
            let index = PhrasingIndex::build(&stats.words, &stats.chars);
            Fixture { stats, index }
        }

        fn search(&self, query: &str, limit: usize) -> Vec<usize> {
            let query = Analysis::new(query, test_segmenter());
            let search: Vec<&str> = query.search_terms.iter().map(String::as_str).collect();
            let words = self.stats.words.query_terms(&self.stats.words.look_up(&search));
            let chars = self.stats.chars.query_terms(&self.stats.chars.look_up(&query.char_terms()));
            self.index.search(&words, &chars, (limit, limit))
        }
    }

    #[test]
    fn the_phrasing_sharing_the_rare_words_ranks_first() {
        let fixture = Fixture::of(&["退款多久到账", "怎么修改收货地址", "发票开具"]);
        let hits = fixture.search("我的退钱什么时候到账", 3);
        assert_eq!(hits[0], 0);
        // Nothing in common, not even a character.
        assert!(!hits.contains(&2));
    }

    #[test]
    fn scores_are_the_bm25_of_the_features() {
        let texts = ["退款多久到账", "退款到账", "退款退款退款多久", "发票开具", "多久能到"];
        let fixture = Fixture::of(&texts);
        let query = Analysis::new("退款多久", test_segmenter());
        let resolved = fixture.stats.chars.query_terms(&fixture.stats.chars.look_up(&query.char_terms()));
        let mut expected: Vec<(f32, usize)> =
            (0..texts.len()).map(|d| (fixture.stats.chars.score(&resolved, d), d)).collect();
        expected.retain(|(score, _)| *score > 0.0);
        expected.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let expected: Vec<usize> = expected.into_iter().map(|(_, d)| d).collect();
        assert_eq!(fixture.index.search(&[], &resolved, (10, 10)), expected);
        // The best two only, and nothing left over for the next search.
        assert_eq!(fixture.index.search(&[], &resolved, (2, 2)), expected[..2]);
        assert_eq!(fixture.index.search(&[], &resolved, (10, 10)), expected);
    }

    #[test]
    fn skipping_hopeless_phrasings_finds_the_same_best_as_scoring_them_all() {
        // Phrasings and queries drawn from a small alphabet, some characters far more often
        // than others, so posting lists of every length mix and the scan stops early.
        let alphabet: Vec<char> =
            "退款发票地址快递订单优惠券会员尺码颜色换货运费积分账号密码售后保修价格".chars().collect();
        let mut seed = 7u64;
        let mut text = |length: usize| -> String {
            (0..length)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    let uniform = (seed >> 11) as f64 / (1u64 << 53) as f64;
                    alphabet[(uniform * uniform * alphabet.len() as f64) as usize]
                })
                .collect()
        };
        let texts: Vec<String> = (0..2000).map(|n| text(4 + n % 11)).collect();
        let fixture = Fixture::of(&texts.iter().map(String::as_str).collect::<Vec<_>>());
        for limit in [1, 5, 30] {
            for _ in 0..40 {
                let query = Analysis::new(&text(10), test_segmenter());
                let resolved =
                    fixture.stats.chars.query_terms(&fixture.stats.chars.look_up(&query.char_terms()));
                let found = fixture.index.search(&[], &resolved, (limit, limit));
                // Every phrasing scored in full, with the same rule for common terms.
                let common = (texts.len() / COMMON_TERM_SHARE).max(COMMON_TERM_MIN) as u32;
                let rare: Vec<QueryTerm> = resolved
                    .iter()
                    .copied()
                    .filter(|t| fixture.index.chars.lists[t.id() as usize].len() as u32 <= common)
                    .collect();
                let terms = if rare.is_empty() { resolved.clone() } else { QueryTerms::new(rare) };
                let mut all: Vec<f32> = (0..texts.len())
                    .map(|d| fixture.stats.chars.score(&terms, d))
                    .filter(|score| *score > 0.0)
                    .collect();
                all.sort_by(|a, b| b.total_cmp(a));
                assert_eq!(found.len(), all.len().min(limit));
                for (rank, &phrasing) in found.iter().enumerate() {
                    let score = fixture.stats.chars.score(&terms, phrasing);
                    assert!((score - all[rank]).abs() < 1e-4, "rank {rank}: {score} vs {}", all[rank]);
                }
            }
        }
    }

    #[test]
    fn seeking_finds_the_first_posting_not_before_the_phrasing() {
        for length in [0, 1, 2, 5, 17, 64] {
            let list: Vec<Posting> =
                (0..length).map(|n| Posting { document: 3 * n + 1, weight: 1.0 }).collect();
            for from in 0..=list.len() {
                for phrasing in 0..3 * length + 3 {
                    let expected = from
                        + list[from..]
                            .iter()
                            .position(|p| p.document >= phrasing)
                            .unwrap_or(list.len() - from);
                    assert_eq!(seek(&list, from, phrasing), expected, "{length} {from} {phrasing}");
                }
            }
        }
    }

    #[test]
    fn raw_query_syntax_characters_are_harmless() {
        let fixture = Fixture::of(&["发票怎么开"]);
        assert_eq!(fixture.search("发票: (怎么) \"开\" AND OR", 3), [0]);
    }

    #[test]
    fn terms_in_most_phrasings_are_left_out_unless_nothing_else_is_left() {
        let mut texts: Vec<String> = (0..300).map(|n| format!("订单{n}号的物流")).collect();
        texts.push("发票抬头写错了怎么办".to_string());
        let fixture = Fixture::of(&texts.iter().map(String::as_str).collect::<Vec<_>>());
        // "订单", "物流" and their characters are in every phrasing but one: the rare words decide.
        let hits = fixture.search("订单的发票抬头", 5);
        assert_eq!(hits[0], 300);
        // Only common terms (and one no phrasing has): they are searched after all.
        let hits = fixture.search("物流订单吗哦", 5);
        assert!(hits.len() >= 5, "{hits:?}");
        assert!(!hits.contains(&300));
    }

    #[test]
    fn an_empty_query_finds_nothing() {
        let fixture = Fixture::of(&["发票怎么开"]);
        assert!(fixture.search("？？", 3).is_empty());
        assert!(fixture.search("从未见过", 3).is_empty());
    }
}
