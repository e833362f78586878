"""Write result rows as they come: CSV, JSON Lines or Parquet, atomically.

Rows go to a temporary file beside the target, renamed into place on success,
so a crash never leaves a truncated file where a finished one is expected.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from classifier.errors import InputError

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


def output_format(path: Path | None) -> str:
    """The output format by extension (stdout: CSV)."""
    if path is None:
        return "csv"
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path}: unknown output format '{path.suffix}'; use .csv, .jsonl or .parquet")
    return fmt


class RowWriter:
    """Context manager that streams rows (dicts in ``columns`` order) to ``path`` or stdout."""

    def __init__(self, path: Path | None, columns: Sequence[str]) -> None:
        self.path = path
        self.columns = list(columns)
        self.format = output_format(path)
        self.rows_written = 0
        if path is not None and not path.parent.exists():
            raise InputError(f"{path}: output folder '{path.parent}' does not exist")
        self._tmp: str | None = None
        self._handle: TextIO | Any = None
        self._csv: Any = None
        self._parquet: Any = None

    def __enter__(self) -> RowWriter:
        if self.path is None:
            self._handle = sys.stdout
        else:
            fd, self._tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part", dir=self.path.parent)
            os.close(fd)
            if self.format != "parquet":
                self._handle = open(self._tmp, "w", encoding="utf-8", newline="")
        if self.format == "csv":
            self._csv = csv.DictWriter(
                self._handle, fieldnames=self.columns, extrasaction="ignore", lineterminator="\n"
            )
            self._csv.writeheader()
        return self

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        if self.format == "csv":
            self._csv.writerows(rows)
        elif self.format == "jsonl":
            self._handle.writelines(
                json.dumps({c: r.get(c) for c in self.columns}, ensure_ascii=False) + "\n" for r in rows
            )
        else:
            self._write_parquet(rows)
        self.rows_written += len(rows)
        if self._handle is not None:
            self._handle.flush()

    def _write_parquet(self, rows: Sequence[dict[str, Any]]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._parquet is None:
            self._schema = pa.schema([(c, _arrow_type(c)) for c in self.columns])
            self._parquet = pq.ParquetWriter(self._tmp, self._schema)
        table = pa.Table.from_pylist([{c: r.get(c) for c in self.columns} for r in rows], schema=self._schema)
        self._parquet.write_table(table)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._handle is not None and self._handle is not sys.stdout:
            self._handle.close()
        if self._tmp is None:
            return
        if kind is None:
            if self.format == "parquet" and self._parquet is None:  # no rows: still write a valid empty file
                import pyarrow as pa
                import pyarrow.parquet as pq

                schema = pa.schema([(c, _arrow_type(c)) for c in self.columns])
                pq.write_table(schema.empty_table(), self._tmp)
            os.replace(self._tmp, self.path)
        else:
            os.unlink(self._tmp)


def _arrow_type(column: str) -> Any:
    import pyarrow as pa

    if column.endswith("_confidence"):
        return pa.float64()
    return pa.int64() if column == "thread_position" else pa.string()
