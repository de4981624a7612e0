//! What the bot could not answer. From the stored transcripts: the customer messages it
//! served badly and why, grouped into clusters of the same question, each with a proposal —
//! extend the entry the matcher nearly found, or write a new one — and every entry's
//! likely-wrong rate. Pure: the caller reads the messages and passes them in.

mod cluster;
mod patch;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::brain::Brain;

pub use cluster::{Cluster, Proposal, TextCount, cluster_gaps};
pub use patch::{PatchError, PatchItem, render_patch};

/// Turns after an answer in which a rephrase or a request for a human counts against it.
const LOOKAHEAD: usize = 2;
/// Character-bigram similarity above which a follow-up is the same question rephrased.
const REPHRASE_SIMILARITY: f32 = 0.5;

/// A customer message and the bot's decision on it (none when an agent was serving).
#[derive(Debug, Clone)]
pub struct Turn {
    /// The stored message.
    pub message_id: i64,
    /// Its conversation.
    pub conversation_id: i64,
    /// What the customer wrote.
    pub text: String,
    /// The bot's decision, as stored with its first reply.
    pub decision: Option<Value>,
    /// When, ms.
    pub at: i64,
}

/// Why a message counts as not served well.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GapReason {
    /// The bot did not understand.
    Fallback,
    /// The bot offered choices and the customer took none.
    ClarifyIgnored,
    /// Not understood again: handed to a human.
    HandoffAfterFallbacks,
    /// Answered, but within two turns the customer rephrased or asked for a human.
    LikelyWrong,
}

impl GapReason {
    /// Every reason, in report order.
    pub const ALL: [GapReason; 4] = [
        GapReason::Fallback,
        GapReason::ClarifyIgnored,
        GapReason::HandoffAfterFallbacks,
        GapReason::LikelyWrong,
    ];
}

/// A message the bot did not serve well.
#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    /// The stored message.
    pub message_id: i64,
    /// Its conversation.
    pub conversation_id: i64,
    /// What the customer wrote.
    pub text: String,
    /// Why it counts.
    pub reason: GapReason,
    /// For a likely wrong answer: the entry that gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
    /// When, ms.
    pub at: i64,
}

/// How an entry's answers went.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct EntryRecord {
    /// The entry.
    pub entry: String,
    /// Times it answered.
    pub answers: u64,
    /// Of those, followed by a rephrase or a request for a human.
    pub likely_wrong: u64,
}

impl EntryRecord {
    /// The share of answers that were likely wrong.
    pub fn rate(&self) -> f64 {
        if self.answers == 0 { 0.0 } else { self.likely_wrong as f64 / self.answers as f64 }
    }
}

/// The gaps report: clusters of what the bot could not answer, and how each entry's answers
/// went.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Customer messages read.
    pub messages: usize,
    /// Of those, not served well.
    pub gaps: usize,
    /// Clusters of at least the minimum size, largest first.
    pub clusters: Vec<Cluster>,
    /// Every entry that answered, worst likely-wrong rate first.
    pub entries: Vec<EntryReport>,
}

/// An entry's answers in the report.
#[derive(Debug, Clone, Serialize)]
pub struct EntryReport {
    /// The entry.
    pub entry: String,
    /// Its standard question (empty if it is gone from the knowledge).
    pub question: String,
    /// Times it answered.
    pub answers: u64,
    /// Of those, likely wrong.
    pub likely_wrong: u64,
    /// `likely_wrong / answers`.
    pub rate: f64,
}

/// The report on `turns` against today's knowledge; clusters smaller than `min_count` are
/// left out.
pub fn report(turns: &[Turn], brain: &Brain, min_count: usize) -> Report {
    let (gaps, records) = find_gaps(turns);
    let clusters = cluster_gaps(&gaps, brain).into_iter().filter(|c| c.count >= min_count).collect();
    let entries = records
        .iter()
        .map(|record| EntryReport {
            entry: record.entry.clone(),
            question: brain.knowledge.entry(&record.entry).map_or_else(String::new, |e| e.question.clone()),
            answers: record.answers,
            likely_wrong: record.likely_wrong,
            rate: record.rate(),
        })
        .collect();
    Report { messages: turns.len(), gaps: gaps.len(), clusters, entries }
}

/// A period like `7d`, `24h` or `30m`, in ms.
pub fn parse_period(text: &str) -> Option<i64> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
    let number: i64 = number.parse().ok()?;
    let unit_ms = match unit {
        "d" => 86_400_000,
        "h" => 3_600_000,
        "m" => 60_000,
        _ => return None,
    };
    number.checked_mul(unit_ms).filter(|&ms| ms > 0)
}

/// The bot's decision on a turn, as far as gaps care.
enum Outcome<'a> {
    Answered(&'a str),
    Clarified,
    Picked,
    NotUnderstood,
    HandedOffAfterFallbacks,
    AskedForHuman,
    Other,
    AgentServing,
}

fn outcome(turn: &Turn) -> Outcome<'_> {
    let Some(decision) = &turn.decision else { return Outcome::AgentServing };
    match decision["decision"].as_str() {
        Some("answer") => match decision["entry"].as_str() {
            // A pick from offered choices has no confidence of its own.
            Some(_) if decision["confidence"].is_null() => Outcome::Picked,
            Some(entry) => Outcome::Answered(entry),
            None => Outcome::Other,
        },
        Some("clarify") => Outcome::Clarified,
        Some("fallback") => Outcome::NotUnderstood,
        Some("handoff") => match decision["reason"]["reason"].as_str() {
            Some("repeated_fallbacks") => Outcome::HandedOffAfterFallbacks,
            Some("requested" | "repeated_question") => Outcome::AskedForHuman,
            _ => Outcome::Other,
        },
        _ => Outcome::Other,
    }
}

/// The gaps in `turns` (any order) and every answering entry's record, worst first.
pub fn find_gaps(turns: &[Turn]) -> (Vec<Gap>, Vec<EntryRecord>) {
    let mut by_conversation: BTreeMap<i64, Vec<&Turn>> = BTreeMap::new();
    for turn in turns {
        by_conversation.entry(turn.conversation_id).or_default().push(turn);
    }
    let mut gaps = Vec::new();
    let mut entries: BTreeMap<String, EntryRecord> = BTreeMap::new();
    for conversation in by_conversation.values_mut() {
        conversation.sort_by_key(|turn| turn.message_id);
        for (index, turn) in conversation.iter().enumerate() {
            let later = &conversation[index + 1..];
            let gap = |reason, entry: Option<&str>| Gap {
                message_id: turn.message_id,
                conversation_id: turn.conversation_id,
                text: turn.text.clone(),
                reason,
                entry: entry.map(str::to_string),
                at: turn.at,
            };
            match outcome(turn) {
                Outcome::NotUnderstood => gaps.push(gap(GapReason::Fallback, None)),
                Outcome::HandedOffAfterFallbacks => gaps.push(gap(GapReason::HandoffAfterFallbacks, None)),
                Outcome::Clarified => {
                    let picked = later.first().is_some_and(|next| matches!(outcome(next), Outcome::Picked));
                    if !picked {
                        gaps.push(gap(GapReason::ClarifyIgnored, None));
                    }
                }
                Outcome::Answered(entry) => {
                    let record = entries.entry(entry.to_string()).or_insert_with(|| EntryRecord {
                        entry: entry.to_string(),
                        ..EntryRecord::default()
                    });
                    record.answers += 1;
                    if answer_went_wrong(turn, later) {
                        record.likely_wrong += 1;
                        gaps.push(gap(GapReason::LikelyWrong, Some(entry)));
                    }
                }
                Outcome::Picked | Outcome::AskedForHuman | Outcome::Other | Outcome::AgentServing => {}
            }
        }
    }
    gaps.sort_by_key(|gap| (gap.at, gap.message_id));
    let mut records: Vec<EntryRecord> = entries.into_values().collect();
    records.sort_by(|a, b| {
        b.rate().total_cmp(&a.rate()).then(b.likely_wrong.cmp(&a.likely_wrong)).then(a.entry.cmp(&b.entry))
    });
    (gaps, records)
}

/// Within the next turns the bot served, the customer asked for a human or said the same
/// thing again in other words.
fn answer_went_wrong(answered: &Turn, later: &[&Turn]) -> bool {
    let asked = bigrams(&answered.text);
    for next in later.iter().take(LOOKAHEAD) {
        match outcome(next) {
            Outcome::AgentServing => return false,
            Outcome::AskedForHuman => return true,
            _ if dice(&asked, &bigrams(&next.text)) >= REPHRASE_SIMILARITY => return true,
            _ => {}
        }
    }
    false
}

/// Distinct character bigrams of the normalised text (letters and digits only).
pub(crate) fn bigrams(text: &str) -> Vec<(char, char)> {
    let chars: Vec<char> = crate::text::normalize(text).chars().filter(|c| c.is_alphanumeric()).collect();
    let mut pairs: Vec<(char, char)> = chars.windows(2).map(|w| (w[0], w[1])).collect();
    if pairs.is_empty() && chars.len() == 1 {
        pairs.push((chars[0], chars[0]));
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// Dice similarity of two sorted distinct sets.
pub(crate) fn dice<T: Ord>(a: &[T], b: &[T]) -> f32 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    2.0 * shared as f32 / (a.len() + b.len()) as f32
}

#[cfg(test)]
mod tests;
