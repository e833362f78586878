"""Rows/s of ``classify --engine dask`` with 1 and 2 workers, and for 1x/2x/4x the input.

Builds Parquet inputs from ``corpora/inquiries`` texts (sampled with replacement, unique
ids), runs each case on a LocalCluster whose workers already hold the model (the first,
cold run is reported separately), and checks the bar case: every row out, and rows and
predictions identical to the local engine.

    .venv/bin/python benchmarks/scale.py --rows 60000 --files 6
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def write_inputs(folder: Path, rows: int, files: int, seed: int = 0) -> Path:
    """``rows`` corpus messages in ``files`` Parquet files."""
    import pandas as pd

    frame = pd.concat(
        [
            pd.read_csv(p, dtype=str, keep_default_na=False)
            for p in sorted((ROOT / "corpora" / "inquiries").glob("*.csv"))
        ]
    )
    frame = frame.sample(n=rows, replace=True, random_state=seed).reset_index(drop=True)[["text", "channel"]]
    frame.insert(0, "id", [f"r{i}" for i in range(rows)])
    folder.mkdir(parents=True, exist_ok=True)
    per_file = -(-rows // files)
    for i in range(files):
        frame.iloc[i * per_file : (i + 1) * per_file].to_parquet(folder / f"in-{i:03d}.parquet")
    return folder


def timed_run(address: str, inputs: Path, out: Path, model: Path | None) -> tuple[float, dict]:
    from classifier.engines.dask import classify_dask

    start = time.perf_counter()
    counts = classify_dask([str(inputs)], model, out, scheduler=address, progress=False)
    return time.perf_counter() - start, counts


def read_rows(folder: Path) -> list[dict]:
    import pyarrow.parquet as pq

    return [row for part in sorted(folder.glob("part-*.parquet")) for row in pq.read_table(part).to_pylist()]


def local_rows(inputs: Path, model: Path | None) -> tuple[float, list[dict]]:
    from classifier import api
    from classifier.readers import read_inputs

    triage = api.load(model)
    start = time.perf_counter()
    rows = [row for chunk in triage.classify_messages(read_inputs([str(inputs)])) for row in chunk]
    return time.perf_counter() - start, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60000, help="rows of the 1x input")
    parser.add_argument("--files", type=int, default=6, help="Parquet files of the 1x input")
    parser.add_argument("--model", type=Path, default=None, help="model directory (default: shipped)")
    parser.add_argument("--scales", default="1,2,4", help="input sizes to time with 2 workers, as multiples")
    parser.add_argument("--train", action="store_true", help="instead: accuracy of train_dask vs in-memory train")
    parser.add_argument("--skip-local", action="store_true", help="skip the identical-to-local check")
    args = parser.parse_args()
    if args.train:
        compare_training(args.files)
        return

    work = Path(tempfile.mkdtemp(prefix="triage-scale-"))
    print(f"cpus={os.cpu_count()} load average at start={os.getloadavg()[0]:.1f}", flush=True)
    scales = [int(k) for k in args.scales.split(",")]
    sizes = {k: write_inputs(work / f"in-{k}x", args.rows * k, args.files * k) for k in sorted({1, *scales})}
    results: dict[str, dict] = {}
    # Most telling first: the bar case, then 1 worker, then the larger inputs.
    run_cluster(2, [1], sizes, work, args.model, results)
    if not args.skip_local:
        check_bar_case(sizes[1], work / "out-2w-1x", args)
    run_cluster(1, [1], sizes, work, args.model, results)
    run_cluster(2, [k for k in scales if k != 1], sizes, work, args.model, results)
    base = results["2w-1x"]
    print(f"speed-up 1 -> 2 workers: {results['1w-1x']['seconds'] / base['seconds']:.2f}x")
    for k in scales:
        if k != 1:
            ratio = results[f"2w-{k}x"]["seconds"] / base["seconds"]
            print(f"2 workers, {k}x input: {ratio:.2f}x the time of 1x (linear: {k:.2f}x)")
    print(f"load average at end={os.getloadavg()[0]:.1f}; inputs and outputs in {work}")


def run_cluster(workers: int, scales: list[int], sizes: dict, work: Path, model: Path | None, results: dict) -> None:
    """Time each input size on a LocalCluster of ``workers``, after loading the model on every worker."""
    from distributed import Client

    from classifier.engines.dask import model_blob, start_local_cluster

    if not scales:
        return
    t0 = time.perf_counter()
    with start_local_cluster(workers) as cluster, Client(cluster) as client:
        started = time.perf_counter() - t0
        client.run(warm_up, model_blob(model, None, False))
        print(f"workers={workers}: cluster start {started:.1f}s, model load on every worker "
              f"{time.perf_counter() - t0 - started:.1f}s", flush=True)  # fmt: skip
        for k in scales:
            seconds, counts = timed_run(cluster.scheduler_address, sizes[k], work / f"out-{workers}w-{k}x", model)
            results[f"{workers}w-{k}x"] = {"seconds": seconds, **counts}
            print(
                f"workers={workers} input={k}x rows={counts['rows']:,} partitions={counts['partitions']} "
                f"seconds={seconds:.1f} rows/s={counts['rows'] / seconds:,.0f} "
                f"s/1k rows={1000 * seconds / counts['rows']:.2f} load={os.getloadavg()[0]:.1f}",
                flush=True,
            )


def compare_training(files: int, seed: int = 0) -> None:
    """Held-out accuracy (20% of the corpus) of the incremental Dask model against the in-memory model."""
    import numpy as np
    import pandas as pd

    from classifier import api
    from classifier.engines.dask_train import train_dask
    from classifier.training import base_config_for

    frame = pd.concat(
        pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted((ROOT / "corpora" / "inquiries").glob("*.csv"))
    )
    frame = frame[frame["text"].str.strip() != ""].sample(frac=1.0, random_state=seed).reset_index(drop=True)
    cut = int(len(frame) * 0.8)
    train, test = frame.iloc[:cut], frame.iloc[cut:]
    work = Path(tempfile.mkdtemp(prefix="triage-train-"))
    per_file = -(-len(train) // files)
    for i in range(files):
        train.iloc[i * per_file : (i + 1) * per_file].to_parquet(work / f"train-{i:02d}.parquet")
    heads = ["topic", "urgency"]
    labels = {h: train[h].tolist() for h in heads}
    base = base_config_for(labels, None)
    t0 = time.perf_counter()
    memory_model, _, _ = api.train(train["text"].tolist(), labels, channels=train["channel"].tolist(), base_config=base)
    t1 = time.perf_counter()
    dask_model, _, _ = train_dask([str(work)], heads, channel_column="channel")
    t2 = time.perf_counter()
    messages = api.records_to_messages(test["text"].tolist(), test["channel"].tolist())
    docs = [api.to_doc(m) for m in api.normalize_all(messages)]
    print(f"train rows={len(train):,} held-out rows={len(test):,} ({files} Parquet files for Dask)")
    for name, model, seconds in (("in-memory", memory_model, t1 - t0), ("dask-incremental", dask_model, t2 - t1)):
        predicted = model.predict(docs)
        scores = ", ".join(
            f"{h} accuracy={np.mean(np.asarray(predicted[h].labels) == test[h].to_numpy()):.4f}" for h in heads
        )
        print(f"{name}: {scores}; train time {seconds:.1f}s (in-memory includes its cross-validation)")


def warm_up(blob: dict) -> None:
    """Load the model and its lazy resources (language ids, lemma tables) on a worker before timing."""
    from classifier.engines.dask import load_blob

    load_blob(blob).classify_texts(["Hello, my invoice is wrong.", "Hallo, mein Paket ist nicht angekommen."])


def check_bar_case(inputs: Path, out: Path, args: argparse.Namespace) -> None:
    """Every row out, and rows identical to the local engine's; exit 1 if not."""
    seconds, expected = local_rows(inputs, args.model)
    rows = read_rows(out)
    same = rows == expected
    print(
        f"bar case: {args.rows:,} rows in {args.files} Parquet files, 2 workers: rows out={len(rows):,} "
        f"(in={args.rows:,}), ids unique={len({r['id'] for r in rows}) == len(rows)}, identical to local={same}; "
        f"local engine (1 process): {seconds:.1f}s = {len(expected) / seconds:,.0f} rows/s",
        flush=True,
    )
    if not same or len(rows) != args.rows:
        sys.exit(1)


if __name__ == "__main__":
    main()
