"""Validate the labeled corpus and print the counts that corpora/README.md quotes.

Checks every CSV under ``corpora/inquiries/``: the header, ids unique across files, non-empty
text, labels in the taxonomy, language ``de``/``en``, channel in the known set. Then prints the
counts (per file, topic x language, language, channel, urgency), the length distribution in words,
the share of German messages written without umlauts, and the near-duplicate pairs (word-set
Jaccard over lowercased word tokens, messages of >= 6 words) within and across files.

    python corpora/tools/check_corpus.py [--corpus DIR] [--threshold 0.6] [--max-jaccard 0.8]

Exits 1 when a row is invalid or a pair is more similar than ``--max-jaccard``; pairs between
``--threshold`` and ``--max-jaccard`` are listed for a human to look at. Stdlib only, so it runs
without installing the project.
"""

from __future__ import annotations

import argparse
import csv
import math
import re
import statistics
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parents[1] / "inquiries"
HEADER = ("id", "channel", "language", "text", "topic", "urgency")
TOPICS = (
    "account_access",
    "billing",
    "cancellation",
    "contract_change",
    "delivery",
    "returns_refund",
    "warranty_claim",
    "technical_issue",
    "product_info",
    "data_privacy",
    "feedback",
    "other",
)
URGENCIES = ("critical", "high", "normal", "low")
LANGUAGES = ("de", "en")
#: classifier.message.CHANNELS plus "other"; repeated here so the script needs no install.
CHANNELS = ("email", "twitter", "facebook", "instagram", "chat", "webform", "app_review", "other")
MIN_WORDS = 6

_WORD_RE = re.compile(r"\w+")
_UMLAUT_RE = re.compile(r"[äöüÄÖÜß]")
_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})

csv.field_size_limit(sys.maxsize)


@dataclass(frozen=True)
class Row:
    """One corpus message with where it came from (file stem and line of its record)."""

    file: str
    line: int
    id: str
    channel: str
    language: str
    text: str
    topic: str
    urgency: str


@dataclass(frozen=True)
class Pair:
    """Two messages whose word sets overlap by ``jaccard``."""

    a: Row
    b: Row
    jaccard: float


# --- reading and validation ---------------------------------------------------------------------


def read_file(path: Path) -> tuple[list[Row], list[str]]:
    """Rows of one corpus CSV and the problems found while reading it (bad header, bad encoding)."""
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None or tuple(header) != HEADER:
                return [], [f"{path.name}: header is {header}, expected {','.join(HEADER)}"]
            rows, problems = [], []
            while True:
                line = reader.line_num + 1
                record = next(reader, None)
                if record is None:
                    break
                if len(record) != len(HEADER):
                    problems.append(f"{path.name}, line {line}: {len(record)} fields, expected {len(HEADER)}")
                    continue
                rows.append(Row(path.stem, line, *record))
            return rows, problems
    except UnicodeDecodeError as exc:
        return [], [f"{path.name}: not UTF-8 ({exc.reason} at byte {exc.start})"]


def read_corpus(corpus: Path = CORPUS_DIR) -> tuple[list[Row], list[str]]:
    """All rows of every CSV under ``corpus`` (sorted by file name) and the reading problems."""
    paths = sorted(corpus.glob("*.csv"))
    if not paths:
        return [], [f"{corpus}: no CSV files found"]
    rows: list[Row] = []
    problems: list[str] = []
    for path in paths:
        file_rows, file_problems = read_file(path)
        rows.extend(file_rows)
        problems.extend(file_problems)
    return rows, problems


def row_problems(row: Row) -> list[str]:
    """Why one row breaks the corpus rules (empty list when it is valid)."""
    where = f"{row.file}.csv, line {row.line} (id {row.id or '?'})"
    checks = [
        (not row.id.strip(), "id is empty"),
        (not row.text.strip(), "text is empty"),
        (row.topic not in TOPICS, f"topic '{row.topic}' is not in the taxonomy"),
        (row.urgency not in URGENCIES, f"urgency '{row.urgency}' is not one of {', '.join(URGENCIES)}"),
        (row.language not in LANGUAGES, f"language '{row.language}' is not de or en"),
        (row.channel not in CHANNELS, f"channel '{row.channel}' is not one of {', '.join(CHANNELS)}"),
    ]
    return [f"{where}: {message}" for failed, message in checks if failed]


def validate(rows: Iterable[Row]) -> list[str]:
    """Every rule violation in ``rows``: per-row problems and ids used more than once across files."""
    problems: list[str] = []
    seen: dict[str, Row] = {}
    for row in rows:
        problems.extend(row_problems(row))
        first = seen.setdefault(row.id, row)
        if first is not row and row.id.strip():
            problems.append(
                f"{row.file}.csv, line {row.line}: id {row.id} already used in {first.file}.csv, line {first.line}"
            )
    return problems


# --- near-duplicates ------------------------------------------------------------------------------


def word_set(text: str) -> frozenset[str]:
    """Lowercased word tokens of a message, as a set."""
    return frozenset(_WORD_RE.findall(text.lower()))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def near_duplicates(rows: Sequence[Row], threshold: float = 0.6, min_words: int = MIN_WORDS) -> list[Pair]:
    """Pairs of messages (>= ``min_words`` distinct words) with word-set Jaccard > ``threshold``, most similar first.

    Exact, not sampled: a prefix filter on an inverted index. With words ordered rarest first,
    two sets with Jaccard >= t must share a word among the first ``|s| - ceil(t*|s|) + 1`` words
    of each, so only those prefixes are indexed and only pairs sharing a prefix word are compared.
    """
    sets = [word_set(r.text) for r in rows]
    keep = [i for i, s in enumerate(sets) if len(s) >= min_words]
    frequency = Counter(w for i in keep for w in sets[i])
    ordered = {i: sorted(sets[i], key=lambda w: (frequency[w], w)) for i in keep}
    index: dict[str, list[int]] = defaultdict(list)
    pairs: list[Pair] = []
    for i in sorted(keep, key=lambda k: len(sets[k])):
        size = len(sets[i])
        prefix = ordered[i][: size - math.ceil(threshold * size) + 1]
        candidates = {j for w in prefix for j in index[w] if len(sets[j]) >= threshold * size}
        for j in candidates:
            score = jaccard(sets[i], sets[j])
            if score > threshold:
                a, b = sorted((j, i))
                pairs.append(Pair(rows[a], rows[b], score))
        for w in prefix:
            index[w].append(i)
    return sorted(pairs, key=lambda p: (-p.jaccard, p.a.id, p.b.id))


def exact_duplicates(rows: Sequence[Row]) -> list[list[Row]]:
    """Groups of messages of any length whose texts are equal up to case and whitespace (for information)."""
    groups: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        groups[" ".join(r.text.lower().split())].append(r)
    return [group for key, group in sorted(groups.items()) if key and len(group) > 1]


# --- counts ---------------------------------------------------------------------------------------


def word_count(text: str) -> int:
    return len(_WORD_RE.findall(text))


def length_stats(rows: Sequence[Row]) -> dict[str, float]:
    """Min, median, 90th percentile and max of the message length in words."""
    lengths = sorted(word_count(r.text) for r in rows)
    p90 = lengths[min(len(lengths) - 1, math.ceil(0.9 * len(lengths)) - 1)]
    return {"min": lengths[0], "median": statistics.median(lengths), "p90": p90, "max": lengths[-1]}


def umlaut_shares(rows: Sequence[Row]) -> tuple[int, int, int]:
    """German messages: total, those with no ä/ö/ü/ß, and those of them that spell an umlaut word as ae/oe/ue/ss.

    The second figure also counts messages that simply need no umlaut; the third only those
    where a word that has an umlaut elsewhere in the corpus is written transliterated.
    """
    german = [r for r in rows if r.language == "de"]
    umlaut_words = {w for r in german for w in word_set(r.text) if _UMLAUT_RE.search(w)}
    transliterated = {w.translate(_TRANSLITERATION) for w in umlaut_words}
    plain = [r for r in german if not _UMLAUT_RE.search(r.text)]
    spelled = [r for r in plain if word_set(r.text) & transliterated]
    return len(german), len(plain), len(spelled)


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def table(title: str, counts: Counter[str], total: int) -> list[str]:
    lines = [f"| {title} | messages | share |", "|---|---:|---:|"]
    lines += [f"| `{key}` | {n} | {percent(n, total)} |" for key, n in sorted(counts.items(), key=lambda kv: -kv[1])]
    return lines


def topic_language_table(rows: Sequence[Row]) -> list[str]:
    counts = Counter((r.topic, r.language) for r in rows)
    lines = ["| topic | de | en | total |", "|---|---:|---:|---:|"]
    for topic in TOPICS:
        de, en = counts[topic, "de"], counts[topic, "en"]
        lines.append(f"| `{topic}` | {de} | {en} | {de + en} |")
    return lines


def file_table(rows: Sequence[Row]) -> list[str]:
    """Messages per file with their language, e-mail and urgency mix and median length."""
    by_file: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        by_file[r.file].append(r)
    lines = [
        "| file | messages | de | en | email | critical | high | normal | low | median words |",
        "|---|" + "---:|" * 9,
    ]
    for name, group in sorted(by_file.items()):
        c = Counter(r.language for r in group) + Counter(r.urgency for r in group)
        email = sum(r.channel == "email" for r in group)
        cells = [len(group), c["de"], c["en"], email, *(c[u] for u in URGENCIES), f"{length_stats(group)['median']:g}"]
        lines.append(f"| `{name}.csv` | " + " | ".join(map(str, cells)) + " |")
    return lines


def report(rows: Sequence[Row]) -> list[str]:
    """The counts section of corpora/README.md, as Markdown lines."""
    total = len(rows)
    lengths = length_stats(rows)
    german, plain, spelled = umlaut_shares(rows)
    return [
        f"{total} messages in {len({r.file for r in rows})} files.",
        "",
        *file_table(rows),
        "",
        *topic_language_table(rows),
        "",
        *table("language", Counter(r.language for r in rows), total),
        "",
        *table("channel", Counter(r.channel for r in rows), total),
        "",
        *table("urgency", Counter(r.urgency for r in rows), total),
        "",
        "Length in words: min {min}, median {median:g}, p90 {p90}, max {max}.".format(**lengths),
        "",
        f"German messages without any ä/ö/ü/ß: {plain} of {german} ({percent(plain, german)}); "
        f"{spelled} of them ({percent(spelled, german)} of German) write an umlaut word as ae/oe/ue/ss.",
    ]


def describe(pair: Pair) -> str:
    def cell(r: Row) -> str:
        return f"{r.id} ({r.topic}/{r.urgency})"

    return f"{pair.jaccard:.3f}  {cell(pair.a)}  ~  {cell(pair.b)}"


def main(argv: Sequence[str] | None = None) -> int:
    """Validate, print the counts and the near-duplicate pairs; exit 1 on any violation."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS_DIR, help="folder of labeled CSVs")
    parser.add_argument("--threshold", type=float, default=0.6, help="list pairs with word-set Jaccard above this")
    parser.add_argument("--max-jaccard", type=float, default=0.8, help="pairs above this are violations")
    args = parser.parse_args(argv)
    rows, problems = read_corpus(args.corpus)
    problems += validate(rows)
    if rows:
        print("\n".join(report(rows)))
    pairs = near_duplicates(rows, threshold=args.threshold)
    within = sum(p.a.file == p.b.file for p in pairs)
    print(
        f"\nNear-duplicate pairs (Jaccard > {args.threshold}, >= {MIN_WORDS} words): {len(pairs)} "
        f"({within} within a file, {len(pairs) - within} across files)"
    )
    for pair in pairs:
        print("  " + describe(pair))
    repeated = exact_duplicates(rows)
    print(f"\nIdentical texts (any length, case and spacing ignored; not a violation): {len(repeated)} groups")
    for group in repeated:
        labels = sorted({f"{r.topic}/{r.urgency}" for r in group})
        shown = f"{' '.join(group[0].text.split())[:40]!r} ({', '.join(labels)})"
        print(f"  {len(group)}x {shown}: {', '.join(r.id for r in group)}")
    problems += [
        f"near-duplicate above {args.max_jaccard}: {describe(p)}" for p in pairs if p.jaccard > args.max_jaccard
    ]
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    print(f"\n{len(problems)} violation(s)" if problems else "\ncorpus OK", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
