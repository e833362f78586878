"""Language identification: ``de``, ``en`` or ``other``, with py3langid."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

SUPPORTED = ("de", "en")
# Restricting the candidates to the languages an EU inbox meets keeps short
# German posts from being read as Luxembourgish or Afrikaans.
_CANDIDATES = [
    "de",
    "en",
    "fr",
    "es",
    "it",
    "nl",
    "pl",
    "sv",
    "da",
    "no",
    "pt",
    "tr",
    "cs",
    "fi",
    "hu",
    "ro",
    "ru",
]
_PLACEHOLDER_RE = re.compile(r"<[A-Z_]+>|@user|https?://\S+")
_WORD_RE = re.compile(r"[^\W\d_]{2,}")
_GERMAN_HINT_RE = re.compile(r"[äöüßÄÖÜ]")


IDENTIFIER_FILE = "lean.langid.json"
_ARRAYS = ("ptc", "pc", "nextmove", "nextmove_row", "out_feat")
#: Uncompressed identifier arrays to load instead of py3langid's xz model (see :func:`use_identifier_file`).
_preferred_file: list[Path] = []


def _py3langid_version() -> str:
    from importlib.metadata import version

    return version("py3langid")


def export_identifier(directory: Path | str) -> list[str]:
    """Write py3langid's model, restricted to our candidates and uncompressed, into ``directory``.

    Decompressing the packaged xz model costs ~0.7 s per process; these files are
    memory-mapped in milliseconds and give identical scores (same arrays, same dtypes).
    Returns the names of the files written.
    """
    import json

    import numpy as np
    from py3langid.langid import MODEL_DIR, MODEL_FILE
    from py3langid.modelio import load_model

    directory = Path(directory)
    ptc, pc, classes, nextmove, row, out_feat = load_model(MODEL_DIR / MODEL_FILE)
    keep = [i for i, c in enumerate(classes) if c in set(_CANDIDATES)]
    arrays = {
        "ptc": np.asarray(ptc)[:, keep],
        "pc": np.asarray(pc)[keep],
        "nextmove": np.frombuffer(nextmove, dtype=f"u{nextmove.itemsize}"),
        "nextmove_row": np.frombuffer(row, dtype=f"u{row.itemsize}"),
        "out_feat": np.asarray(out_feat, dtype=np.int32),
    }
    names = []
    for name, array in arrays.items():
        names.append(f"lean.langid.{name}.npy")
        np.save(directory / names[-1], np.ascontiguousarray(array), allow_pickle=False)
    info = {"py3langid": _py3langid_version(), "classes": [classes[i] for i in keep]}
    (directory / IDENTIFIER_FILE).write_text(json.dumps(info), encoding="utf-8")
    return [*names, IDENTIFIER_FILE]


def use_identifier_file(path: Path | str) -> None:
    """Prefer the exported identifier described by ``path`` (see :func:`export_identifier`) from now on."""
    path = Path(path)
    if _preferred_file[:1] != [path]:
        _preferred_file[:] = [path]
        _identifier.cache_clear()


def _load_exported(path: Path):
    """A LanguageIdentifier from exported files, or None if absent or from another py3langid version."""
    import json

    import numpy as np
    from py3langid.langid import LanguageIdentifier

    if not path.is_file():
        return None
    info = json.loads(path.read_text(encoding="utf-8"))
    if info.get("py3langid") != _py3langid_version():
        return None
    arrays = {}
    for name in _ARRAYS:
        file = path.with_name(f"lean.langid.{name}.npy")
        if not file.is_file():
            return None
        arrays[name] = np.load(file, mmap_mode="r", allow_pickle=False)
    # memoryviews index like py3langid's stdlib arrays, without reading the 40 MB DFA up front
    return LanguageIdentifier(
        arrays["ptc"],
        arrays["pc"],
        info["classes"],
        memoryview(arrays["nextmove"]),
        memoryview(arrays["out_feat"]),
        norm_probs=True,
        tk_row=memoryview(arrays["nextmove_row"]),
    )


@lru_cache(maxsize=1)
def _identifier():
    identifier = _load_exported(_preferred_file[0]) if _preferred_file else None
    if identifier is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(_CANDIDATES)
    return identifier


def detect_language(text: str) -> str:
    """Return ``de``, ``en`` or ``other``.

    Short posts ("danke!!", "lol") fool every identifier, so when the text has few
    words or German/English is a close second, the better of the two wins.
    """
    sample = _PLACEHOLDER_RE.sub(" ", text[:2000])
    words = _WORD_RE.findall(sample)
    if not words:
        return "other"
    ranked = _identifier().rank(sample)
    top, _ = ranked[0]
    if top in SUPPORTED:
        return top
    probs = dict(ranked)
    de, en = probs.get("de", 0.0), probs.get("en", 0.0)
    if _GERMAN_HINT_RE.search(sample) and de >= 0.05:
        return "de"
    if len(words) < 5 or max(de, en) >= 0.15:
        return "de" if de > en else "en"
    return "other"
