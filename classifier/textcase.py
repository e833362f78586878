"""Lowercasing that agrees with ``re.IGNORECASE``, so hot patterns can run case-sensitively.

A case-insensitive ``re`` pattern costs about three times as much per position as a
case-sensitive one. For patterns whose letters are lowercase a-z, ä, ö, ü and ß,
``re.IGNORECASE`` matches exactly where the case-sensitive pattern matches
:func:`fold_case` of the text: ``str.lower`` agrees with ``re``'s case folding on every
character except three that ``re`` also takes for ``i`` and ``s`` (checked over all of
Unicode in ``tests/test_textcase.py``).
"""

from __future__ import annotations

# re.IGNORECASE matches "i" to U+0130 (İ, whose lower() is two characters) and U+0131 (ı),
# and "s" to U+017F (ſ); lower() leaves the last two alone.
_RE_ONLY_FOLDS = {0x130: "i", 0x131: "i", 0x17F: "s"}


def fold_case(text: str) -> str:
    """``text.lower()``, with İ, ı and ſ read as ``re.IGNORECASE`` reads them; same length as ``text``."""
    if not text.isascii() and ("\u0130" in text or "\u0131" in text or "\u017f" in text):
        text = text.translate(_RE_ONLY_FOLDS)
    return text.lower()
