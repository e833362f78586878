"""An interrupted ``classify -o OUT`` resumes to output byte-identical to an uninterrupted run."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from classifier import writers
from cli import app

ROOT = Path(__file__).resolve().parent.parent
TRIAGE = [sys.executable, "-c", "from cli import main; main()"]
runner = CliRunner()


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def make_inbox(path: Path, rows: int) -> Path:
    """``rows`` corpus texts with unique ids, cycling through the project's own corpus."""
    texts = []
    for corpus in sorted((ROOT / "corpora" / "inquiries").glob("*.csv")):
        with corpus.open(encoding="utf-8", newline="") as handle:
            texts += [(r["channel"], r["text"]) for r in csv.DictReader(handle)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["id", "channel", "text"])
        for i in range(rows):
            out.writerow([f"R-{i:05d}", *texts[(i * 7) % len(texts)]])
    return path


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_inbox(tmp_path_factory.mktemp("resume") / "inbox.csv", 1100)


_REFERENCES: dict[tuple[Path, str], bytes] = {}


def reference(inbox: Path, model: Path, out: Path) -> bytes:
    """The bytes of an uninterrupted run (computed once per input and format)."""
    key = (inbox, out.suffix)
    if key not in _REFERENCES:
        result = run("classify", inbox, "-m", model, "-o", out)
        assert result.exit_code == 0, result.output
        _REFERENCES[key] = out.read_bytes()
        out.unlink()
    return _REFERENCES[key]


def interrupt_after(monkeypatch: pytest.MonkeyPatch, calls: int) -> None:
    """Make the ``calls``-th write stop half way through its chunk, as Ctrl-C would."""
    original = writers.RowWriter.write
    seen = {"n": 0}

    def write(self, rows):
        seen["n"] += 1
        if seen["n"] == calls:
            self._handle.write("half a row, never checkpointed,")
            self._handle.flush()
            raise KeyboardInterrupt
        return original(self, rows)

    monkeypatch.setattr(writers.RowWriter, "write", write)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_ctrl_c_keeps_part_file_and_resume_is_byte_identical(
    inbox: Path, small_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    expected = reference(inbox, small_model, tmp_path / f"full{suffix}")
    out = tmp_path / f"out{suffix}"
    with monkeypatch.context() as patch:
        interrupt_after(patch, 2)
        stopped = run("classify", inbox, "-m", small_model, "-o", out)
    assert stopped.exit_code == 130
    assert stopped.stderr.count("\n") == 1 and "512 rows" in stopped.stderr and "--resume" in stopped.stderr
    assert not out.exists() and out.with_name(out.name + ".part").exists()
    checkpoint = json.loads(out.with_name(out.name + ".part.checkpoint").read_text(encoding="utf-8"))
    assert checkpoint["rows"] == 512
    resumed = run("classify", inbox, "-m", small_model, "-o", out, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert "resumed after 512 rows" in resumed.stderr
    assert out.read_bytes() == expected
    assert [p.name for p in tmp_path.iterdir()] == [f"out{suffix}"]


def test_resume_refuses_a_changed_input(inbox: Path, small_model: Path, tmp_path: Path, monkeypatch) -> None:
    data = tmp_path / "inbox.csv"
    data.write_bytes(inbox.read_bytes())
    out = tmp_path / "out.csv"
    with monkeypatch.context() as patch:
        interrupt_after(patch, 1)
        assert run("classify", data, "-m", small_model, "-o", out).exit_code == 130
    with data.open("a", encoding="utf-8") as handle:
        handle.write("R-new,chat,wo ist mein paket\n")
    result = run("classify", data, "-m", small_model, "-o", out, "--resume")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "cannot resume" in result.stderr and "inbox.csv changed" in result.stderr
    changed_option = run("classify", data, "-m", small_model, "-o", out, "--resume", "--id-column", "id")
    assert changed_option.exit_code == 1 and "options changed (columns)" in changed_option.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "{tmp}/out.parquet", "--resume"], "not Parquet"),
        (["--resume"], "--resume needs an output file"),
    ],
)
def test_resume_refuses_outputs_it_cannot_continue(
    inbox: Path, small_model: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    result = run("classify", inbox, "-m", small_model, *[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 1 and message in result.stderr and result.stderr.count("\n") == 1


def test_resume_without_a_checkpoint_starts_afresh(inbox: Path, small_model: Path, tmp_path: Path) -> None:
    expected = reference(inbox, small_model, tmp_path / "full.csv")
    out = tmp_path / "out.csv"
    out.with_name("out.csv.part").write_text("stale bytes from a run killed before its first checkpoint")
    result = run("classify", inbox, "-m", small_model, "-o", out, "--resume")
    assert result.exit_code == 0 and out.read_bytes() == expected


def wait_for_rows(checkpoint: Path, rows: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    """Poll the checkpoint until it records at least ``rows`` rows."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if json.loads(checkpoint.read_text(encoding="utf-8"))["rows"] >= rows:
                return
        except (FileNotFoundError, ValueError):
            pass
        time.sleep(0.01)
    raise AssertionError(f"checkpoint never reached {rows} rows")


def default_sigint() -> None:
    """Undo an ignored SIGINT inherited from a background shell, so the child gets KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")
def test_sigkill_then_sigterm_then_resume_gives_identical_bytes(small_model: Path, tmp_path: Path) -> None:
    inbox = make_inbox(tmp_path / "inbox.csv", 2000)
    expected = reference(inbox, small_model, tmp_path / "full.csv")
    out = tmp_path / "out.csv"
    checkpoint = out.with_name("out.csv.part.checkpoint")
    command = [*TRIAGE, "classify", str(inbox), "-m", str(small_model), "-o", str(out), "--resume"]
    for sig, rows in ((signal.SIGKILL, 512), (signal.SIGTERM, 1024)):  # SIGINT: benchmarks/kill_resume.py
        proc = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint)
        wait_for_rows(checkpoint, rows, proc)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        if sig == signal.SIGTERM:
            assert proc.returncode == 130 and "--resume" in err and err.count("\n") == 1, err
        else:
            assert proc.returncode == -signal.SIGKILL
    done = json.loads(checkpoint.read_text(encoding="utf-8"))["rows"]
    assert 1024 <= done < 2000 and done % 512 == 0
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert f"resumed after {done:,} rows" in finished.stderr
    assert out.read_bytes() == expected and not checkpoint.exists()
