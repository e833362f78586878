"""Featurize normalized messages: lemma n-grams, character n-grams and urgency signals.

Input rows are :class:`Doc` tuples (clean text, language, channel, thread position);
output is one sparse matrix, so any linear model can sit on top.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from classifier.lexicon import CRITICAL_TERMS, HIGH_TERMS
from classifier.message import CHANNELS


class Doc(NamedTuple):
    """What the featurizer needs of one message."""

    text: str
    language: str = "en"
    channel: str = "unknown"
    thread_position: int = 0


_PLACEHOLDER_RE = re.compile(r"<([A-Z_]+)>")
_KEEP_PUNCT = frozenset("!?")
_EMOJI_RE = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")
_UPPER_WORD_RE = re.compile(r"\b[A-ZÄÖÜ]{3,}\b")


def _compile_terms(terms: dict[str, tuple[str, ...]]) -> dict[str, re.Pattern[str]]:
    return {lang: re.compile(r"\b(?:" + "|".join(words) + ")", re.IGNORECASE) for lang, words in terms.items()}


_CRITICAL_RE = _compile_terms(CRITICAL_TERMS)
_HIGH_RE = _compile_terms(HIGH_TERMS)


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


SIGNAL_NAMES = (
    *("exclamations", "questions", "caps_ratio", "shouting", "critical_terms", "high_terms"),
    *("length", "emojis", "thread_position", "has_id"),
    *(f"channel={c}" for c in (*CHANNELS, "other")),
)


def signals(doc: Doc) -> list[float]:
    """Explicit cues for urgency that bag-of-words models miss, each scaled to [0, 1]."""
    text = doc.text
    letters = [c for c in text if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    lang = doc.language if doc.language in _CRITICAL_RE else "en"
    channel = doc.channel if doc.channel in CHANNELS else "other"
    row = [
        min(text.count("!"), 5) / 5,
        min(text.count("?"), 5) / 5,
        upper / len(letters) if len(letters) >= 10 else 0.0,
        float(len(_UPPER_WORD_RE.findall(_PLACEHOLDER_RE.sub("", text))) >= 2),
        min(len(_CRITICAL_RE[lang].findall(text)), 3) / 3,
        min(len(_HIGH_RE[lang].findall(text)), 3) / 3,
        min(math.log1p(len(text)) / 8, 1.0),
        min(len(_EMOJI_RE.findall(text)), 3) / 3,
        min(doc.thread_position, 4) / 4,
        float("<ID>" in text),
    ]
    row.extend(float(channel == c) for c in (*CHANNELS, "other"))
    return row


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
    word_weight, char_weight, signal_weight : float
        Block weights; a linear model sees them as feature scale.
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
    ) -> None:
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.min_df = min_df
        self.word_weight = word_weight
        self.char_weight = char_weight
        self.signal_weight = signal_weight

    def fit(self, X: Sequence[Doc], y: object = None) -> TextFeaturizer:
        self._fit_transform(X)
        return self

    def fit_transform(self, X: Sequence[Doc], y: object = None) -> sp.csr_matrix:
        return self._fit_transform(X)

    def transform(self, X: Sequence[Doc]) -> sp.csr_matrix:
        check_is_fitted(self, "word_vectorizer_")
        docs = [Doc(*d) for d in X]
        words = self.word_vectorizer_.transform([lemmatize(d.text, d.language) for d in docs])
        chars = self.char_vectorizer_.transform([d.text.lower() for d in docs])
        return self._stack(docs, words, chars)

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
        words = self.word_vectorizer_.fit_transform([lemmatize(d.text, d.language) for d in docs])
        chars = self.char_vectorizer_.fit_transform([d.text.lower() for d in docs])
        self.n_features_out_ = words.shape[1] + chars.shape[1] + len(SIGNAL_NAMES)
        return self._stack(docs, words, chars)

    def _stack(self, docs: list[Doc], words: sp.spmatrix, chars: sp.spmatrix) -> sp.csr_matrix:
        sig = sp.csr_matrix(np.asarray([signals(d) for d in docs], dtype=np.float32).reshape(len(docs), -1))
        blocks = [words * self.word_weight, chars * self.char_weight, sig * self.signal_weight]
        return sp.hstack(blocks, format="csr", dtype=np.float32)
