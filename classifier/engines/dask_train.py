"""Train out of core on Dask: hashed features per partition on the workers, SGD ``partial_fit`` on the driver.

For labeled data too big for one machine's memory. Features are stateless (feature hashing
of the same normalized text and lemmas as :class:`classifier.features.TextFeaturizer`), so
every worker featurizes its files alone; the driver streams one partition at a time into
``SGDClassifier.partial_fit`` per head. The result is a plain :class:`TriageModel` (its
featurizer is :class:`HashingFeaturizer`, its heads are log-loss SGD classifiers), so it
loads and classifies like any other model (saved by :func:`save_incremental`: without the
lean form, which only knows the TF-IDF featurizer, so ``triage score`` loads the full model).
It is less accurate than the in-memory model (no TF-IDF weights, no calibration, no
cross-validated thresholds): use it only when the in-memory ``triage train`` does not fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from classifier.errors import InputError
from classifier.features import _identity, lemmatize, signal_block
from classifier.signals import SIGNAL_NAMES, Doc

__all__ = ["HashingFeaturizer", "featurize_table", "fit_incremental", "save_incremental", "train_dask"]

TABLE_FORMATS = ("csv", "tsv", "json", "jsonl", "parquet", "excel")


class HashingFeaturizer(TransformerMixin, BaseEstimator):
    """Hashed lemma word n-grams + hashed character n-grams + urgency signals; nothing to fit.

    Parameters
    ----------
    n_features : int
        Hash buckets per block (word and character).
    word_ngram_range, char_ngram_range, signal_weight
        As in :class:`classifier.features.TextFeaturizer` (signals off by default there too).
    """

    def __init__(
        self,
        *,
        n_features: int = 1 << 18,
        word_ngram_range: tuple[int, int] = (1, 2),
        char_ngram_range: tuple[int, int] = (2, 5),
        signal_weight: float = 0.0,
    ) -> None:
        self.n_features = n_features
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.signal_weight = signal_weight

    def fit(self, X: Sequence[Doc], y: object = None) -> HashingFeaturizer:
        self.n_features_out_ = 2 * self.n_features + len(SIGNAL_NAMES)
        return self

    def transform(self, X: Sequence[Doc]) -> sp.csr_matrix:
        from sklearn.feature_extraction.text import HashingVectorizer

        docs = [Doc(*d) for d in X]
        common = {"n_features": self.n_features, "alternate_sign": False, "dtype": np.float32}
        words = HashingVectorizer(
            tokenizer=_identity,
            preprocessor=_identity,
            token_pattern=None,
            lowercase=False,
            ngram_range=self.word_ngram_range,
            **common,
        ).transform([lemmatize(d.text, d.language) for d in docs])
        chars = HashingVectorizer(analyzer="char_wb", ngram_range=self.char_ngram_range, **common).transform(
            [d.text.lower() for d in docs]
        )
        weight = getattr(self, "signal_weight", 1.0)  # models saved before the weight existed had signals on
        return sp.hstack([words, chars, signal_block(docs, weight)], format="csr", dtype=np.float32)


def featurize_table(
    path: str, fmt: str, text_column: str, label_columns: list[str], channel_column: str | None, n_features: int
) -> tuple[sp.csr_matrix, dict[str, np.ndarray]]:
    """Hashed features and labels of one labeled table (runs on a worker)."""
    from classifier.api import normalize_all, records_to_messages, to_doc
    from classifier.readers.table import read_frame, show_header

    frame = read_frame(Path(path), fmt)
    for column in [text_column, *label_columns, *([channel_column] if channel_column else [])]:
        if column not in frame.columns:
            raise InputError(f"{path}: no column '{column}' (columns: {show_header(list(map(str, frame.columns)))})")
    texts = frame[text_column].astype(str).where(frame[text_column].notna(), "").tolist()
    channels = frame[channel_column].astype(str).tolist() if channel_column else None
    try:
        messages = normalize_all(records_to_messages(texts, channels))
    except InputError as exc:
        raise InputError(f"{path}, {exc}") from None
    labels = {c: frame[c].astype(str).str.strip().to_numpy() for c in label_columns}
    return HashingFeaturizer(n_features=n_features).transform([to_doc(m) for m in messages]), labels


def fit_incremental(
    batches: Sequence[Any],
    classes: dict[str, np.ndarray],
    *,
    get: Any = lambda batch: batch,
    epochs: int = 5,
    seed: int = 0,
) -> dict[str, Any]:
    """One log-loss ``SGDClassifier`` per head, fitted by ``partial_fit`` over the batches, ``epochs`` times.

    ``get`` turns a batch handle (e.g. a Dask future) into ``(X, labels)``, so only one
    partition's features are in the driver's memory at a time.
    """
    from sklearn.linear_model import SGDClassifier

    heads = {name: SGDClassifier(loss="log_loss", alpha=1e-5, random_state=seed) for name in classes}
    order = np.random.default_rng(seed)
    for _ in range(epochs):
        for i in order.permutation(len(batches)):
            X, labels = get(batches[i])
            for name, head in heads.items():
                head.partial_fit(X, labels[name], classes=classes[name])
    for head in heads.values():
        head.sparsify()  # most hash buckets never fire: a sparse model file is many times smaller
    return heads


def train_dask(
    data: Sequence[str | Path],
    label_columns: list[str],
    *,
    text_column: str = "text",
    channel_column: str | None = None,
    scheduler: str | None = None,
    epochs: int = 5,
    seed: int = 0,
    n_features: int = 1 << 18,
    config_path: Path | None = None,
) -> tuple[Any, Any, dict[str, Any]]:
    """Train a hashed, incremental TriageModel from labeled tables on a Dask cluster (one partition per file)."""
    from classifier.engines.dask import _client, expand_inputs
    from classifier.model import TriageModel
    from classifier.training import base_config_for

    if not label_columns:
        raise InputError("no label column given; pass --label COLUMN (repeat for several heads)")
    files = [(str(p.resolve()), fmt) for p, fmt, _ in expand_inputs(data) if fmt in TABLE_FORMATS]
    if not files:
        raise InputError(f"{', '.join(map(str, data))}: no table files found")
    with _client(scheduler, 2) as client:
        futures = [
            client.submit(
                featurize_table, path, fmt, text_column, label_columns, channel_column, n_features, pure=False
            )
            for path, fmt in files
        ]
        label_sets = client.gather([client.submit(lambda batch: batch[1], f) for f in futures])
        classes = {c: np.unique(np.concatenate([s[c] for s in label_sets])) for c in label_columns}
        for name, values in classes.items():
            if len(values) < 2:
                raise InputError(f"label '{name}' has only one class; need at least 2")
        heads = fit_incremental(futures, classes, get=lambda f: f.result(), epochs=epochs, seed=seed)
    rows = sum(len(s[label_columns[0]]) for s in label_sets)
    model = TriageModel(featurizer=HashingFeaturizer(n_features=n_features).fit([]), heads=heads)
    model.metadata = {"rows": rows, "heads": {n: h.classes_.tolist() for n, h in heads.items()}, "seed": seed}
    model.metadata["engine"] = "dask-incremental (hashed features, SGD partial_fit)"
    config = replace(
        base_config_for({c: classes[c].tolist() for c in label_columns}, config_path), head=label_columns[0]
    )
    if config.urgency_head not in label_columns:
        config = replace(config, urgency_head="")
    return model, config, {"rows": rows, "heads": {}, "engine": "dask-incremental", "partitions": len(files)}


def save_incremental(model: Any, config: Any, path: Path | str, report: dict[str, Any] | None = None) -> Path:
    """Write the model directory with its manifest, like ``api.save`` but without the lean form."""
    from datetime import UTC, datetime

    from classifier import persist

    created = datetime.now(UTC).isoformat(timespec="seconds")
    return persist.save_model(model, config, path, {**model.metadata, "created": created, "cv_report": report or {}})
