"""Read inputs of any supported format into a stream of :class:`Message`.

Formats are detected from the content (magic bytes, headers), not only from the
file name. Faults of one message become error rows; faults that stop the whole
input (missing file, unknown format) raise :class:`InputError`.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from classifier.errors import InputError
from classifier.message import Message
from classifier.readers.table import Columns, read_csv, read_excel, read_json, read_jsonl, read_parquet

__all__ = ["Columns", "check_inputs", "detect_bytes", "detect_format", "read_inputs", "read_path", "read_stream"]

_MAIL_HEADER_RE = re.compile(
    rb"^(?:Return-Path|Received|From|To|Subject|Date|Message-ID|MIME-Version|Delivered-To|Reply-To|"
    rb"Content-Type|X-[\w-]+|DKIM-Signature|ARC-[\w-]+|Authentication-Results):",
    re.IGNORECASE | re.MULTILINE,
)
DEFAULT_COLUMNS = Columns()
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # compound file: Outlook .msg, legacy .xls/.doc
FORMATS = (
    "csv", "tsv", "json", "jsonl", "parquet", "excel", "eml", "mbox", "maildir", "msg", "zip",
    "twitter", "facebook",
)  # fmt: skip


def detect_bytes(head: bytes, name: str = "") -> str:
    """Name the format of a file from its first bytes (and its name's suffix as a tie-breaker).

    Returns "ole" for an OLE compound file; the caller tells .msg from legacy Office files.
    """
    suffix = Path(name).suffix.lower()
    if not head:
        raise InputError(f"{name}: file is empty")
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        if b"[Content_Types].xml" in head or b"xl/" in head or suffix in (".xlsx", ".xlsm"):
            return "excel"
        return "zip"
    if head.startswith(OLE_MAGIC):
        return "ole"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"From "):
        return "mbox"
    if stripped.startswith(b"window.YTD."):
        return "twitter"
    if stripped[:1] in (b"{", b"["):
        if stripped[:1] == b"{" and b'"participants"' in head and b'"messages"' in head:
            return "facebook"
        first, _, rest = stripped.partition(b"\n")
        # JSON Lines: an object per line; a one-line object file is plain JSON.
        return "jsonl" if first.rstrip().endswith(b"}") and rest.lstrip()[:1] == b"{" else "json"
    if b"\x00" in head[:4096] and suffix not in (".csv", ".tsv", ".txt", ".eml"):
        raise InputError(f"{name}: binary data, not a supported input format")
    if len(_MAIL_HEADER_RE.findall(head[:4096])) >= 2 and _MAIL_HEADER_RE.match(stripped):
        return "eml"
    if suffix in (".tsv", ".tab"):
        return "tsv"
    return "csv"


def detect_format(path: Path) -> str:
    """Name the format of ``path`` from its first bytes; raise InputError if unsupported."""
    if path.is_dir():
        return "maildir" if (path / "cur").is_dir() and (path / "new").is_dir() else "folder"
    with open(path, "rb") as handle:
        head = handle.read(8192)
    if not head:
        raise InputError(f"{path}: file is empty")
    fmt = detect_bytes(head, str(path))
    if fmt == "ole":
        return _ole_format(str(path), path)
    return fmt


def _ole_format(name: str, data: Path | bytes) -> str:
    """An OLE file is read only if it is an Outlook message."""
    from classifier.readers.outlook import is_outlook_msg

    if is_outlook_msg(data if isinstance(data, bytes) else str(data)):
        return "msg"
    raise InputError(f"{name}: OLE file but not an Outlook message (legacy .xls/.doc?); save it as .xlsx or .eml")


def read_path(path: Path, columns: Columns = DEFAULT_COLUMNS, *, fmt: str | None = None) -> Iterator[Message]:
    """Messages of one file or folder."""
    from classifier.readers import mail

    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    fmt = fmt or detect_format(path)
    source = str(path)
    if fmt == "folder":
        yield from _read_folder(path, columns)
    elif fmt == "maildir":
        yield from mail.read_maildir(path)
    elif fmt == "mbox":
        yield from mail.read_mbox(path)
    elif fmt == "eml":
        for message in mail.read_eml(path):
            message.source, message.position = source, ""  # one file: its path says where
            yield message
    elif fmt == "msg":
        from classifier.readers.outlook import parse_msg_bytes

        yield parse_msg_bytes(str(path), source=source)
    elif fmt == "zip":
        from classifier.readers.archive import read_zip

        yield from read_zip(path, source, columns)
    elif fmt == "twitter":
        yield from _read_twitter_file(path)
    elif fmt == "parquet":
        yield from read_parquet(path, source, columns)
    elif fmt == "excel":
        yield from read_excel(path, source, columns)
    else:
        with open(path, "rb") as stream:
            yield from read_stream(stream, fmt, source, columns)


def read_stream(stream: BinaryIO, fmt: str, source: str, columns: Columns = DEFAULT_COLUMNS) -> Iterator[Message]:
    """Messages of a stream-readable format (a file or a zip member)."""
    from classifier.readers import mail, social

    if fmt == "jsonl":
        yield from read_jsonl(stream, source, columns)
    elif fmt == "json":
        yield from read_json(stream, source, columns)
    elif fmt in ("csv", "tsv"):
        yield from read_csv(stream, source, columns, delimiter="\t" if fmt == "tsv" else None)
    elif fmt == "mbox":
        yield from mail.read_mbox_stream(stream, source)
    elif fmt == "facebook":
        yield from social.read_facebook_json(stream, source)
    else:
        raise InputError(f"{source}: unknown format '{fmt}'; use one of {', '.join(FORMATS)}")


def _read_twitter_file(path: Path) -> Iterator[Message]:
    """One file of a Twitter archive: DMs are read, the account's own tweets are refused."""
    from classifier.readers import social

    with open(path, "rb") as handle:
        kind = social.js_kind(handle.read(256))
    if kind not in social.DM_KINDS:
        what = "the account's own posts" if kind == "tweets" else f"'{kind}' data"
        raise InputError(f"{path}: holds {what}, not inquiries; pass data/direct-messages.js or the whole archive")
    account = path.with_name("account.js")
    yield from social.read_twitter_dm_file(
        lambda: path.open("rb"), (lambda: account.open("rb")) if account.is_file() else None, str(path)
    )


def folder_files(folder: Path) -> Iterator[tuple[Path, str | None]]:
    """The files below ``folder`` that hold messages, sorted, each with its format if the
    folder's layout decides it (Twitter archive, Facebook export), else None.

    Hidden files are skipped; inside a Twitter archive or a Facebook export only the
    message files count. The local reader and the Dask planner walk folders alike.
    """
    from classifier.readers import social

    files = sorted(p for p in folder.rglob("*") if p.is_file())
    names = {path: path.relative_to(folder).as_posix() for path in files}
    roots = social.twitter_roots(names.values())
    for path in files:
        name = names[path]
        if any(part.startswith(".") for part in name.split("/")):
            continue
        role = social.export_role(name, roots)
        if role != "skip":
            yield path, {"twitter_dm": "twitter", "facebook": "facebook"}.get(role or "")


def _read_folder(folder: Path, columns: Columns) -> Iterator[Message]:
    """Every message file below ``folder``; an unreadable file is one error row."""
    for path, fmt in folder_files(folder):
        try:
            yield from read_path(path, columns, fmt=fmt)
        except InputError as exc:
            yield Message(id=str(path), source=str(path), error=str(exc))


def check_inputs(inputs: Iterable[str | Path]) -> None:
    """Fail before any work if an input path does not exist."""
    for item in inputs:
        if str(item) != "-" and not Path(item).exists():
            raise InputError(f"{item}: no such file or folder")


def read_inputs(
    inputs: Iterable[str | Path], columns: Columns = DEFAULT_COLUMNS, *, fmt: str | None = None
) -> Iterator[Message]:
    """Messages of every input in order; ``-`` reads standard input (spooled to a temporary file)."""
    for item in inputs:
        if str(item) == "-":
            with tempfile.NamedTemporaryFile(prefix="triage-stdin-", suffix=".in") as spool:
                shutil.copyfileobj(sys.stdin.buffer, spool)
                spool.flush()
                try:
                    for msg in read_path(Path(spool.name), columns, fmt=fmt):
                        msg.source = "<stdin>" if msg.source == spool.name else msg.source
                        msg.error = msg.error.replace(spool.name, "<stdin>")
                        yield msg
                except InputError as exc:  # name what the user gave, not our temporary file
                    raise InputError(str(exc).replace(spool.name, "<stdin>")) from None
        else:
            yield from read_path(Path(item), columns, fmt=fmt)
