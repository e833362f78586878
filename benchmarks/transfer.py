"""Transfer benchmark: how well a model trained on our own corpus does on real customers' messages.

The labels in ``benchmarks/transfer/`` hold only ids (the texts stay in /work/shared/datasets for
licence reasons); this script joins them with the texts, classifies them and prints topic and
urgency scores per dataset next to a majority-class baseline.

    python benchmarks/transfer.py [--model DIR] [--datasets DIR] [--train-compare] [--in-domain]

``--in-domain`` also trains the pipeline on each labeled real set itself (5-fold CV) and scores the
held-out folds: what a model that has seen such messages reaches, the reference the corpus-trained
model is compared against (a bar above it is a bar on the labels, not on the corpus).
"""

from __future__ import annotations

import argparse
import csv
import inspect
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LABEL_DIR = ROOT / "benchmarks" / "transfer"
DEFAULT_DATASETS = ROOT.parent / "shared" / "datasets"
DEFAULT_MODEL = ROOT / "models" / "default"
CORPUS_DIR = ROOT / "corpora" / "inquiries"
HEADS = ("topic", "urgency")

csv.field_size_limit(sys.maxsize)


@dataclass(frozen=True)
class LabeledSet:
    """Texts of one dataset with our labels and the channel each was posted on."""

    name: str
    ids: list[str]
    texts: list[str]
    channels: list[str]
    labels: dict[str, list[str]]


def read_csv(path: Path) -> list[dict[str, str]]:
    """Read a CSV into dicts (utf-8, fields may hold CR/LF)."""
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def sample_order(rows: Sequence[dict[str, str]], id_col: str, seed: int = 0) -> list[str]:
    """The fixed labeling order: ids of the candidate rows shuffled with ``random.Random(seed)``.

    TWCS candidates are the inbound (customer) tweets, GermEval candidates are all dev rows.
    """
    import random

    order = [r[id_col] for r in rows if r.get("inbound", "True") == "True"]
    random.Random(seed).shuffle(order)
    return order


def follows_order(ids: Sequence[str], order: Sequence[str]) -> bool:
    """Whether the labeled ids are a subsequence of the sample order (labels were taken in order)."""
    position = {i: k for k, i in enumerate(order)}
    ranks = [position.get(i, -1) for i in ids]
    return all(r >= 0 for r in ranks) and ranks == sorted(ranks)


def germeval_channel(url: str) -> str:
    """Map a GermEval source URL to the channel the classifier is told."""
    host = url.split("//", 1)[-1].split("/", 1)[0].lower()
    if host.endswith("twitter.com"):
        return "twitter"
    if host.endswith("facebook.com"):
        return "facebook"
    return "other"


def join_labels(
    name: str, labels: Sequence[dict[str, str]], texts: dict[str, str], id_col: str, channel: Callable[[str], str]
) -> LabeledSet:
    """Attach texts to labeled ids; an id missing from the dataset is an error, not a silent drop."""
    missing = [r[id_col] for r in labels if r[id_col] not in texts]
    if missing:
        raise SystemExit(f"{name}: {len(missing)} labeled ids not in the dataset, e.g. {missing[0]}")
    ids = [r[id_col] for r in labels]
    return LabeledSet(
        name=name,
        ids=ids,
        texts=[texts[i] for i in ids],
        channels=[channel(i) for i in ids],
        labels={h: [r[h] for r in labels] for h in HEADS},
    )


def load_sets(datasets: Path) -> list[LabeledSet]:
    """Both labeled sets whose label file and source text exist (prints what is skipped)."""
    specs = [
        ("twcs", "twcs_labels.csv", datasets / "twcs-sample" / "sample.csv", "tweet_id", lambda _i: "twitter"),
        ("germeval", "germeval_labels.csv", datasets / "germeval2017" / "dev.csv", "id", germeval_channel),
    ]
    sets = []
    for name, label_file, source, id_col, channel in specs:
        if not source.is_file() or not (LABEL_DIR / label_file).is_file():
            print(f"skip {name}: {source} or {LABEL_DIR / label_file} not found")
            continue
        rows = read_csv(source)
        labels = read_csv(LABEL_DIR / label_file)
        if not follows_order([r[id_col] for r in labels], sample_order(rows, id_col)):
            print(f"warning {name}: labeled ids do not follow the seed-0 sample order")
        texts = {r[id_col]: r["text"] for r in rows}
        sets.append(join_labels(name, labels, texts, id_col, channel))
    return sets


def subset(data: LabeledSet, rows: Sequence[int]) -> LabeledSet:
    """The given rows of a labeled set."""
    pick = [data.ids, data.texts, data.channels]
    ids, texts, channels = ([column[i] for i in rows] for column in pick)
    labels = {h: [values[i] for i in rows] for h, values in data.labels.items()}
    return LabeledSet(data.name, ids, texts, channels, labels)


def classify(triage: Any, data: LabeledSet, heads: Sequence[str] = HEADS) -> dict[str, list[str]]:
    """Predictions per head, classifying each channel group with its own channel."""
    preds: dict[str, list[str]] = {h: [""] * len(data.texts) for h in heads}
    for channel in sorted(set(data.channels)):
        idx = [i for i, c in enumerate(data.channels) if c == channel]
        rows = triage.classify_texts([data.texts[i] for i in idx], channel=channel)
        for i, row in zip(idx, rows, strict=True):
            for h in heads:
                preds[h][i] = row.get(h) or ""
    return preds


def scores(gold: Sequence[str], pred: Sequence[str]) -> dict[str, float]:
    """Accuracy and macro-F1 averaged over the classes present in ``gold`` (wrong predictions still cost recall)."""
    from sklearn.metrics import accuracy_score, f1_score

    labels = sorted(set(gold))
    return {
        "accuracy": float(accuracy_score(gold, pred)),
        "macro_f1": float(f1_score(gold, pred, labels=labels, average="macro", zero_division=0)),
    }


def top_confusions(gold: Sequence[str], pred: Sequence[str], n: int = 6) -> list[tuple[str, str, int]]:
    """The n most frequent (gold, predicted) error pairs."""
    pairs = Counter((g, p) for g, p in zip(gold, pred, strict=True) if g != p)
    return [(g, p, c) for (g, p), c in pairs.most_common(n)]


def escalation_line(gold: Sequence[str], pred: Sequence[str], level: str = "critical") -> str:
    """How many messages the model calls ``level``, how many of them are, and how many it finds.

    Every false ``critical`` lands in the escalation queue: on real public posts, where true
    emergencies are rare, this count is what a team feels first.
    """
    called = sum(p == level for p in pred)
    hits = sum(p == level and g == level for g, p in zip(gold, pred, strict=True))
    real = sum(g == level for g in gold)
    share = called / max(len(pred), 1)
    return f"{level}: predicted {called} ({share:.1%}), {hits} of them right; found {hits} of {real}"


def report(data: LabeledSet, preds: dict[str, list[str]], title: str) -> None:
    """Print scores, the majority baseline and the top confusions per head."""
    print(f"\n== {data.name} ({len(data.ids)} messages) — {title}")
    for h in HEADS:
        gold = data.labels[h]
        majority, count = Counter(gold).most_common(1)[0]
        s = scores(gold, preds[h])
        b = scores(gold, [majority] * len(gold))
        print(
            f"{h:8s} accuracy {s['accuracy']:.3f}  macro-F1 {s['macro_f1']:.3f}   "
            f"| majority '{majority}' ({count}) accuracy {b['accuracy']:.3f}  macro-F1 {b['macro_f1']:.3f}"
        )
        errors = ", ".join(f"{g}->{p} {c}" for g, p, c in top_confusions(gold, preds[h]))
        print(f"         top errors (gold->pred): {errors}")
        if h == "urgency":
            print(f"         {escalation_line(gold, preds[h])}")


def load_corpus(corpus: Path) -> tuple[list[str], dict[str, list[str]], list[str]]:
    """Texts, labels and channels of the training corpus (all CSVs under ``corpus``)."""
    rows = [r for path in sorted(corpus.glob("*.csv")) for r in read_csv(path)]
    return [r["text"] for r in rows], {h: [r[h] for r in rows] for h in HEADS}, [r["channel"] for r in rows]


def no_semantic_kwargs() -> dict[str, Any] | None:
    """Keyword arguments for ``api.train`` that switch semantic features off, or None if there are none."""
    from classifier import api
    from classifier.features import TextFeaturizer

    if "semantic_weight" not in inspect.signature(TextFeaturizer).parameters:
        return None
    train_params = inspect.signature(api.train).parameters
    if "semantic_weight" in train_params:
        return {"semantic_weight": 0.0}
    if "featurizer_params" in train_params:
        return {"featurizer_params": {"semantic_weight": 0.0}}
    if "featurizer" in train_params:
        return {"featurizer": TextFeaturizer(semantic_weight=0.0)}
    return None


def train_compare(sets: Sequence[LabeledSet], corpus: Path) -> None:
    """Train on the corpus with and without semantic features (if that switch exists) and score both."""
    from classifier import api

    texts, labels, channels = load_corpus(corpus)
    variants: list[tuple[str, dict[str, Any]]] = [("trained in-process, default features", {})]
    off = no_semantic_kwargs()
    if off is None:
        print("note: TextFeaturizer has no 'semantic_weight' switch reachable from api.train; training one model")
    else:
        variants.append(("trained in-process, semantic features off", off))
    for title, kwargs in variants:
        model, config, _report = api.train(texts, labels, channels=channels, seed=0, **kwargs)
        triage = api.Triage(model=model, config=config)
        for data in sets:
            report(data, classify(triage, data), title)


def cv_folds(gold: Sequence[str], folds: int = 5, seed: int = 0) -> tuple[list[int], list[list[int]]]:
    """Rows of the classes with at least ``folds`` members, and their stratified test folds.

    Rarer classes cannot appear in every training split, so they are left out (and counted).
    """
    from sklearn.model_selection import StratifiedKFold

    counts = Counter(gold)
    kept = [i for i, g in enumerate(gold) if counts[g] >= folds]
    y = [gold[i] for i in kept]
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    return kept, [[kept[j] for j in test] for _train, test in splitter.split(y, y)]


def in_domain(sets: Sequence[LabeledSet], folds: int = 5) -> None:
    """Per head: 5-fold CV of the pipeline trained on the real set itself (its default features)."""
    from classifier import api

    for data in sets:
        print(f"\n== {data.name}: trained on its own labeled rows, {folds}-fold CV (reference, not our corpus)")
        for h in HEADS:
            gold = data.labels[h]
            kept, test_folds = cv_folds(gold, folds)
            pred: dict[int, str] = {}
            for test in test_folds:
                held = set(test)
                train = subset(data, [i for i in kept if i not in held])
                model, config, _ = api.train(train.texts, {h: train.labels[h]}, channels=train.channels, seed=0)
                got = classify(api.Triage(model=model, config=config), subset(data, test), heads=(h,))[h]
                pred.update(zip(test, got, strict=True))
            s = scores([gold[i] for i in kept], [pred[i] for i in kept])
            print(
                f"{h:8s} accuracy {s['accuracy']:.3f}  macro-F1 {s['macro_f1']:.3f}   "
                f"({len(kept)} rows; {len(gold) - len(kept)} of classes with under {folds} rows left out)"
            )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse flags, load the labeled sets, print the scores."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="model directory to score")
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS, help="folder holding the shared datasets")
    parser.add_argument("--corpus", type=Path, default=CORPUS_DIR, help="training corpus for --train-compare")
    parser.add_argument("--train-compare", action="store_true", help="also train on the corpus and score that")
    parser.add_argument("--in-domain", action="store_true", help="also 5-fold CV on each labeled real set itself")
    args = parser.parse_args(argv)
    sets = load_sets(args.datasets)
    if not sets:
        print("nothing to evaluate")
        return 0
    from classifier import api

    triage = api.load(args.model)
    for data in sets:
        report(data, classify(triage, data), f"model {args.model}")
    if args.train_compare:
        train_compare(sets, args.corpus)
    if args.in_domain:
        in_domain(sets)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
