//! The matcher alone, one core, against the Python baseline on the same knowledge and the
//! same questions.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::Latencies;
use super::latency::Summary;
use crate::brain::Brain;
use crate::knowledge::Knowledge;

/// What one matcher run measured.
#[derive(Debug, Clone, Serialize)]
pub struct MatcherRun {
    /// Knowledge entries.
    pub entries: usize,
    /// Questions answered.
    pub queries: usize,
    /// Wall time.
    pub seconds: f64,
    /// Questions per second.
    pub per_second: f64,
    /// Per-question latency, reranking included.
    pub latency: Summary,
    /// Share of the questions (all of them, asked once, untimed) whose best answer is the
    /// entry the question was made from.
    pub top1_right: f64,
}

/// A generated question and the id of the entry it was made from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Question {
    /// What the customer types.
    pub text: String,
    /// The entry that answers it.
    pub entry: String,
}

const PREFIXES: [&str; 4] = ["", "请问", "你好，", "我想问下"];
const SUFFIXES: [&str; 5] = ["", "？", "呀", "啊，急", "谢谢"];

/// `count` customer-like questions built from the knowledge's phrasings (deterministic).
pub fn questions(knowledge: &Knowledge, count: usize) -> Vec<Question> {
    let entries = &knowledge.entries;
    if entries.is_empty() {
        return Vec::new();
    }
    (0..count)
        .map(|i| {
            let entry = &entries[(i * 7919) % entries.len()];
            let phrasings: Vec<&str> = entry.phrasings().collect();
            let phrasing = phrasings[i % phrasings.len()];
            let text = format!(
                "{}{}{}",
                PREFIXES[i % PREFIXES.len()],
                phrasing.trim_end_matches(['？', '?']),
                SUFFIXES[i % SUFFIXES.len()]
            );
            Question { text, entry: entry.id.0.clone() }
        })
        .collect()
}

/// A matcher measurement, which may be taken in parts: around the baseline's, so both
/// sample the same stretch of a shared machine's time.
#[derive(Default)]
pub struct Measurement {
    latencies: Latencies,
    seconds: f64,
}

impl Measurement {
    /// Matches `questions` in a loop on this thread for at least `duration`, carrying on
    /// from where the previous part stopped.
    pub fn run(&mut self, brain: &Brain, questions: &[Question], duration: Duration) {
        if questions.is_empty() {
            return;
        }
        let started = Instant::now();
        let mut asked = 0;
        while started.elapsed() < duration || asked < questions.len().min(100) {
            let question = &questions[self.latencies.len() % questions.len()];
            let at = Instant::now();
            std::hint::black_box(brain.matcher.rank(&question.text));
            self.latencies.push(at.elapsed());
            asked += 1;
        }
        self.seconds += started.elapsed().as_secs_f64();
    }

    /// The parts' figures together, with the share of `questions` answered right.
    pub fn finish(self, brain: &Brain, questions: &[Question]) -> MatcherRun {
        let queries = self.latencies.len();
        MatcherRun {
            entries: brain.knowledge.entries.len(),
            queries,
            seconds: self.seconds,
            per_second: if self.seconds > 0.0 { queries as f64 / self.seconds } else { 0.0 },
            latency: self.latencies.summary(),
            top1_right: top1_right(brain, questions),
        }
    }
}

/// Share of `questions` whose best candidate is their entry.
fn top1_right(brain: &Brain, questions: &[Question]) -> f64 {
    let right = questions
        .iter()
        .filter(|question| {
            let ranking = brain.matcher.rank(&question.text);
            ranking.best().is_some_and(|best| brain.target(best).id() == question.entry)
        })
        .count();
    right as f64 / questions.len().max(1) as f64
}

/// Runs `benches/baseline/baseline.py` (jieba + rank_bm25) on the same knowledge folder and
/// questions (`answers_file`: the right entry id of each, line for line); installs its
/// requirements once if they are missing.
pub fn python_baseline(
    script: &Path,
    knowledge_dir: &Path,
    questions_file: &Path,
    answers_file: &Path,
    seconds: u64,
) -> Result<serde_json::Value, String> {
    let run = || {
        Command::new("python3")
            .arg(script)
            .arg("--knowledge")
            .arg(knowledge_dir)
            .arg("--queries")
            .arg(questions_file)
            .arg("--answers")
            .arg(answers_file)
            .arg("--seconds")
            .arg(seconds.to_string())
            .output()
            .map_err(|error| format!("cannot run python3: {error}"))
    };
    let mut output = run()?;
    if output.status.code() == Some(2) && String::from_utf8_lossy(&output.stderr).contains("pip install") {
        let requirements = script.with_file_name("requirements.txt");
        let installed = Command::new("python3")
            .args(["-m", "pip", "install", "-q", "-r"])
            .arg(&requirements)
            .status()
            .map_err(|error| format!("cannot run pip: {error}"))?;
        if !installed.success() {
            return Err(format!("pip install -r {} failed", requirements.display()));
        }
        output = run()?;
    }
    if !output.status.success() {
        return Err(format!("the baseline failed: {}", String::from_utf8_lossy(&output.stderr).trim()));
    }
    serde_json::from_slice(&output.stdout).map_err(|error| format!("the baseline printed no JSON: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_are_varied_and_deterministic() {
        let knowledge = super::super::generated::generated_knowledge(50);
        let first = questions(&knowledge, 20);
        assert_eq!(first, questions(&knowledge, 20));
        let distinct: std::collections::HashSet<&Question> = first.iter().collect();
        assert_eq!(distinct.len(), 20, "{first:?}");
    }

    #[test]
    fn a_measurement_taken_in_two_parts_reports_both() {
        let brain =
            Brain::from_knowledge(super::super::generated::generated_knowledge(30), Default::default());
        let asked = questions(&brain.knowledge, 40);
        let mut measurement = Measurement::default();
        // Each part asks every question at least once, however short it is.
        measurement.run(&brain, &asked, Duration::ZERO);
        measurement.run(&brain, &asked, Duration::ZERO);
        let run = measurement.finish(&brain, &asked);
        assert_eq!((run.entries, run.queries, run.latency.count), (30, 80, 80));
        assert!(run.seconds > 0.0 && run.per_second > 0.0, "{run:?}");
        assert!(run.top1_right > 0.9, "{run:?}");
        // No questions (a knowledge without entries): nothing is asked, nothing divides by zero.
        let mut empty = Measurement::default();
        empty.run(&brain, &[], Duration::ZERO);
        let run = empty.finish(&brain, &[]);
        assert_eq!((run.queries, run.per_second), (0, 0.0));
    }
}
