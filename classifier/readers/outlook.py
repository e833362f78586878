"""Outlook ``.msg`` files (OLE compound documents), read with ``extract-msg``.

A .msg holds one mail: plain body (else HTML), subject, sender, date, Message-ID and
attachments. Like the other mail readers this never raises for a broken file: the
Message gets ``error`` naming the file.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from classifier.message import Message
from classifier.readers.mail import _message_ids, _thread_id

__all__ = ["OLE_MAGIC", "is_outlook_msg", "parse_msg_bytes"]

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MSG_MARKERS = ("__properties_version1.0", "__substg1.0_")


def is_outlook_msg(data: bytes | str) -> bool:
    """Tell an Outlook message from other OLE files (legacy .xls/.doc) by its stream names."""
    import olefile  # installed with extract-msg

    try:
        with olefile.OleFileIO(data) as ole:
            names = ["/".join(entry) for entry in ole.listdir(streams=True, storages=True)]
    except Exception:  # olefile raises several types for damaged files
        return False
    return any(name.startswith(_MSG_MARKERS) for name in names)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _attachment_name(attachment: Any) -> str:
    for attribute in ("longFilename", "shortFilename", "displayName", "name"):
        try:
            value = getattr(attachment, attribute, None)
        except Exception:  # extract-msg computes some attributes lazily and may fail
            value = None
        if value:
            return str(value)
    return "unnamed"


def _header(msg: Any, name: str) -> str:
    try:
        header = msg.header
        return _text(header.get(name)) if header is not None else ""
    except Exception:  # a missing or broken transport-header stream
        return ""


def parse_msg_bytes(data: bytes | str, *, source: str, position: str = "") -> Message:
    """Parse one .msg (raw bytes or a path) into a Message; never raises."""
    fallback = f"{source}#{position}" if position else source
    try:
        import extract_msg
    except ImportError:
        reason = "reading .msg needs extract-msg; pip install extract-msg"
        return Message.unreadable(fallback, source, position, reason, channel="email")
    try:
        msg = extract_msg.openMsg(data, delayAttachments=False)
    except Exception as exc:  # extract-msg/olefile raise many types for damaged files
        reason = f"not a readable Outlook .msg file ({type(exc).__name__}: {str(exc)[:80]})"
        return Message.unreadable(fallback, source, position, reason, channel="email")
    try:
        return _message(msg, source, position, fallback)
    except Exception as exc:  # one broken mail must never stop the batch
        reason = f"cannot read Outlook message ({type(exc).__name__}: {str(exc)[:80]})"
        return Message.unreadable(fallback, source, position, reason, channel="email")
    finally:
        msg.close()


def _message(msg: Any, source: str, position: str, fallback: str) -> Message:
    warnings: list[str] = []
    text, is_html = _text(getattr(msg, "body", None)), False
    if not text.strip():
        text, is_html = _text(getattr(msg, "htmlBody", None)), True
    if not text.strip():
        text, is_html = "", False
        warnings.append("no text body; the e-mail has no body to classify")
    ids = _message_ids(_text(getattr(msg, "messageId", None)))
    own_id = ids[0] if ids else ""
    subject = _text(getattr(msg, "subject", None))
    sender = _text(getattr(msg, "sender", None))
    date = getattr(msg, "date", None)
    head = {
        "references": _header(msg, "References"),
        "in-reply-to": _text(getattr(msg, "inReplyTo", None)) or _header(msg, "In-Reply-To"),
        "from": sender,
    }
    return Message(
        id=own_id or fallback,
        text=text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", ""),
        channel="email",
        source=source,
        position=position,
        sender=sender,
        subject=subject,
        timestamp=date.isoformat() if isinstance(date, datetime) else "",
        thread_id=_thread_id(head, own_id, subject),
        is_html=is_html,
        attachments=[_attachment_name(a) for a in getattr(msg, "attachments", None) or []],
        warnings=warnings,
    )
