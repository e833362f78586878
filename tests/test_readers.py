"""Table readers and format detection: every row in gives one message out."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from classifier.errors import InputError
from classifier.readers import Columns, detect_format, read_inputs, read_path

ROWS = [
    {"id": "a1", "channel": "email", "subject": "Rechnung", "body": "Doppelt abgebucht!"},
    {"id": "a2", "channel": "twitter", "subject": "", "body": "where is my parcel"},
    {"id": "a3", "channel": "chat", "subject": "", "body": ""},
]


def write(tmp_path: Path, fmt: str) -> Path:
    frame = pd.DataFrame(ROWS)
    path = tmp_path / f"inbox.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "tsv":
        frame.to_csv(path, index=False, sep="\t")
    elif fmt == "jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    elif fmt == "json":
        path.write_text(json.dumps({"tickets": ROWS}), encoding="utf-8")
    elif fmt == "parquet":
        frame.to_parquet(path)
    elif fmt == "xlsx":
        frame.to_excel(path, index=False)
    return path


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "json", "parquet", "xlsx"])
def test_every_table_format_gives_one_message_per_row(tmp_path: Path, fmt: str) -> None:
    messages = list(read_path(write(tmp_path, fmt)))
    assert [m.id for m in messages] == ["a1", "a2", "a3"]
    assert messages[0].subject == "Rechnung" and messages[0].text == "Doppelt abgebucht!"
    assert messages[1].channel == "twitter"
    assert messages[2].error.endswith("column 'body' is empty") and "row 3" in messages[2].error


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("csv", "csv"), ("tsv", "tsv"), ("jsonl", "jsonl"), ("json", "json"), ("parquet", "parquet"), ("xlsx", "excel")],
)
def test_detect_format_from_content(tmp_path: Path, fmt: str, expected: str) -> None:
    path = write(tmp_path, fmt)
    renamed = path.with_suffix(".dat") if fmt not in ("tsv", "xlsx") else path
    path.rename(renamed)
    assert detect_format(renamed) == expected


def test_named_column_missing_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"inbox.csv: no column 'nachricht' \(columns: id, channel"):
        list(read_path(write(tmp_path, "csv"), Columns(text="nachricht")))


def test_malformed_json_line_becomes_error_row(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "ok"}\n{"text": broken\n{"text": "fine"}\n', encoding="utf-8")
    messages = list(read_path(path))
    assert len(messages) == 3
    assert "line 2: malformed JSON" in messages[1].error and not messages[2].error


def test_latin1_csv_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "alt.csv"
    path.write_bytes('text\n"Kündigung zum nächsten Monat, Grüße"\n'.encode("cp1252"))
    assert next(read_path(path)).text == "Kündigung zum nächsten Monat, Grüße"


def test_twitter_support_export_keeps_inbound_only(tmp_path: Path) -> None:
    path = tmp_path / "twcs.csv"
    path.write_text(
        "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
        "1,shopco,False,x,@123 sorry to hear that,,2\n2,123,True,x,@shopco my parcel is late,1,\n",
        encoding="utf-8",
    )
    messages = list(read_path(path))
    assert [(m.id, m.channel) for m in messages] == [("2", "twitter")]


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "file is empty"), (b"\x00\x01\x02\xff" * 100, "binary data"), (b"PK\x03\x04rest", "zip archives")],
)
def test_unusable_files_are_refused_with_their_name(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "input.bin"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        list(read_path(path))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        list(read_inputs([tmp_path / "nope.csv"]))


def test_folder_reads_every_file_and_reports_bad_ones(tmp_path: Path) -> None:
    write(tmp_path, "csv")
    (tmp_path / "junk.bin").write_bytes(b"\x00\xff" * 50)
    messages = list(read_path(tmp_path))
    assert len(messages) == 4
    assert any("junk.bin" in m.error and "binary" in m.error for m in messages)


def test_corrupt_parquet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 40)
    with pytest.raises(InputError, match="not a readable Parquet file"):
        list(read_path(path))
