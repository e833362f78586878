"""Generic text repair steps: Unicode, HTML, control characters, whitespace."""

from __future__ import annotations

import re
import unicodedata

import ftfy
import ftfy.badness
import ftfy.fixes

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\u2060\ufeff]")
_SPACES_RE = re.compile(r"[ \t\xa0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES_RE = re.compile(r"\n\s*\n+")
_HTML_HINT_RE = re.compile(r"<(?:html|body|div|p|br|table|span|font)\b", re.IGNORECASE)
_FTFY_CONFIG = ftfy.TextFixerConfig(normalization="NFC", explain=False)


# ftfy's patterns are about single-byte code pages: every one needs a non-ASCII character of the
# Basic Multilingual Plane, so emoji (U+10000 and up) are never the centre of a window
_BMP_NON_ASCII_RE = re.compile(r"[^\x00-\x7f\U00010000-\U0010ffff]+")
_MOJIBAKE_REACH = 8  # every sequence ftfy's badness regex matches has a non-ASCII character and <= 7 characters


def looks_like_mojibake(text: str) -> bool:
    """ftfy's ``badness.is_bad``, with its regex run only around the non-ASCII characters.

    Every pattern of ftfy's badness regex needs a non-ASCII character within a few
    characters, so searching the windows around them gives the same answer as searching
    the whole text, at a fraction of the cost for mostly-ASCII mail.
    """
    windows: list[list[int]] = []
    for run in _BMP_NON_ASCII_RE.finditer(text):
        start, end = max(0, run.start() - _MOJIBAKE_REACH), run.end() + _MOJIBAKE_REACH
        if windows and start <= windows[-1][1]:
            windows[-1][1] = end
        else:
            windows.append([start, end])
    search = ftfy.badness.BADNESS_RE.search
    return any(search(text, start, min(end, len(text))) for start, end in windows)


def fix_unicode(text: str) -> str:
    """Repair mojibake ("FÃ¼r" -> "Für") and odd encodings, so words match the vocabulary.

    Most messages have nothing to repair: plain ASCII skips ftfy, and other text gets
    the full repair only when ftfy's badness check finds mojibake (a 4x speed-up).
    """
    if text.isascii():
        return text
    if not looks_like_mojibake(text):
        return unicodedata.normalize("NFC", ftfy.fixes.uncurl_quotes(text))
    return ftfy.fix_text(text, config=_FTFY_CONFIG)


def remove_control_chars(text: str) -> str:
    """Drop NUL, zero-width and other control characters that break tokenizers."""
    return _CONTROL_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def looks_like_html(text: str) -> bool:
    """Guess whether a body is HTML, for sources that do not declare it."""
    return bool(_HTML_HINT_RE.search(text[:5000]))


def html_to_text(html: str) -> str:
    """Render HTML as plain text with its layout (paragraphs, lists) kept, scripts dropped."""
    from inscriptis import get_text  # lazy: only HTML mail needs it

    return get_text(html)


def collapse_whitespace(text: str) -> str:
    """Fold runs of spaces and blank lines, keeping single line breaks."""
    lines = (_SPACES_RE.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES_RE.sub("\n\n", "\n".join(lines)).strip()


def truncate(text: str, max_chars: int) -> str:
    """Cut text at ``max_chars`` so a 20 MB body cannot stall the batch."""
    return text if len(text) <= max_chars else text[:max_chars]
