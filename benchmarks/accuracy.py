"""Accuracy benchmark: this project's pipeline side by side with plain peers, on real public data.

Why: a number only means something next to what a well-known, fairly tuned
baseline reaches on the same split. Every system is trained and scored in one
run on the same folds:

- ``pipeline``: inquiry-triage through its public API (``api.train`` / ``Triage.classify_texts``),
  so every change to the pipeline shows up here;
- ``pipeline_tuned``: the same with ``triage train --tune`` (a 300 s budget per training run,
  tuned inside each training split only, so the test folds stay unseen);
- ``pipeline_full``: the same with ``triage train --semantic full`` (the sentence encoder as a block);
- ``tfidf_svm``: TF-IDF word 1-2 + char_wb 2-5 (sublinear_tf) + LinearSVC;
- ``fasttext``: supervised fastText, grid-tuned on a validation split carved from train;
- ``spacy_bow``: spaCy ``textcat`` with ``spacy.TextCatBOW.v3``, early-stopped on a dev split.

Datasets (read from ``../shared/datasets``; the run is skipped when it is absent):
Banking77 train -> test, and with 10 seeded examples per intent (``banking77_10shot``);
GermEval 2017 ``dev.csv`` (relevance, sentiment) and the
customer-support tickets (queue, priority) with 5-fold stratified CV.
``--oos`` adds out-of-scope detection on Banking77 (10 intents held out of training)
and the calibration error of the pipeline on the Banking77 test set.

    .venv/bin/python benchmarks/accuracy.py                      # everything (~tens of minutes on 2 cores)
    .venv/bin/python benchmarks/accuracy.py --datasets banking77 --systems pipeline,tfidf_svm --oos
    .venv/bin/python benchmarks/accuracy.py --max-rows 600 --folds 3   # quick smoke run

Peers need the ``bench`` extra: ``pip install -e ".[bench]"``.
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "datasets"
SYSTEMS = ("pipeline", "pipeline_tuned", "pipeline_full", "tfidf_svm", "fasttext", "spacy_bow")
TUNE_SECONDS = 300  # --tune budget per training run of pipeline_tuned
DATASETS = ("banking77", "banking77_10shot", "germeval", "tickets")
OOS_HELD_OUT = 10
BARS = {
    "banking77 accuracy": 0.935,
    "oos unseen recall": 0.85,
    "oos known rejected": 0.05,
    "banking77 ECE": 0.05,
}

# A fitted system: texts -> (labels, confidences or None)
Predictor = Callable[[Sequence[str]], tuple[np.ndarray, np.ndarray | None]]
Trainer = Callable[[list[str], list[str], str, int], Predictor]


@dataclass
class Task:
    """One dataset/label pair: either a fixed train/test split or k-fold CV over ``texts``."""

    name: str
    lang: str
    texts: list[str]
    labels: list[str]
    test_texts: list[str] | None = None
    test_labels: list[str] | None = None


@dataclass
class Result:
    """Scores of one system on one task; times are per training (mean over folds)."""

    task: str
    system: str
    accuracy: float
    macro_f1: float
    ece: float | None
    train_seconds: float
    predict_rate: float
    note: str = ""


# --- small pure helpers (unit-tested without the shared data) -----------------------------------


def ticket_text(subject: object, body: object) -> str:
    """Subject and body of a ticket as one message; the source stores line breaks as literal ``\\n``."""
    parts = [str(p).replace("\\n", "\n").strip() for p in (subject, body) if isinstance(p, str) and p.strip()]
    return "\n\n".join(parts)


def pick_held_out(classes: Sequence[str], n: int = OOS_HELD_OUT, seed: int = 0) -> list[str]:
    """The ``n`` intents kept out of training for out-of-scope detection (fixed by ``seed``)."""
    return sorted(random.Random(seed).sample(sorted(set(classes)), n))


def oos_metrics(unseen: np.ndarray, rejected: np.ndarray) -> dict[str, float]:
    """Unseen-intent recall (share of unseen messages rejected) and the share of known messages rejected."""
    unseen = np.asarray(unseen, dtype=bool)
    rejected = np.asarray(rejected, dtype=bool)
    if not unseen.any() or unseen.all():
        raise ValueError("oos_metrics needs both unseen and known messages")
    return {
        "unseen_recall": float(rejected[unseen].mean()),
        "known_rejected": float(rejected[~unseen].mean()),
    }


def score(task: str, system: str, truth: Sequence[str], predicted: Sequence[str], confidence, train_s, rate) -> Result:
    """Accuracy, macro-F1 and (when the system gives confidences) expected calibration error."""
    from sklearn.metrics import accuracy_score, f1_score

    from classifier.evaluation import expected_calibration_error

    y, p = np.asarray(truth, dtype=str), np.asarray(predicted, dtype=str)
    ece = expected_calibration_error(y == p, np.asarray(confidence, dtype=float)) if confidence is not None else None
    return Result(
        task=task,
        system=system,
        accuracy=float(accuracy_score(y, p)),
        macro_f1=float(f1_score(y, p, average="macro", zero_division=0)),
        ece=ece,
        train_seconds=train_s,
        predict_rate=rate,
    )


def format_table(results: Sequence[Result]) -> str:
    """One plain-text table: dataset/label, system, accuracy, macro-F1, ECE, train time, predict rate."""
    header = f"{'dataset/label':<20}{'system':<12}{'accuracy':>9}{'macro-F1':>9}{'ECE':>7}{'train s':>9}{'msgs/s':>9}"
    lines = [header, "-" * len(header)]
    for r in results:
        ece = f"{r.ece:.3f}" if r.ece is not None else "-"
        lines.append(
            f"{r.task:<20}{r.system:<12}{r.accuracy:>9.4f}{r.macro_f1:>9.4f}{ece:>7}"
            f"{r.train_seconds:>9.1f}{r.predict_rate:>9.0f}" + (f"  {r.note}" if r.note else "")
        )
    return "\n".join(lines)


def verdicts(results: Sequence[Result]) -> list[str]:
    """Per task: is the pipeline ahead of every peer (accuracy and macro-F1)?"""
    out = []
    for task in dict.fromkeys(r.task for r in results):
        rows = {r.system: r for r in results if r.task == task}
        peers = [r for s, r in rows.items() if not s.startswith("pipeline")]
        for ours in (rows.get("pipeline"), rows.get("pipeline_tuned"), rows.get("pipeline_full")):
            if ours is None or not peers:
                continue
            best_acc = max(peers, key=lambda r: r.accuracy)
            best_f1 = max(peers, key=lambda r: r.macro_f1)
            ahead = ours.accuracy > best_acc.accuracy and ours.macro_f1 > best_f1.macro_f1
            out.append(
                f"{task}: {ours.system} {'AHEAD of' if ahead else 'NOT ahead of'} every peer "
                f"(acc {ours.accuracy:.4f} vs best peer {best_acc.accuracy:.4f} {best_acc.system}; "
                f"macro-F1 {ours.macro_f1:.4f} vs {best_f1.macro_f1:.4f} {best_f1.system})"
            )
    return out


# --- datasets -------------------------------------------------------------------------------------


def load_tasks(root: Path, names: Sequence[str], max_rows: int | None, seed: int) -> list[Task]:
    """The benchmark tasks of the selected datasets (optionally subsampled, stratification kept by shuffling)."""
    import pandas as pd

    tasks: list[Task] = []
    if "banking77" in names or "banking77_10shot" in names:
        train = pd.read_csv(root / "banking77" / "train.csv")
        test = _cap(pd.read_csv(root / "banking77" / "test.csv"), max_rows, seed, "category")
        splits = {
            "banking77": ("banking77/intent", _cap(train, max_rows, seed, "category")),
            # few-shot: 10 seeded examples per intent, the same test set
            "banking77_10shot": (
                "banking77/10-shot",
                train.groupby("category", group_keys=False).sample(n=10, random_state=seed),
            ),
        }
        for key, (name, rows) in splits.items():
            if key in names:
                texts, labels = rows.text.tolist(), rows.category.tolist()
                tasks.append(Task(name, "en", texts, labels, test.text.tolist(), test.category.tolist()))
    if "germeval" in names:
        frame = pd.read_csv(root / "germeval2017" / "dev.csv", dtype=str, keep_default_na=False)
        frame = _cap(frame, max_rows, seed, "sentiment")
        for label in ("relevance", "sentiment"):
            tasks.append(Task(f"germeval/{label}", "de", frame.text.tolist(), frame[label].tolist()))
    if "tickets" in names:
        frame = pd.read_csv(root / "customer-support-tickets" / "train.csv", dtype=str, keep_default_na=False)
        frame = _cap(frame, max_rows, seed, "queue")
        texts = [ticket_text(s, b) for s, b in zip(frame.subject, frame.body, strict=True)]
        for label in ("queue", "priority"):
            tasks.append(Task(f"tickets/{label}", "xx", texts, frame[label].tolist()))
    return tasks


def _cap(frame, max_rows: int | None, seed: int, label: str):
    """A stratified subsample of ``max_rows`` rows, so every class keeps a share (quick runs only)."""
    if not max_rows or len(frame) <= max_rows:
        return frame
    from sklearn.model_selection import train_test_split

    return train_test_split(frame, train_size=max_rows, stratify=frame[label], random_state=seed)[0]


# --- systems --------------------------------------------------------------------------------------


def train_pipeline(
    texts: list[str],
    labels: list[str],
    lang: str,
    seed: int,
    tune_seconds: float | None = None,
    featurizer_params: dict | None = None,
) -> Predictor:
    """This project's pipeline through its public API only."""
    from classifier import api

    model, config, _ = api.train(
        texts, {"label": labels}, seed=seed, tune_seconds=tune_seconds, featurizer_params=featurizer_params
    )
    triage = api.Triage(model=model, config=config)

    def predict(batch: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        rows = triage.classify_texts(list(batch))
        return np.asarray([r["label"] for r in rows], dtype=str), np.asarray(
            [r["label_confidence"] or 0.0 for r in rows], dtype=float
        )

    predict.triage = triage  # type: ignore[attr-defined]  # the OOS run reads the learned threshold
    return predict


def train_pipeline_tuned(texts: list[str], labels: list[str], lang: str, seed: int) -> Predictor:
    """The pipeline as `triage train --tune` builds it (nested: tuned inside each training split only)."""
    return train_pipeline(texts, labels, lang, seed, tune_seconds=TUNE_SECONDS)


def train_pipeline_full(texts: list[str], labels: list[str], lang: str, seed: int) -> Predictor:
    """The pipeline as `triage train --semantic full` builds it (the sentence encoder as a feature block)."""
    from classifier.training import semantic_params

    return train_pipeline(texts, labels, lang, seed, featurizer_params=semantic_params("full", None))


def train_tfidf_svm(texts: list[str], labels: list[str], lang: str, seed: int) -> Predictor:
    """The plain reference: word 1-2 + char_wb 2-5 TF-IDF, LinearSVC."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.svm import LinearSVC

    features = FeatureUnion(
        [
            ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)),
        ]
    )
    model = make_pipeline(features, LinearSVC(random_state=seed)).fit(texts, labels)
    return lambda batch: (np.asarray(model.predict(list(batch)), dtype=str), None)


_FT_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)
FASTTEXT_GRID = {
    "lr": (0.2, 1.0),
    "epoch": (10, 30),
    "wordNgrams": (1, 2),
    "subwords": ((0, 0), (2, 5)),
}


def _ft_line(text: str) -> str:
    return " ".join(_FT_TOKEN.findall(text.lower()))


def train_fasttext(texts: list[str], labels: list[str], lang: str, seed: int, params: dict | None = None) -> Predictor:
    """fastText, its grid (lr, epoch, wordNgrams, char subwords) chosen on a 15% validation split of train.

    ``params`` skips the search (CV reuses the first fold's pick: the search is the slow part).
    """
    from sklearn.model_selection import train_test_split

    fit_x, val_x, fit_y, val_y = train_test_split(texts, labels, test_size=0.15, stratify=labels, random_state=seed)
    scored: list[tuple[float, int, dict]] = [(1.0, 0, params)] if params else []
    grid = [] if params else list(itertools.product(*FASTTEXT_GRID.values()))
    for lr, epoch, ngrams, (minn, maxn) in grid:
        params = {"lr": lr, "epoch": epoch, "wordNgrams": ngrams, "minn": minn, "maxn": maxn}
        try:
            model = _fit_fasttext(fit_x, fit_y, params, seed)
        except RuntimeError:  # fastText diverges ("Encountered NaN") at a too high lr: not a candidate
            continue
        predicted, _ = _predict_fasttext(model, val_x)
        scored.append((float(np.mean(predicted == np.asarray(val_y, dtype=str))), -len(scored), params))
    for _, _, best in sorted(scored, key=lambda item: item[:2], reverse=True):
        try:
            model = _fit_fasttext(texts, labels, best, seed)
            break
        except RuntimeError:
            continue
    else:
        raise RuntimeError("fastText diverged for every grid point")
    predictor = lambda batch: _predict_fasttext(model, batch)  # noqa: E731
    predictor.params = best  # type: ignore[attr-defined]
    return predictor


def _fit_fasttext(texts: Sequence[str], labels: Sequence[str], params: dict, seed: int):
    """A fastText model; labels are written as indices so spaces and underscores survive."""
    import fasttext

    classes = sorted(set(labels))
    index = {c: i for i, c in enumerate(classes)}
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as handle:
        for text, label in zip(texts, labels, strict=True):
            handle.write(f"__label__{index[label]} {_ft_line(text)}\n")
        path = handle.name
    try:
        # 200k hash buckets instead of 2M: ample for these data sizes, and 10x less to allocate per grid point.
        model = fasttext.train_supervised(path, dim=100, bucket=200_000, thread=2, seed=seed, verbose=0, **params)
    finally:
        Path(path).unlink()
    return model, classes


def _predict_fasttext(fitted, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    model, classes = fitted
    # model.f.predict avoids fasttext 0.9.3's numpy-2 incompatibility in FastText.predict.
    out = [model.f.predict(_ft_line(t) + "\n", 1, 0.0, "strict")[0] for t in texts]
    labels = [classes[int(label[len("__label__") :])] for _, label in out]
    return np.asarray(labels, dtype=str), np.asarray([p for p, _ in out], dtype=float)


def train_spacy_bow(texts: list[str], labels: list[str], lang: str, seed: int) -> Predictor:
    """spaCy textcat (TextCatBOW.v3, unigrams+bigrams), up to 30 epochs, early-stopped on a 10% dev split."""
    import spacy
    from sklearn.model_selection import train_test_split
    from spacy.training import Example
    from spacy.util import fix_random_seed, minibatch

    fix_random_seed(seed)
    fit_x, dev_x, fit_y, dev_y = train_test_split(texts, labels, test_size=0.1, stratify=labels, random_state=seed)
    nlp = spacy.blank(lang)
    model_cfg = {"@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": True, "ngram_size": 2}
    model_cfg |= {"no_output_layer": False, "length": 262144}
    textcat = nlp.add_pipe("textcat", config={"model": model_cfg})
    classes = sorted(set(labels))
    for label in classes:
        textcat.add_label(label)
    examples = [
        Example.from_dict(nlp.make_doc(t), {"cats": {c: float(c == y) for c in classes}})
        for t, y in zip(fit_x, fit_y, strict=True)
    ]
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(seed)
    best_acc, best_bytes, patience = -1.0, None, 0
    for _epoch in range(30):
        rng.shuffle(examples)
        for batch in minibatch(examples, size=32):
            nlp.update(batch, sgd=optimizer, drop=0.1)
        acc = float(np.mean(_predict_spacy(nlp, dev_x)[0] == np.asarray(dev_y, dtype=str)))
        if acc > best_acc:
            best_acc, best_bytes, patience = acc, nlp.to_bytes(), 0
        else:
            patience += 1
            if patience >= 3:
                break
    nlp.from_bytes(best_bytes)
    return lambda batch: _predict_spacy(nlp, batch)


def _predict_spacy(nlp, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    labels, confidence = [], []
    for doc in nlp.pipe(list(texts), batch_size=256):
        label = max(doc.cats, key=doc.cats.get)
        labels.append(label)
        confidence.append(doc.cats[label])
    return np.asarray(labels, dtype=str), np.asarray(confidence, dtype=float)


TRAINERS: dict[str, Trainer] = {
    "pipeline": train_pipeline,
    "pipeline_tuned": train_pipeline_tuned,
    "pipeline_full": train_pipeline_full,
    "tfidf_svm": train_tfidf_svm,
    "fasttext": train_fasttext,
    "spacy_bow": train_spacy_bow,
}


# --- running --------------------------------------------------------------------------------------


def run_task(task: Task, system: str, folds: int, seed: int) -> Result:
    """Train and score one system on one task: fixed split, or stratified k-fold with pooled out-of-fold predictions."""
    from sklearn.model_selection import StratifiedKFold

    trainer = TRAINERS[system]
    if task.test_texts is not None:
        splits = [(task.texts, task.labels, task.test_texts, task.test_labels)]
    else:
        x, y = np.asarray(task.texts, dtype=object), np.asarray(task.labels, dtype=object)
        cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
        splits = [(x[a].tolist(), y[a].tolist(), x[b].tolist(), y[b].tolist()) for a, b in cv.split(x, y)]
    truth, predicted, confidence = [], [], []
    train_s = predict_s = 0.0
    notes = set()
    first_pick: dict | None = None
    for train_x, train_y, test_x, test_y in splits:
        start = time.perf_counter()
        if system == "fasttext" and first_pick:  # grid searched on the first fold's train split only
            predictor = trainer(train_x, train_y, task.lang, seed, params=first_pick)  # type: ignore[call-arg]
        else:
            predictor = trainer(train_x, train_y, task.lang, seed)
            first_pick = getattr(predictor, "params", None)
        train_s += time.perf_counter() - start
        start = time.perf_counter()
        labels, conf = predictor(test_x)
        predict_s += time.perf_counter() - start
        truth.extend(test_y)
        predicted.extend(labels.tolist())
        confidence = None if conf is None else [*(confidence or []), *conf.tolist()]
        if hasattr(predictor, "params"):
            notes.add(",".join(f"{k}={v}" for k, v in predictor.params.items()))
    result = score(task.name, system, truth, predicted, confidence, train_s / len(splits), len(truth) / predict_s)
    result.note = " | ".join(sorted(notes)) + (" (grid on fold 1's train split)" if notes and len(splits) > 1 else "")
    return result


def run_oos(root: Path, seed: int, max_rows: int | None) -> list[str]:
    """Out-of-scope detection on Banking77: train without 10 intents, count how many of their messages go to review."""
    import pandas as pd

    train = _cap(pd.read_csv(root / "banking77" / "train.csv"), max_rows, seed, "category")
    test = _cap(pd.read_csv(root / "banking77" / "test.csv"), max_rows, seed, "category")
    held_out = pick_held_out(train.category.tolist(), seed=seed)
    known = train[~train.category.isin(held_out)]
    predictor = train_pipeline(known.text.tolist(), known.category.tolist(), "en", seed)
    triage = predictor.triage  # type: ignore[attr-defined]
    rows = triage.classify_texts(test.text.tolist())
    rejected = np.asarray([r["action"] == "review" for r in rows])
    metrics = oos_metrics(test.category.isin(held_out).to_numpy(), rejected)
    ok = (
        metrics["unseen_recall"] >= BARS["oos unseen recall"]
        and metrics["known_rejected"] <= BARS["oos known rejected"]
    )
    return [
        f"held-out intents (seed {seed}): {', '.join(held_out)}",
        f"learned reject_below: {triage.config.reject_below:.4f}",
        f"unseen-intent recall: {metrics['unseen_recall']:.4f}  (n={int(test.category.isin(held_out).sum())})",
        f"known-intent rejected: {metrics['known_rejected']:.4f}  (n={int((~test.category.isin(held_out)).sum())})",
        f"bar recall >= {BARS['oos unseen recall']} at <= {BARS['oos known rejected']:.0%} known rejected: "
        + ("MET" if ok else "NOT MET"),
    ]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default=",".join(DATASETS), help=f"comma list of {', '.join(DATASETS)}; '' none")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help=f"comma list of {', '.join(SYSTEMS)}")
    parser.add_argument("--oos", action="store_true", help="also run out-of-scope detection on Banking77")
    parser.add_argument("--folds", type=int, default=5, help="CV folds for GermEval and tickets (default 5)")
    parser.add_argument("--max-rows", type=int, default=None, help="subsample each file to N rows (quick runs)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=SHARED, help="datasets folder (default ../shared/datasets)")
    args = parser.parse_args(argv)
    args.datasets = [d for d in args.datasets.split(",") if d]
    args.systems = [s for s in args.systems.split(",") if s]
    for value, allowed, flag in ((args.datasets, DATASETS, "--datasets"), (args.systems, SYSTEMS, "--systems")):
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            parser.error(f"{flag}: unknown {', '.join(unknown)}; choose from {', '.join(allowed)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.data.is_dir():
        print(f"accuracy benchmark skipped: {args.data} not found (shared datasets absent)")
        return 0
    sys.path.insert(0, str(ROOT))
    results: list[Result] = []
    for task in load_tasks(args.data, args.datasets, args.max_rows, args.seed):
        for system in args.systems:
            try:
                result = run_task(task, system, args.folds, args.seed)
            except Exception as exc:  # one failing peer must not cost the whole run
                print(f"  FAILED {task.name} {system}: {exc.__class__.__name__}: {exc}", file=sys.stderr, flush=True)
                continue
            results.append(result)
            print("  done " + format_table([result]).splitlines()[-1], file=sys.stderr, flush=True)
    if results:
        print(format_table(results))
        print()
        for line in verdicts(results):
            print(line)
        bank = next((r for r in results if r.task == "banking77/intent" and r.system == "pipeline"), None)
        if bank is not None:
            print(
                f"banking77 accuracy {bank.accuracy:.4f} (bar >= {BARS['banking77 accuracy']}): "
                + ("MET" if bank.accuracy >= BARS["banking77 accuracy"] else "NOT MET")
            )
            if bank.ece is not None:
                print(
                    f"banking77 ECE of the pipeline {bank.ece:.4f} (bar <= {BARS['banking77 ECE']}): "
                    + ("MET" if bank.ece <= BARS["banking77 ECE"] else "NOT MET")
                )
    if args.oos:
        print("\nout-of-scope detection (Banking77, pipeline):")
        for line in run_oos(args.data, args.seed, args.max_rows):
            print("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
