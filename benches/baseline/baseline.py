#!/usr/bin/env python3
"""The Python FAQ matcher a team would write instead of kefu: jieba + rank_bm25.

`kefu loadtest` runs this on the same knowledge folder and the same questions as its own
matcher and reports kefu's throughput as a ratio to it. The matcher is the plain one:
every phrasing (question + similar) is a BM25Okapi document of `jieba.lcut` tokens
(lowercased, punctuation and whitespace dropped); a query goes to the entry of its
best-scoring phrasing. Prints one JSON object to stdout; everything else goes to stderr.

    python3 benches/baseline/baseline.py --knowledge knowledge --queries questions.txt
"""

import argparse
import json
import logging
import platform
import sys
import time
import unicodedata
from importlib.metadata import version
from pathlib import Path

try:
    import jieba
    import numpy
    import yaml
    from rank_bm25 import BM25Okapi
except ImportError as error:
    print(f"baseline: {error}\nrun: pip install -r benches/baseline/requirements.txt", file=sys.stderr)
    sys.exit(2)


def fail(message):
    print(f"baseline: {message}", file=sys.stderr)
    sys.exit(2)


def tokens(text):
    """jieba tokens, lowercased, without punctuation or whitespace tokens."""
    return [
        token
        for token in (t.strip().lower() for t in jieba.lcut(text))
        if token and not all(unicodedata.category(c)[0] in "PSZC" for c in token)
    ]


def load_phrasings(folder):
    """(entry count, [(entry id, phrasing)]) from the *.yaml / *.yml files directly in `folder`."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))
    entries, phrasings = 0, []
    for path in files:
        if path.name.startswith("_"):
            continue
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            fail(f"cannot read {path}: {error}")
        if not isinstance(document, dict):
            fail(f"{path} is not a mapping")
        for entry in document.get("entries") or []:
            if not isinstance(entry, dict) or "id" not in entry:
                fail(f"{path}: every entry needs an id")
            entries += 1
            for text in [entry.get("question")] + list(entry.get("similar") or []):
                if isinstance(text, str) and text.strip():
                    phrasings.append((str(entry["id"]), text))
    return entries, phrasings


def percentile(sorted_values, fraction):
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--knowledge", required=True, type=Path, help="kefu knowledge folder")
    parser.add_argument("--queries", required=True, type=Path, help="UTF-8 file, one query per line")
    parser.add_argument("--answers", type=Path, help="UTF-8 file, the right entry id of each query, line for line")
    parser.add_argument("--seconds", type=float, default=5.0, help="measure for at least this long")
    parser.add_argument("--min-queries", type=int, default=50, help="answer at least this many")
    args = parser.parse_args()  # exits 2 on a wrong option
    if args.seconds < 0 or args.min_queries < 1:
        fail("--seconds must be >= 0 and --min-queries >= 1")
    if not args.knowledge.is_dir():
        fail(f"{args.knowledge} is not a folder")
    try:
        queries = [line.strip() for line in args.queries.read_text(encoding="utf-8").splitlines()]
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read {args.queries}: {error}")
    answers = None
    if args.answers is not None:
        try:
            answers = [line.strip() for line in args.answers.read_text(encoding="utf-8").splitlines()]
        except (OSError, UnicodeDecodeError) as error:
            fail(f"cannot read {args.answers}: {error}")
        if len(answers) != len(queries):
            fail(f"{args.answers} has {len(answers)} lines, {args.queries} {len(queries)}")
        answers = [a for q, a in zip(queries, answers) if q]
    queries = [q for q in queries if q]
    if not queries:
        fail(f"{args.queries} has no queries")

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()  # the dictionary load is not part of the build time

    started = time.perf_counter()
    entries, phrasings = load_phrasings(args.knowledge)
    if not phrasings:
        fail(f"{args.knowledge} has no entries")
    ids = [entry_id for entry_id, _ in phrasings]
    bm25 = BM25Okapi([tokens(text) for _, text in phrasings])
    build_seconds = time.perf_counter() - started

    def match(query):
        return ids[int(numpy.argmax(bm25.get_scores(tokens(query))))]

    for query in queries[:5]:
        match(query)

    latencies = []
    right = 0
    started = time.perf_counter()
    index = 0
    while time.perf_counter() - started < args.seconds or len(latencies) < args.min_queries:
        asked = time.perf_counter()
        found = match(queries[index % len(queries)])
        latencies.append(time.perf_counter() - asked)
        if answers is not None and found == answers[index % len(queries)]:
            right += 1
        index += 1
    seconds = time.perf_counter() - started

    latencies.sort()
    print(json.dumps({
        "matcher": "python jieba + rank_bm25",
        "entries": entries,
        "phrasings": len(phrasings),
        "build_seconds": round(build_seconds, 4),
        "queries": len(latencies),
        "seconds": round(seconds, 4),
        "per_second": round(len(latencies) / seconds, 2),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 3),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 3),
        # Over the queries it answered while timed (the first ones, in order).
        "top1_right": None if answers is None else round(right / len(latencies), 4),
        "python": platform.python_version(),
        "jieba": version("jieba"),
        "rank_bm25": version("rank_bm25"),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
