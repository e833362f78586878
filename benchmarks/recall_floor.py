"""How well a ``--min-recall`` floor carries over to messages it was not chosen on.

``triage train --min-recall urgency:critical=R`` picks the probability floor for
``critical`` on the same out-of-fold predictions that its printed recall is measured on,
so that figure is optimistic by construction. Here the floor is chosen on four fifths of
the out-of-fold predictions and applied to the fifth, in turn: the recall and precision a
new message can expect.

    python benchmarks/recall_floor.py [--corpus DIR] [--head urgency] [--label critical] [--targets 0.9,0.92]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifier import api  # noqa: E402
from classifier.features import TextFeaturizer  # noqa: E402
from classifier.model import CalibratedLinearClassifier  # noqa: E402
from classifier.priority import floor_for_recall, pick  # noqa: E402
from classifier.training import load_training_data  # noqa: E402


def recall_precision(y: np.ndarray, pred: np.ndarray, k: int) -> tuple[float, float]:
    hits = np.sum((pred == k) & (y == k))
    return hits / max(np.sum(y == k), 1), hits / max(np.sum(pred == k), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpora" / "inquiries")
    parser.add_argument("--head", default="urgency")
    parser.add_argument("--label", default="critical")
    parser.add_argument("--targets", default="0.90,0.92,0.95")
    parser.add_argument("--seed", type=int, default=0)
    opts = parser.parse_args()

    texts, labels, channels = load_training_data([opts.corpus], "text", [opts.head], "channel")
    docs = [api.to_doc(m) for m in api.normalize_all(api.records_to_messages(texts, channels))]
    X = TextFeaturizer().fit_transform(docs)
    truth = np.asarray(labels[opts.head])
    head = CalibratedLinearClassifier(class_weight="balanced", random_state=opts.seed).fit(X, truth)
    k = head.classes_.tolist().index(opts.label)
    y = np.searchsorted(head.classes_, truth)
    proba = head.cv_proba_
    folds = np.array_split(np.random.default_rng(opts.seed).permutation(len(y)), 5)
    r, p = recall_precision(y, proba.argmax(axis=1), k)
    print(f"{len(y):,} rows; '{opts.label}' by argmax (balanced weights): recall {r:.3f} precision {p:.3f}")
    for target in (float(t) for t in opts.targets.split(",")):
        results = []
        for i, test in enumerate(folds):
            train = np.concatenate([f for j, f in enumerate(folds) if j != i])
            floor = floor_for_recall(proba[train], y[train], k, target)
            floors = [(k, floor)] if floor is not None else []
            results.append((floor, *recall_precision(y[test], pick(proba[test], floors), k)))
        floors_seen = ", ".join("argmax" if f is None else f"{f:.3f}" for f, _, _ in results)
        print(
            f"--min-recall {opts.head}:{opts.label}={target:.2f}: recall on unseen folds "
            f"{np.mean([x[1] for x in results]):.3f} (min {min(x[1] for x in results):.3f}), "
            f"precision {np.mean([x[2] for x in results]):.3f}; floors {floors_seen}"
        )


if __name__ == "__main__":
    main()
