//! Matcher benchmarks: tokenising, matching against the sample and a generated 10 000-entry
//! knowledge base, the pure dialog step, building that index and reloading it from files.
//! Run with `cargo bench`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};

use kefu::brain::Brain;
use kefu::loadtest::generated::{generated_knowledge, write_generated_knowledge};
use kefu::matcher::{Analysis, ScoringModel};

const QUESTIONS: [&str; 6] = [
    "退款要几天才能到账啊",
    "我买的黑色羽绒服尺码偏大还是偏小",
    "优惠券怎么用不了",
    "快递显示签收了但是我没收到",
    "你们支持货到付款吗",
    "iPhone 15 的数据线能退吗？？",
];

fn sample_brain() -> Brain {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = kefu::config::Config::default();
    let webhooks = config.webhooks.keys().cloned().collect();
    Brain::load(&root.join("knowledge"), &root.join("flows"), &webhooks, ScoringModel::default())
        .expect("the sample knowledge is valid")
}

fn benches(c: &mut Criterion) {
    let sample = sample_brain();
    c.bench_function("tokenise one message", |b| {
        let segmenter = sample.matcher.segmenter();
        b.iter(|| Analysis::new(black_box("我上周买的衣服尺码不对，想换个大一号的，怎么弄"), segmenter))
    });
    let mut round = 0;
    c.bench_function("match one message, sample knowledge", |b| {
        b.iter(|| {
            round += 1;
            sample.matcher.rank(black_box(QUESTIONS[round % QUESTIONS.len()])).candidates.len()
        })
    });
    // The pure decision step: match, decide, build the reply (no I/O).
    let config = kefu::config::Config::default();
    let state = kefu::dialog::DialogState::default();
    c.bench_function("dialog step, sample knowledge", |b| {
        b.iter(|| {
            round += 1;
            let question = black_box(QUESTIONS[round % QUESTIONS.len()]);
            kefu::dialog::respond(&sample, kefu::dialog::Policy::of(&config), &state, question, 0)
                .actions
                .len()
        })
    });
    let large = generated_knowledge(10_000);
    let mut build = c.benchmark_group("10 000 entries");
    build.sample_size(10);
    build.bench_function("build index", |b| {
        b.iter(|| {
            Brain::from_knowledge(black_box(large.clone()), ScoringModel::default()).matcher.phrasing_count()
        })
    });
    // A reload: read, validate and index the files, as `kefu serve` does on an edit.
    let files = tempfile::tempdir().expect("a temporary folder");
    let (knowledge_dir, flows_dir) = (files.path().join("knowledge"), files.path().join("flows"));
    std::fs::create_dir_all(&knowledge_dir)
        .and_then(|()| std::fs::create_dir_all(&flows_dir))
        .expect("folders");
    write_generated_knowledge(&large, &knowledge_dir).expect("the generated files are written");
    build.bench_function("reload from files", |b| {
        b.iter(|| {
            Brain::load(&knowledge_dir, &flows_dir, &Default::default(), ScoringModel::default())
                .map(|brain| brain.matcher.phrasing_count())
                .expect("the generated files load")
        })
    });
    build.finish();
    // The load test's 2 000 varied questions: six asked over and over would keep their
    // candidates in the cache, which a large knowledge base does not (half the time).
    let questions = kefu::loadtest::matcher::questions(&large, 2000);
    let brain = Brain::from_knowledge(large, ScoringModel::default());
    c.bench_function("match one message, 10 000 entries", |b| {
        b.iter(|| {
            round += 1;
            brain.matcher.rank(black_box(&questions[round % questions.len()].text)).candidates.len()
        })
    });
}

criterion_group!(matcher, benches);
criterion_main!(matcher);
