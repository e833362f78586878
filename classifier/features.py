"""Featurize normalized messages: lemma n-grams, character n-grams and urgency signals.

Input rows are :class:`Doc` tuples (clean text, language, channel, thread position);
output is one sparse matrix, so any linear model can sit on top.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from classifier.signals import PLACEHOLDER_RE as _PLACEHOLDER_RE
from classifier.signals import SIGNAL_NAMES, Doc, signals

_KEEP_PUNCT = frozenset("!?")


@lru_cache(maxsize=4)
def _pipeline(language: str):
    """A blank spaCy pipeline with the lookup lemmatizer (spacy-lookups-data)."""
    import spacy

    nlp = spacy.blank(language)
    lemmatizer = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp, lemmatizer.lookups.get_table("lemma_lookup")


def lemmatize(text: str, language: str) -> list[str]:
    """Lowercased lemmas of ``text``; punctuation dropped except ! and ?, emojis kept.

    spaCy's lookup lemmatizer falls back to the token itself, as we do.
    """
    nlp, table = _pipeline(language if language in ("de", "en") else "en")
    text = _PLACEHOLDER_RE.sub(lambda m: f" xx{m.group(1).lower()} ", text)
    out = []
    for token in nlp.tokenizer(text):
        if token.is_space or (token.is_punct and token.text not in _KEEP_PUNCT):
            continue
        word = token.text
        out.append(table.get(word, table.get(word.lower(), word)).lower())
    return out


def _identity(tokens: list[str]) -> list[str]:
    return tokens


class TextFeaturizer(TransformerMixin, BaseEstimator):
    """Lemma word n-grams + character n-grams + urgency signals, as one sparse matrix.

    Parameters
    ----------
    word_ngram_range, char_ngram_range : tuple of int
        n-gram ranges of the lemma TF-IDF and the ``char_wb`` TF-IDF.
    min_df : int
        Minimum document frequency of a word n-gram (character n-grams use the same).
    word_weight, char_weight, signal_weight, semantic_weight : float
        Block weights; a linear model sees them as feature scale. ``semantic_weight``
        0 leaves out the static multilingual word vectors (:mod:`classifier.semantic`).
    """

    def __init__(
        self,
        *,
        word_ngram_range: tuple[int, int] = (1, 2),
        char_ngram_range: tuple[int, int] = (2, 5),
        min_df: int = 1,
        word_weight: float = 1.0,
        char_weight: float = 1.0,
        signal_weight: float = 1.0,
        semantic_weight: float = 0.0,
    ) -> None:
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.min_df = min_df
        self.word_weight = word_weight
        self.char_weight = char_weight
        self.signal_weight = signal_weight
        self.semantic_weight = semantic_weight

    def fit(self, X: Sequence[Doc], y: object = None) -> TextFeaturizer:
        self._fit_transform(X)
        return self

    def fit_transform(self, X: Sequence[Doc], y: object = None) -> sp.csr_matrix:
        return self._fit_transform(X)

    def transform(self, X: Sequence[Doc]) -> sp.csr_matrix:
        check_is_fitted(self, "word_vectorizer_")
        docs = [Doc(*d) for d in X]
        lemmas = [lemmatize(d.text, d.language) for d in docs]
        words = self.word_vectorizer_.transform(lemmas)
        chars = self.char_vectorizer_.transform([d.text.lower() for d in docs])
        model = getattr(self, "semantic_", None)  # absent in models saved before the block existed
        semantic = model.transform(lemmas) if model is not None else None
        return self._stack(docs, words, chars, semantic)

    def _fit_transform(self, X: Sequence[Doc]) -> sp.csr_matrix:
        docs = [Doc(*d) for d in X]
        self.word_vectorizer_ = TfidfVectorizer(
            tokenizer=_identity,
            preprocessor=_identity,
            token_pattern=None,
            lowercase=False,
            ngram_range=self.word_ngram_range,
            min_df=self.min_df,
            sublinear_tf=True,
            dtype=np.float32,
        )
        self.char_vectorizer_ = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=self.char_ngram_range,
            min_df=self.min_df,
            sublinear_tf=True,
            dtype=np.float32,
        )
        lemmas = [lemmatize(d.text, d.language) for d in docs]
        words = self.word_vectorizer_.fit_transform(lemmas)
        chars = self.char_vectorizer_.fit_transform([d.text.lower() for d in docs])
        self.semantic_ = None
        semantic = None
        if self.semantic_weight:
            from classifier.semantic import SemanticVectors

            self.semantic_ = SemanticVectors().fit(lemmas)
            semantic = self.semantic_.transform(lemmas)
        extra = semantic.shape[1] if semantic is not None else 0
        self.n_features_out_ = words.shape[1] + chars.shape[1] + len(SIGNAL_NAMES) + extra
        return self._stack(docs, words, chars, semantic)

    def _stack(
        self, docs: list[Doc], words: sp.spmatrix, chars: sp.spmatrix, semantic: np.ndarray | None = None
    ) -> sp.csr_matrix:
        sig = sp.csr_matrix(np.asarray([signals(d) for d in docs], dtype=np.float32).reshape(len(docs), -1))
        blocks = [words * self.word_weight, chars * self.char_weight, sig * self.signal_weight]
        if semantic is not None:
            blocks.append(sp.csr_matrix(semantic * self.semantic_weight))
        return sp.hstack(blocks, format="csr", dtype=np.float32)
