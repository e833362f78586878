"""Speed figures for issue 7: cold ``triage score``, batch ``triage classify``, memory, training time.

Prints, in one run, whichever parts are selected (all by default)::

    python benchmarks/speed.py                 # everything (long: the memory part classifies 1.4M rows)
    python benchmarks/speed.py --cold          # cold `triage score` vs `import sklearn`, 7 runs each
    python benchmarks/speed.py --batch --n 80000
    python benchmarks/speed.py --memory --sizes 100000,300000,1000000
    python benchmarks/speed.py --train
    python benchmarks/speed.py --profile       # where `classify` spends its time (cProfile, 5k messages)

The batch and training parts need /work/shared/datasets (skipped with a note when absent);
the fastText comparison needs the ``bench`` extra (``pip install -e ".[bench]"``).
Figures are wall-clock on whatever else the machine is doing: compare within one run.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "datasets"
PYTHON = sys.executable
TRIAGE = [PYTHON, "-c", "import sys; sys.argv[0] = 'triage'; from cli import main; main()"]
SCORE_TEXT = "Hallo, ich habe mein Passwort vergessen und die Reset-Mail kommt nicht an. Gruß, Jonas Berg"


def wall(cmd: list[str], **kwargs) -> float:
    """Seconds one subprocess takes, start to exit; it must succeed."""
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, **kwargs)
    return time.perf_counter() - start


def lean_model_dir(model: Path | None, workdir: Path) -> Path:
    """A model directory with the lean form: ``model`` or the shipped one, re-saved into ``workdir`` if needed."""
    from classifier import api, persist

    source = model or persist.DEFAULT_MODEL_DIR
    if api.has_lean_form(source):
        return source
    print(f"({source} has no lean form yet: re-saving a copy with api.save to {workdir / 'model'})")
    fitted, config, manifest = persist.load_model(source)
    return api.save(fitted, config, workdir / "model", manifest.get("cv_report"))


# --- cold score ---------------------------------------------------------------------------------


def bench_cold(model_dir: Path, runs: int) -> None:
    """Median wall time of a cold `triage score` against `python -c "import sklearn"`, interleaved."""
    commands = {
        "triage score (lean)": [*TRIAGE, "score", "--json", "-m", str(model_dir), SCORE_TEXT],
        "python -c 'import sklearn'": [PYTHON, "-c", "import sklearn"],
        "api.score() without the CLI": [
            PYTHON,
            "-c",
            f"from classifier import api; api.score({SCORE_TEXT!r}, {str(model_dir)!r})",
        ],
        "triage info (CLI floor: typer)": [*TRIAGE, "info", "-m", str(model_dir)],
        "python -c 'pass'": [PYTHON, "-c", "pass"],
    }
    # pip writes bytecode for what it installs (scikit-learn included); an editable install leaves the
    # project's own modules to be compiled on first import, which this machine's PYTHONDONTWRITEBYTECODE
    # would repeat on every run. Compile them once, as an installed copy would be.
    subprocess.run([PYTHON, "-m", "compileall", "-q", "classifier", "cli.py"], check=True, cwd=ROOT)
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("(PYTHONDONTWRITEBYTECODE is set: the project's bytecode was compiled up front, as pip does on install)")
    times: dict[str, list[float]] = {name: [] for name in commands}
    for cmd in commands.values():  # warm the page cache once
        wall(cmd)
    for _ in range(runs):
        for name, cmd in commands.items():
            times[name].append(wall(cmd))
    print(f"\n== cold start, median of {runs} runs (interleaved)")
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, value in medians.items():
        print(f"{name:<34}{value:7.3f} s   (min {min(times[name]):.3f}, max {max(times[name]):.3f})")
    ratio = medians["triage score (lean)"] / medians["python -c 'import sklearn'"]
    verdict = "meets" if ratio <= 0.30 else "misses"
    print(f"ratio triage score / import sklearn: {ratio:.2f}  ({verdict} the 0.30 bar)")
    ratio_api = medians["api.score() without the CLI"] / medians["python -c 'import sklearn'"]
    print(f"ratio api.score / import sklearn:    {ratio_api:.2f}")


# --- batch --------------------------------------------------------------------------------------


def real_short_texts(n: int) -> list[str] | None:
    """Inbound tweets of the twcs sample + GermEval dev texts, repeated to ``n``; None if absent."""
    twcs = SHARED / "twcs-sample" / "sample.csv"
    germeval = SHARED / "germeval2017" / "dev.csv"
    if not twcs.is_file() or not germeval.is_file():
        return None
    texts = []
    with open(twcs, encoding="utf-8", newline="") as handle:
        texts += [r["text"] for r in csv.DictReader(handle) if r["inbound"] == "True" and r["text"].strip()]
    with open(germeval, encoding="utf-8", newline="") as handle:
        texts += [r["text"] for r in csv.DictReader(handle) if r["text"].strip()]
    return [texts[i % len(texts)] for i in range(n)]


def corpus_texts_and_topics() -> tuple[list[str], list[str]]:
    texts, topics = [], []
    for path in sorted((ROOT / "corpora" / "inquiries").glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                texts.append(row["text"])
                topics.append(row["topic"])
    return texts, topics


def write_csv(path: Path, texts: list[str], channel: str = "twitter") -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "channel", "text"])
        writer.writerows((i, channel, t) for i, t in enumerate(texts, start=1))


def fasttext_model(workdir: Path):
    """fastText trained on the corpus topics (epoch 10, word bigrams), or None where it is not installed."""
    try:
        import fasttext
    except ImportError:
        print("fastText: not installed (pip install -e '.[bench]'); skipped")
        return None
    train_texts, topics = corpus_texts_and_topics()
    train_file = workdir / "fasttext.train"
    with open(train_file, "w", encoding="utf-8") as handle:
        for text, topic in zip(train_texts, topics, strict=True):
            handle.write(f"__label__{topic} {' '.join(text.split())}\n")
    return fasttext.train_supervised(str(train_file), epoch=10, wordNgrams=2, verbose=0, thread=2)


def fasttext_rate(model, texts: list[str]) -> float:
    """fastText's predict rate (msgs/s, in memory)."""
    flat = [" ".join(t.split()) for t in texts]
    start = time.perf_counter()
    model.predict(flat)
    return len(flat) / (time.perf_counter() - start)


def sklearn_reference():
    """A plain sklearn pipeline (word 1-2 + char_wb 2-5 TF-IDF, LinearSVC) fitted on the corpus topics."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.svm import LinearSVC

    train_texts, topics = corpus_texts_and_topics()
    return make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        ),
        LinearSVC(),
    ).fit(train_texts, topics)


def sklearn_rate(pipeline, texts: list[str]) -> float:
    """The reference pipeline's predict rate (msgs/s, in memory)."""
    start = time.perf_counter()
    pipeline.predict(texts)
    return len(texts) / (time.perf_counter() - start)


def bench_batch(model_dir: Path, n: int, workdir: Path, rounds: int) -> None:
    """``rounds`` rounds of classify, sklearn predict and fastText predict, interleaved; median ratios.

    The machines are noisy (the same command varies by a third from minute to minute), so
    each round measures the three side by side and the ratios are taken per round.
    """
    from statistics import median

    from classifier import api

    texts = real_short_texts(n)
    print(f"\n== batch: {n:,} short real messages (twcs inbound + GermEval dev, repeated), {rounds} rounds")
    if texts is None:
        print(f"skipped: {SHARED} not found")
        return
    source = workdir / "batch.csv"
    write_csv(source, texts)
    reference, fast_model = sklearn_reference(), fasttext_model(workdir)
    print(f"classify: CSV in -> CSV out, cold process included, default --jobs ({api.auto_jobs()} workers here)")
    print(f"{'round':>5}  {'classify':>10}  {'sklearn':>10}  {'fastText':>10}  {'/sklearn':>8}  {'/fastText':>9}")
    to_sklearn, to_fast = [], []
    for number in range(1, rounds + 1):
        seconds = wall([*TRIAGE, "classify", str(source), "-m", str(model_dir), "-o", str(workdir / "batch.out.csv")])
        classify = n / seconds
        plain = sklearn_rate(reference, texts)
        fast = fasttext_rate(fast_model, texts) if fast_model is not None else float("nan")
        to_sklearn.append(classify / plain)
        to_fast.append(classify / fast)
        rates = f"{classify:>10,.0f}  {plain:>10,.0f}  {fast:>10,.0f}"
        print(f"{number:>5}  {rates}  {classify / plain:>8.2f}  {classify / fast:>9.3f}")
    spread = f"range {min(to_sklearn):.2f}-{max(to_sklearn):.2f}"
    print(f"median classify / sklearn:  {median(to_sklearn):.2f}  (bar >= 2; {spread})")
    if fast_model is not None:
        print(f"median classify / fastText: {median(to_fast):.3f}  (bar >= 0.5)")


# --- memory -------------------------------------------------------------------------------------


def _memory_kb(pid: int, fallback_kb: int) -> int:
    """Proportional set size of ``pid`` (pages shared with forked workers counted once overall), else its RSS."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return fallback_kb


def _tree_memory_kb(root: int) -> int:
    """Memory of ``root`` and all its descendants, in KiB (Linux /proc): the sum of their PSS."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)  # fields[1] is the parent's pid
        rss[pid] = int(fields[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid in rss:
            total += _memory_kb(pid, rss[pid])
        todo.extend(children.get(pid, []))
    return total


def run_measured(command: list[str]) -> tuple[float, int]:
    """Seconds and peak memory (KiB, summed PSS) of a command with all its worker processes, sampled 5x a second."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_memory_kb(process.pid))
        time.sleep(0.2)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise RuntimeError(process.stderr.read().decode(errors="replace").strip().splitlines()[-1:])
    return seconds, peak


def bench_memory(model_dir: Path, sizes: list[int], workdir: Path, jobs: int) -> None:
    """Peak RSS (all processes together) and time per row of `triage classify` on generated CSVs of growing size."""
    texts, _ = corpus_texts_and_topics()
    rng = random.Random(0)
    print(f"\n== memory: triage classify --jobs {jobs} on generated CSVs (corpus texts, shuffled, repeated);")
    print("   peak memory: the sum of the proportional set sizes (PSS) of the main process and its workers")
    print(f"{'rows':>10} {'peak PSS':>10} {'seconds':>9} {'ms/row':>8} {'rows out':>10}")
    for size in sizes:
        path, out_path = workdir / f"rows_{size}.csv", workdir / f"rows_{size}.out.csv"
        write_csv(path, [rng.choice(texts) for _ in range(size)], channel="email")
        command = [*TRIAGE, "classify", str(path), "-m", str(model_dir), "-o", str(out_path), "--jobs", str(jobs)]
        try:
            seconds, rss_kb = run_measured(command)
        except RuntimeError as exc:
            print(f"{size:>10,} failed: {exc}")
            continue
        with out_path.open(encoding="utf-8", newline="") as handle:
            rows_out = sum(1 for _ in csv.reader(handle)) - 1  # replies span lines: count records, not lines
        print(
            f"{size:>10,} {rss_kb / 1024:>8.0f} MB {float(seconds):>9.1f} {1000 * float(seconds) / size:>8.3f}"
            f" {rows_out:>10,}"
        )
        path.unlink()
        out_path.unlink(missing_ok=True)


# --- training -----------------------------------------------------------------------------------


def bench_train(workdir: Path) -> None:
    data = SHARED / "banking77" / "train.csv"
    print("\n== training: Banking77 train.csv (text -> category), `triage train`, default --cv 5")
    if not data.is_file():
        print(f"skipped: {data} not found")
        return
    seconds = wall([*TRIAGE, "train", str(data), "--label", "category", "-o", str(workdir / "banking77")])
    with open(data, encoding="utf-8", newline="") as handle:
        rows = sum(1 for _ in csv.reader(handle)) - 1
    print(f"{rows:,} rows: {seconds:.1f} s wall (includes writing model.joblib and the lean form)")


# --- profile ------------------------------------------------------------------------------------


def bench_profile(model_dir: Path, n: int) -> None:
    """cProfile of the batch path on ``n`` real short messages, top functions by own time."""
    import cProfile
    import pstats

    from classifier import api
    from classifier.message import Message

    texts = real_short_texts(n)
    if texts is None:
        print("profile skipped: shared datasets not found")
        return
    triage = api.load(model_dir)
    messages = [Message(id=str(i), text=t, channel="twitter") for i, t in enumerate(texts)]
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in triage.classify_messages(messages):
        pass
    profiler.disable()
    print(f"\n== profile: Triage.classify_messages on {n:,} messages (top 15 by own time)")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="cold `triage score` vs `import sklearn`")
    parser.add_argument("--batch", action="store_true", help="classify msgs/s vs fastText and sklearn")
    parser.add_argument("--memory", action="store_true", help="peak RSS and time per row on generated CSVs")
    parser.add_argument("--train", action="store_true", help="training time on Banking77")
    parser.add_argument("--profile", action="store_true", help="cProfile of the batch path")
    parser.add_argument("--model", type=Path, help="model directory (default: the shipped one, lean form added)")
    parser.add_argument("--runs", type=int, default=7, help="cold runs per command (default 7)")
    parser.add_argument("--n", type=int, default=80_000, help="messages for --batch (default 80000)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds for --batch (default 3)")
    parser.add_argument("--jobs", type=int, default=0, help="classify --jobs for --memory (default 0: automatic)")
    parser.add_argument("--sizes", default="100000,300000,1000000", help="rows for --memory, comma-separated")
    args = parser.parse_args()
    parts = [args.cold, args.batch, args.memory, args.train, args.profile]
    everything = not any(parts)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    with tempfile.TemporaryDirectory(prefix="triage-speed-") as tmp:
        workdir = Path(tmp)
        model_dir = lean_model_dir(args.model, workdir)
        print(f"model: {model_dir}   python: {sys.version.split()[0]}   cpus: {os.cpu_count()}")
        if args.cold or everything:
            bench_cold(model_dir, args.runs)
        if args.batch or everything:
            bench_batch(model_dir, args.n, workdir, args.rounds)
        if args.memory or everything:
            bench_memory(model_dir, [int(s) for s in args.sizes.split(",")], workdir, args.jobs)
        if args.train or everything:
            bench_train(workdir)
        if args.profile:
            bench_profile(model_dir, 5000)


if __name__ == "__main__":
    main()
