"""Read e-mail from mbox files, .eml files and Maildir folders, one Message at a time.

Readers stream: an mbox of any size is read line by line in constant memory. A mail
that cannot be decoded is still yielded, with ``error`` set, so no message is lost.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import re
from collections.abc import Iterable, Iterator
from email.message import Message as EmailMessage
from email.policy import compat32
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import BinaryIO

from classifier.errors import InputError
from classifier.message import Message
from classifier.normalize.mail import unwrap_forward
from classifier.normalize.rules import da, de, en, es, fr, it, nl, pl, pt, sv

__all__ = [
    "SUBJECT_THREAD_PREFIX",
    "normalize_subject",
    "parse_email_bytes",
    "read_eml",
    "read_maildir",
    "read_mbox",
    "read_mbox_stream",
    "subject_thread_key",
]

#: Thread ids built from sender + subject (no References/In-Reply-To) start with this.
SUBJECT_THREAD_PREFIX = "subject:"

_ENCODED_WORD_RE = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS_RE = re.compile(r"(\?=)\s+(=\?)")  # RFC 2047: space between encoded words is dropped
_SPACE_RE = re.compile(r"\s+")
_MSGID_RE = re.compile(r"<([^<>\s]+)>")
_SUBJECT_PREFIXES = sorted(
    {p for lang in (de, en, fr, es, it, nl, pl, sv, da, pt) for p in lang.SUBJECT_PREFIXES},
    key=len,
    reverse=True,
)
_SUBJECT_PREFIX_RE = re.compile(
    r"^\s*(?:\[[^\]]{0,40}\]\s*)?(?:"
    + "|".join(map(re.escape, _SUBJECT_PREFIXES))
    + r")\s?(?:\[\d+\]|\(\d+\))?\s?:\s*",
    re.IGNORECASE,
)
_SINGLE_BYTE_CHARSETS = re.compile(r"(?:iso-?8859|latin|windows-125|cp125|us-ascii|ascii)", re.IGNORECASE)
# Detected charsets accepted for European mail; anything else is more likely a wrong guess.
_LIKELY_CHARSETS = frozenset({"cp1252", "iso8859_1", "iso8859_15", "utf_8", "cp1250", "iso8859_2", "mac_roman"})
# cp1252 letters that in real text are mostly other code pages misread (cp1250 ą ł ż ś ź, koi8, mac).
_NOT_CP1252_RE = re.compile(r"\w[¹³¿œŸ¥Œ¦¨´¸ª¶º¼½¾]|[¹³¿œŸ¥Œ¦¨´¸ª¶º¼½¾]\w|[\x80-\x9f]")
_SURROGATE_RE = re.compile("[\udc80-\udcff]")
_THREAD_HEADERS = ("message-id", "subject", "date", "from", "references", "in-reply-to")
_FROM_LINE_RE = re.compile(rb"From \S+\s+(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ")


def _decode_bytes(data: bytes, charset: str | None) -> tuple[str, str]:
    """Decode a body with its declared charset, detecting the charset when that fails.

    Returns the text and a warning ("" when the declared charset worked).
    """
    declared = (charset or "").strip().strip('"').lower()
    if declared:
        try:
            codecs.lookup(declared)
        except LookupError:
            declared = ""
    if data.isascii():
        return data.decode("ascii"), ""
    single_byte = bool(declared) and _SINGLE_BYTE_CHARSETS.match(declared) is not None
    if declared and not single_byte:
        try:
            return data.decode(declared), ""
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:  # UTF-8 bytes under a latin-1 label are common; they rarely decode by chance
        return (
            text,
            f"declared charset {declared!r} is wrong; decoded as utf-8" if single_byte else "",
        )
    if single_byte and "ascii" not in declared:
        try:
            return data.decode(declared), ""
        except UnicodeDecodeError:
            pass
    what = f"declared charset {declared!r} is wrong" if declared else "no charset declared"
    guess = data.decode("cp1252", errors="replace")
    if "\ufffd" not in guess and not _NOT_CP1252_RE.search(guess):
        return guess, f"{what}; decoded as cp1252"  # West European mail: most likely, and 100x faster
    from charset_normalizer import from_bytes  # lazy: only text that is not plain cp1252

    best = from_bytes(data).best()
    if best is not None and best.encoding in _LIKELY_CHARSETS:
        return str(best), f"{what}; decoded as {best.encoding} (detected)"
    return guess, f"{what}; decoded as cp1252"


def _decode_word(charset: str, encoding: str, payload: str) -> str:
    charset = charset.split("*", 1)[0]  # RFC 2231 language suffix: utf-8*de
    if encoding in "bB":
        raw = base64.b64decode(payload + "=" * (-len(payload) % 4))
    else:
        raw = binascii.a2b_qp(payload.encode("ascii", "replace"), header=True)
    return _decode_bytes(raw, charset)[0]


def _decode_header(value: object) -> str:
    """Decode an RFC 2047 header ("=?utf-8?q?K=C3=BCndigung?=") and 8-bit raw bytes."""
    if value is None:
        return ""
    if not isinstance(value, str):  # compat32 gives email.header.Header for raw 8-bit headers
        from email.header import decode_header

        parts = []
        for chunk, charset in decode_header(value):  # type: ignore[arg-type]
            if isinstance(chunk, bytes):
                parts.append(_decode_bytes(chunk, None if charset in (None, "unknown-8bit") else charset)[0])
            else:
                parts.append(chunk)
        value = "".join(parts)
    text = str(value)
    if not text.isascii() and _SURROGATE_RE.search(text):  # undecodable 8-bit bytes kept as surrogates
        text = _decode_bytes(text.encode("ascii", "surrogateescape"), None)[0]
    if "=?" in text:
        text = _BETWEEN_WORDS_RE.sub(r"\1\2", text)

        def word(match: re.Match[str]) -> str:
            try:
                return _decode_word(*match.groups())
            except (ValueError, LookupError, binascii.Error):
                return match.group(0)

        text = _ENCODED_WORD_RE.sub(word, text)
    return _SPACE_RE.sub(" ", text).strip()


def _message_ids(value: str) -> list[str]:
    ids = _MSGID_RE.findall(value)
    return ids or value.split()


def normalize_subject(subject: str) -> str:
    """Drop "Re:", "AW:", "WG:", "Fwd:" prefixes, so replies share the thread key of their root."""
    previous = None
    while previous != subject:
        previous = subject
        subject = _SUBJECT_PREFIX_RE.sub("", subject, count=1)
    return _SPACE_RE.sub(" ", subject).strip().casefold()


def subject_thread_key(sender: str, subject: str) -> str:
    """Thread key from the sender's address and the subject without "AW:"/"Re:" prefixes.

    The fallback when a client drops References/In-Reply-To; the address keeps two
    customers who both write "Frage" apart.
    """
    address = parseaddr(sender)[1].casefold() or sender.strip().casefold()
    return f"{SUBJECT_THREAD_PREFIX}{address}:{normalize_subject(subject)}"


def _thread_id(head: dict[str, str], own_id: str, subject: str) -> str:
    """Thread key: the root of References, else In-Reply-To, else own id or sender + subject.

    A mail without references and without a reply prefix is taken as a thread root, so it
    gets its own Message-ID, which is what its replies name as their root. A reply without
    references gets :func:`subject_thread_key`; ``api.assign_thread_positions`` joins it to
    the root mail with the same key seen earlier in the run.
    """
    for name in ("references", "in-reply-to"):
        ids = _message_ids(head.get(name, ""))
        if ids:
            return ids[0]
    key = normalize_subject(subject)
    if own_id and (not key or key == subject.strip().casefold()):
        return own_id
    return subject_thread_key(head.get("from", ""), subject) if key else own_id


def _headers(msg: EmailMessage) -> dict[str, str]:
    """Decode the few headers a Message needs, in one scan (``msg.get`` scans every time)."""
    head: dict[str, str] = {}
    for name, value in msg.raw_items():
        key = name.lower()
        if key in _THREAD_HEADERS and key not in head:
            head[key] = _decode_header(value)
    return head


def _timestamp(value: str) -> tuple[str, str]:
    if not value:
        return "", ""
    try:
        return parsedate_to_datetime(value).isoformat(), ""
    except (TypeError, ValueError, IndexError, OverflowError):
        return (
            "",
            f"Date header {value[:40]!r} is not an RFC 5322 date; timestamp left empty",
        )


def _filename(part: EmailMessage) -> str:
    try:
        name = part.get_filename()
    except (LookupError, ValueError, TypeError):
        name = None
    return _decode_header(name) if name else ""


def _is_attachment(part: EmailMessage) -> bool:
    disposition = part.get("Content-Disposition")
    if disposition is None and "name" not in str(part.get("Content-Type", "")).lower():
        return False  # fast path: no disposition and no name= parameter, so no file name either
    disposition = str(disposition or "").split(";", 1)[0].strip().lower()
    return disposition == "attachment" or bool(_filename(part))


def _part_text(part: EmailMessage, warnings: list[str]) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = str(part.get_payload() or "").encode("utf-8", "surrogateescape")
    if not isinstance(payload, bytes):
        return ""
    try:
        charset = part.get_content_charset()
    except (LookupError, ValueError):
        charset = None
    text, warning = _decode_bytes(payload.replace(b"\x00", b""), charset)
    if warning:
        warnings.append(f"{part.get_content_type()} part: {warning}")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


class _Walk:
    """Collect the text parts, attachments and forwarded mails of one MIME tree."""

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        self.plain: list[str] = []
        self.html: list[EmailMessage] = []  # decoded only when there is no plain text
        self.attachments: list[str] = []
        self.forwarded: list[tuple[EmailMessage, int]] = []  # (mail, index of its attachments entry)
        self.warnings: list[str] = []
        self.too_deep = False

    def visit(self, part: EmailMessage, depth: int) -> None:
        if depth > self.max_depth:
            self.too_deep = True
            return
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else None
            if isinstance(inner, EmailMessage):
                self.forwarded.append((inner, len(self.attachments)))
                subject = _decode_header(inner.get("Subject")) or "forwarded message"
                self.attachments.append(f"{subject} (message/rfc822)")
            return
        if part.is_multipart():
            payload = part.get_payload()
            for child in payload if isinstance(payload, list) else []:
                if isinstance(child, EmailMessage):
                    self.visit(child, depth + 1)
            return
        if not ctype.startswith("text/") or _is_attachment(part):
            self.attachments.append(f"{_filename(part) or 'unnamed'} ({ctype})")
            return
        if ctype == "text/plain":
            self.plain.append(_part_text(part, self.warnings))
        elif ctype == "text/html":
            self.html.append(part)
        else:  # text/calendar, text/csv ...: content, but not the customer's words
            self.attachments.append(f"{_filename(part) or 'unnamed'} ({ctype})")


def _body(msg: EmailMessage, max_depth: int) -> tuple[str, bool, list[str], list[str]]:
    """Return (text, is_html, attachments, warnings), taking a bare forward's inner text."""
    walk = _Walk(max_depth)
    walk.visit(msg, 0)
    if walk.too_deep:
        walk.warnings.append(f"MIME parts nested deeper than {max_depth} levels were skipped")
    text, is_html = "\n\n".join(t for t in walk.plain if t.strip()), False
    if not text.strip() and walk.html:
        text, is_html = "\n".join(_part_text(part, walk.warnings) for part in walk.html), True
    if not text.strip() and walk.forwarded:
        inner, index = walk.forwarded[0]
        inner_text, inner_html, inner_attachments, inner_warnings = _body(inner, max_depth)
        del walk.attachments[index]  # the forwarded mail is the body now, not an attachment
        walk.attachments.extend(inner_attachments)
        walk.warnings.extend(inner_warnings)
        text, is_html = inner_text, inner_html
    if text and not is_html:
        text = unwrap_forward(text)
    return text, is_html, walk.attachments, walk.warnings


def parse_email_bytes(data: bytes, *, source: str, position: str, max_depth: int = 20) -> Message:
    """Parse one raw RFC 5322 mail into a Message; never raises.

    Errors become ``Message.error`` with one specific line, so one broken mail never
    stops a batch of thousands.
    """
    fallback_id = f"{source}#{position}" if position else source
    try:
        data = bytes(data).replace(b"\x00", b"")
        if not data.strip():
            return Message.unreadable(
                fallback_id, source, position, "empty e-mail; nothing to classify", channel="email"
            )
        msg = email.message_from_bytes(data, policy=compat32)
        head = _headers(msg)
        own_ids = _message_ids(head.get("message-id", ""))
        own_id = own_ids[0] if own_ids else ""
        subject = head.get("subject", "")
        timestamp, date_warning = _timestamp(head.get("date", ""))
        text, is_html, attachments, warnings = _body(msg, max_depth)
        if date_warning:
            warnings.append(date_warning)
        for defect in msg.defects:
            warnings.append(f"malformed MIME: {type(defect).__name__}")
        if not text.strip():
            warnings.append("no text part; the e-mail has no body to classify")
        return Message(
            id=own_id or fallback_id,
            text=text,
            channel="email",
            source=source,
            position=position,
            sender=head.get("from", ""),
            subject=subject,
            timestamp=timestamp,
            thread_id=_thread_id(head, own_id, subject),
            is_html=is_html,
            attachments=attachments,
            warnings=warnings,
        )
    except RecursionError:
        reason = "MIME parts nested hundreds of levels deep; the parser gives up on this e-mail"
        return Message.unreadable(fallback_id, source, position, reason, channel="email")
    except Exception as exc:  # one broken mail must never stop the batch
        message = Message.unreadable(
            fallback_id, source, position, f"cannot parse e-mail ({type(exc).__name__}: {exc})", channel="email"
        )
        message.error = message.error[:300]  # exception texts can quote the message
        return message


def _unescape_from(line: bytes) -> bytes:
    """mboxrd: ">From " and ">>From " lose one ">" (mboxo only escaped "From ")."""
    stripped = line.lstrip(b">")
    if stripped is not line and stripped.startswith(b"From ") and line.startswith(b">"):
        return line[1:]
    return line


def read_mbox(path: str | Path) -> Iterator[Message]:
    """Stream the messages of an mbox file, in constant memory."""
    path = Path(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot open mbox ({exc.strerror}); check the path") from exc
    with handle:
        yield from read_mbox_stream(handle, str(path))


def read_mbox_stream(handle: BinaryIO | Iterable[bytes], source: str) -> Iterator[Message]:
    """Stream the messages of an mbox from a binary stream (a file or a zip member).

    ``mailbox.mbox`` indexes the whole file first; this reads it once, line by line,
    splitting at "From " lines that follow a blank line.
    """
    lines: list[bytes] = []
    number = 0
    previous_blank = True
    started = False
    for line in handle:
        if line.startswith(b"From ") and (previous_blank or _FROM_LINE_RE.match(line)):
            if any(x.strip() for x in lines):  # an empty chunk holds no message to lose
                number += 1
                yield _mbox_message(lines, source, number)
            lines = []
            started = True
            previous_blank = False
            continue
        if not started and line.strip():
            started = True  # no "From " line first: still read it, as message 1
        lines.append(_unescape_from(line) if line.startswith(b">") else line)
        previous_blank = not line.strip()
    if started and any(x.strip() for x in lines):
        number += 1
        complete = bool(lines) and lines[-1].endswith(b"\n") and not lines[-1].strip()
        message = _mbox_message(lines, source, number)
        if not complete and not message.error:
            message.warnings.append("mbox ends mid-message; the last message may be truncated")
        yield message


def _mbox_message(lines: list[bytes], source: str, number: int) -> Message:
    if lines and not lines[-1].strip():
        lines = lines[:-1]  # the blank line before the next "From " belongs to the mbox
    return parse_email_bytes(b"".join(lines), source=source, position=f"message {number}")


def _read_file(path: Path, source: str) -> Message:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Message(
            id=f"{source}#{path.name}",
            channel="email",
            source=source,
            position=path.name,
            error=f"{source}, {path.name}: cannot read file ({exc.strerror})",
        )
    return parse_email_bytes(data, source=source, position=path.name)


def read_eml(path: str | Path) -> Iterator[Message]:
    """Yield the Message of one .eml file, or of every .eml file in a folder (sorted)."""
    path = Path(path)
    if path.is_dir():
        for file in sorted(path.glob("*.eml")):
            yield _read_file(file, str(path))
    elif path.is_file():
        yield _read_file(path, str(path.parent))
    else:
        raise InputError(f"{path}: no such .eml file or folder; check the path")


def read_maildir(path: str | Path) -> Iterator[Message]:
    """Yield the Messages of a Maildir (cur/ and new/, each sorted by file name)."""
    path = Path(path)
    folders = [path / "cur", path / "new"]
    if not any(folder.is_dir() for folder in folders):
        raise InputError(f"{path}: not a Maildir (no cur/ or new/ folder); pass the Maildir root")
    for folder in folders:
        if not folder.is_dir():
            continue
        for file in sorted(folder.iterdir()):
            if file.is_file() and not file.name.startswith("."):
                yield _read_file(file, str(path))
