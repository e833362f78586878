"""The Dask engine gives the local engine's rows, on a real scheduler and two worker processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("dask.dataframe", reason="needs the dask extra: pip install -e '.[dask]'")
pytest.importorskip("distributed", reason="needs the dask extra: pip install -e '.[dask]'")

from conftest import ROOT, corpus_frame

from classifier.engines.dask import apply_scan, classify_dask, plan_partitions, read_partition, scan_threads
from classifier.readers import Columns, read_inputs

SCHEDULER = [
    sys.executable,
    "-m",
    "distributed.cli.dask_scheduler",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--no-dashboard",
]
WORKER = [sys.executable, "-m", "distributed.cli.dask_worker", "--host", "127.0.0.1", "--nthreads", "1"]
WORKER += ["--no-nanny", "--no-dashboard", "--memory-limit", "2GiB"]


class Cluster:
    """A dask scheduler and workers as separate processes on 127.0.0.1 (random ports)."""

    def __init__(self, folder: Path, workers: int) -> None:
        self.file = folder / "scheduler.json"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
        common = {"cwd": str(folder), "env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        self.scheduler = subprocess.Popen(
            [*SCHEDULER, "--scheduler-file", str(self.file)],
            start_new_session=True,
            **common,
        )
        self.workers = [
            subprocess.Popen(
                [*WORKER, "--scheduler-file", str(self.file), "--name", f"w{i}"],
                start_new_session=True,
                **common,
            )
            for i in range(workers)
        ]
        self.address = self._wait(workers)

    def _wait(self, workers: int) -> str:
        from distributed import Client

        deadline = time.monotonic() + 60
        while not self.file.exists():
            if time.monotonic() > deadline or self.scheduler.poll() is not None:
                self.close()
                raise RuntimeError("dask scheduler did not start")
            time.sleep(0.1)
        address = json.loads(self.file.read_text())["address"]
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(workers, timeout=60)
        return address

    def worker_pid(self, name: str) -> int:
        return self.workers[int(name.removeprefix("w"))].pid

    def close(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*self.workers, self.scheduler]:
            try:
                process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    running = Cluster(tmp_path_factory.mktemp("dask"), workers=2)
    try:
        yield running
    finally:
        running.close()


def write_parquet_inputs(folder: Path, files: int, rows: int) -> Path:
    """``files`` Parquet files of corpus messages, one with an empty text, one with small row groups."""
    frame = corpus_frame().sample(n=files * rows, random_state=3, replace=files * rows > 3000)
    frame = frame.reset_index(drop=True)[["id", "text", "channel"]]
    frame["id"] = [f"m{i}" for i in range(len(frame))]
    frame.loc[5, "text"] = ""  # becomes an error row, as locally
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        part = frame.iloc[i * rows : (i + 1) * rows]
        part.to_parquet(folder / f"in-{i:02d}.parquet", row_group_size=10 if i == 1 else None)
    return folder


def local_rows(small_model: Path, inputs: list[str]) -> list[dict]:
    from classifier import api

    triage = api.load(small_model)
    return [row for rows in triage.classify_messages(read_inputs(inputs)) for row in rows]


def read_parts(folder: Path) -> list[dict]:
    import pyarrow.parquet as pq

    parts = sorted(folder.glob("part-*.parquet"))
    return [row for part in parts for row in pq.read_table(part).to_pylist()]


def write_mbox(path: Path, messages: int) -> Path:
    """An mbox of corpus texts in threads of 7: replies by References, and some only by sender + "Re:" subject."""
    texts = corpus_frame()["text"].tolist()[:messages]
    chunks = []
    for i, text in enumerate(texts):
        root = i - i % 7
        subject = "Anfrage" if i == root else "Re: Anfrage"
        linked = i != root and i % 7 not in (3, 5)
        refs = f"References: <m{root}@example.org>\nIn-Reply-To: <m{root}@example.org>\n" if linked else ""
        body = text.replace("\nFrom ", "\n>From ")
        chunks.append(
            f"From kunde{root}@example.org Mon Jan  6 10:{i % 60:02d}:00 2025\nFrom: kunde{root}@example.org\n"
            f"Subject: {subject} {root}\nMessage-ID: <m{i}@example.org>\n{refs}"
            f"Date: Mon, 6 Jan 2025 10:{i % 60:02d}:00 +0000\n\n{body}\n\n"
        )
    path.write_text("".join(chunks), encoding="utf-8")
    return path


def test_mbox_byte_ranges_hold_every_message_once_in_order(tmp_path: Path) -> None:
    mbox = write_mbox(tmp_path / "inbox.mbox", 40)
    plan = plan_partitions([str(mbox)], partitions=4)
    assert len(plan) == 4
    assert [p.start for p in plan][1:] == [p.stop for p in plan][:-1]
    plan = apply_scan(plan, {i: scan_threads(part, Columns()) for i, part in enumerate(plan)})
    ranges = [list(read_partition(part, Columns())) for part in plan]
    local = list(read_inputs([str(mbox)]))
    read = [m for messages in ranges for m in messages]
    assert [(m.id, m.position, m.thread_id, m.text) for m in read] == [
        (m.id, m.position, m.thread_id, m.text) for m in local
    ]
    assert any(not m[0].subject.startswith("Anfrage") for m in ranges[1:])  # a thread crosses a cut


def test_parquet_splits_at_row_groups_with_local_row_numbers(tmp_path: Path) -> None:
    folder = write_parquet_inputs(tmp_path / "in", files=2, rows=40)
    plan = plan_partitions([str(folder)], partitions=5)
    assert len(plan) > 2 and all(p.fmt == "parquet" for p in plan)
    read = [(m.id, m.position, m.error) for part in plan for m in read_partition(part, Columns())]
    assert read == [(m.id, m.position, m.error) for m in read_inputs([str(folder)])]


def test_partitioned_parquet_gives_the_local_rows(cluster: Cluster, small_model: Path, tmp_path: Path) -> None:
    folder = write_parquet_inputs(tmp_path / "in", files=6, rows=30)
    counts = classify_dask([str(folder)], small_model, tmp_path / "out", scheduler=cluster.address, partitions=8)
    rows = read_parts(tmp_path / "out")
    expected = local_rows(small_model, [str(folder)])
    assert counts["rows"] == len(expected) == 180 and counts["partitions"] == 8
    assert counts["error"] == 1
    assert rows == expected


def test_mbox_ranges_keep_thread_positions_and_numbers(cluster: Cluster, small_model: Path, tmp_path: Path) -> None:
    mbox = write_mbox(tmp_path / "inbox.mbox", 30)
    classify_dask([str(mbox)], small_model, tmp_path / "out.jsonl", scheduler=cluster.address, partitions=3)
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    expected = local_rows(small_model, [str(mbox)])
    assert max(r["thread_position"] for r in expected) == 6
    assert rows == expected


def test_cli_engine_dask_writes_the_same_csv_as_local(cluster: Cluster, small_model: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    import cli

    folder = write_parquet_inputs(tmp_path / "in", files=3, rows=20)
    runner = CliRunner()
    args = ["classify", str(folder), "-m", str(small_model)]
    local = runner.invoke(cli.app, [*args, "-o", str(tmp_path / "local.csv")])
    dask = runner.invoke(
        cli.app, [*args, "-o", str(tmp_path / "dask.csv"), "--engine", "dask", "--scheduler", cluster.address]
    )
    assert local.exit_code == 0 and dask.exit_code == 0, dask.output
    assert (tmp_path / "dask.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()
    assert "60 messages in 3 partitions" in dask.output


def test_a_bad_input_file_fails_with_one_line_as_locally(cluster: Cluster, small_model: Path, tmp_path: Path) -> None:
    from classifier.errors import InputError

    bad = tmp_path / "bad.csv"
    bad.write_text("foo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.csv: no text column found"):
        classify_dask([str(bad)], small_model, tmp_path / "out.csv", scheduler=cluster.address)
    assert not (tmp_path / "out.csv").exists()


def test_cli_engine_dask_needs_an_output_file(small_model: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    import cli

    result = CliRunner().invoke(cli.app, ["classify", str(tmp_path), "--engine", "dask"])
    assert result.exit_code == 1
    assert "--engine dask needs -o OUT" in result.output


def test_a_killed_worker_loses_no_row(small_model: Path, tmp_path: Path) -> None:
    from distributed import Client

    folder = write_parquet_inputs(tmp_path / "in", files=12, rows=40)
    own = Cluster(tmp_path, workers=2)
    try:
        outcome: dict = {}

        def run() -> None:
            try:
                outcome["counts"] = classify_dask([str(folder)], small_model, tmp_path / "out", scheduler=own.address)
            except Exception as exc:  # reported by the assertion below
                outcome["error"] = exc

        runner = threading.Thread(target=run)
        runner.start()
        killed_while_running = False
        with Client(own.address) as client:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and runner.is_alive():
                busy = {info["name"]: keys for info, keys in _processing(client)}
                if busy.get("w1"):
                    os.kill(own.worker_pid("w1"), signal.SIGKILL)
                    killed_while_running = runner.is_alive()
                    break
                time.sleep(0.02)
        runner.join(timeout=120)
        assert killed_while_running, "worker w1 never got a partition"
        assert "error" not in outcome, outcome.get("error")
        rows = read_parts(tmp_path / "out")
        assert [r["id"] for r in rows] == [f"m{i}" for i in range(480)]  # every row, exactly once, in order
        assert rows == local_rows(small_model, [str(folder)])
    finally:
        own.close()


def _processing(client) -> list[tuple[dict, list]]:
    """(worker info, keys in processing) for every worker the scheduler knows."""
    workers = client.scheduler_info()["workers"]
    processing = client.processing()
    return [(info, processing.get(address, [])) for address, info in workers.items()]


def test_train_dask_writes_a_model_that_loads_and_classifies(cluster: Cluster, tmp_path: Path) -> None:
    import numpy as np
    from typer.testing import CliRunner

    import cli
    from classifier import api

    frame = corpus_frame().sample(n=300, random_state=5).reset_index(drop=True)
    (tmp_path / "in").mkdir()
    for i in range(3):
        frame.iloc[i * 100 : (i + 1) * 100].to_parquet(tmp_path / "in" / f"train-{i}.parquet")
    args = ["train", str(tmp_path / "in"), "--label", "topic", "--label", "urgency", "-o", str(tmp_path / "model")]
    result = CliRunner().invoke(cli.app, [*args, "--engine", "dask", "--scheduler", cluster.address])
    assert result.exit_code == 0, result.output
    assert "trained on 300 rows in 3 partitions" in result.output
    triage = api.load(tmp_path / "model")
    assert triage.model.head_names == ["topic", "urgency"]
    rows = triage.classify_texts(frame["text"].tolist())
    assert np.mean([r["topic"] == t for r, t in zip(rows, frame["topic"], strict=True)]) > 0.8  # it learned
