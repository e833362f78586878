"""Urgency signals and the ``Doc`` row: the featurizer parts that need neither scikit-learn nor SciPy.

Kept apart from :mod:`classifier.features` so that the lean scorer (:mod:`classifier.lean`)
computes exactly the same numbers without importing the training stack.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from classifier.lexicon import CRITICAL_TERMS, HIGH_TERMS
from classifier.message import CHANNELS
from classifier.textcase import fold_case


class Doc(NamedTuple):
    """What the featurizer needs of one message."""

    text: str
    language: str = "en"
    channel: str = "unknown"
    thread_position: int = 0


PLACEHOLDER_RE = re.compile(r"<([A-Z_]+)>")
_EMOJI_RE = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")
_UPPER_WORD_RE = re.compile(r"\b[A-ZÄÖÜ]{3,}\b")


def _word_start_pattern(words: tuple[str, ...]) -> str:
    r"""``\b(?:a|b|...)`` with the terms grouped by first letter: the same matches, fewer branches tried.

    Terms sharing a first letter keep their order, and terms with different ones cannot
    match at the same place, so every match is the one the flat alternation finds.
    """
    if not all(w[:1].isalpha() and w[1:2] not in ("?", "*", "+", "{") for w in words):
        return r"\b(?:" + "|".join(words) + ")"
    groups: dict[str, list[str]] = {}
    for word in words:
        groups.setdefault(word[0], []).append(word[1:])
    return r"\b(?:" + "|".join(f"{first}(?:{'|'.join(rests)})" for first, rests in groups.items()) + ")"


def _compile_terms(terms: dict[str, tuple[str, ...]]) -> dict[str, re.Pattern[str]]:
    """Term patterns for :func:`~classifier.textcase.fold_case` of the text: ``re.IGNORECASE``'s matches, 3x cheaper."""
    for words in terms.values():
        if any(w != w.lower() for w in words):
            raise ValueError(f"urgency terms must be lowercase: {[w for w in words if w != w.lower()]}")
    return {lang: re.compile(_word_start_pattern(words)) for lang, words in terms.items()}


_CRITICAL_RE = _compile_terms(CRITICAL_TERMS)
_HIGH_RE = _compile_terms(HIGH_TERMS)

SIGNAL_NAMES = (
    *("exclamations", "questions", "caps_ratio", "shouting", "critical_terms", "high_terms"),
    *("length", "emojis", "thread_position", "has_id"),
    *(f"channel={c}" for c in (*CHANNELS, "other")),
)


def signals(doc: Doc) -> list[float]:
    """Explicit cues for urgency that bag-of-words models miss, each scaled to [0, 1]."""
    text = doc.text
    lowered = fold_case(text)
    n_letters = sum(map(str.isalpha, text))
    upper = sum(1 for c in filter(str.isupper, text) if c.isalpha())
    lang = doc.language if doc.language in _CRITICAL_RE else "en"
    channel = doc.channel if doc.channel in CHANNELS else "other"
    row = [
        min(text.count("!"), 5) / 5,
        min(text.count("?"), 5) / 5,
        upper / n_letters if n_letters >= 10 else 0.0,
        float(len(_UPPER_WORD_RE.findall(PLACEHOLDER_RE.sub("", text))) >= 2),
        min(len(_CRITICAL_RE[lang].findall(lowered)), 3) / 3,
        min(len(_HIGH_RE[lang].findall(lowered)), 3) / 3,
        min(math.log1p(len(text)) / 8, 1.0),
        min(len(_EMOJI_RE.findall(text)), 3) / 3,
        min(doc.thread_position, 4) / 4,
        float("<ID>" in text),
    ]
    row.extend(float(channel == c) for c in (*CHANNELS, "other"))
    return row
