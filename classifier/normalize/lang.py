"""Language identification: ``de``, ``en`` or ``other``, with py3langid."""

from __future__ import annotations

import re
from functools import lru_cache

SUPPORTED = ("de", "en")
# Restricting the candidates to the languages an EU inbox meets keeps short
# German posts from being read as Luxembourgish or Afrikaans.
_CANDIDATES = [
    "de",
    "en",
    "fr",
    "es",
    "it",
    "nl",
    "pl",
    "sv",
    "da",
    "no",
    "pt",
    "tr",
    "cs",
    "fi",
    "hu",
    "ro",
    "ru",
]
_PLACEHOLDER_RE = re.compile(r"<[A-Z_]+>|@user|https?://\S+")
_WORD_RE = re.compile(r"[^\W\d_]{2,}")
_GERMAN_HINT_RE = re.compile(r"[äöüßÄÖÜ]")


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(_CANDIDATES)
    return identifier


def detect_language(text: str) -> str:
    """Return ``de``, ``en`` or ``other``.

    Short posts ("danke!!", "lol") fool every identifier, so when the text has few
    words or German/English is a close second, the better of the two wins.
    """
    sample = _PLACEHOLDER_RE.sub(" ", text[:2000])
    words = _WORD_RE.findall(sample)
    if not words:
        return "other"
    ranked = _identifier().rank(sample)
    top, _ = ranked[0]
    if top in SUPPORTED:
        return top
    probs = dict(ranked)
    de, en = probs.get("de", 0.0), probs.get("en", 0.0)
    if _GERMAN_HINT_RE.search(sample) and de >= 0.05:
        return "de"
    if len(words) < 5 or max(de, en) >= 0.15:
        return "de" if de > en else "en"
    return "other"
