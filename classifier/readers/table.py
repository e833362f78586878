"""Tables from helpdesks and exports: CSV/TSV, JSON, JSONL, Parquet, Excel.

Rows stream one :class:`Message` at a time; a row that cannot be used becomes a
Message with ``error`` set, so the output still has its row.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from classifier.errors import InputError, snippet
from classifier.message import Message

TEXT_COLUMNS = (
    "text",
    "body",
    "message",
    "content",
    "description",
    "nachricht",
    "inhalt",
    "beschreibung",
    "full_text",
    "comment",
    "review",
)
SUBJECT_COLUMNS = ("subject", "betreff", "title", "titel")
ID_COLUMNS = ("id", "message_id", "ticket_id", "tweet_id", "case_id", "uid")
CHANNEL_COLUMNS = ("channel", "kanal", "source_channel", "medium")


@dataclass(frozen=True)
class Columns:
    """Column names the user named (``None``: detect from common names)."""

    text: str | None = None
    subject: str | None = None
    id: str | None = None
    channel: str | None = None


def show_header(header: list[str]) -> str:
    """Column names for an error message, each cut short: a file without a header row
    would otherwise print its first message as the "columns"."""
    return ", ".join(snippet(h, 24) for h in header[:15]) + (" ..." if len(header) > 15 else "")


def _pick(
    header: Iterable[str], wanted: str | None, candidates: tuple[str, ...], source: str, flag: str, required: bool
) -> str | None:
    header = list(header)
    if wanted is not None:
        if wanted not in header:
            shown = show_header(header)
            raise InputError(f"{source}: no column '{wanted}' (columns: {shown}); pass {flag}")
        return wanted
    lowered = {h.strip().lower(): h for h in header}
    for name in candidates:
        if name in lowered:
            return lowered[name]
    if required:
        shown = show_header(header)
        raise InputError(f"{source}: no text column found (columns: {shown}); pass --text-column")
    return None


class RowMapper:
    """Turns table rows (mappings) into Messages, given a header and the user's column choice."""

    def __init__(self, header: Iterable[str], columns: Columns, source: str) -> None:
        header = [str(h) for h in header]
        self.source = source
        self.text = _pick(header, columns.text, TEXT_COLUMNS, source, "--text-column", True)
        self.subject = _pick(header, columns.subject, SUBJECT_COLUMNS, source, "--subject-column", False)
        self.id = _pick(header, columns.id, ID_COLUMNS, source, "--id-column", False)
        self.channel = _pick(header, columns.channel, CHANNEL_COLUMNS, source, "--channel-column", False)
        # The "customer support on Twitter" export: company replies are context, not inquiries.
        self.inbound = "inbound" if {"inbound", "tweet_id", "author_id"} <= set(header) else None

    def skip(self, row: Mapping[str, Any]) -> bool:
        return self.inbound is not None and str(row.get(self.inbound, "")).strip().lower() in ("false", "0")

    def message(self, row: Mapping[str, Any], number: int) -> Message:
        position = f"row {number}"
        ident = _cell(row.get(self.id)) if self.id else ""
        msg = Message(id=ident or str(number), source=self.source, position=position)
        if self.channel:
            msg.channel = _cell(row.get(self.channel)) or "unknown"
        elif self.inbound:
            msg.channel = "twitter"
        text = _cell(row.get(self.text))
        subject = _cell(row.get(self.subject)) if self.subject else ""
        msg.subject = subject
        msg.text = text
        if not text.strip() and not subject.strip():
            msg.error = f"{self.source}, {position}: column '{self.text}' is empty"
        return msg


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN from pandas/pyarrow
        return ""
    return str(value)


def _decode(sample: bytes) -> str:
    """The encoding of a text file: UTF-8 if it decodes, else what charset-normalizer finds."""
    try:
        sample.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start > len(sample) - 4:  # a multi-byte char cut by the sample's end
            return "utf-8-sig"
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    return best.encoding if best is not None else "latin-1"


class TweetThreads:
    """Root tweet and earlier customer tweets of each tweet, from ``in_response_to_tweet_id`` chains.

    Company replies stay in the chain although they are not classified, so a customer's
    second tweet in a conversation knows it is the second one.
    """

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.inbound: dict[str, bool] = {}
        self._found: dict[str, tuple[str, int]] = {}

    def add(self, tweet: str, parent: str, inbound: bool) -> None:
        self.parent[tweet] = parent
        self.inbound[tweet] = inbound

    def locate(self, tweet: str) -> tuple[str, int]:
        """Return (root tweet id, number of customer tweets above ``tweet`` in its chain)."""
        path: list[str] = []
        seen: set[str] = set()
        node = tweet
        while node not in self._found:
            parent = self.parent.get(node, "")
            if not parent or node in seen:  # a root, a reply to a tweet not in the file, or a cycle
                self._found[node] = (node, 0)
                break
            seen.add(node)
            path.append(node)
            node = parent
        for child in reversed(path):
            parent = self.parent[child]
            root, count = self._found[parent]
            self._found[child] = (root, count + self.inbound.get(parent, False))
        return self._found[tweet]


def _tweet_id(value: str) -> str:
    """A tweet id as written by pandas exports ("3.0") or plain ("3")."""
    value = value.strip()
    return value[:-2] if value.endswith(".0") else value


def _tweet_threads(reader: Iterator[list[str]], header: list[str]) -> TweetThreads:
    """First pass over a "customer support on Twitter" CSV: every tweet's parent and direction."""
    threads = TweetThreads()
    tweet, parent, inbound = header.index("tweet_id"), header.index(_PARENT), header.index("inbound")
    width = max(tweet, parent, inbound)
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return threads
        except csv.Error:
            continue
        if len(values) > width:
            is_inbound = values[inbound].strip().lower() not in ("false", "0")
            threads.add(_tweet_id(values[tweet]), _tweet_id(values[parent]), is_inbound)


_PARENT = "in_response_to_tweet_id"


def read_csv(stream: BinaryIO, source: str, columns: Columns, delimiter: str | None = None) -> Iterator[Message]:
    """Stream a CSV/TSV file; the dialect and the encoding are detected from its start.

    A "customer support on Twitter" CSV is read twice (when the stream can seek): first
    the reply chains, so each customer tweet gets its root tweet as thread and the
    earlier customer tweets of the chain as ``thread_position``.
    """
    start = stream.tell() if stream.seekable() else None
    sample = stream.peek(1 << 16)[: 1 << 16] if hasattr(stream, "peek") else b""
    encoding = _decode(sample)
    text = io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")
    head = sample.decode(encoding, errors="replace")
    if delimiter is None:
        first = head.split("\n", 1)[0]
        counts = {d: first.count(d) for d in (",", "\t", ";", "|")}
        delimiter = max(counts, key=counts.get) if max(counts.values()) else ","
    csv.field_size_limit(sys.maxsize)
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{source}: file is empty") from None
    except csv.Error as exc:
        raise InputError(f"{source}: not a readable CSV header ({exc})") from None
    mapper = RowMapper(header, columns, source)
    threads = None
    if mapper.inbound and _PARENT in header and start is not None:
        threads = _tweet_threads(reader, header)
        text.detach()
        stream.seek(start)
        text = io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")
        reader = csv.reader(text, delimiter=delimiter)
        next(reader, None)
    number = 0
    while True:
        number += 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Message.unreadable(str(number), source, f"row {number}", f"malformed CSV ({exc})")
            continue
        if not values:
            number -= 1
            continue
        row = dict(zip(header, values, strict=False))
        if mapper.skip(row):
            continue
        msg = mapper.message(row, number)
        if threads is not None:
            tweet = _tweet_id(row.get("tweet_id", ""))
            root, msg.thread_position = threads.locate(tweet)
            msg.thread_id = f"twitter:{root}"
        if len(values) != len(header) and not msg.error:
            msg.warnings.append(f"row has {len(values)} fields, header has {len(header)}")
        yield msg


def read_jsonl(stream: BinaryIO, source: str, columns: Columns) -> Iterator[Message]:
    """Stream JSON Lines; a line that is not a JSON object becomes an error row."""
    mapper: RowMapper | None = None
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            yield Message.unreadable(str(number), source, f"line {number}", f"malformed JSON ({str(exc)[:80]})")
            continue
        if mapper is None:
            mapper = RowMapper(row.keys(), columns, source)
        if mapper.skip(row):
            continue
        msg = mapper.message(row, number)
        msg.position = f"line {number}"
        yield msg


def read_json(stream: BinaryIO, source: str, columns: Columns) -> Iterator[Message]:
    """A JSON array of objects, or an object holding one such array (as many exports do)."""
    try:
        data = json.load(stream)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: not valid JSON ({str(exc)[:80]})") from None
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        data = lists[0] if len(lists) == 1 else [data]
    if not isinstance(data, list):
        raise InputError(f"{source}: expected a JSON array of objects")
    yield from _read_records(data, source, columns)


def _read_records(records: Iterable[Any], source: str, columns: Columns) -> Iterator[Message]:
    mapper: RowMapper | None = None
    for number, row in enumerate(records, start=1):
        if not isinstance(row, dict):
            yield Message.unreadable(str(number), source, f"record {number}", "not an object")
            continue
        if mapper is None:
            mapper = RowMapper(row.keys(), columns, source)
        if not mapper.skip(row):
            yield mapper.message(row, number)


def read_parquet(path: Path, source: str, columns: Columns) -> Iterator[Message]:
    """Stream a Parquet file batch by batch (constant memory)."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise InputError(f"{source}: not a readable Parquet file ({str(exc)[:80]})") from None
    mapper = RowMapper(parquet.schema_arrow.names, columns, source)
    number = 0
    for batch in parquet.iter_batches(batch_size=4096):
        for row in batch.to_pylist():
            number += 1
            if not mapper.skip(row):
                yield mapper.message(row, number)


def read_excel(path: Path, source: str, columns: Columns) -> Iterator[Message]:
    """The first sheet of an Excel workbook (openpyxl)."""
    import pandas as pd

    try:
        frame = pd.read_excel(path, dtype=str)
    except Exception as exc:  # openpyxl/zipfile raise many types for broken files
        raise InputError(f"{source}: not a readable Excel file ({str(exc)[:80]})") from None
    yield from _read_records(frame.to_dict("records"), source, columns)


def read_frame(path: Path, fmt: str) -> Any:
    """A whole labeled table as a pandas DataFrame (for training and evaluation)."""
    import pandas as pd

    source = str(path)
    try:
        if fmt in ("csv", "tsv"):
            with open(path, "rb") as handle:
                sample = handle.read(1 << 16)
            encoding = _decode(sample)
            first = sample.decode(encoding, errors="replace").split("\n", 1)[0]
            counts = {d: first.count(d) for d in (",", "\t", ";", "|")}
            sep = "\t" if fmt == "tsv" else max(counts, key=counts.get)
            return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding=encoding)
        if fmt == "jsonl":
            return pd.read_json(path, lines=True, dtype=False)
        if fmt == "json":
            return pd.read_json(path, dtype=False)
        if fmt == "parquet":
            return pd.read_parquet(path)
        if fmt == "excel":
            return pd.read_excel(path, dtype=str)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise InputError(f"{source}: cannot read as {fmt} ({str(exc).splitlines()[0][:100]})") from None
    raise InputError(f"{source}: training data must be a table (CSV, TSV, JSON, JSONL, Parquet, Excel), got {fmt}")
