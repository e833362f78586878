"""Leave-one-voice-out benchmark: how well the model generalizes to a writer voice it never saw.

Each CSV under ``corpora/inquiries/`` was written by a different voice. In-sample cross-validation
mixes every voice into both train and test folds, so it flatters the model; here each file is held
out in turn, a model is trained on the other files and scored on the held-out one. The in-sample
5-fold CV of a model trained on all files is printed last for comparison.

    python benchmarks/holdout.py [--voices telco,shop] [--corpus DIR] [--seed N] [--no-cv]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CORPUS_DIR = ROOT / "corpora" / "inquiries"
HEADS = ("topic", "urgency")

csv.field_size_limit(sys.maxsize)


@dataclass(frozen=True)
class Voice:
    """All messages of one corpus file (one writer voice)."""

    name: str
    texts: list[str]
    channels: list[str]
    labels: dict[str, list[str]]


@dataclass(frozen=True)
class Scores:
    """The figures printed per held-out voice."""

    topic_accuracy: float
    topic_macro_f1: float
    urgency_macro_f1: float
    critical_recall: float


def load_voices(corpus: Path) -> list[Voice]:
    """One Voice per CSV file, sorted by file name."""
    voices = []
    for path in sorted(corpus.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        voices.append(
            Voice(
                name=path.stem,
                texts=[r["text"] for r in rows],
                channels=[r["channel"] for r in rows],
                labels={h: [r[h] for r in rows] for h in HEADS},
            )
        )
    if not voices:
        raise SystemExit(f"{corpus}: no CSV files found")
    return voices


def merge(voices: Sequence[Voice]) -> Voice:
    """Concatenate voices into one training set."""
    return Voice(
        name="+".join(v.name for v in voices),
        texts=[t for v in voices for t in v.texts],
        channels=[c for v in voices for c in v.channels],
        labels={h: [y for v in voices for y in v.labels[h]] for h in HEADS},
    )


def predict(triage: Any, voice: Voice) -> dict[str, list[str]]:
    """Predicted labels per head; each message is classified with its own channel."""
    from classifier.message import Message

    messages = [
        Message(id=str(i), text=t, channel=c) for i, (t, c) in enumerate(zip(voice.texts, voice.channels, strict=True))
    ]
    rows = [row for chunk in triage.classify_messages(messages) for row in chunk]
    return {h: [row.get(h) or "" for row in rows] for h in HEADS}


def score(voice: Voice, preds: dict[str, list[str]]) -> Scores:
    """Topic accuracy/macro-F1, urgency macro-F1 and recall of 'critical' (macro over the gold classes)."""
    from sklearn.metrics import accuracy_score, f1_score, recall_score

    topic, urgency = voice.labels["topic"], voice.labels["urgency"]
    return Scores(
        topic_accuracy=float(accuracy_score(topic, preds["topic"])),
        topic_macro_f1=float(f1_score(topic, preds["topic"], labels=sorted(set(topic)), average="macro")),
        urgency_macro_f1=float(f1_score(urgency, preds["urgency"], labels=sorted(set(urgency)), average="macro")),
        critical_recall=float(
            recall_score(urgency, preds["urgency"], labels=["critical"], average="macro", zero_division=0)
        ),
    )


#: As models/default is built: --balanced urgency --min-recall urgency:critical=0.92
SHIPPED_HEAD_PARAMS = {"urgency": {"class_weight": "balanced", "min_recall": {"critical": 0.92}}}


def train(data: Voice, seed: int, cv: int) -> tuple[Any, Any, dict[str, Any]]:
    """Train the default two-head model the way models/default is built."""
    from classifier import api

    return api.train(data.texts, data.labels, channels=data.channels, seed=seed, cv=cv, head_params=SHIPPED_HEAD_PARAMS)


def hold_out(voices: Sequence[Voice], held: Voice, seed: int) -> Scores:
    """Train on every voice but ``held`` and score on ``held``."""
    from classifier import api

    model, config, _report = train(merge([v for v in voices if v.name != held.name]), seed, cv=5)
    return score(held, predict(api.Triage(model=model, config=config), held))


def format_row(name: str, n: int | str, s: Scores, seconds: str = "") -> str:
    return (
        f"{name:<12} {n!s:>5}  {s.topic_accuracy:8.3f} {s.topic_macro_f1:9.3f} "
        f"{s.urgency_macro_f1:11.3f} {s.critical_recall:10.3f}  {seconds}"
    ).rstrip()


def mean_scores(scores: Sequence[Scores]) -> Scores:
    fields = Scores.__dataclass_fields__
    return Scores(**{f: sum(getattr(s, f) for s in scores) / len(scores) for f in fields})


def in_sample_cv(voices: Sequence[Voice], seed: int) -> Scores:
    """5-fold CV figures from the report of a model trained on all voices."""
    _model, _config, report = train(merge(voices), seed, cv=5)
    topic, urgency = report["heads"]["topic"], report["heads"]["urgency"]
    return Scores(
        topic_accuracy=topic["accuracy"],
        topic_macro_f1=topic["macro_f1"],
        urgency_macro_f1=urgency["macro_f1"],
        critical_recall=urgency["per_class"]["critical"]["recall"],
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse flags, run the hold-outs, print one row per voice, the mean and the in-sample CV."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS_DIR, help="folder of labeled CSVs, one per voice")
    parser.add_argument("--voices", default="", help="comma-separated voices (file stems) to hold out; default all")
    parser.add_argument("--seed", type=int, default=0, help="training seed")
    parser.add_argument("--no-cv", action="store_true", help="skip the in-sample CV model trained on all files")
    args = parser.parse_args(argv)
    voices = load_voices(args.corpus)
    names = [v.name for v in voices]
    wanted = [w.strip() for w in args.voices.split(",") if w.strip()] or names
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        print(f"unknown voice(s) {', '.join(unknown)}; choose from {', '.join(names)}", file=sys.stderr)
        return 1
    print(f"{'held out':<12} {'rows':>5}  {'topic acc':>8} {'topic mF1':>9} {'urgency mF1':>11} {'crit. rec.':>10}")
    results = []
    for held in (v for v in voices if v.name in wanted):
        start = time.perf_counter()
        results.append(hold_out(voices, held, args.seed))
        print(format_row(held.name, len(held.texts), results[-1], f"({time.perf_counter() - start:.0f} s)"), flush=True)
    print(format_row("mean", "", mean_scores(results)))
    if not args.no_cv:
        cv = in_sample_cv(voices, args.seed)
        print(format_row("in-sample CV", sum(len(v.texts) for v in voices), cv, "(5-fold, all files)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
