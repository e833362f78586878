"""Property tests: table readers never raise anything but InputError, and keep one message per row."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifier.errors import InputError
from classifier.readers import read_path

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
cell = st.one_of(st.text(max_size=200), st.integers(), st.floats(allow_nan=False), st.none(), st.booleans())


def read_bytes(data: bytes, suffix: str, fmt: str | None = None) -> list:
    """All messages of ``data`` saved as a file with ``suffix``; InputError propagates."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        return list(read_path(path, fmt=fmt))


@FAST
@given(
    data=st.binary(max_size=4000),
    target=st.sampled_from(
        [(".csv", None), (".jsonl", "jsonl"), (".csv", "csv"), (".tsv", "tsv"), (".json", None), (".txt", None)]
    ),
)
def test_any_bytes_give_messages_or_one_input_error(data: bytes, target: tuple[str, str | None]) -> None:
    suffix, fmt = target
    try:
        messages = read_bytes(data, suffix, fmt)
    except InputError as exc:
        assert "\n" not in str(exc) and "input" in str(exc)
        return
    assert all(m.error or isinstance(m.text, str) for m in messages)


@FAST
@given(texts=st.lists(st.text(max_size=300), min_size=1, max_size=40))
def test_csv_gives_one_message_per_row(texts: list[str]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # "\r\n" terminator: fields holding \r or \n get quoted
    writer.writerow(["id", "text"])
    writer.writerows([f"r{i}", text] for i, text in enumerate(texts))
    messages = read_bytes(buffer.getvalue().encode("utf-8", "surrogatepass"), ".csv")
    assert [m.id for m in messages] == [f"r{i}" for i in range(len(texts))]


@FAST
@given(
    values=st.lists(cell, min_size=1, max_size=40),
    garbage=st.lists(st.binary(max_size=60).filter(lambda b: b"\n" not in b), max_size=10),
)
def test_jsonl_gives_one_message_per_non_blank_line(values: list, garbage: list[bytes]) -> None:
    lines = [json.dumps({"id": f"l{i}", "text": v}, ensure_ascii=False).encode() for i, v in enumerate(values)]
    lines[1:1] = garbage  # bad lines after the first object, which names the columns
    messages = read_bytes(b"\n".join(lines) + b"\n", ".jsonl", "jsonl")
    assert len(messages) == sum(1 for line in lines if line.strip())


@pytest.mark.parametrize("rows", [0, 1, 513])
def test_csv_row_count_survives_chunk_sized_files(rows: int) -> None:
    body = "id,text\n" + "".join(f"r{i},text {i}\n" for i in range(rows))
    assert len(read_bytes(body.encode(), ".csv")) == rows
