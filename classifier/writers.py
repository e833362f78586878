"""Write result rows as they come: CSV, JSON Lines or Parquet, atomically.

Rows go to a temporary file beside the target, renamed into place on success,
so a crash never leaves a truncated file where a finished one is expected.
With a fingerprint the temporary file is ``OUT.part`` plus a checkpoint
(:mod:`classifier.resume`), so an interrupted run can be resumed.
"""

from __future__ import annotations

import csv
import io
import json
import math
import operator
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from classifier import resume
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
    """Context manager that streams rows (dicts in ``columns`` order) to ``path`` or stdout.

    With a ``fingerprint`` (CSV/JSONL output only) the rows go to the deterministic
    ``OUT.part`` and every :meth:`write` is followed by a checkpoint, so an interrupted
    run can continue with ``resume=True``; ``skip`` then says how many input messages
    are already in the part file. Checkpoints survive any kill of the process (the
    kernel holds the bytes); they are also made durable against a crash of the machine
    (fsynced, rows first) at most every ``CHECKPOINT_SECONDS`` and at the end: an fsync
    per chunk stalled the workers.
    """

    CHECKPOINT_SECONDS = 1.0

    def __init__(
        self,
        path: Path | None,
        columns: Sequence[str],
        *,
        fingerprint: dict[str, Any] | None = None,
        resume: bool = False,
    ) -> None:
        self.path = path
        self.columns = list(columns)
        self.format = output_format(path)
        self.rows_written = 0
        self.skip = 0
        self.fingerprint = fingerprint
        self.resume = resume
        _check_output(path, self.format, fingerprint is not None, resume)
        self.part: Path | None = None
        self._tmp: str | None = None
        self._handle: TextIO | Any = None
        self._raw: Any = None
        self._csv: Any = None
        self._cells: Any = None
        self._parquet: Any = None
        self._complete = 0  # part-file offset after the last complete write
        self._durable_at = -math.inf

    @property
    def checkpointing(self) -> bool:
        return self.path is not None and self.fingerprint is not None and self.format != "parquet"

    def __enter__(self) -> RowWriter:
        if self.path is None:
            self._handle = sys.stdout
        elif self.checkpointing:
            self._open_part()
        else:
            try:
                fd, self._tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part", dir=self.path.parent)
            except OSError as exc:
                raise InputError(f"{self.path}: cannot write there ({exc.strerror})") from None
            os.close(fd)
            if self.format != "parquet":
                self._handle = open(self._tmp, "w", encoding="utf-8", newline="")
        if self.format == "csv":
            self._csv = csv.writer(self._handle, lineterminator="\n")
            self._cells = operator.itemgetter(*self.columns)  # rows are dicts holding every column
            if self.skip == 0 and not (self.checkpointing and self._raw.tell() > 0):
                self._csv.writerow(self.columns)
        if self.checkpointing:
            self._handle.flush()
            self._complete = self._raw.tell()
            self._checkpoint()
        return self

    def _open_part(self) -> None:
        """Open ``OUT.part`` fresh, or truncated to the last checkpoint when resuming."""
        assert self.path is not None
        self.part = resume.part_path(self.path)
        ckpt_file = resume.checkpoint_path(self.path)
        saved = resume.load_checkpoint(ckpt_file) if self.resume else None
        if saved is not None and self.part.is_file():
            why = resume.explain_mismatch(saved.fingerprint, self.fingerprint or {})
            if why:
                raise InputError(f"{self.path}: cannot resume: {why} since the interrupted run; rerun without --resume")
            if self.part.stat().st_size < saved.offset:
                raise InputError(f"{self.part}: shorter than its checkpoint says; rerun without --resume")
            mode, self.skip = "r+b", saved.rows
        else:
            mode = "w+b"
        try:
            self._raw = open(self.part, mode)  # noqa: SIM115 - closed in __exit__
        except OSError as exc:
            raise InputError(f"{self.part}: cannot write there ({exc.strerror})") from None
        if mode == "r+b":
            self._raw.truncate(saved.offset)
            self._raw.seek(saved.offset)
        self.rows_written = self.skip
        self._handle = io.TextIOWrapper(self._raw, encoding="utf-8", newline="", write_through=True)

    def _checkpoint(self, *, durable: bool | None = None) -> None:
        """Record the rows of every complete write; durably (rows fsynced first) if asked or if the last was old."""
        assert self.path is not None
        self._raw.flush()
        if durable is None:
            durable = time.monotonic() - self._durable_at >= self.CHECKPOINT_SECONDS
        if durable:
            os.fsync(self._raw.fileno())
        checkpoint = resume.Checkpoint(self.rows_written, self._complete, self.fingerprint or {})
        checkpoint.save(resume.checkpoint_path(self.path), durable=durable)
        if durable:
            self._durable_at = time.monotonic()

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        if self.format == "csv":
            self._csv.writerows(map(self._cells, rows))
        elif self.format == "jsonl":
            self._handle.writelines(
                json.dumps({c: r.get(c) for c in self.columns}, ensure_ascii=False) + "\n" for r in rows
            )
        else:
            self._write_parquet(rows)
        self.rows_written += len(rows)
        if self._handle is not None:
            self._handle.flush()
        if self.checkpointing:
            self._complete = self._raw.tell()
            self._checkpoint()

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
        if self.part is not None and self._raw is not None and (kind is None or issubclass(kind, KeyboardInterrupt)):
            self._handle.flush()
            self._checkpoint(durable=True)  # before the rename, or before an interrupted run stops
        if self._handle is not None and self._handle is not sys.stdout:
            self._handle.close()
        if self.part is not None:
            self._finish_part(kind)
            return
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

    def _finish_part(self, kind: type[BaseException] | None) -> None:
        """Rename on success; keep part and checkpoint on an interrupt (to resume); else clean up."""
        assert self.path is not None and self.part is not None
        ckpt_file = resume.checkpoint_path(self.path)
        if kind is None:
            os.replace(self.part, self.path)
            ckpt_file.unlink(missing_ok=True)
        elif not issubclass(kind, KeyboardInterrupt):
            self.part.unlink(missing_ok=True)
            ckpt_file.unlink(missing_ok=True)


def _check_output(path: Path | None, fmt: str, checkpointing: bool, resume_wanted: bool) -> None:
    """Fail before any work on an output that cannot be written or resumed."""
    if resume_wanted and path is None:
        raise InputError("--resume needs an output file (-o OUT.csv or OUT.jsonl)")
    if resume_wanted and fmt == "parquet":
        raise InputError(f"{path}: --resume works for .csv and .jsonl output, not Parquet; rerun without --resume")
    if resume_wanted and not checkpointing:
        raise InputError(f"{path}: --resume needs a checkpointed run")
    if path is None:
        return
    if not path.parent.exists():
        raise InputError(f"{path}: output folder '{path.parent}' does not exist")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; name an output file")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise InputError(f"{path}: output folder '{path.parent}' is not writable")


def _arrow_type(column: str) -> Any:
    import pyarrow as pa

    if column.endswith("_confidence"):
        return pa.float64()
    return pa.int64() if column == "thread_position" else pa.string()
