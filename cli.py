"""The ``triage`` command line: parse arguments, call ``classifier``, print.

Only typer and the standard library are imported at start-up; each command
imports the heavy parts it needs, so ``triage --help`` answers at once.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    help="Classify customer inquiries by topic and urgency, and decide what happens to each.",
)

ModelOption = Annotated[
    Path | None, typer.Option("--model", "-m", help="Model directory (default: the shipped model).")
]
TrustOption = Annotated[
    bool,
    typer.Option(
        "--trust-model",
        help="Load a model even if its manifest or checksums do not match (runs its pickle: only for files you trust).",
    ),
]
TextColumn = Annotated[
    str | None, typer.Option("--text-column", help="Column with the message text (default: text/body/message...).")
]
ChannelColumn = Annotated[
    str | None, typer.Option("--channel-column", help="Column with the channel (email, twitter, chat...).")
]
LabelOption = Annotated[
    list[str], typer.Option("--label", help="Label column; repeat for several heads. The first one routes.")
]


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn a TriageError into one line on stderr and exit code 1; anything else is a bug."""
    from classifier.errors import TriageError, one_line

    try:
        yield
    except TriageError as exc:
        typer.echo(f"triage: error: {one_line(str(exc))}", err=True)
        raise typer.Exit(1) from None


@app.command()
def classify(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Files or folders (CSV, TSV, JSON, JSONL, Parquet, Excel, .eml, mbox, Maildir); '-' reads stdin."
        ),
    ],
    model: ModelOption = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Output file: .csv, .jsonl or .parquet (default: CSV on stdout)."),
    ] = None,
    text_column: TextColumn = None,
    subject_column: Annotated[
        str | None, typer.Option("--subject-column", help="Column with a subject, combined with the text.")
    ] = None,
    id_column: Annotated[
        str | None, typer.Option("--id-column", help="Column with the message id (default: id, else row number).")
    ] = None,
    channel_column: ChannelColumn = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Decision config (TOML) overriding the model's.")
    ] = None,
    trust_model: TrustOption = False,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue an interrupted run from OUT.part and its checkpoint (CSV/JSONL output); "
            "starts afresh when there is nothing to resume.",
        ),
    ] = False,
    engine: Annotated[
        str, typer.Option("--engine", help="'local' (this process) or 'dask' (a Dask cluster; needs -o).")
    ] = "local",
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask scheduler address (default: 2 local workers).")
    ] = None,
    partitions: Annotated[
        int | None, typer.Option("--partitions", min=1, help="Dask: target number of partitions.")
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            min=0,
            help="Worker processes for the local engine (rows stay in order); 0: one per core (at most 4) "
            "for inputs over 4,096 messages, else none.",
        ),
    ] = 0,
) -> None:
    """Classify every message of an inbox export: one output row per message."""
    if engine != "local":
        _classify_engine(engine, inputs, model, output, scheduler, partitions, config, trust_model, resume,
                         (text_column, subject_column, id_column, channel_column))  # fmt: skip
        return
    from classifier import api
    from classifier.readers import Columns, check_inputs, read_inputs
    from classifier.resume import classify_fingerprint
    from classifier.writers import RowWriter, output_format

    writer = None
    with _user_errors(), _sigterm_as_interrupt():
        try:
            check_inputs(inputs)
            triage = api.load_scorer(model, config_path=config, trust=trust_model)
            columns = Columns(text=text_column, subject=subject_column, id=id_column, channel=channel_column)
            fingerprint = None
            if output is not None and output_format(output) != "parquet" and (resume or "-" not in inputs):
                fingerprint = classify_fingerprint(inputs, model, config, columns, triage.columns, output)
            counts = {"ok": 0, "error": 0, "review": 0}
            progress = _progress()
            writer = RowWriter(output, triage.columns, fingerprint=fingerprint, resume=resume)
            with writer:
                messages = read_inputs(inputs, columns)
                for rows in triage.classify_messages(messages, skip=writer.skip, jobs=jobs):
                    writer.write(rows)
                    progress.update(len(rows))
                    for row in rows:
                        counts["error" if row["status"] == "error" else "ok"] += 1
                        counts["review"] += row["action"] == "review" and row["status"] == "ok"
        except KeyboardInterrupt:
            typer.echo(_interrupted_line(writer, output), err=True)
            raise typer.Exit(130) from None
        finally:
            if writer is not None:
                progress.close()
    total = counts["ok"] + counts["error"]
    resumed = f" (resumed after {writer.skip:,} rows)" if writer.skip else ""
    typer.echo(
        f"triage: {total:,} messages{resumed}: {counts['ok']:,} ok, {counts['error']:,} error, "
        f"{counts['review']:,} review" + (f" -> {output}" if output else ""),
        err=True,
    )


def _classify_engine(engine, inputs, model, output, scheduler, partitions, config, trust_model, resume, names) -> None:
    """``classify --engine dask``: the same rows, computed on a Dask cluster (classifier.engines.dask)."""
    from classifier.errors import InputError
    from classifier.readers import Columns

    with _user_errors():
        if engine != "dask":
            raise InputError(f"--engine: unknown engine '{engine}'; use local or dask")
        if output is None or resume:
            raise InputError("--engine dask needs -o OUT (a folder, or .csv/.jsonl/.parquet) and no --resume")
        try:
            from classifier.engines.dask import classify_dask
        except ImportError:
            raise InputError('--engine dask needs Dask: pip install -e ".[dask]"') from None
        counts = classify_dask(inputs, model, output, scheduler=scheduler, partitions=partitions,
                               columns=Columns(*names), config_path=config, trust=trust_model)  # fmt: skip
    typer.echo(
        f"triage: {counts['rows']:,} messages in {counts['partitions']} partitions: {counts['ok']:,} ok, "
        f"{counts['error']:,} error, {counts['review']:,} review -> {output}",
        err=True,
    )


def _interrupted_line(writer, output: Path | None) -> str:
    """One line saying what an interrupt left behind and how to continue."""
    if writer is None:
        again = "; run the same command (with --resume) to continue" if output is not None else ""
        return f"triage: interrupted before any row was written in this run{again}"
    if writer.part is not None:
        return (
            f"triage: interrupted after {writer.rows_written:,} rows, kept in {writer.part}; "
            "run the same command with --resume to continue"
        )
    where = f"nothing written to {output}" if output else "output is incomplete"
    return f"triage: interrupted after {writer.rows_written:,} rows; {where}"


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Let SIGTERM end a run like Ctrl-C: rows flushed, part file and checkpoint kept."""
    import signal

    def _raise(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, _raise)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _progress():
    from tqdm import tqdm

    return tqdm(unit=" msg", file=sys.stderr, disable=not sys.stderr.isatty(), mininterval=0.5)


@app.command()
def train(
    data: Annotated[
        list[Path], typer.Argument(help="Labeled tables (CSV, TSV, JSONL, Parquet, Excel, or folders of them).")
    ],
    label: LabelOption,
    output: Annotated[Path, typer.Option("--output", "-o", help="Model directory to write.")],
    text_column: Annotated[str, typer.Option("--text-column", help="Column with the message text.")] = "text",
    channel_column: ChannelColumn = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Decision config (TOML): queues, auto-answer topics, templates.")
    ] = None,
    cv: Annotated[
        int, typer.Option("--cv", min=2, max=20, help="Cross-validation folds for scores and thresholds.")
    ] = 5,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same data and seed give the same model.")] = 0,
    engine: Annotated[
        str,
        typer.Option(
            "--engine", help="'local' (in memory) or 'dask' (out of core: hashed features + SGD, less accurate)."
        ),
    ] = "local",
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask scheduler address (default: 2 local workers).")
    ] = None,
    balanced: Annotated[
        list[str],
        typer.Option(
            "--balanced",
            help="Label column whose classes get balanced weights, so rare classes (e.g. 'critical') are found "
            "more often; repeatable.",
        ),
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    semantic_weight: Annotated[
        float | None,
        typer.Option(
            "--semantic-weight",
            min=0.0,
            help="Weight of the semantic block (0: off; default 1 with --semantic full, else 0; try 1 for static).",
        ),
    ] = None,
    signal_weight: Annotated[
        float,
        typer.Option(
            "--signal-weight",
            min=0.0,
            help="Weight of the urgency signals (exclamations, caps, length, urgency words, channel); 0: off. "
            "Off by default: on the corpus and the benchmarks they gained nothing and hurt real posts.",
        ),
    ] = 0.0,
    semantic: Annotated[
        str,
        typer.Option(
            "--semantic",
            help="'static': multilingual word vectors (fast); 'full': the sentence encoder, ~100-400 msgs/s "
            "(needs the semantic extra), more accurate on messages unlike the training data.",
        ),
    ] = "static",
    min_recall: Annotated[
        list[str],
        typer.Option(
            "--min-recall",
            metavar="HEAD:CLASS=R",
            help="Catch at least this share of a class that must not be missed (e.g. urgency:critical=0.92): "
            "it wins whenever its probability reaches a floor learned from cross-validation; repeatable.",
        ),
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    tune: Annotated[
        bool,
        typer.Option("--tune", help="Search each head's C and class weights by cross-validation (see --tune-budget)."),
    ] = False,
    tune_budget: Annotated[
        float, typer.Option("--tune-budget", min=1.0, help="Seconds --tune may spend, shared by the heads.")
    ] = 600.0,
) -> None:
    """Train a model from labeled messages; prints cross-validated scores, then writes the model."""
    if engine != "local":
        _train_engine(engine, data, label, output, text_column, channel_column, config, seed, scheduler)
        return
    from classifier import api
    from classifier.training import (
        base_config_for,
        format_report,
        head_params_from_options,
        load_training_data,
        semantic_params,
    )

    with _user_errors():
        head_params = head_params_from_options(balanced, min_recall)
        texts, labels, channels = load_training_data(data, text_column, label, channel_column)
        base = base_config_for(labels, config)
        model, decision, report = api.train(
            texts,
            labels,
            channels=channels,
            base_config=base,
            seed=seed,
            cv=cv,
            featurizer_params={**semantic_params(semantic, semantic_weight), "signal_weight": signal_weight},
            head_params=head_params,
            tune_seconds=tune_budget if tune else None,
        )
        typer.echo(format_report(report, decision))
        api.save(model, decision, output, report)
    typer.echo(f"model written to {output}")


def _train_engine(engine, data, label, output, text_column, channel_column, config, seed, scheduler) -> None:
    """``train --engine dask``: an incremental model for data beyond memory (classifier.engines.dask_train)."""
    from classifier.errors import InputError

    with _user_errors():
        if engine != "dask":
            raise InputError(f"--engine: unknown engine '{engine}'; use local or dask")
        try:
            from classifier.engines.dask_train import save_incremental, train_dask
        except ImportError:
            raise InputError('--engine dask needs Dask: pip install -e ".[dask]"') from None
        model, decision, report = train_dask(data, label, text_column=text_column, channel_column=channel_column,
                                             scheduler=scheduler, seed=seed, config_path=config)  # fmt: skip
        save_incremental(model, decision, output, report)
    typer.echo(f"trained on {report['rows']:,} rows in {report['partitions']} partitions (no cross-validation)")
    typer.echo(f"model written to {output}")


@app.command()
def evaluate(
    data: Annotated[list[Path], typer.Argument(help="Labeled tables to score the model on.")],
    label: LabelOption,
    model: ModelOption = None,
    text_column: Annotated[str, typer.Option("--text-column", help="Column with the message text.")] = "text",
    channel_column: ChannelColumn = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    report_dir: Annotated[
        Path | None,
        typer.Option("--report", help="Also write an HTML report with plots to this folder (needs the report extra)."),
    ] = None,
    trust_model: TrustOption = False,
) -> None:
    """Score a model on labeled data: accuracy, macro-F1 and per-class metrics per head."""
    from classifier import api
    from classifier.training import evaluate_model, format_evaluation, load_training_data

    with _user_errors():
        if report_dir is not None:
            from classifier.report import require_matplotlib

            require_matplotlib()  # fail before the slow part
        triage = api.load(model, trust=trust_model)
        texts, labels, channels = load_training_data(data, text_column, label, channel_column)
        if report_dir is None:
            report = evaluate_model(triage, texts, labels, channels)
        else:
            from classifier.report import build_report

            report = build_report(triage, texts, labels, channels, report_dir)
    typer.echo(json.dumps(report, ensure_ascii=False) if as_json else format_evaluation(report))
    if report_dir is not None:
        typer.echo(f"report: {report_dir / 'index.html'}", err=True)


@app.command()
def score(
    text: Annotated[Optional[str], typer.Argument(help="Message text; omit or '-' to read stdin.")] = None,  # noqa: UP045
    model: ModelOption = None,
    channel: Annotated[
        str, typer.Option("--channel", help="Channel of the message (email, twitter, chat, ...).")
    ] = "unknown",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object with the output columns.")] = False,
    trust_model: TrustOption = False,
) -> None:
    """Classify one message: fast enough for a mail filter or helpdesk trigger."""
    from classifier import api

    with _user_errors():
        if text is None or text == "-":
            text = sys.stdin.buffer.read().decode("utf-8", errors="replace")
        if not text.strip():
            from classifier.errors import InputError

            raise InputError("score: the message is empty")
        row = api.score(text, model, channel=channel, trust=trust_model)  # the lean form when the model has one
    if as_json:
        typer.echo(json.dumps(row, ensure_ascii=False))
        return
    skip = {"id", "reply", "status", "error"}
    for key, value in row.items():
        if key not in skip and not key.endswith("_confidence"):
            conf = row.get(f"{key}_confidence")
            typer.echo(f"{key:<16}{value}" + (f"  ({conf:.2f})" if conf is not None else ""))
    if row["reply"]:
        typer.echo("\n" + row["reply"])


@app.command()
def normalize(
    paths: Annotated[list[str], typer.Argument(help="Files or folders to read; '-' reads stdin.")],
    keep_pii: Annotated[bool, typer.Option("--keep-pii", help="Show personal data instead of placeholders.")] = False,
    as_jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON object per message.")] = False,
    text_column: TextColumn = None,
) -> None:
    """Show exactly what the classifier sees of each message."""
    from classifier.normalize import normalize_stream
    from classifier.readers import Columns, read_inputs

    with _user_errors():
        for message in normalize_stream(read_inputs(paths, Columns(text=text_column)), keep_pii=keep_pii):
            if as_jsonl:
                record = {
                    "source": message.source,
                    "id": message.id,
                    "text": message.clean,
                    "language": message.language,
                    "steps": message.steps,
                    "error": message.error,
                }
                typer.echo(json.dumps(record, ensure_ascii=False))
            else:
                typer.echo(f"== {message.where or message.id} [{message.channel}, {message.language or '-'}]")
                typer.echo(message.error or message.clean)


@app.command()
def info(model: ModelOption = None) -> None:
    """Print a model's metadata: labels, training data, versions, metrics."""
    from classifier import persist

    with _user_errors():
        manifest = persist.read_manifest(model or persist.DEFAULT_MODEL_DIR)
    typer.echo(json.dumps(manifest, indent=2, ensure_ascii=False))


def main() -> None:
    """Console entry point: usage errors exit 1 with one line, like every other bad input."""
    try:  # recent typer versions vendor click
        from typer._click import exceptions as click_exceptions
    except ImportError:  # pragma: no cover - older typer uses click itself
        from click import exceptions as click_exceptions

    try:
        code = app(standalone_mode=False)
    except click_exceptions.UsageError as exc:
        if exc.ctx is not None and exc.__class__.__name__ == "NoArgsIsHelpError":
            typer.echo(exc.ctx.get_help())
            sys.exit(0)
        typer.echo(f"triage: error: {exc.format_message()}", err=True)
        sys.exit(1)
    except click_exceptions.ClickException as exc:
        typer.echo(f"triage: error: {exc.format_message()}", err=True)
        sys.exit(1)
    except click_exceptions.Abort:
        typer.echo("triage: aborted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
