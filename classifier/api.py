"""The public API: load a model, classify messages or texts, train, evaluate.

The CLI is a thin layer over these functions; so are the tests.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from classifier import persist
from classifier.config import TriageConfig, load_config
from classifier.errors import InputError, TriageError
from classifier.message import Message
from classifier.normalize import clean_text, normalize_messages
from classifier.replies import render_reply
from classifier.routing import decide
from classifier.signals import Doc

if TYPE_CHECKING:  # the model modules import scikit-learn: only loaded where needed
    from classifier.lean import LeanModel
    from classifier.model import TriageModel


#: A language needs this share of the training rows (and at least ``MIN_LANGUAGE_ROWS``) to count as read.
MIN_LANGUAGE_SHARE = 0.01
MIN_LANGUAGE_ROWS = 20


def trained_languages(counts: dict[str, int] | None) -> frozenset[str] | None:
    """The languages with enough training rows for the model's scores on them to mean something."""
    if not counts:
        return None
    total = sum(counts.values())
    return frozenset(k for k, n in counts.items() if n >= max(MIN_LANGUAGE_ROWS, MIN_LANGUAGE_SHARE * total))


def output_columns(head_names: Sequence[str]) -> list[str]:
    """Columns of every output row, in order."""
    heads = [c for h in head_names for c in (h, f"{h}_confidence")]
    return ["id", "channel", "language", *heads, "action", "queue", "reply", "status", "error", "thread_position"]


@dataclass
class Triage:
    """A loaded model with its decision config: everything needed to classify."""

    model: TriageModel | LeanModel
    config: TriageConfig
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return output_columns(self.model.head_names)

    @cached_property
    def languages(self) -> frozenset[str] | None:
        """Languages the model has learned to read, or None when its metadata does not say (any goes)."""
        return trained_languages(getattr(self.model, "metadata", {}).get("languages"))

    def classify_messages(
        self, messages: Iterable[Message], *, chunk_size: int = 512, skip: int = 0, jobs: int = 1
    ) -> Iterator[list[dict[str, Any]]]:
        """Classify a stream of messages, yielding output rows chunk by chunk (constant memory).

        ``skip`` drops the first messages after thread positions are counted, so a resumed
        run (which skips what an interrupted one already wrote) gives the same rows.
        ``jobs`` > 1 classifies chunks in that many worker processes, rows still in order;
        ``jobs=0`` picks: in this process for small inputs, else one worker per core (see
        :func:`auto_jobs`).
        """
        chunks = self._chunks(messages, chunk_size, skip)
        if jobs == 0:
            head = list(islice(chunks, AUTO_PARALLEL_CHUNKS))
            jobs = auto_jobs() if len(head) == AUTO_PARALLEL_CHUNKS else 1
            chunks = chain(head, chunks)
        if jobs > 1:
            yield from _classify_in_parallel(self, chunks, jobs)
        else:
            for chunk in chunks:
                yield self._classify_chunk(chunk)

    @staticmethod
    def _chunks(messages: Iterable[Message], chunk_size: int, skip: int) -> Iterator[list[Message]]:
        chunk: list[Message] = []
        for number, message in enumerate(assign_thread_positions(messages)):
            if number < skip:
                continue
            chunk.append(message)
            if len(chunk) >= chunk_size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def classify_texts(self, texts: Sequence[str], *, channel: str = "unknown") -> list[dict[str, Any]]:
        """Classify plain strings; one row per string."""
        messages = (Message(id=str(i), text=t, channel=channel) for i, t in enumerate(texts, start=1))
        return [row for rows in self.classify_messages(messages) for row in rows]

    def score(self, text: str, *, channel: str = "unknown") -> dict[str, Any]:
        """Classify one message."""
        return self.classify_texts([text], channel=channel)[0]

    def _classify_chunk(self, chunk: list[Message]) -> list[dict[str, Any]]:
        ready = normalize_messages(chunk, max_chars=self.config.max_chars)
        predictions = self.model.predict([to_doc(m) for m in ready]) if ready else {}
        index = {id(m): i for i, m in enumerate(ready)}
        return [self._row(m, predictions, index.get(id(m))) for m in chunk]

    def _row(self, message: Message, predictions: dict[str, Any], i: int | None) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": message.id,
            "channel": message.channel,
            "language": message.language,
            "thread_position": message.thread_position,
        }
        heads = self.model.head_names
        if i is None:
            row.update({h: "" for h in heads} | {f"{h}_confidence": None for h in heads})
            row.update(
                action="review",
                queue=self.config.review_queue,
                reply="",
                status="error",
                error=message.error or "unreadable message",
            )
            return {column: row[column] for column in self.columns}
        for head in heads:
            row[head] = predictions[head].labels[i]
            row[f"{head}_confidence"] = round(predictions[head].confidences[i], 4)
        routing = self.config.head if self.config.head in heads else heads[0]
        urgency = row.get(self.config.urgency_head) if self.config.urgency_head in heads else None
        known = self.languages is None or message.language in self.languages
        decision = decide(row[routing], row[f"{routing}_confidence"], urgency, self.config, known_language=known)
        warnings = list(message.warnings)
        if not known:
            warnings.append(f"language {message.language!r} not in the training data")
        reply = ""
        if decision.action == "auto_answer":
            template = self.config.templates[row[routing]]
            language = message.language if message.language in template else "en"
            unmasked = clean_text(message.text, message.channel, is_html=message.is_html, keep_pii=True)
            reply = render_reply(template.get(language, ""), language, unmasked + "\n" + message.text)
        row.update(action=decision.action, queue=decision.queue, reply=reply, status="ok", error="; ".join(warnings))
        return {column: row[column] for column in self.columns}


AUTO_PARALLEL_CHUNKS = 8  # below 8 chunks (4,096 messages) starting workers costs about what they save
AUTO_MAX_JOBS = 4  # the model arrays are shared (memory-mapped), but each worker grows its own word caches


def auto_jobs() -> int:
    """Worker processes for a large input: one per usable core, at most ``AUTO_MAX_JOBS``."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, AUTO_MAX_JOBS))


_WORKER: Triage | None = None  # the model of a worker process, set once by _start_worker


def _start_worker(triage: Triage) -> None:
    """Set up a worker process: its model, its signals, and an exit when the main process is gone.

    Ctrl-C reaches the whole process group: the main process alone handles it (it stops
    the pool and writes its checkpoint), so workers ignore SIGINT and die on SIGTERM as
    usual instead of inheriting the main process's handler. A forked worker also holds
    the pool's pipes, so it would wait forever for work from a main process that was
    killed; a watchdog thread ends it instead.
    """
    import signal
    import threading

    global _WORKER
    _WORKER = triage
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int, interval: float = 0.5) -> None:
    """End this worker process once ``parent`` has exited (the worker is then re-parented)."""
    import time

    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(1)


def _classify_in_worker(chunk: list[Message]) -> list[dict[str, Any]]:
    assert _WORKER is not None
    return _WORKER._classify_chunk(chunk)


def _classify_in_parallel(triage: Triage, chunks: Iterable[list[Message]], jobs: int) -> Iterator[list[dict[str, Any]]]:
    """Chunks classified by ``jobs`` processes, at most two chunks each in flight, yielded in input order.

    The first chunk is classified here: it loads the lemma tables and the language
    identifier and fills the word caches, and workers forked after it start with all of
    that (shared copy-on-write) instead of each loading it again, about a second apiece.
    """
    import multiprocessing
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor

    chunks = iter(chunks)
    first = next(chunks, None)
    if first is None:
        return
    yield triage._classify_chunk(first)
    fork = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    pool = ProcessPoolExecutor(jobs, mp_context=fork, initializer=_start_worker, initargs=(triage,))
    pending: deque[Future[list[dict[str, Any]]]] = deque()
    try:
        for chunk in chunks:
            pending.append(pool.submit(_classify_in_worker, chunk))
            if len(pending) >= 2 * jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def to_doc(message: Message) -> Doc:
    return Doc(message.clean, message.language, message.channel, message.thread_position)


def assign_thread_positions(messages: Iterable[Message]) -> Iterator[Message]:
    """Number each message by the earlier messages of its thread seen in this run (0 = first).

    Readers yield inbound (customer) messages only (company replies in Twitter/Facebook
    exports are skipped), so the count is of earlier customer messages; mail sent by the
    company is counted only if it is in the input (no company-address option yet). A mail
    reply without References gets a sender + subject key, joined here to the thread of the
    earlier mail from the same sender with that subject.
    """
    from classifier.readers.mail import SUBJECT_THREAD_PREFIX, subject_thread_key

    seen: dict[str, int] = {}
    roots: dict[str, str] = {}  # sender + subject key -> thread id of the first mail with it
    for message in messages:
        if message.thread_id and message.channel == "email" and message.subject:
            key = subject_thread_key(message.sender, message.subject)
            if message.thread_id.startswith(SUBJECT_THREAD_PREFIX):
                message.thread_id = roots.get(key, message.thread_id)
            roots.setdefault(key, message.thread_id)
        if message.thread_id:
            message.thread_position = max(message.thread_position, seen.get(message.thread_id, 0))
            seen[message.thread_id] = seen.get(message.thread_id, 0) + 1
        yield message


def load(model_dir: Path | str | None = None, *, config_path: Path | str | None = None, trust: bool = False) -> Triage:
    """Load a model directory (default: the shipped model) and its decision config."""
    from classifier.model import TriageModel

    model, config, manifest = persist.load_model(model_dir, trust=trust)
    if not isinstance(model, TriageModel):
        raise TriageError(f"{model_dir or persist.DEFAULT_MODEL_DIR}: not a triage model")
    from classifier.normalize.lang import IDENTIFIER_FILE, use_identifier_file

    # checksummed with the model; memory-mapped instead of py3langid's xz (0.5 s); absent files fall back
    use_identifier_file(Path(model_dir or persist.DEFAULT_MODEL_DIR) / IDENTIFIER_FILE)
    if config_path is not None:
        override = load_config(config_path)
        config = replace(override, reject_below=override.reject_below or config.reject_below)
    return Triage(model=model, config=config, manifest=manifest)


def load_lean(
    model_dir: Path | str | None = None,
    *,
    config_path: Path | str | None = None,
    trust: bool = False,
    every_file: bool = False,
) -> Triage:
    """Load the lean form of a model (no scikit-learn, SciPy or spaCy): for scoring single messages fast.

    The manifest and the SHA-256 of the decision config and every lean file are checked
    first, as for :func:`load` (``trust`` skips that; the lean files hold no pickle).
    ``every_file`` checks the rest of the directory too (the full model): a batch job
    should refuse a damaged model directory even where it does not read the damaged file.
    """
    from concurrent.futures import ThreadPoolExecutor

    path = Path(model_dir) if model_dir is not None else persist.DEFAULT_MODEL_DIR
    manifest: dict[str, Any] = {}
    if not trust:
        manifest = persist.read_manifest(path)
        listed = [name for name in manifest.get("files", {}) if name.startswith("lean")]
        if persist.LEAN_FILE not in listed:
            raise TriageError(f"{path}: the manifest lists no lean form; re-save the model (api.save) to add it")
        names = (persist.CONFIG_FILE, *listed, *persist.lean_files(path), *(manifest["files"] if every_file else ()))
        with ThreadPoolExecutor(max_workers=1) as pool:  # hash on the other core while NumPy imports
            check = pool.submit(persist.verify_files, path, manifest, names)
            from classifier.lean import LeanModel

            check.result()
    from classifier.lean import LeanModel  # (already imported above unless trusted)

    config = load_config(path / persist.CONFIG_FILE) if (path / persist.CONFIG_FILE).is_file() else TriageConfig()
    if config_path is not None:
        override = load_config(config_path)
        config = replace(override, reject_below=override.reject_below or config.reject_below)
    return Triage(model=LeanModel.load(path), config=config, manifest=manifest)


def has_lean_form(model_dir: Path | str | None = None) -> bool:
    """Whether a model directory carries the lean form (models saved before it do not)."""
    return ((Path(model_dir) if model_dir is not None else persist.DEFAULT_MODEL_DIR) / persist.LEAN_FILE).is_file()


def load_scorer(
    model_dir: Path | str | None = None, *, config_path: Path | str | None = None, trust: bool = False
) -> Triage:
    """The fastest form of a model that gives its predictions: the lean form where it has one.

    Both ``triage score`` and ``triage classify`` use it: the lean form starts in a
    fraction of the time (no scikit-learn, spaCy or pickle to load), its arrays are
    memory-mapped and so shared by worker processes, and it scores a batch as fast.
    """
    if has_lean_form(model_dir):
        return load_lean(model_dir, config_path=config_path, trust=trust, every_file=True)
    return load(model_dir, config_path=config_path, trust=trust)


def score(
    text: str,
    model_dir: Path | str | None = None,
    *,
    channel: str = "unknown",
    config_path: Path | str | None = None,
    trust: bool = False,
) -> dict[str, Any]:
    """Classify one message with the lean form when the model has one (else the full model): one output row.

    Same row as ``Triage.score``; a lone message has no thread to number, so the
    thread pass (and its mail-reader import) is skipped.
    """
    loader = load_lean if has_lean_form(model_dir) else load  # the lean files checked, not the full model's
    triage = loader(model_dir, config_path=config_path, trust=trust)
    return triage._classify_chunk([Message(id="1", text=text, channel=channel)])[0]


# --- training -----------------------------------------------------------------------------------


def normalize_all(messages: list[Message]) -> list[Message]:
    """Normalize training rows; unlike classification, a row that fails stops training (its labels would shift)."""
    ready = normalize_messages(messages)
    if len(ready) != len(messages):
        raise InputError(next(m.error for m in messages if m.error))
    return ready


def records_to_messages(texts: Sequence[Any], channels: Sequence[Any] | None = None) -> list[Message]:
    """Messages for training rows; empty texts are rejected with their row number."""
    out = []
    for number, text in enumerate(texts, start=1):
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"row {number}: text is empty")
        channel = str(channels[number - 1]) if channels is not None else "unknown"
        out.append(Message(id=str(number), text=text, channel=channel))
    return out


def data_hash(texts: Sequence[str], labels: dict[str, Sequence[str]]) -> str:
    """SHA-256 over the training texts and labels, to tell which data a model came from."""
    digest = hashlib.sha256()
    for i, text in enumerate(texts):
        digest.update(text.encode("utf-8", "surrogatepass") + b"\x1f")
        for name in labels:
            digest.update(str(labels[name][i]).encode() + b"\x1f")
        digest.update(b"\x1e")
    return digest.hexdigest()


def train(
    texts: Sequence[str],
    labels: dict[str, Sequence[str]],
    *,
    channels: Sequence[str] | None = None,
    base_config: TriageConfig | None = None,
    seed: int = 0,
    cv: int = 5,
    auto_answer_precision: float = 0.95,
    head_params: dict[str, dict[str, Any]] | None = None,
    featurizer_params: dict[str, Any] | None = None,
    tune_seconds: float | None = None,
) -> tuple[TriageModel, TriageConfig, dict[str, Any]]:
    """Fit a model with one head per label column; return it, its decision config and a CV report.

    ``featurizer_params`` go to :class:`~classifier.features.TextFeaturizer` (for example
    ``{"semantic_weight": 1.0}`` adds the static multilingual word vectors).
    ``tune_seconds`` searches each head's C and class weights within that time budget.
    """
    import numpy as np

    from classifier.evaluation import choose_auto_answer_thresholds, head_report

    if not labels:
        raise InputError("no label column given; pass --label")
    n = len(texts)
    for name, values in labels.items():
        if len(values) != n:
            raise InputError(f"label '{name}' has {len(values)} values for {n} texts")
        classes, counts = np.unique(np.asarray(values, dtype=str), return_counts=True)
        if len(classes) < 2:
            raise InputError(
                f"label '{name}' has only one class ({classes[0] if len(classes) else 'none'}); need at least 2"
            )
        if counts.min() < 2:
            raise InputError(
                f"label '{name}': class '{classes[counts.argmin()]}' has only {counts.min()} row; "
                "need at least 2 per class"
            )
    unknown = sorted(set(head_params or {}) - set(labels))
    if unknown:
        raise InputError(f"--balanced/--min-recall {unknown[0]}: not a label column (labels: {', '.join(labels)})")
    for name, params in (head_params or {}).items():
        missing = sorted(set(params.get("min_recall") or {}) - set(np.asarray(labels[name], dtype=str)))
        if missing:
            raise InputError(f"--min-recall {name}:{missing[0]}: label '{name}' has no class '{missing[0]}'")
    messages = normalize_all(records_to_messages(texts, channels))
    docs = [to_doc(m) for m in messages]
    params = {name: {"cv": cv, "random_state": seed, **(head_params or {}).get(name, {})} for name in labels}
    from classifier.features import TextFeaturizer
    from classifier.model import TriageModel

    featurizer = TextFeaturizer(**(featurizer_params or {}))
    model = TriageModel.fit(docs, labels, featurizer=featurizer, head_params=params, tune_seconds=tune_seconds)
    tuning = model.metadata.get("tuning")
    first = next(iter(labels))
    config = base_config or TriageConfig(head=first, urgency_head="")
    config = replace(config, head=first, reject_below=round(model.heads[first].reject_threshold_, 4))
    if config.urgency_head not in labels:
        config = replace(config, urgency_head="")
    report: dict[str, Any] = {"rows": n, "heads": {}}
    if tuning:
        report["tuning"] = tuning
    for name, head in model.heads.items():
        report["heads"][name] = head_report(
            np.asarray(labels[name], dtype=str), head.classes_, head.cv_proba_, head.class_floors_
        )
        for k, floor in head.class_floors_:
            report["heads"][name]["per_class"][str(head.classes_[k])]["floor"] = round(floor, 4)
        if hasattr(head, "calibration_"):
            report["heads"][name]["calibration"] = head.calibration_
    urgency = model.heads.get(config.urgency_head)
    config, auto = choose_auto_answer_thresholds(
        config,
        np.asarray(labels[first], dtype=str),
        model.heads[first].classes_,
        model.heads[first].cv_proba_,
        urgency.classes_[urgency.pick(urgency.cv_proba_)] if urgency is not None else None,
        target=auto_answer_precision,
    )
    report["auto_answer"] = auto
    report["review_rate"] = float(np.mean(model.heads[first].cv_proba_.max(axis=1) < config.reject_below))
    model.metadata = {
        "data_sha256": data_hash(list(texts), labels),
        "rows": n,
        "heads": {name: head.classes_.tolist() for name, head in model.heads.items()},
        "seed": seed,
        "languages": {
            lang: int(c) for lang, c in zip(*np.unique([m.language for m in messages], return_counts=True), strict=True)
        },
    }
    return model, config, report


def save(model: TriageModel, config: TriageConfig, path: Path | str, report: dict[str, Any] | None = None) -> Path:
    """Write a model directory with its manifest (checksums, versions, metrics)."""
    created = datetime.now(UTC).isoformat(timespec="seconds")
    from classifier.lean import export_lean

    metadata = {**model.metadata, "created": created, "cv_report": report or {}}
    if getattr(model.featurizer, "semantic_", None) is not None:  # the lean form has no semantic block yet
        return persist.save_model(model, config, path, metadata)
    return persist.save_model(model, config, path, metadata, write_extra=lambda tmp: export_lean(model, tmp))
