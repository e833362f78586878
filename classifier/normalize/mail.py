"""Cut quoted replies, signatures and disclaimers, so only the customer's newest words remain.

Each function is a pure ``str -> str`` step that never raises, is idempotent and never
returns more text than it was given. They work line by line: every line gets a marker
(text, quote, empty), as in talon, and the text is cut at the first splitter line
(attribution header, "Original Message" separator, forward header, Outlook field block).
The patterns come from ``classifier.normalize.rules`` (one module per language), merged
here because the language of a mail is not known yet when it is cleaned.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from types import ModuleType

from classifier import regex_cache
from classifier.normalize.rules import da, de, en, es, fr, it, nl, pl, pt, sv

__all__ = [
    "strip_disclaimer",
    "strip_html_quotes",
    "strip_quoted_reply",
    "strip_signature",
    "unwrap_forward",
]

_LANGS: tuple[ModuleType, ...] = (de, en, fr, es, it, nl, pl, sv, da, pt)
_MAX_HEADER_LINES = 3  # Gmail wraps long "On ... wrote:" lines over up to three lines
_MAX_HEADER_CHARS = 400
_MAX_SIGNATURE_LINES = 8  # a name block after a sign-off: name, role, firm, address, phone
_MAX_PASSES = 8  # fix-point passes; one or two are enough for real mail


def _merge(name: str) -> list[str]:
    """Collect one rule table from every language, without duplicates."""
    seen: dict[str, None] = {}
    for lang in _LANGS:
        for pattern in getattr(lang, name):
            seen.setdefault(pattern, None)
    return list(seen)


def _alternation(patterns: Iterable[str]) -> str:
    return "|".join(f"(?:{p})" for p in patterns)


_FLAGS = re.IGNORECASE | re.UNICODE
_REPLY_HEADER_RE = regex_cache.compile(_alternation(_merge("REPLY_HEADERS")), _FLAGS)
_SEPARATOR_RE = regex_cache.compile(
    f"(?P<forward>{_alternation(_merge('FORWARD_HEADERS'))})|(?P<original>{_alternation(_merge('ORIGINAL_HEADERS'))})",
    _FLAGS,
)
_FIELD_RE = regex_cache.compile(
    r"[*\s]*(" + "|".join(re.escape(f) for f in _merge("FROM_FIELDS") + _merge("HEADER_FIELDS")) + r")\s?:",
    _FLAGS,
)
_FROM_FIELDS = frozenset(f.casefold() for f in _merge("FROM_FIELDS"))
_WORD = r"(?:[A-ZÀ-Ý]\.|[^\s.?!:;,()<>]{1,25})"  # a word or an initial ("S.")
_NAME = rf"{_WORD}(?:[ ,]{{1,3}}{_WORD}){{0,2}}"  # "John", "Anna Meyer", "S. Ott", "aus Berlin"
_SIGNOFF_RE = regex_cache.compile(
    rf"(?:{_alternation(_merge('SIGNOFFS'))})(?:[\s,.!:;-]+{_NAME})?[\s,.!:;-]*",
    _FLAGS,
)
_DEVICE_RE = regex_cache.compile(rf"(?:{_alternation(_merge('DEVICE_SIGNATURES'))})[\s.!]*", _FLAGS)
_DISCLAIMER_RE = regex_cache.compile(_alternation(_merge("DISCLAIMERS")), _FLAGS)
_BANNER_RE = regex_cache.compile(_alternation(_merge("BANNERS")), _FLAGS)
_SIG_DASHES_RE = regex_cache.compile(r"--(?P<space> )?\s*")  # RFC 3676 "-- " signature separator; bare "--" too
_ADDRESS_RE = regex_cache.compile(r"@|<[^<>]+>|\[mailto:")
_RULE_LINE_RE = regex_cache.compile(r"[\s_=*~#-]*")  # "______", "-----", "***" drawn above a header or footer
_EVIDENCE_RE = regex_cache.compile(r"@|\d{1,2}[:.]\d{2}|\d{4}|\d{1,2}[./-]\d{1,2}[./-]\d{2}")
_NAME_WORD = r"[A-ZÀ-Ý](?:[^\W\d_]|['’.-]){0,20}"  # capitalized, no digits: "Kate", "O'Neil", "S."
_NAME_LINE_RE = regex_cache.compile(
    rf"[-–/~]?\s?{_NAME_WORD}(?:\s(?:&\s)?{_NAME_WORD}){{0,3}}"
)  # "Kate", "- Tom", "Julia & Martin"
_CONTACT_RE = regex_cache.compile(r"@|www\.|https?://|\+?\d[\d ()/.-]{6,}\d|\b(?:tel|phone|mobil|mobile|fax)\b", re.I)
_PS_RE = regex_cache.compile(r"p\.?\s?s\.?\s?[:.-]", re.IGNORECASE)  # "PS:", "P.S." adds to the message
_PROSE_RE = regex_cache.compile(r"\S+(?:\s+\S+){5,}[.?!]\s*$|\S+(?:\s+\S+){9,}")  # a sentence, not a name line

# Every separator rule starts with dashes or ends with ":" (checked here, not assumed); header
# fields and the last line of a reply header need a ":" too (see _reply_header_start). So a
# line with neither cannot be a splitter.
_SPLITTERS_NEED_COLON_OR_DASH = all(
    p.startswith("-") or p.endswith(":") for p in _merge("FORWARD_HEADERS") + _merge("ORIGINAL_HEADERS")
)

# Line markers, as in talon: text, quote (">"), empty; splitters are found by _first_splitter.
_TEXT, _QUOTE, _EMPTY = "t", "m", "e"
# Splitter kinds: an attribution line, an original-message separator, a forward, a header block.
_WROTE, _ORIGINAL, _FORWARD, _BLOCK = "wrote", "original", "forward", "block"


def _is_quote(line: str) -> bool:
    return line.lstrip().startswith(">")


def _marker(line: str) -> str:
    stripped = line.strip()
    if not stripped:
        return _EMPTY
    return _QUOTE if stripped.startswith(">") else _TEXT


def _field_name(line: str) -> str | None:
    """Return the header field a line starts with ("From:", "Von:"), if any."""
    match = _FIELD_RE.match(line)
    return match.group(1).casefold() if match else None


def _header_block_end(lines: list[str], start: int) -> int:
    """Return the index after the header field lines that begin at ``start``."""
    i = start
    while i < len(lines):
        line = lines[i]
        folded = i > start and line[:1] in (" ", "\t") and bool(line.strip())  # long To:/Cc: list
        if _field_name(line) is None and not folded:
            break
        i += 1
    return i


def _is_header_block(lines: list[str], start: int) -> bool:
    """Tell an Outlook/Thunderbird "From:/Sent:/To:/Subject:" block from "From: Berlin / To: Munich" in prose.

    A mail header names an address, or has four fields (Exchange shows names only).
    """
    end = _header_block_end(lines, start)
    names = {_field_name(line) for line in lines[start:end]} - {None}
    if len(names) < 2 or not names & _FROM_FIELDS:
        return False
    return len(names) >= 4 or any(_ADDRESS_RE.search(line) for line in lines[start:end])


def _next_content(lines: list[str], start: int) -> str:
    for line in lines[start:]:
        if line.strip():
            return line
    return ""


def _reply_header_start(lines: list[str], end: int) -> int | None:
    """Return where an attribution header ending at line ``end`` starts, or None.

    The header may be wrapped over up to three lines (Gmail). It counts only with
    evidence (a date, time or address in it, or quoted lines after it), so that
    "my colleague wrote:" in prose is not taken for a reply header.
    """
    if not lines[end].rstrip().endswith(":") and _FIELD_RE.match(lines[end]) is None:
        return None  # fast path: headers end with ":" or are a flattened "From: ... Sent: ..."
    found = None
    joined = ""
    for start in range(end, max(-1, end - _MAX_HEADER_LINES), -1):
        line = lines[start].strip()
        if not line or line.startswith(">"):
            break
        joined = f"{line} {joined}" if joined else line
        if len(joined) > _MAX_HEADER_CHARS:
            break
        if _REPLY_HEADER_RE.fullmatch(joined):
            found = start
    if found is None:
        return None
    header = " ".join(line.strip() for line in lines[found : end + 1])
    if _EVIDENCE_RE.search(header) or _is_quote(_next_content(lines, end + 1)):
        return found
    return None


def _first_splitter(lines: list[str]) -> tuple[int, int, str] | None:
    """Find the first splitter: (first line, line after it, kind)."""
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith(">"):
            continue
        if _SPLITTERS_NEED_COLON_OR_DASH and ":" not in stripped and stripped[0] != "-":
            continue  # fast path: most lines are prose, and every splitter has a ":" or starts with "-"
        separator = _SEPARATOR_RE.fullmatch(stripped) if len(stripped) < 120 else None
        if separator is not None:
            return i, i + 1, _FORWARD if separator.group("forward") is not None else _ORIGINAL
        if _field_name(line) is not None and _is_header_block(lines, i):
            return i, i, _BLOCK
        start = _reply_header_start(lines, i)
        if start is not None:
            return start, i + 1, _WROTE
    return None


def _has_text(lines: Iterable[str]) -> bool:
    return any(_marker(line) == _TEXT for line in lines)


def _trim_end(lines: list[str]) -> list[str]:
    """Drop trailing empty and rule lines ("_____" drawn above an Outlook header)."""
    end = len(lines)
    while end and _RULE_LINE_RE.fullmatch(lines[end - 1]):
        end -= 1
    return lines[:end]


def _body_after_header(lines: list[str], after: int) -> list[str]:
    """Skip the "From:/Date:/Subject:" fields and blank lines below a forward separator."""
    i = after
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        end = _header_block_end(lines, i)
        if end == i:
            break
        i = end
    return lines[i:]


def _join(lines: list[str]) -> str:
    return "\n".join(lines)


def _fixpoint(step: Callable[[str], str], text: str) -> str:
    """Apply ``step`` until nothing changes, which makes the public function idempotent."""
    for _ in range(_MAX_PASSES):
        result = step(text)
        if result == text or len(result) > len(text):
            return text
        text = result
    return text


def _unwrap_forward_once(text: str) -> str:
    lines = text.split("\n")
    split = _first_splitter(lines)
    if split is None or split[2] != _FORWARD or _has_text(lines[: split[0]]):
        return text
    body = _trim_end(_body_after_header(lines, split[1]))
    return _join(body) if _has_text(body) else text


def unwrap_forward(text: str) -> str:
    """Return the forwarded message when the forwarder added nothing above it.

    A bare forward carries the customer's words below a "Forwarded message" header;
    classifying the header instead would miss them.
    """
    try:
        return _fixpoint(_unwrap_forward_once, text)
    except Exception:  # a cleaning step must never stop a batch
        return text


def _strip_quoted_reply_once(text: str) -> str:
    lines = text.split("\n")
    split = _first_splitter(lines)
    if split is not None:
        start, after, kind = split
        before = lines[:start]
        if _has_text(before):
            return _join(_trim_end(before))
        if kind == _WROTE:  # bottom-posted answer below the quote, or only quote
            below = [line for line in lines[after:] if not _is_quote(line)]
            return _join(_trim_end(below)).strip("\n") if _has_text(below) else text
        body = _trim_end(_body_after_header(lines, after))
        return _join(body) if _has_text(body) else text
    if not any(_is_quote(line) for line in lines):
        return text
    kept = [line for line in lines if not _is_quote(line)]
    if not _has_text(kept):
        return text
    return _join(_trim_end(kept))


def strip_quoted_reply(text: str) -> str:
    """Cut quoted history (attribution headers, Outlook blocks, "> " lines) below new text.

    A reply carries the whole thread; only the newest words say what the customer wants now.
    """
    try:
        return _fixpoint(_strip_quoted_reply_once, text)
    except Exception:  # a cleaning step must never stop a batch
        return text


def _signature_cut(lines: list[str]) -> int | None:
    """Return the line where a signature starts, or None."""
    has_text_before = [False] * (len(lines) + 1)
    for i, line in enumerate(lines):
        has_text_before[i + 1] = has_text_before[i] or _marker(line) == _TEXT
    for i, line in enumerate(lines):
        dashes = _SIG_DASHES_RE.fullmatch(line)
        if dashes is None or not has_text_before[i]:
            continue
        after = [x.strip() for x in lines[i + 1 :] if x.strip()]
        if dashes.group("space"):
            return i
        if len(after) <= _MAX_SIGNATURE_LINES and not any(_PROSE_RE.match(x) for x in after):
            return i  # a bare "--" may also divide text: only a short, sentence-free block is a signature
    cut = None
    nonempty = 0
    for i in range(len(lines) - 1, -1, -1):
        stripped = lines[i].strip()
        if not stripped:
            continue
        is_device = len(stripped) < 80 and _DEVICE_RE.fullmatch(stripped) is not None
        is_signoff = len(stripped) < 80 and _SIGNOFF_RE.fullmatch(stripped) is not None
        if (is_device or is_signoff) and has_text_before[i]:
            cut = i
        elif _PROSE_RE.match(stripped) or _PS_RE.match(stripped):
            break
        nonempty += 1
        if nonempty > _MAX_SIGNATURE_LINES:
            break
    if cut is None:
        cut = _bare_name_cut(lines, has_text_before)
    return cut


def _bare_name_cut(lines: list[str], has_text_before: list[bool]) -> int | None:
    """Find a closing name block without a sign-off ("...\n\nKate" or name, role, phone).

    The block is the last paragraph: a name line, then only short contact lines.
    """
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and lines[start - 1].strip():
        start -= 1
    block = [line.strip() for line in lines[start:end]]
    if not block or start < 2 or not has_text_before[start] or len(block) > _MAX_SIGNATURE_LINES - 2:
        return None
    if len(block[0]) > 30 or not _NAME_LINE_RE.fullmatch(block[0]):
        return None
    rest = block[1:]
    if any(len(line) > 60 or _PROSE_RE.match(line) for line in rest):
        return None
    if rest and not any(_CONTACT_RE.search(line) for line in rest):
        return None
    return start


def _strip_signature_once(text: str) -> str:
    lines = text.split("\n")
    cut = _signature_cut(lines)
    if cut is None:
        return text
    kept = _trim_end(lines[:cut])
    return _join(kept) if _has_text(kept) else text


def strip_signature(text: str) -> str:
    """Cut a sign-off with its name block, a "-- " signature and device footers.

    Names, phone numbers and "Sent from my iPhone" add noise, not meaning. A sign-off
    followed by real sentences is kept, since it is then part of the message.
    """
    try:
        return _fixpoint(_strip_signature_once, text)
    except Exception:  # a cleaning step must never stop a batch
        return text


def _strip_banner(lines: list[str]) -> list[str]:
    """Drop a gateway banner ("CAUTION: This email originated from outside ...") above the message."""
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start == len(lines) or not _BANNER_RE.match(lines[start].strip(" \t*")):
        return lines
    end = start
    while end < len(lines) and lines[end].strip():
        end += 1
    rest = lines[end:]
    return rest if _has_text(rest) else lines


def _strip_disclaimer_once(text: str) -> str:
    lines = _strip_banner(text.split("\n"))
    seen_text = False
    for i, line in enumerate(lines):
        stripped = line.strip(" \t*[]()")
        if not stripped or stripped.startswith(">"):
            continue
        if seen_text and _DISCLAIMER_RE.match(stripped):
            kept = _trim_end(lines[:i])
            return _join(kept) if _has_text(kept) else text
        seen_text = True
    return _join(lines).strip("\n") if len(lines) < len(text.split("\n")) else text


def strip_disclaimer(text: str) -> str:
    """Cut a legal disclaimer or company footer and everything below it.

    Disclaimers are long, identical across senders and say nothing about the request.
    """
    try:
        return _fixpoint(_strip_disclaimer_once, text)
    except Exception:  # a cleaning step must never stop a batch
        return text


# HTML quoting: what mail clients wrap around the quoted history.
_HTML_HINTS = (
    "blockquote",
    "gmail_quote",
    "divrplyfwdmsg",
    "appendonsend",
    "border-top",
    "moz-cite-prefix",
    "yahoo_quoted",
    "stopspelling",
)
_XML_DECLARATION_RE = regex_cache.compile(r"^\s*<\?xml[^>]*\?>")
# Elements that hold only quoted history: dropped, text after them is kept.
_HTML_QUOTE_XPATH = (
    "//blockquote"  # Apple/Thunderbird <blockquote type="cite">, Outlook web
    " | //div[contains(concat(' ', normalize-space(@class), ' '), ' gmail_quote ')]"  # Gmail
    " | //div[contains(@class, 'gmail_quote_container')]"  # newer Gmail
    " | //div[contains(concat(' ', normalize-space(@class), ' '), ' moz-cite-prefix ')]"  # Thunderbird
    " | //div[contains(@class, 'yahoo_quoted')]"  # Yahoo
)
# Elements where the quoted history starts: they and everything after them are dropped.
_HTML_CUT_XPATH = (
    "//*[starts-with(@id, 'divRplyFwdMsg')]"  # Outlook web/mobile reply header
    " | //*[@id='appendonsend']"  # Outlook web
    " | //hr[@id='stopSpelling']"  # Hotmail
    " | //div[contains(translate(@style, ' ', ''), 'border-top:solid')"
    " and contains(translate(@style, ' ', ''), 'padding:3')]"  # Outlook desktop "From:" header box
)


def _drop_following(element: object) -> None:
    """Remove an element and everything after it in document order."""
    node = element
    while True:
        parent = node.getparent()  # type: ignore[attr-defined]
        if parent is None:
            break
        for sibling in list(node.itersiblings()):  # type: ignore[attr-defined]
            parent.remove(sibling)
        node.tail = None  # type: ignore[attr-defined]
        if parent.tag in ("body", "html"):
            break
        node = parent
    element.drop_tree()  # type: ignore[attr-defined]


def strip_html_quotes(html: str) -> str:
    """Remove quoted history from an HTML mail body before it is turned into text.

    In HTML the quote is marked by elements (blockquote, div.gmail_quote, Outlook's
    divRplyFwdMsg), which are lost once the mail is plain text.
    """
    try:
        lowered = html.lower()
        if not any(hint in lowered for hint in _HTML_HINTS):
            return html
        import lxml.html  # lazy: only HTML mail with quote markup pays for lxml

        root = lxml.html.fromstring(_XML_DECLARATION_RE.sub("", html, count=1))  # lxml rejects it in str
        cuts = root.xpath(_HTML_CUT_XPATH)
        quotes = root.xpath(_HTML_QUOTE_XPATH)
        if not cuts and not quotes:
            return html
        if cuts:
            _drop_following(cuts[0])
        for element in root.xpath(_HTML_QUOTE_XPATH):
            if element.getparent() is not None:
                element.drop_tree()
        if not root.text_content().strip():
            return html
        result = lxml.html.tostring(root, encoding="unicode")
        return result if len(result) < len(html) else html
    except Exception:  # a cleaning step must never stop a batch
        return html
