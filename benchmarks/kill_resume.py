"""Kill ``triage classify --resume`` at random points and check the resumed output is byte-identical.

Generates a CSV of realistic short inquiries (the texts of ``corpora/inquiries`` with fresh
ids), runs one uninterrupted ``triage classify`` as the reference, then for every trial starts
a resumable run, kills it (SIGKILL or SIGINT, alternating) once its checkpoint reaches a random
row count plus a random delay, resumes until it finishes (killing again now and then), and
compares the bytes. A trial passes when it was interrupted at least once, the output is
byte-identical and no part/checkpoint file is left. Prints trials passed / total.

    .venv/bin/python benchmarks/kill_resume.py                      # 200k rows, 20 trials
    .venv/bin/python benchmarks/kill_resume.py --rows 20000 --trials 5
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 512  # rows per checkpoint (Triage.classify_messages' chunk size)
TRIAGE = [sys.executable, "-c", "import sys; sys.argv[0] = 'triage'; from cli import main; main()"]


def make_input(path: Path, rows: int, seed: int) -> None:
    """Write ``rows`` messages cycling through the corpus texts, each with a unique id."""
    texts: list[tuple[str, str]] = []
    for corpus in sorted((ROOT / "corpora" / "inquiries").glob("*.csv")):
        with corpus.open(encoding="utf-8", newline="") as handle:
            texts += [(r.get("channel", ""), r["text"]) for r in csv.DictReader(handle)]
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "channel", "text"])
        for i in range(rows):
            channel, text = texts[rng.randrange(len(texts))]
            writer.writerow([f"B-{seed}-{i:07d}", channel, text])


def default_sigint() -> None:
    """Undo an ignored SIGINT inherited from a background shell, so Ctrl-C reaches the run."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def classify(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [*TRIAGE, "classify", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,
    )


def wait_for_rows(checkpoint: Path, rows: int, proc: subprocess.Popen) -> None:
    """Poll the run's checkpoint until it records ``rows`` rows (or the run ends)."""
    while proc.poll() is None:
        try:
            if json.loads(checkpoint.read_text(encoding="utf-8"))["rows"] >= rows:
                return
        except (FileNotFoundError, ValueError, KeyError):
            pass
        time.sleep(0.005)


def run_trial(data: Path, out: Path, reference: bytes, total: int, rng: random.Random, trial: int) -> bool:
    """One trial: kill at random points (by progress) until a run finishes; True when the output matches."""
    codes: list[int] = []
    checkpoint = out.with_name(out.name + ".part.checkpoint")
    done = 0
    for attempt in range(20):
        proc = classify([str(data), "-o", str(out), "--resume"])
        if attempt < 3 and (attempt == 0 or rng.random() < 0.5) and done < total - CHUNK:
            wait_for_rows(checkpoint, rng.randrange(done + 1, total - CHUNK + 1), proc)
            time.sleep(rng.uniform(0, 0.5))  # land anywhere inside the next chunk
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL if (trial + attempt) % 2 == 0 else signal.SIGINT)
        _, err = proc.communicate()
        codes.append(proc.returncode)
        if proc.returncode == 0:
            break
        if proc.returncode == 130 and "--resume" not in err:
            print(f"trial {trial}: interrupted without saying how to resume: {err.strip()[-300:]}")
            return False
        # -SIGINT: the signal came before Python installed its handler, or after the run had finished
        if proc.returncode not in (130, -signal.SIGKILL, -signal.SIGINT):
            print(f"trial {trial}: unexpected exit {proc.returncode}: {err.strip()[-300:]}")
            return False
        try:
            done = json.loads(checkpoint.read_text(encoding="utf-8"))["rows"]
        except (FileNotFoundError, ValueError, KeyError):
            done = 0
    same = out.exists() and out.read_bytes() == reference
    leftovers = [p.name for p in out.parent.glob(out.name + ".part*")]
    print(f"trial {trial}: exit codes {codes}, identical={same}, leftovers={leftovers or 'none'}", flush=True)
    out.unlink(missing_ok=True)
    return same and not leftovers and len(codes) > 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    opts = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kill-resume-"))
    try:
        data = work / "inquiries.csv"
        make_input(data, opts.rows, opts.seed)
        reference_path = work / f"reference.{opts.format}"
        start = time.perf_counter()
        subprocess.run([*TRIAGE, "classify", str(data), "-o", str(reference_path)], cwd=ROOT, check=True)
        full_seconds = time.perf_counter() - start
        print(f"{opts.rows:,} rows; uninterrupted run {full_seconds:.1f} s", flush=True)
        reference = reference_path.read_bytes()
        rng = random.Random(opts.seed)
        out = work / f"out.{opts.format}"
        passed = sum(run_trial(data, out, reference, opts.rows, rng, t) for t in range(opts.trials))
        print(f"kill/resume trials passed: {passed} / {opts.trials}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
