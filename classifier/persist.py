"""Save and load model directories with a checksummed manifest.

Loading a joblib file runs code, so :func:`load_model` first checks that the
directory was written by triage and that every file still has the SHA-256 the
manifest recorded; only ``trust=True`` skips that.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from classifier.config import TriageConfig, dump_config, load_config
from classifier.errors import ModelError

MANIFEST = "manifest.json"
MODEL_FILE = "model.joblib"
CONFIG_FILE = "decision.toml"
FORMAT_VERSION = 1
CREATOR = "inquiry-triage"
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "default"
#: Files of the lean form (``classifier.lean``): covered by the manifest like the model itself.
LEAN_PATTERN = "lean*"
LEAN_FILE = "lean.json"


def lean_files(path: Path) -> list[str]:
    """Names of the lean-form files in a model directory, sorted."""
    return sorted(p.name for p in path.glob(LEAN_PATTERN) if p.is_file())


def library_versions() -> dict[str, str]:
    """Versions that decide whether a pickled model still means the same thing."""
    from importlib import metadata as importlib_metadata

    out = {"python": platform.python_version()}
    for dist in ("inquiry-triage", "scikit-learn", "numpy", "scipy", "spacy", "spacy-lookups-data"):
        try:
            out[dist] = importlib_metadata.version(dist)  # imported lazily: it costs 30 ms at start-up
        except importlib_metadata.PackageNotFoundError:
            out[dist] = "missing"
    return out


def sha256_file(path: Path, block_size: int = 1 << 20) -> str:
    """SHA-256 of a file, read in blocks (larger blocks mean fewer GIL hand-overs in a thread)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(block_size), b""):
            digest.update(block)
    return digest.hexdigest()


def save_model(
    model: Any,
    config: TriageConfig,
    path: Path | str,
    metadata: dict[str, Any],
    *,
    write_extra: Callable[[Path], Any] | None = None,
) -> Path:
    """Write ``model.joblib``, ``decision.toml`` and ``manifest.json`` atomically.

    ``write_extra(directory)`` may add files (the lean form) before the checksums are taken.

    Everything goes to a temporary sibling directory first, which then replaces
    ``path``, so a crash never leaves a half-written model behind.
    """
    import joblib

    path = Path(path)
    if not path.parent.exists():
        raise ModelError(f"{path.parent}: output folder does not exist")
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        joblib.dump(model, tmp / MODEL_FILE, compress=3)
        (tmp / CONFIG_FILE).write_text(dump_config(config), encoding="utf-8")
        if write_extra is not None:
            write_extra(tmp)
        manifest = {
            "created_by": CREATOR,
            "format_version": FORMAT_VERSION,
            "files": {name: sha256_file(tmp / name) for name in (MODEL_FILE, CONFIG_FILE, *lean_files(tmp))},
            "versions": library_versions(),
            **metadata,
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path


def read_manifest(path: Path | str) -> dict[str, Any]:
    """The manifest of a model directory, without unpickling anything."""
    path = Path(path)
    if not path.is_dir():
        raise ModelError(f"{path}: model directory not found")
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(
            f"{path}: no {MANIFEST}; not a model written by triage (pass --trust-model to load anyway)"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path / MANIFEST}: unreadable manifest ({exc.__class__.__name__})") from None
    if not isinstance(manifest, dict) or manifest.get("created_by") != CREATOR:
        raise ModelError(f"{path}: manifest was not written by triage (pass --trust-model to load anyway)")
    return manifest


def verify_model(path: Path, manifest: dict[str, Any]) -> None:
    """Refuse files whose checksum differs from the manifest, and incompatible versions."""
    verify_files(path, manifest, (MODEL_FILE, CONFIG_FILE, *lean_files(path)))
    trained = manifest.get("versions", {}).get("scikit-learn", "")
    current = library_versions()["scikit-learn"]
    if trained.split(".")[:2] != current.split(".")[:2]:
        raise ModelError(
            f"{path}: trained with scikit-learn {trained}, this is {current}; retrain the model "
            "or install the same scikit-learn (--trust-model loads it anyway, at your risk)"
        )


def verify_files(path: Path, manifest: dict[str, Any], names: Iterable[str]) -> None:
    """Refuse a missing file, or one whose SHA-256 is not the manifest's (files read in parallel threads).

    hashlib releases the GIL on large buffers, so on a multi-core machine the big lean
    arrays hash side by side instead of one after the other.
    """
    from concurrent.futures import ThreadPoolExecutor

    names = list(dict.fromkeys(names))
    for name in names:
        if not (path / name).is_file():
            raise ModelError(f"{path / name}: missing from the model directory")
    with ThreadPoolExecutor(max_workers=min(4, len(names) or 1)) as pool:
        digests = dict(zip(names, pool.map(lambda n: sha256_file(path / n, 1 << 24), names), strict=True))
    for name in names:
        if manifest.get("files", {}).get(name) != digests[name]:
            raise ModelError(
                f"{path / name}: checksum does not match the manifest; the file was changed "
                "after training (retrain, or pass --trust-model if you changed it yourself)"
            )


def load_model(path: Path | str | None = None, *, trust: bool = False) -> tuple[Any, TriageConfig, dict[str, Any]]:
    """Load (model, decision config, manifest) from a model directory; default: the shipped one."""
    import joblib

    path = Path(path) if path is not None else DEFAULT_MODEL_DIR
    if trust:
        if not (path / MODEL_FILE).is_file():
            raise ModelError(f"{path}: no {MODEL_FILE} in the model directory")
        try:
            manifest = read_manifest(path)
        except ModelError:
            manifest = {}
    else:
        manifest = read_manifest(path)
        verify_model(path, manifest)
    try:
        model = joblib.load(path / MODEL_FILE)
    except Exception as exc:  # a corrupt pickle can raise anything
        raise ModelError(f"{path / MODEL_FILE}: cannot be loaded ({exc.__class__.__name__})") from None
    config = load_config(path / CONFIG_FILE) if (path / CONFIG_FILE).is_file() else TriageConfig()
    return model, config, manifest
