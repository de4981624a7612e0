//! Grouping gap messages into clusters of the same question, and a proposal for each.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::{Gap, GapReason, bigrams, dice};
use crate::brain::{Brain, Target};
use crate::matcher::Analysis;

/// Word or bigram similarity at which two messages ask the same thing.
const SAME_QUESTION: f32 = 0.5;
/// Members of a cluster a new message is compared with.
const COMPARED_MEMBERS: usize = 8;
/// Recent messages kept as examples per cluster.
const EXAMPLES: usize = 5;
/// The matcher's confidence from which its best entry is worth extending ...
const EXTEND_CONFIDENCE: f32 = 0.1;
/// ... when it shares a word with the question other than these question words.
const QUESTION_WORDS: [&str; 16] = [
    "什么",
    "怎么",
    "怎么样",
    "可以",
    "能",
    "能不能",
    "可不可以",
    "哪个",
    "哪里",
    "哪儿",
    "为什么",
    "如何",
    "多少",
    "我要",
    "我想",
    "请问",
];

/// A distinct text and how often it came.
#[derive(Debug, Clone, Serialize)]
pub struct TextCount {
    /// The text as first written.
    pub text: String,
    /// How many gap messages said it (after normalisation).
    pub count: usize,
}

/// What to do about a cluster.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Proposal {
    /// Add the cluster's texts to this entry's `similar:`.
    Extend {
        /// The entry.
        entry: String,
        /// Its standard question.
        question: String,
        /// The file it is in.
        file: String,
        /// The matcher's confidence for the cluster's question today.
        confidence: f32,
    },
    /// Write a new entry.
    New,
    /// The customers' words match this entry, but its answer did not help them: rewrite
    /// the answer (or split the entry).
    Review {
        /// The entry.
        entry: String,
        /// Its standard question.
        question: String,
        /// The file it is in.
        file: String,
    },
}

/// Gap messages asking the same question.
#[derive(Debug, Clone, Serialize)]
pub struct Cluster {
    /// 1 for the largest.
    pub id: usize,
    /// Gap messages in it.
    pub count: usize,
    /// How many for each reason.
    pub reasons: BTreeMap<GapReason, usize>,
    /// The most frequent text.
    pub question: String,
    /// The distinct texts, most frequent first.
    pub texts: Vec<TextCount>,
    /// The most recent messages.
    pub examples: Vec<Gap>,
    /// What to do about it.
    pub proposal: Proposal,
}

/// The same text, normalised: one unit of clustering.
struct TextGroup {
    text: String,
    gaps: Vec<usize>,
    words: Vec<String>,
    bigrams: Vec<(char, char)>,
}

/// Groups `gaps` into clusters, largest first, and proposes knowledge for each.
pub fn cluster_gaps(gaps: &[Gap], brain: &Brain) -> Vec<Cluster> {
    let segmenter = brain.matcher.segmenter();
    let mut groups: Vec<TextGroup> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for (index, gap) in gaps.iter().enumerate() {
        let key: String = crate::text::normalize(&gap.text).chars().filter(|c| c.is_alphanumeric()).collect();
        let group = *by_key.entry(key).or_insert_with(|| {
            let mut words = Analysis::new(&gap.text, segmenter).words;
            words.sort_unstable();
            groups.push(TextGroup {
                text: gap.text.trim().to_string(),
                gaps: Vec::new(),
                words,
                bigrams: bigrams(&gap.text),
            });
            groups.len() - 1
        });
        groups[group].gaps.push(index);
    }
    // Frequent texts first: they seed the clusters the rarer ones join.
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&g| (std::cmp::Reverse(groups[g].gaps.len()), groups[g].gaps[0]));
    let mut members: Vec<Vec<usize>> = Vec::new();
    for g in order {
        let best = members
            .iter()
            .enumerate()
            .map(|(cluster, member_groups)| {
                let similarity = member_groups
                    .iter()
                    .take(COMPARED_MEMBERS)
                    .map(|&m| similarity(&groups[g], &groups[m]))
                    .fold(0.0, f32::max);
                (cluster, similarity)
            })
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match best {
            Some((cluster, similarity)) if similarity >= SAME_QUESTION => members[cluster].push(g),
            _ => members.push(vec![g]),
        }
    }
    let mut clusters: Vec<Cluster> =
        members.iter().map(|member_groups| build_cluster(member_groups, &groups, gaps, brain)).collect();
    clusters.sort_by_key(|c| {
        (std::cmp::Reverse(c.count), std::cmp::Reverse(c.examples.first().map_or(0, |g| g.at)))
    });
    for (index, cluster) in clusters.iter_mut().enumerate() {
        cluster.id = index + 1;
    }
    clusters
}

fn similarity(a: &TextGroup, b: &TextGroup) -> f32 {
    dice(&a.words, &b.words).max(dice(&a.bigrams, &b.bigrams))
}

fn build_cluster(member_groups: &[usize], groups: &[TextGroup], gaps: &[Gap], brain: &Brain) -> Cluster {
    let mut texts: Vec<TextCount> = member_groups
        .iter()
        .map(|&g| TextCount { text: groups[g].text.clone(), count: groups[g].gaps.len() })
        .collect();
    texts.sort_by_key(|t| std::cmp::Reverse(t.count));
    let mut members: Vec<&Gap> =
        member_groups.iter().flat_map(|&g| groups[g].gaps.iter().map(|&i| &gaps[i])).collect();
    members.sort_by_key(|gap| std::cmp::Reverse((gap.at, gap.message_id)));
    let mut reasons: BTreeMap<GapReason, usize> = GapReason::ALL.iter().map(|&r| (r, 0)).collect();
    for gap in &members {
        *reasons.entry(gap.reason).or_default() += 1;
    }
    let question = texts[0].text.clone();
    // An entry that answered these questions wrongly is not the one to extend.
    let wrong: Vec<&str> = members.iter().filter_map(|gap| gap.entry.as_deref()).collect();
    let mostly_wrong_answers = wrong.len() * 2 >= members.len();
    let proposal = match propose(&question, &wrong, brain) {
        Proposal::New if mostly_wrong_answers => review(&wrong, brain),
        proposal => proposal,
    };
    Cluster {
        id: 0,
        count: members.len(),
        reasons,
        proposal,
        examples: members.iter().take(EXAMPLES).map(|gap| (*gap).clone()).collect(),
        question,
        texts,
    }
}

/// Review the entry that most often answered wrongly.
fn review(wrong: &[&str], brain: &Brain) -> Proposal {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for entry in wrong {
        *counts.entry(entry).or_default() += 1;
    }
    let most = counts.into_iter().max_by_key(|&(_, n)| n).map(|(entry, _)| entry);
    match most.and_then(|id| brain.knowledge.entry(id)) {
        Some(entry) => Proposal::Review {
            entry: entry.id.0.clone(),
            question: entry.question.clone(),
            file: entry.location.file.display().to_string(),
        },
        // Gone from the knowledge since.
        None => Proposal::New,
    }
}

/// The entry the matcher nearly found for `question`, if it plausibly is about the same
/// thing; otherwise a new entry.
fn propose(question: &str, wrong: &[&str], brain: &Brain) -> Proposal {
    let ranking = brain.matcher.rank(question);
    let content = |words: &[String]| -> Vec<String> {
        words.iter().filter(|w| !QUESTION_WORDS.contains(&w.as_str())).cloned().collect()
    };
    let asked = content(&ranking.query.words);
    for candidate in ranking.candidates.iter().filter(|c| c.confidence >= EXTEND_CONFIDENCE) {
        let Target::Entry(entry) = brain.target(candidate) else { continue };
        if wrong.contains(&entry.id.0.as_str()) {
            continue;
        }
        let phrasing_words =
            brain.matcher.phrasing_analysis(candidate.phrasing).map(|a| a.words.clone()).unwrap_or_default();
        if content(&phrasing_words).iter().any(|w| asked.contains(w)) {
            return Proposal::Extend {
                entry: entry.id.0.clone(),
                question: entry.question.clone(),
                file: entry.location.file.display().to_string(),
                confidence: candidate.confidence,
            };
        }
    }
    Proposal::New
}
