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

from classifier.errors import InputError
from classifier.message import Message
from classifier.readers.table import Columns, read_csv, read_excel, read_json, read_jsonl, read_parquet

__all__ = ["Columns", "check_inputs", "detect_format", "read_inputs", "read_path"]

_MAIL_HEADER_RE = re.compile(
    rb"^(?:Return-Path|Received|From|To|Subject|Date|Message-ID|MIME-Version|Delivered-To|Reply-To|"
    rb"Content-Type|X-[\w-]+|DKIM-Signature|ARC-[\w-]+|Authentication-Results):",
    re.IGNORECASE | re.MULTILINE,
)
DEFAULT_COLUMNS = Columns()
FORMATS = ("csv", "tsv", "json", "jsonl", "parquet", "excel", "eml", "mbox", "maildir")


def detect_format(path: Path) -> str:
    """Name the format of ``path`` from its first bytes; raise InputError if unsupported."""
    if path.is_dir():
        return "maildir" if (path / "cur").is_dir() and (path / "new").is_dir() else "folder"
    with open(path, "rb") as handle:
        head = handle.read(8192)
    suffix = path.suffix.lower()
    if not head:
        raise InputError(f"{path}: file is empty")
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        if b"[Content_Types].xml" in head or b"xl/" in head or suffix in (".xlsx", ".xlsm"):
            return "excel"
        raise InputError(f"{path}: zip archives are not supported yet; unpack it and pass the folder")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(f"{path}: Outlook .msg and legacy .xls files are not supported yet; export as .eml or .xlsx")
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"From "):
        return "mbox"
    if stripped[:1] in (b"{", b"["):
        first, _, rest = stripped.partition(b"\n")
        # JSON Lines: an object per line; a one-line object file is plain JSON.
        return "jsonl" if first.rstrip().endswith(b"}") and rest.lstrip()[:1] == b"{" else "json"
    if b"\x00" in head[:4096] and suffix not in (".csv", ".tsv", ".txt", ".eml"):
        raise InputError(f"{path}: binary data, not a supported input format")
    if len(_MAIL_HEADER_RE.findall(head[:4096])) >= 2 and _MAIL_HEADER_RE.match(stripped):
        return "eml"
    if suffix in (".tsv", ".tab"):
        return "tsv"
    return "csv"


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
    elif fmt == "parquet":
        yield from read_parquet(path, source, columns)
    elif fmt == "excel":
        yield from read_excel(path, source, columns)
    else:
        with open(path, "rb") as stream:
            if fmt == "jsonl":
                yield from read_jsonl(stream, source, columns)
            elif fmt == "json":
                yield from read_json(stream, source, columns)
            elif fmt in ("csv", "tsv"):
                yield from read_csv(stream, source, columns, delimiter="\t" if fmt == "tsv" else None)
            else:
                raise InputError(f"{path}: unknown format '{fmt}'; use one of {', '.join(FORMATS)}")


def _read_folder(folder: Path, columns: Columns) -> Iterator[Message]:
    """Every file below ``folder`` (sorted, hidden ones skipped); an unreadable file is one error row."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        try:
            yield from read_path(path, columns)
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
                for msg in read_path(Path(spool.name), columns, fmt=fmt):
                    msg.source = "<stdin>" if msg.source == spool.name else msg.source
                    msg.error = msg.error.replace(spool.name, "<stdin>")
                    yield msg
        else:
            yield from read_path(Path(item), columns, fmt=fmt)
