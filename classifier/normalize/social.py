"""Social-media markup: mentions, hashtags, elongations."""

from __future__ import annotations

import re

MENTION_TOKEN = "@user"

# Handles shorter than the token stay as they are, so the text never grows.
_MENTION_RE = re.compile(r"(?<![\w@.])@(?!user\b)[A-Za-z0-9_]{4,30}\b")
_HASHTAG_RE = re.compile(r"(?<![\w&#])#([^\W\d_]\w*)")  # "##x" is no hashtag: its second # stays
_CAMEL_RE = re.compile(r"(?<=[a-zäöüß])(?=[A-ZÄÖÜ])|(?<=[A-Za-zÄÖÜäöüß])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")
_ELONGATION_RE = re.compile(r"([^\W\d_])\1{2,}|([!?.])\2{3,}")


def replace_mentions(text: str) -> str:
    """Replace @handles with one token: who was tagged says little about the topic."""
    return _MENTION_RE.sub(MENTION_TOKEN, text) if "@" in text else text


def split_hashtags(text: str) -> str:
    """Turn ``#NeverAgainDHL`` into ``Never Again DHL`` so its words count as words."""
    return _HASHTAG_RE.sub(lambda m: _CAMEL_RE.sub(" ", m.group(1)), text) if "#" in text else text


_TRIPLE_RE = re.compile(r"(.)\1\1")  # cheap gate: every elongation repeats a character three times


def squeeze_elongations(text: str) -> str:
    """Shorten "pleeeease" to "pleease" and "!!!!!!" to "!!!": same word, emphasis kept."""
    if _TRIPLE_RE.search(text) is None:
        return text
    return _ELONGATION_RE.sub(lambda m: m.group(1) * 2 if m.group(1) else m.group(2) * 3, text)
