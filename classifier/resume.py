"""Checkpoints that let an interrupted ``triage classify -o OUT`` continue where it stopped.

While a run writes ``OUT.part``, a small sidecar ``OUT.part.checkpoint`` records how many
rows are complete, the byte size of the part file after the last complete row, and a
fingerprint of everything that decides the output (input paths, sizes and mtimes, model
checksums, options). ``--resume`` refuses to continue when the fingerprint differs, so a
resumed file is byte-identical to an uninterrupted run.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifier.errors import InputError

CHECKPOINT_VERSION = 1


def part_path(output: Path) -> Path:
    """The deterministic part file a run writes before renaming it to ``output``."""
    return output.with_name(output.name + ".part")


def checkpoint_path(output: Path) -> Path:
    """The sidecar checkpoint of ``output``'s part file."""
    return output.with_name(output.name + ".part.checkpoint")


def file_fingerprint(path: Path) -> list[dict[str, Any]]:
    """Path, size and mtime of a file, or of every file below a folder (sorted)."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    out = []
    for item in files:
        stat = item.stat()
        out.append({"path": str(item.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})
    return out


def run_fingerprint(inputs: list[str], model_files: dict[str, str], options: dict[str, Any]) -> dict[str, Any]:
    """Everything that decides a run's output; ``model_files`` maps file names to SHA-256."""
    if any(str(item) == "-" for item in inputs):
        raise InputError("--resume cannot fingerprint standard input ('-'); write it to a file first")
    return {
        "inputs": [entry for item in inputs for entry in file_fingerprint(Path(item))],
        "model": dict(sorted(model_files.items())),
        "options": options,
    }


@dataclass(frozen=True)
class Checkpoint:
    """Rows complete in the part file and its byte size after the last of them."""

    rows: int
    offset: int
    fingerprint: dict[str, Any]

    def save(self, path: Path, *, durable: bool = True) -> None:
        """Write atomically (and durably), so a kill at any instant leaves the old or the new checkpoint."""
        record = {"version": CHECKPOINT_VERSION, "rows": self.rows, "offset": self.offset}
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(record | {"fingerprint": self.fingerprint}, handle, ensure_ascii=False)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)


def load_checkpoint(path: Path) -> Checkpoint | None:
    """The checkpoint at ``path``, or None if there is none; a damaged one is an InputError."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: unreadable checkpoint ({exc.__class__.__name__}); rerun without --resume") from None
    if not isinstance(record, dict) or record.get("version") != CHECKPOINT_VERSION:
        raise InputError(f"{path}: not a triage checkpoint of this version; rerun without --resume")
    rows, offset = record.get("rows"), record.get("offset")
    if not isinstance(rows, int) or not isinstance(offset, int) or rows < 0 or offset < 0:
        raise InputError(f"{path}: damaged checkpoint (rows/offset); rerun without --resume")
    return Checkpoint(rows=rows, offset=offset, fingerprint=record.get("fingerprint") or {})


def explain_mismatch(saved: dict[str, Any], current: dict[str, Any]) -> str | None:
    """One phrase naming what changed since the interrupted run, or None if nothing did."""
    if saved == current:
        return None
    if saved.get("model") != current.get("model"):
        return "the model changed"
    if saved.get("options") != current.get("options"):
        changed = sorted(
            k
            for k in set(saved.get("options", {})) | set(current.get("options", {}))
            if saved.get("options", {}).get(k) != current.get("options", {}).get(k)
        )
        return f"options changed ({', '.join(changed)})"
    old = {e["path"]: e for e in saved.get("inputs", [])}
    new = {e["path"]: e for e in current.get("inputs", [])}
    for name in sorted(set(old) | set(new)):
        if name not in new:
            return f"input {name} is gone"
        if name not in old:
            return f"input {name} is new"
        if old[name] != new[name]:
            return f"input {name} changed (size or modification time)"
    return "the input list changed (order)"


def classify_fingerprint(
    inputs: list[str], model: Path | None, config: Path | None, columns: Any, out_columns: list[str], output: Path
) -> dict[str, Any]:
    """What decides a classify run's output, so --resume can refuse changed inputs, model or options."""
    from dataclasses import asdict

    from classifier import persist

    model_dir = Path(model) if model is not None else persist.DEFAULT_MODEL_DIR
    model_files = {
        name: persist.sha256_file(model_dir / name)
        for name in (persist.MODEL_FILE, persist.CONFIG_FILE)
        if (model_dir / name).is_file()
    }
    options = {
        "columns": asdict(columns),
        "config": persist.sha256_file(config) if config is not None and config.is_file() else None,
        "output_columns": list(out_columns),
        "format": output.suffix.lower(),
    }
    return run_fingerprint([str(i) for i in inputs], model_files, options)
