"""Classify on a Dask cluster: the same code path as the local engine, one partition per task.

The driver plans partitions (a file, a Parquet row-group range, an mbox byte range cut at a
message boundary), ships the model directory's bytes once to every worker, and writes the
rows each partition returns in partition order. Every worker loads the model through
:func:`classifier.api.load_scorer`, so the manifest checksums are verified there too, and runs
:meth:`Triage.classify_messages` over Messages built by the same readers and ``RowMapper``,
so ids, columns and predictions are identical to ``triage classify`` without Dask.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import hashlib
import itertools
import math
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from classifier.errors import InputError, TriageError
from classifier.message import Message
from classifier.readers import Columns, detect_format, read_path
from classifier.readers.table import RowMapper

__all__ = [
    "Partition",
    "apply_scan",
    "classify_dask",
    "plan_partitions",
    "read_partition",
    "scan_threads",
    "start_local_cluster",
]

# Tables never carry thread ids; every other format (mail, archives, social exports) may.
TABLE_FORMATS = ("parquet", "excel", "csv", "tsv", "json", "jsonl")
FILE_OUTPUTS = (".csv", ".jsonl", ".ndjson", ".parquet")
MBOX_BLOCK = 64 << 20  # default mbox partition size: 64 MiB
_LOADED: dict[str, Any] = {}  # per worker process: model digest -> Triage (load once, reuse for every task)
_LOAD_LOCK = threading.Lock()


@dataclass(frozen=True)
class Partition:
    """One unit of work: a whole file, a Parquet row-group range or an mbox byte range.

    ``path`` is opened (absolute, so workers with another working directory find it);
    ``source`` is the path as the user spelled it, shown in ids and error rows as locally.
    """

    path: str
    source: str
    fmt: str
    start: int = 0  # row group (parquet) or byte offset (mbox)
    stop: int | None = None
    first_row: int = 0  # rows (parquet) before this range, for row numbers
    in_folder: bool = False  # read errors become an error row instead of stopping the run
    error: str = ""  # a file of a folder that cannot be read at all
    last: bool = True  # the range ends at the end of the file
    number_offset: int = 0  # mbox: messages in earlier ranges of the file
    threads: tuple[tuple[str, int], ...] | None = None  # per message: thread id and position in the whole run

    @property
    def threaded(self) -> bool:
        return self.fmt not in TABLE_FORMATS and not self.error


# --- planning (driver) ------------------------------------------------------------------------


def expand_inputs(inputs: Sequence[str | Path]) -> list[tuple[Path, str, bool]]:
    """(path, format, in_folder) for every file, in the order the local engine reads them."""
    out: list[tuple[Path, str, bool]] = []
    for item in inputs:
        text = str(item)
        if text == "-":
            raise InputError("--engine dask cannot read stdin; pass files, folders or a glob")
        paths = [Path(p) for p in sorted(glob.glob(text))] if glob.has_magic(text) else [Path(text)]
        if not paths or not paths[0].exists():
            raise InputError(f"{text}: no such file or folder")
        for path in paths:
            fmt = detect_format(path)
            if fmt == "folder":
                out.extend(_folder_files(path))
            else:
                out.append((path, fmt, False))
    return out


def _folder_files(folder: Path) -> Iterator[tuple[Path, str, bool]]:
    """Files below ``folder`` as the local reader visits them; unreadable ones keep their place."""
    from classifier.readers import folder_files

    for path, fmt in folder_files(folder):
        try:
            fmt = fmt or detect_format(path)
        except InputError as exc:
            fmt = "error:" + str(exc)
        yield path, fmt, True


def plan_partitions(inputs: Sequence[str | Path], partitions: int | None = None) -> list[Partition]:
    """Split the inputs into partitions, in output order.

    Parquet files split at row groups and mbox files at message boundaries ("From " after a
    blank line); other formats are one partition per file. ``partitions`` is a target total,
    shared among the splittable files by size (default: one per Parquet file, 64 MiB mbox blocks).
    """
    if partitions is not None and partitions < 1:
        raise InputError(f"--partitions must be at least 1, got {partitions}")
    files = expand_inputs(inputs)
    pieces = _pieces_per_file(files, partitions)
    plan: list[Partition] = []
    for (path, fmt, in_folder), wanted in zip(files, pieces, strict=True):
        base = Partition(path=str(path.resolve()), source=str(path), fmt=fmt, in_folder=in_folder)
        if fmt.startswith("error:"):
            plan.append(replace(base, fmt="error", error=fmt.removeprefix("error:")))
        elif fmt == "parquet":
            plan.extend(_parquet_ranges(base, wanted))
        elif fmt == "mbox":
            plan.extend(_mbox_ranges(base, wanted))
        else:
            plan.append(base)
    return plan


def _pieces_per_file(files: list[tuple[Path, str, bool]], partitions: int | None) -> list[int]:
    """How many ranges each file becomes: the largest splittable file per piece gets the next cut."""
    sizes = [path.stat().st_size if fmt in ("parquet", "mbox") else 0 for path, fmt, _ in files]
    capacity = [_split_capacity(path, fmt, size) for (path, fmt, _), size in zip(files, sizes, strict=True)]
    if partitions is None:  # one per Parquet file, 64 MiB mbox blocks
        return [
            min(cap, math.ceil(size / MBOX_BLOCK)) if fmt == "mbox" else 1
            for (_, fmt, _), size, cap in zip(files, sizes, capacity, strict=True)
        ]
    pieces = [1] * len(files)
    for _ in range(max(0, partitions - len(files))):
        open_files = [i for i in range(len(files)) if pieces[i] < capacity[i]]
        if not open_files:
            break
        best = max(open_files, key=lambda i: sizes[i] / pieces[i])
        pieces[best] += 1
    return pieces


def _split_capacity(path: Path, fmt: str, size: int) -> int:
    """The most ranges a file can be cut into: its row groups, or one per KiB of mbox."""
    if fmt == "mbox":
        return max(1, size // 1024)
    if fmt != "parquet":
        return 1
    import pyarrow.parquet as pq

    try:
        return max(1, pq.ParquetFile(path).metadata.num_row_groups)
    except Exception:  # unreadable: the worker's reader reports it as locally
        return 1


def _parquet_ranges(base: Partition, wanted: int) -> list[Partition]:
    """Row-group ranges of one Parquet file: ``wanted`` pieces."""
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(base.path).metadata
    except Exception:  # unreadable: the worker's reader reports it as locally
        return [base]
    groups = meta.num_row_groups
    if wanted <= 1 or groups <= 1:
        return [base]
    pieces = min(wanted, groups)
    bounds = [round(i * groups / pieces) for i in range(pieces + 1)]
    rows_before = [0]
    for i in range(groups):
        rows_before.append(rows_before[-1] + meta.row_group(i).num_rows)
    return [
        replace(base, start=lo, stop=hi, first_row=rows_before[lo], last=hi == groups)
        for lo, hi in itertools.pairwise(bounds)
        if hi > lo
    ]


def mbox_boundaries(path: str | Path, pieces: int) -> list[int]:
    """Byte offsets that cut an mbox into about ``pieces`` ranges at message starts (0 and size included).

    A cut sits at a "From " line whose previous line is blank (or that looks like a real
    separator), exactly where :func:`classifier.readers.mail.read_mbox` starts a message.
    """
    from classifier.readers.mail import _FROM_LINE_RE

    size = os.path.getsize(path)
    cuts = [0]
    with open(path, "rb") as handle:
        for i in range(1, pieces):
            target = max(size * i // pieces, cuts[-1] + 1)
            cut = _next_boundary(handle, target, size, _FROM_LINE_RE)
            if cut is None:
                break
            if cut > cuts[-1]:
                cuts.append(cut)
    return [*cuts, size]


def _next_boundary(handle: Any, target: int, size: int, from_line: Any) -> int | None:
    """The first message start at or after ``target``, or None."""
    window = 1 << 20
    pos = max(0, target - 1)
    while pos < size:
        handle.seek(max(0, pos - 4096))
        prefix_start = handle.tell()
        data = handle.read(pos - prefix_start + window + 256)
        offset = pos - prefix_start
        while True:
            hit = data.find(b"\nFrom ", offset)
            if hit < 0 or hit > pos - prefix_start + window:
                break
            start = hit + 1
            previous = data[data.rfind(b"\n", 0, hit) + 1 : hit + 1]
            line_end = data.find(b"\n", start)
            line = data[start : line_end + 1 if line_end >= 0 else len(data)]
            if not previous.strip() or from_line.match(line):
                return prefix_start + start
            offset = start
        pos += window
    return None


def _mbox_ranges(base: Partition, pieces: int) -> list[Partition]:
    bounds = mbox_boundaries(base.path, pieces)
    return [replace(base, start=lo, stop=hi, last=hi == bounds[-1]) for lo, hi in itertools.pairwise(bounds)]


# --- reading a partition (worker) ---------------------------------------------------------------


def read_partition(part: Partition, columns: Columns) -> Iterator[Message]:
    """The Messages of one partition, built exactly as the local readers build them."""
    if part.error:
        yield Message(id=part.source, source=part.source, error=part.error)
        return
    try:
        if part.fmt == "parquet":
            yield from _read_parquet_range(part, columns)
        elif part.fmt == "mbox":
            yield from _read_mbox_range(part)
        else:
            yield from _relabel(read_path(Path(part.path), columns, fmt=part.fmt), part)
    except InputError as exc:
        text = str(exc).replace(part.path, part.source)  # the path as the user spelled it
        if not part.in_folder:
            raise InputError(text) from None
        yield Message(id=part.source, source=part.source, error=text)


def _relabel(messages: Iterator[Message], part: Partition) -> Iterator[Message]:
    """Show the path as the user spelled it (the worker opened the absolute one)."""
    if part.path == part.source:
        yield from messages
        return
    for msg in messages:
        msg.source = msg.source.replace(part.path, part.source)
        msg.id = msg.id.replace(part.path, part.source)
        msg.error = msg.error.replace(part.path, part.source)
        yield msg


def _read_parquet_range(part: Partition, columns: Columns) -> Iterator[Message]:
    """Rows of some row groups, numbered as ``readers.table.read_parquet`` numbers the whole file."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(part.path)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise InputError(f"{part.source}: not a readable Parquet file ({str(exc)[:80]})") from None
    mapper = RowMapper(parquet.schema_arrow.names, columns, part.source)
    stop = parquet.metadata.num_row_groups if part.stop is None else part.stop
    groups = list(range(part.start, stop))
    number = part.first_row
    for batch in parquet.iter_batches(batch_size=4096, row_groups=groups):
        for row in batch.to_pylist():
            number += 1
            if not mapper.skip(row):
                yield mapper.message(row, number)


def _mbox_chunks(part: Partition) -> Iterator[tuple[list[bytes], bool]]:
    """Raw line lists of the messages in a byte range, split as ``read_mbox`` splits (and if complete)."""
    from classifier.readers.mail import _FROM_LINE_RE, _unescape_from

    stop = os.path.getsize(part.path) if part.stop is None else part.stop
    with open(part.path, "rb") as handle:
        handle.seek(part.start)
        lines: list[bytes] = []
        previous_blank = True
        started = False
        position = part.start
        for line in handle:
            if position >= stop:
                break
            position += len(line)
            if line.startswith(b"From ") and (previous_blank or _FROM_LINE_RE.match(line)):
                if any(x.strip() for x in lines):
                    yield lines, True
                lines, started, previous_blank = [], True, False
                continue
            if not started and line.strip():
                started = True
            lines.append(_unescape_from(line) if line.startswith(b">") else line)
            previous_blank = not line.strip()
        if started and any(x.strip() for x in lines):
            complete = not part.last or (bool(lines) and lines[-1].endswith(b"\n") and not lines[-1].strip())
            yield lines, complete


def _read_mbox_range(part: Partition) -> Iterator[Message]:
    from classifier.readers.mail import _mbox_message

    number = part.number_offset
    for lines, complete in _mbox_chunks(part):
        number += 1
        message = _mbox_message(lines, part.source, number)
        if not complete and not message.error:
            message.warnings.append("mbox ends mid-message; the last message may be truncated")
        yield message


def scan_threads(part: Partition, columns: Columns) -> list[Message]:
    """Thread fields of every message of a partition (first pass, for thread positions across partitions)."""
    return [
        Message(
            id="",
            channel=m.channel,
            sender=m.sender,
            subject=m.subject,
            thread_id=m.thread_id,
            thread_position=m.thread_position,
        )
        for m in read_partition(part, columns)
    ]


def _with_threads(messages: Iterator[Message], threads: tuple[tuple[str, int], ...] | None) -> Iterator[Message]:
    """Set the thread id and position the whole run gives each message (local counting then agrees)."""
    for i, message in enumerate(messages):
        if threads is not None and i < len(threads):
            message.thread_id, message.thread_position = threads[i]
        yield message


# --- the model on the workers -------------------------------------------------------------------


def model_blob(model_dir: Path | str | None, config_path: Path | str | None, trust: bool) -> dict[str, Any]:
    """The model directory's files as bytes (plus a config override), to ship once to every worker."""
    from classifier import persist

    folder = Path(model_dir) if model_dir is not None else persist.DEFAULT_MODEL_DIR
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
    config = Path(config_path).read_bytes() if config_path is not None else None
    digest = hashlib.sha256()
    for name, data in files.items():
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    digest.update(hashlib.sha256(config or b"").digest() + bytes([trust]))
    return {"files": files, "config": config, "trust": trust, "digest": digest.hexdigest()}


def load_blob(blob: dict[str, Any]) -> Any:
    """A Triage from shipped model bytes, loaded (and its manifest verified) once per worker process."""
    from classifier import api

    with _LOAD_LOCK:
        if blob["digest"] not in _LOADED:
            folder = Path(tempfile.mkdtemp(prefix="triage-model-"))
            keep = False
            try:
                for name, data in blob["files"].items():
                    (folder / name).write_bytes(data)
                config = None
                if blob["config"] is not None:
                    config = folder / "override.toml"
                    config.write_bytes(blob["config"])
                _LOADED[blob["digest"]] = api.load_scorer(folder, config_path=config, trust=blob["trust"])
                # the lean form maps its arrays and reads its lemma tables on first use: keep its files
                keep = api.has_lean_form(folder)
            finally:
                if keep:
                    atexit.register(shutil.rmtree, folder, True)
                else:
                    shutil.rmtree(folder, ignore_errors=True)
        return _LOADED[blob["digest"]]


def classify_partition(blob: dict[str, Any], part: Partition, columns: Columns) -> list[dict[str, Any]]:
    """Output rows of one partition, by ``Triage.classify_messages`` (the local engine's code path)."""
    triage = load_blob(blob)
    messages = _with_threads(read_partition(part, columns), part.threads)
    return [row for rows in triage.classify_messages(messages) for row in rows]


# --- the driver ---------------------------------------------------------------------------------


def start_local_cluster(workers: int = 2) -> Any:
    """A LocalCluster on this machine: ``workers`` processes, 1 thread each, memory shared fairly."""
    import psutil
    from distributed import LocalCluster

    limit = max(1 << 30, min(4 << 30, int(psutil.virtual_memory().total * 0.8 / workers)))
    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        memory_limit=limit,
        dashboard_address=":0",  # a free port: never clashes with another cluster on this machine
        silence_logs=40,
    )


def _assign_threads(client: Any, plan: list[Partition], columns: Columns) -> list[Partition]:
    """Number mbox ranges and thread positions across partitions, from a cheap first pass (no classifying)."""
    threaded = [i for i, p in enumerate(plan) if p.threaded]
    split_mbox = any(plan[i].fmt == "mbox" and not (plan[i].start == 0 and plan[i].last) for i in threaded)
    if len(threaded) < 2 and not split_mbox:
        return plan
    futures = client.map(scan_threads, [plan[i] for i in threaded], columns=columns, pure=False)
    return apply_scan(plan, dict(zip(threaded, client.gather(futures), strict=True)))


def apply_scan(plan: list[Partition], scanned: dict[int, list[Message]]) -> list[Partition]:
    """Give each scanned partition its mbox message offset and every message's run-wide thread id and position.

    The stubs go through :func:`classifier.api.assign_thread_positions` in input order, exactly
    as one local run's messages do (tables between them carry no thread ids).
    """
    from classifier.api import assign_thread_positions

    order = sorted(scanned)
    stubs = list(assign_thread_positions(m for i in order for m in scanned[i]))
    counts_in_file: dict[str, int] = {}
    out = list(plan)
    start = 0
    for i in order:
        part, size = plan[i], len(scanned[i])
        threads = tuple((m.thread_id, m.thread_position) for m in stubs[start : start + size])
        number_offset = counts_in_file.get(part.path, 0) if part.fmt == "mbox" else 0
        out[i] = replace(part, threads=threads, number_offset=number_offset)
        counts_in_file[part.path] = counts_in_file.get(part.path, 0) + size
        start += size
    return out


@contextlib.contextmanager
def _client(scheduler: str | None, workers: int) -> Iterator[Any]:
    from distributed import Client

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise InputError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
        with client:
            yield client
        return
    with start_local_cluster(workers) as cluster, Client(cluster) as client:
        yield client


def classify_dask(
    inputs: Sequence[str | Path],
    model_dir: Path | str | None,
    output: Path | str,
    *,
    scheduler: str | None = None,
    partitions: int | None = None,
    columns: Columns = Columns(),  # noqa: B008 - frozen dataclass, safe as a default
    config_path: Path | str | None = None,
    trust: bool = False,
    workers: int = 2,
    progress: bool | None = None,
) -> dict[str, int]:
    """Classify ``inputs`` on a Dask cluster; write one row per message to ``output``.

    ``output`` ending in .csv/.jsonl/.parquet is one file; anything else is a folder of
    ``part-00000.parquet``... in input order. Without ``scheduler`` a LocalCluster with
    ``workers`` single-threaded processes runs here. Returns counts: rows, ok, error,
    review, partitions.
    """
    from classifier import api

    output = Path(output)
    triage = api.load_scorer(model_dir, config_path=config_path, trust=trust)  # fail fast, and the columns
    plan = plan_partitions(inputs, partitions)
    writer = _PartitionWriter(output, triage.columns)
    blob = model_blob(model_dir, config_path, trust)
    show = sys.stderr.isatty() if progress is None else progress
    with _client(scheduler, workers) as client, writer:
        plan = _assign_threads(client, plan, columns)
        shipped = client.scatter(blob, broadcast=True, hash=False)
        futures = client.map(classify_partition, [shipped] * len(plan), plan, columns=columns, pure=False)
        bar = _start_progress(futures) if show else None
        try:
            _collect(client, futures, writer)
        except TriageError:
            raise
        except Exception as exc:  # a worker-side bug or a lost cluster: name the partition-level cause
            raise TriageError(f"dask: classification failed ({exc.__class__.__name__}: {str(exc)[:200]})") from exc
        finally:
            if bar is not None:
                bar.join(timeout=2)
    return {**writer.counts, "partitions": len(plan)}


def _collect(client: Any, futures: list[Any], writer: _PartitionWriter) -> None:
    """Write partitions in order as they finish; release each result once written."""
    from distributed import as_completed

    index = {f.key: i for i, f in enumerate(futures)}
    ready: dict[int, list[dict[str, Any]]] = {}
    following = 0
    for future in as_completed(futures):
        ready[index[future.key]] = future.result()
        future.release()
        while following in ready:
            writer.write(following, ready.pop(following))
            following += 1


def _start_progress(futures: list[Any]) -> threading.Thread:
    """``distributed.progress`` on stderr, in a thread so results are written meanwhile."""
    from distributed import progress

    def run() -> None:
        with contextlib.redirect_stdout(sys.stderr), contextlib.suppress(Exception):
            progress(futures, multi=False)
            sys.stderr.write("\n")

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


class _PartitionWriter:
    """One output file (streamed via RowWriter) or a folder of ordered Parquet parts, written atomically."""

    def __init__(self, output: Path, columns: list[str]) -> None:
        self.output = output
        self.columns = columns
        self.single = output.suffix.lower() in FILE_OUTPUTS
        self.counts = {"rows": 0, "ok": 0, "error": 0, "review": 0}
        self._rows: Any = None
        self._tmp: Path | None = None
        if not output.parent.exists():
            raise InputError(f"{output}: output folder '{output.parent}' does not exist")
        if not self.single and output.exists():
            if not output.is_dir():
                raise InputError(f"{output}: is a file; name a folder, or end the name with .csv/.jsonl/.parquet")
            if any(not p.name.startswith("part-") for p in output.iterdir()):
                raise InputError(f"{output}: folder holds other files; name an empty or new folder")

    def __enter__(self) -> _PartitionWriter:
        from classifier.writers import RowWriter

        if self.single:
            self._rows = RowWriter(self.output, self.columns).__enter__()
        else:
            self._tmp = Path(tempfile.mkdtemp(prefix=f".{self.output.name}.", dir=self.output.parent))
        return self

    def write(self, number: int, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self.counts["error" if row["status"] == "error" else "ok"] += 1
            self.counts["review"] += row["action"] == "review" and row["status"] == "ok"
        self.counts["rows"] += len(rows)
        if self._rows is not None:
            self._rows.write(rows)
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        assert self._tmp is not None
        table = pa.Table.from_pylist(rows, schema=_schema(self.columns))
        pq.write_table(table, self._tmp / f"part-{number:05d}.parquet")

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if self._rows is not None:
            self._rows.__exit__(kind, exc, tb)
            return
        assert self._tmp is not None
        if kind is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            return
        if self.output.exists():
            shutil.rmtree(self.output)
        os.replace(self._tmp, self.output)


def _schema(columns: list[str]) -> Any:
    import pyarrow as pa

    def kind(column: str) -> Any:
        if column.endswith("_confidence"):
            return pa.float64()
        return pa.int64() if column == "thread_position" else pa.string()

    return pa.schema([(c, kind(c)) for c in columns])
