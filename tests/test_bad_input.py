"""Bad input through every command: one clear line and exit 1, or exit 0 with one row per message.

Each case builds its files in ``tmp_path`` and returns the command line, the message count a
successful run must produce (``None``: the command must fail) and the text the error line must
contain (the file, column or row it is about).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "corpora" / "samples"
runner = CliRunner()
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@dataclass(frozen=True)
class Outcome:
    """What a case must do: succeed with ``rows`` messages, or (``rows=None``) fail naming ``where``."""

    args: list[str]
    rows: int | None
    where: str
    stdin: bytes | None = None


Case = Callable[[Path, Path], Outcome]


def table(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def labeled(path: Path, n: int, topics: tuple[str, ...] = ("billing", "delivery")) -> Path:
    texts = ["Meine Rechnung ist doppelt abgebucht worden", "Where is my parcel, it is late again"]
    rows = [{"text": f"{texts[i % 2]} #{i}", "topic": topics[i % len(topics)]} for i in range(n)]
    return table(path, rows)


def classify(tmp: Path, model: Path, *inputs: object, out: str = "out.csv", extra: tuple[str, ...] = ()) -> list[str]:
    return ["classify", *map(str, inputs), "-m", str(model), "-o", str(tmp / out), *extra]


def copy_model(model: Path, tmp: Path) -> Path:
    target = tmp / "model_copy"
    shutil.copytree(model, target)
    return target


def deep_multipart(depth: int) -> bytes:
    head = b"From: a@example.org\nTo: b@example.org\nSubject: deep\nMessage-ID: <deep@example.org>\nMIME-Version: 1.0\n"
    body = b"Mein Paket ist nicht angekommen."
    for level in range(depth):
        boundary = f"b{level}".encode()
        body = (
            b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\n\n--' + boundary + b"\n" + body
            + b"\n--" + boundary + b"--\n"
        )  # fmt: skip
    return head + body


def zip_bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inbox.csv", b"text\n" + b"a" * 50_000_000)
    return path


def mbox(messages: int) -> bytes:
    return b"".join(
        b"From sender@example.org Mon Jan  1 10:00:00 2024\nFrom: sender@example.org\nSubject: Nr %d\n"
        b"Message-ID: <m%d@example.org>\n\nWo ist meine Bestellung %d?\n\n" % (i, i, i)
        for i in range(messages)
    )


# --- classify -----------------------------------------------------------------------------------

CASES: dict[str, Case] = {
    "classify missing file": lambda t, m: Outcome(classify(t, m, t / "missing.csv"), None, "missing.csv"),
    "classify empty file": lambda t, m: Outcome(classify(t, m, _write(t / "empty.csv", b"")), None, "empty.csv"),
    "classify binary file": lambda t, m: Outcome(
        classify(t, m, _write(t / "blob.bin", os.urandom(4096) + b"\x00" * 64)), None, "blob.bin"
    ),
    "classify binary bytes named .csv": lambda t, m: Outcome(
        classify(t, m, _write(t / "blob.csv", b"text\n" + bytes(b for b in range(256) if b not in b'\r\n"') * 40)),
        1,
        "blob.csv",
    ),
    "classify truncated csv (open quote)": lambda t, m: Outcome(
        classify(t, m, _write(t / "cut.csv", b'id,text\n1,"fine"\n2,"cut in the mid')), 2, "cut.csv"
    ),
    "classify invalid utf-8": lambda t, m: Outcome(
        classify(t, m, _write(t / "latin.csv", "id,text\n1,Grüße aus Köln\n2,Rückerstattung\n".encode("cp1252"))),
        2,
        "latin.csv",
    ),
    "classify broken utf-8 sequences": lambda t, m: Outcome(
        classify(t, m, _write(t / "broken.csv", b"id,text\n1,abc\xff\xfe\xc3(def\n2,ok text\n")), 2, "broken.csv"
    ),
    "classify NUL bytes in a field": lambda t, m: Outcome(
        classify(t, m, _write(t / "nul.csv", b"id,text\n1,wo ist \x00mein paket\n2,ok\x00\x00\n")), 2, "nul.csv"
    ),
    "classify 5 MB message": lambda t, m: Outcome(
        classify(t, m, table(t / "big.csv", [{"id": "1", "text": "Paket fehlt. " * 400_000}])), 1, "big.csv"
    ),
    "classify huge field without newlines": lambda t, m: Outcome(
        classify(t, m, _write(t / "field.csv", b'id,text\n1,"' + b"x" * 20_000_000 + b'"\n')), 1, "field.csv"
    ),
    "classify malformed json lines": lambda t, m: Outcome(
        classify(t, m, _write(t / "bad.jsonl", b'{"text": "ok one"}\n{"text": broken\n{"text": "ok two"}\n[1, 2]\n')),
        4,
        "bad.jsonl",
    ),
    "classify truncated json": lambda t, m: Outcome(
        classify(t, m, _write(t / "cut.json", b'[{"text": "a"}, {"text": "b"')), None, "cut.json"
    ),
    "classify corrupt parquet": lambda t, m: Outcome(
        classify(t, m, _write(t / "bad.parquet", b"PAR1" + os.urandom(2000))), None, "bad.parquet"
    ),
    "classify truncated parquet": lambda t, m: Outcome(
        classify(t, m, _truncated_parquet(t / "cut.parquet")), None, "cut.parquet"
    ),
    "classify corrupt excel": lambda t, m: Outcome(
        classify(t, m, _write(t / "bad.xlsx", b"PK\x03\x04" + b"xl/" + os.urandom(3000))), None, "bad.xlsx"
    ),
    "classify csv without the named column": lambda t, m: Outcome(
        classify(t, m, SAMPLES / "inbox.csv", extra=("--text-column", "nachricht")), None, "'nachricht'"
    ),
    "classify random model file": lambda t, m: Outcome(
        classify(t, _replace_model(m, t, os.urandom(5000)), SAMPLES / "inbox.csv"), None, "model.joblib"
    ),
    "classify random model file with --trust-model": lambda t, m: Outcome(  # classify reads the lean form
        classify(
            t, _replace_model(m, t, os.urandom(5000), "lean.json"), SAMPLES / "inbox.csv", extra=("--trust-model",)
        ),
        None,
        "lean.json",
    ),
    "classify tampered model": lambda t, m: Outcome(
        classify(t, _tamper_model(m, t), SAMPLES / "inbox.csv"), None, "checksum"
    ),
    "classify model dir without manifest": lambda t, m: Outcome(
        classify(t, _drop_manifest(m, t), SAMPLES / "inbox.csv"), None, "manifest.json"
    ),
    "classify output folder does not exist": lambda t, m: Outcome(
        classify(t, m, SAMPLES / "inbox.csv", out="no/such/out.csv"), None, "does not exist"
    ),
    "classify directory as output": lambda t, m: Outcome(
        classify(t, m, SAMPLES / "inbox.csv", out=_mkdir(t / "taken.csv").name), None, "taken.csv"
    ),
    "classify 200-deep multipart e-mail": lambda t, m: Outcome(
        classify(t, m, _write(t / "deep.eml", deep_multipart(200))), 1, "deep.eml"
    ),
    "classify mbox truncated mid-message": lambda t, m: Outcome(
        classify(t, m, _write(t / "cut.mbox", mbox(3) + mbox(1)[:70])), 4, "cut.mbox"
    ),
    "classify zip bomb": lambda t, m: Outcome(classify(t, m, zip_bomb(t / "bomb.zip")), 1, "bomb.zip"),
    "classify binary stdin": lambda t, m: Outcome(
        classify(t, m, "-"), None, "<stdin>", stdin=os.urandom(3000) + b"\x00"
    ),
    "classify folder with one bad file": lambda t, m: Outcome(
        classify(t, m, _folder_with_bad_file(t / "inbox")), 3, "inbox"
    ),
    "classify --resume on a parquet output": lambda t, m: Outcome(
        classify(t, m, SAMPLES / "inbox.csv", out="out.parquet", extra=("--resume",)), None, "out.parquet"
    ),
    # --- train ----------------------------------------------------------------------------------
    "train missing file": lambda t, m: Outcome(
        ["train", str(t / "none.csv"), "--label", "topic", "-o", str(t / "m")], None, "none.csv"
    ),
    "train empty file": lambda t, m: Outcome(
        ["train", str(_write(t / "e.csv", b"")), "--label", "topic", "-o", str(t / "m")], None, "e.csv"
    ),
    "train binary file": lambda t, m: Outcome(
        ["train", str(_write(t / "b.csv", os.urandom(3000))), "--label", "topic", "-o", str(t / "m")], None, "b.csv"
    ),
    "train one class": lambda t, m: Outcome(
        ["train", str(labeled(t / "one.csv", 30, ("billing",))), "--label", "topic", "-o", str(t / "m")],
        None,
        "only one class",
    ),
    "train three rows": lambda t, m: Outcome(
        ["train", str(labeled(t / "three.csv", 3)), "--label", "topic", "-o", str(t / "m")], None, "too few"
    ),
    "train fewer rows per class than folds": lambda t, m: Outcome(
        ["train", str(labeled(t / "few.csv", 12, tuple("abcdef"))), "--label", "topic", "-o", str(t / "m")],
        12,
        "--cv",
    ),
    "train missing label column": lambda t, m: Outcome(
        ["train", str(labeled(t / "l.csv", 20)), "--label", "urgency", "-o", str(t / "m")], None, "'urgency'"
    ),
    "train --min-recall without a value": lambda t, m: Outcome(
        [
            "train",
            str(labeled(t / "mr.csv", 20)),
            "--label",
            "topic",
            "--min-recall",
            "topic:billing",
            "-o",
            str(t / "m"),
        ],
        None,
        "HEAD:CLASS=R",
    ),
    "train --min-recall for a class the label lacks": lambda t, m: Outcome(
        [
            "train",
            str(labeled(t / "mc.csv", 20)),
            "--label",
            "topic",
            "--min-recall",
            "topic:fraud=0.9",
            "-o",
            str(t / "m"),
        ],
        None,
        "no class 'fraud'",
    ),
    "train --semantic of an unknown kind": lambda t, m: Outcome(
        ["train", str(labeled(t / "sk.csv", 20)), "--label", "topic", "--semantic", "huge", "-o", str(t / "m")],
        None,
        "--semantic",
    ),
    "train --semantic full with weight 0": lambda t, m: Outcome(
        [
            "train",
            str(labeled(t / "sw.csv", 20)),
            "--label",
            "topic",
            "--semantic",
            "full",
            "--semantic-weight",
            "0",
            "-o",
            str(t / "m"),
        ],
        None,
        "--semantic-weight",
    ),
    "train corrupt parquet": lambda t, m: Outcome(
        ["train", str(_write(t / "x.parquet", b"PAR1" + os.urandom(500))), "--label", "topic", "-o", str(t / "m")],
        None,
        "x.parquet",
    ),
    "train output folder does not exist": lambda t, m: Outcome(
        ["train", str(labeled(t / "ok.csv", 40)), "--label", "topic", "-o", str(t / "no" / "m"), "--cv", "2"],
        None,
        "does not exist",
    ),
    # --- evaluate -------------------------------------------------------------------------------
    "evaluate tampered model": lambda t, m: Outcome(
        ["evaluate", str(labeled(t / "ev.csv", 20)), "-m", str(_tamper_model(m, t)), "--label", "topic"],
        None,
        "checksum",
    ),
    "evaluate missing label column": lambda t, m: Outcome(
        ["evaluate", str(labeled(t / "ev.csv", 20)), "-m", str(m), "--label", "urgency", "--json"], None, "'urgency'"
    ),
    "evaluate invalid utf-8 and NUL bytes": lambda t, m: Outcome(
        ["evaluate", str(_latin_labeled(t / "lat.csv")), "-m", str(m), "--label", "topic", "--json"], 12, "lat.csv"
    ),
    "evaluate empty file": lambda t, m: Outcome(
        ["evaluate", str(_write(t / "e.csv", b"")), "-m", str(m), "--label", "topic"], None, "e.csv"
    ),
    # --- score ----------------------------------------------------------------------------------
    "score binary stdin": lambda t, m: Outcome(
        ["score", "-m", str(m), "--json"], 1, "", stdin=b"\xff\xfe\x00abc\x00" + os.urandom(200).replace(b"\x00", b"")
    ),
    "score 5 MB message": lambda t, m: Outcome(["score", "-m", str(m), "--json"], 1, "", stdin=b"Paket? " * 750_000),
    "score tampered model": lambda t, m: Outcome(
        ["score", "hallo", "-m", str(_tamper_every_file(m, t))], None, "checksum"
    ),
    # --- normalize ------------------------------------------------------------------------------
    "normalize missing file": lambda t, m: Outcome(["normalize", str(t / "nope.eml")], None, "nope.eml"),
    "normalize binary file": lambda t, m: Outcome(
        ["normalize", str(_write(t / "b.dat", os.urandom(2000) + b"\x00"))], None, "b.dat"
    ),
    "normalize invalid utf-8 csv": lambda t, m: Outcome(
        ["normalize", "--jsonl", str(_write(t / "l.csv", "text\nÄrger\nGrüße\n".encode("latin-1")))], 2, "l.csv"
    ),
    "normalize 200-deep multipart": lambda t, m: Outcome(
        ["normalize", "--jsonl", str(_write(t / "deep.eml", deep_multipart(200)))], 1, "deep.eml"
    ),
    "normalize truncated mbox": lambda t, m: Outcome(
        ["normalize", "--jsonl", str(_write(t / "c.mbox", mbox(2) + mbox(1)[:90]))], 3, "c.mbox"
    ),
    # --- info -----------------------------------------------------------------------------------
    "info missing model dir": lambda t, m: Outcome(["info", "-m", str(t / "nomodel")], None, "nomodel"),
    "info corrupt manifest": lambda t, m: Outcome(["info", "-m", str(_corrupt_manifest(m, t))], None, "manifest"),
    "info manifest of the wrong shape": lambda t, m: Outcome(
        ["info", "-m", str(_corrupt_manifest(m, t, b"[1, 2, 3]"))], None, "not written by triage"
    ),
    "info on a file": lambda t, m: Outcome(["info", "-m", str(_write(t / "f.txt", b"x"))], None, "f.txt"),
}

NEEDS_NON_ROOT = {"classify unreadable input", "classify unwritable output folder"}
CASES |= {
    "classify unreadable input": lambda t, m: Outcome(
        classify(t, m, _chmod(table(t / "secret.csv", [{"text": "hi"}]), 0)), None, "secret.csv"
    ),
    "classify unwritable output folder": lambda t, m: Outcome(
        classify(t, m, SAMPLES / "inbox.csv", out=f"{_chmod(_mkdir(t / 'ro'), 0o500).name}/out.csv"), None, "ro"
    ),
}

KNOWN_BUGS: dict[str, str] = {}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def _chmod(path: Path, mode: int) -> Path:
    path.chmod(mode)
    return path


def _truncated_parquet(path: Path) -> Path:
    import pandas as pd

    pd.DataFrame({"text": [f"message {i}" for i in range(500)]}).to_parquet(path)
    data = path.read_bytes()
    return _write(path, data[: len(data) // 2])


def _replace_model(model: Path, tmp: Path, data: bytes, name: str = "model.joblib") -> Path:
    copy = copy_model(model, tmp)
    (copy / name).write_bytes(data)
    return copy


def _tamper_model(model: Path, tmp: Path) -> Path:
    copy = copy_model(model, tmp)
    with (copy / "model.joblib").open("ab") as handle:
        handle.write(b"\x00")
    return copy


def _tamper_every_file(model: Path, tmp: Path) -> Path:
    copy = copy_model(model, tmp)
    for path in copy.iterdir():
        if path.name != "manifest.json":
            with path.open("ab") as handle:
                handle.write(b"\n")
    return copy


def _drop_manifest(model: Path, tmp: Path) -> Path:
    copy = copy_model(model, tmp)
    (copy / "manifest.json").unlink()
    return copy


def _corrupt_manifest(model: Path, tmp: Path, data: bytes = b'{"created_by": "inquiry-tri') -> Path:
    copy = copy_model(model, tmp)
    (copy / "manifest.json").write_bytes(data)
    return copy


def _latin_labeled(path: Path) -> Path:
    rows = "".join(
        f"Grüße, die Rechnung Nr. {i} ist falsch\x00,{'billing' if i % 2 else 'delivery'}\n" for i in range(12)
    )
    return _write(path, ("text,topic\n" + rows).encode("cp1252"))


def _folder_with_bad_file(folder: Path) -> Path:
    folder.mkdir()
    table(folder / "a.csv", [{"text": "wo ist mein paket"}, {"text": "rechnung falsch"}])
    _write(folder / "b.bin", os.urandom(1000) + b"\x00")
    return folder


def count_messages(args: list[str], stdout: str, tmp: Path) -> int:
    """Messages a successful run produced: output rows, JSON lines, or evaluated rows."""
    command = args[0]
    if command == "classify":
        out = Path(args[args.index("-o") + 1])
        text = out.read_text(encoding="utf-8")
        if out.suffix == ".jsonl":
            return len(text.splitlines())
        return len(list(csv.DictReader(io.StringIO(text))))
    if command in ("score", "normalize"):
        return len([json.loads(line) for line in stdout.splitlines() if line.strip()])
    if command == "evaluate":
        return json.loads(stdout)["rows"]
    if command == "train":
        return json.loads((Path(args[args.index("-o") + 1]) / "manifest.json").read_text(encoding="utf-8"))["rows"]
    raise AssertionError(f"{command} should not succeed on bad input")


def params() -> list:
    out = []
    for name in CASES:
        marks = []
        if name in NEEDS_NON_ROOT:
            marks.append(pytest.mark.skipif(IS_ROOT, reason="root reads and writes regardless of permissions"))
        if name in KNOWN_BUGS:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[name]))
        out.append(pytest.param(name, marks=marks, id=name.replace(" ", "-")))
    return out


@pytest.mark.parametrize("name", params())
def test_bad_input_fails_cleanly_or_keeps_every_message(name: str, small_model: Path, tmp_path: Path) -> None:
    outcome = CASES[name](tmp_path, small_model)
    result = runner.invoke(app, outcome.args, input=outcome.stdin)
    crash = result.exception if not isinstance(result.exception, SystemExit) else None
    assert crash is None, f"{type(crash).__name__}: {str(crash)[:200]}"
    assert "Traceback" not in result.stderr
    if result.exit_code == 0:
        assert outcome.rows is not None, f"should have failed, exited 0: {result.stdout[:200]}"
        assert count_messages(outcome.args, result.stdout, tmp_path) == outcome.rows
        return
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 1 and len(lines) == 1, result.stderr[:500]
    assert lines[0].startswith("triage: error: ") and outcome.where in lines[0], lines[0]
    assert len(lines[0]) < 400, "an error line must stay short (and never hold a message in full)"


# --- no customer text in errors, and reproducible models ----------------------------------------

SECRET = "Kundennummer 4711 Frau Erika Mustermann schreibt vertraulich " * 4


@pytest.mark.parametrize(
    "make_args",
    [
        lambda t, m: classify(t, m, _write(t / "s.jsonl", f'{{"text": "{SECRET}"}}\n{{"text": {SECRET}}}\n'.encode())),
        lambda t, m: classify(t, m, table(t / "s.csv", [{"body": SECRET}]), extra=("--text-column", "text")),
        lambda t, m: [
            "train",
            str(table(t / "s.csv", [{"text": SECRET, "topic": "x"}] * 12)),
            "--label",
            "topic",
            "-o",
            str(t / "m"),
        ],
        lambda t, m: [
            "normalize",
            "--jsonl",
            str(_write(t / "s.eml", deep_multipart(200).replace(b"Mein Paket", SECRET.encode()))),
        ],
        pytest.param(
            lambda t, m: classify(t, m, _write(t / "headerless.csv", f"{SECRET}\nzweite Zeile\n".encode())),
            id="headerless-csv",
        ),
    ],
)
def test_errors_never_print_a_message_in_full(make_args, small_model: Path, tmp_path: Path) -> None:
    args = make_args(tmp_path, small_model)
    result = runner.invoke(app, args)
    assert SECRET[:50] not in result.stderr
    out = tmp_path / "out.csv"
    if result.exit_code == 0 and args[0] == "classify":
        errors = [row["error"] for row in csv.DictReader(out.open(encoding="utf-8"))]
        assert errors and not any(SECRET[:50] in error for error in errors)


def test_same_data_and_seed_give_the_same_manifest(small_corpus: Path, small_model: Path, tmp_path: Path) -> None:
    """The conftest model retrained with the same data and seed: only the timestamp may differ."""
    from conftest import SMALL_MODEL_FEATURIZER_PARAMS, SMALL_MODEL_HEAD_PARAMS

    from classifier import api
    from classifier.training import base_config_for, load_training_data

    texts, labels, channels = load_training_data([small_corpus], "text", ["topic", "urgency"], None)
    base = base_config_for(labels, None)
    model, config, report = api.train(
        texts,
        labels,
        channels=channels,
        base_config=base,
        cv=3,
        head_params=SMALL_MODEL_HEAD_PARAMS,
        featurizer_params=SMALL_MODEL_FEATURIZER_PARAMS,
    )
    api.save(model, config, tmp_path / "again", report)
    first = json.loads((small_model / "manifest.json").read_text(encoding="utf-8"))
    second = json.loads((tmp_path / "again" / "manifest.json").read_text(encoding="utf-8"))
    assert first.pop("created") and second.pop("created")
    assert first == second
