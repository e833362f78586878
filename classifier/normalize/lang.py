"""Language identification: ``de``, ``en`` or ``other``, with py3langid."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import islice
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
    # the package's own attribute: importlib.metadata would cost ~40 ms of every `triage score`
    import py3langid

    return py3langid.__version__


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
        _scorer.cache_clear()  # built on the identifier


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


class _BatchScorer:
    """py3langid's naive Bayes scores for many texts at once.

    py3langid walks its byte automaton in a Python loop, one text at a time (~100 µs for
    a tweet). Here the texts of a batch walk the same automaton in lockstep, one NumPy
    step per byte position, so the per-byte cost is shared by the whole batch. The
    feature counts are exactly py3langid's; the scores (same arrays and formula) agree
    to float32 rounding. A handful of texts take py3langid's own walk, which is faster
    then, and the same scoring, so a text gets the same scores in any batch.
    """

    LOCKSTEP_MIN = 16  # below this many texts, per-text walks are faster

    def __init__(self, identifier) -> None:
        import numpy as np

        self.identifier = identifier
        self.nextmove = np.asarray(identifier.tk_nextmove)
        self.rowbase = np.asarray(identifier.tk_row, dtype=np.int64) << 8
        self.out = np.asarray(identifier.tk_output)
        self.ptc = np.asarray(identifier.nb_ptc, dtype=np.float32)
        self.pc = np.asarray(identifier.nb_pc, dtype=np.float32)
        self.labels = list(dict.fromkeys(identifier.nb_classes))  # script aliases (srl->sr) share a label
        merge = np.zeros((len(identifier.nb_classes), len(self.labels)), dtype=np.float32)
        merge[np.arange(len(identifier.nb_classes)), [self.labels.index(c) for c in identifier.nb_classes]] = 1
        self.merge = merge

    def _walk_each(self, encoded: list[bytes]):
        """(text, feature) keys and counts, sorted, from py3langid's own walk of each text."""
        import numpy as np
        from py3langid.langid import visit_counts

        width = len(self.out)
        keys: list[int] = []
        counts: list[int] = []
        for t, data in enumerate(encoded):
            visits = visit_counts(
                self.identifier.tk_nextmove, self.identifier._rowbase, self.identifier.tk_output, data
            )
            for feature in sorted(visits or ()):
                keys.append(t * width + feature)
                counts.append(visits[feature])
        return np.array(keys, dtype=np.int64), np.array(counts, dtype=np.int64)

    def _walk_lockstep(self, encoded: list[bytes]):
        """(text, feature) keys and counts, sorted, all texts walking the automaton together.

        Texts go longest first, so the ones still walking at byte ``i`` are a prefix.
        """
        import numpy as np

        order = sorted(range(len(encoded)), key=lambda t: -len(encoded[t]))
        lengths = np.array([len(encoded[t]) for t in order], dtype=np.int64)
        width = int(lengths[0]) if len(lengths) else 0
        columns = np.zeros((width, len(order)), dtype=np.int64)  # byte position x text
        for j, t in enumerate(order):
            columns[: lengths[j], j] = np.frombuffer(encoded[t], dtype=np.uint8)
        active = np.searchsorted(-lengths, -np.arange(width), side="right")  # texts longer than i
        state = np.zeros(len(order), dtype=np.int64)
        feats = np.full((width, len(order)), -1, dtype=np.int64)
        nextmove, rowbase, out = self.nextmove, self.rowbase, self.out
        for i in range(width):
            k = active[i]
            state[:k] = nextmove[rowbase[state[:k]] + columns[i, :k]]
            feats[i, :k] = out[state[:k]]
        valid = feats >= 0
        text_of = np.broadcast_to(np.array(order, dtype=np.int64), feats.shape)[valid]
        return np.unique(text_of * len(out) + feats[valid], return_counts=True)

    def probabilities(self, texts: Sequence[str]):
        """(texts x :attr:`labels`) probabilities, as py3langid's ``rank`` with ``norm_probs``.

        Each text's feature rows are summed in their own order by ``add.reduceat``, so a
        text's scores do not depend on the batch it came in.
        """
        import numpy as np

        encoded = [self.identifier._encode(t) for t in texts]
        walk = self._walk_each if len(encoded) < self.LOCKSTEP_MIN else self._walk_lockstep
        keys, counts = walk(encoded)
        text_of, feats = np.divmod(keys, len(self.out))
        scores = np.full((len(encoded), len(self.pc)), 1.0 / len(self.pc), dtype=np.float32)  # no features: abstain
        if len(keys):
            rows = np.log1p(counts.astype(np.float32))[:, None] * self.ptc[feats]
            starts = np.flatnonzero(np.r_[True, text_of[1:] != text_of[:-1]])
            has = text_of[starts]
            lengths = np.array([len(encoded[t]) or 1 for t in has.tolist()], dtype=np.float64)
            block = np.add.reduceat(rows, starts, axis=0) + self.pc
            block *= (1.0 / np.sqrt(lengths)).astype(np.float32)[:, None]
            block = np.exp(block - block.max(axis=1, keepdims=True))
            scores[has] = block / block.sum(axis=1, keepdims=True)
        return scores @ self.merge


@lru_cache(maxsize=1)
def _scorer() -> _BatchScorer:
    return _BatchScorer(_identifier())


_LAST_LATIN = "\u024f"  # end of Latin Extended-B


def mostly_latin(text: str) -> bool:
    """Whether at least half the letters are Latin script: a text in Japanese or Arabic is never German or English.

    The identifier only knows the European candidates above, and a script it cannot
    rank makes it fall back to German or English with high confidence.
    """
    if not text or max(text) <= _LAST_LATIN:  # nearly every message: one pass in C, no letter loop
        return True
    letters = [c for c in text if c.isalpha()]
    return not letters or sum(c <= _LAST_LATIN for c in letters) * 2 >= len(letters)


def _decide(sample: str, words: int, top: str, de: float, en: float) -> str:
    """German or English whenever the evidence allows; ``other`` only for clearly other languages.

    Short posts ("danke!!", "lol") fool every identifier, so when the text has few
    words or German/English is a close second, the better of the two wins.
    """
    if not mostly_latin(sample):
        return "other"
    if top in SUPPORTED:
        return top
    if _GERMAN_HINT_RE.search(sample) and de >= 0.05:
        return "de"
    if words < 5 or max(de, en) >= 0.15:
        return "de" if de > en else "en"
    return "other"


def detect_languages(texts: Sequence[str]) -> list[str]:
    """``de``, ``en`` or ``other`` for each text; batches share the identifier's work (see :class:`_BatchScorer`)."""
    samples = [_PLACEHOLDER_RE.sub(" ", t[:2000]) for t in texts]
    words = [sum(1 for _ in islice(_WORD_RE.finditer(s), 5)) for s in samples]  # 0..5 is all we need
    wordy = [i for i, w in enumerate(words) if w]
    languages = ["other"] * len(texts)
    if not wordy:
        return languages
    scorer = _scorer()
    probs = scorer.probabilities([samples[i] for i in wordy])
    tops = [scorer.labels[j] for j in probs.argmax(axis=1).tolist()]
    de = probs[:, scorer.labels.index("de")].tolist()
    en = probs[:, scorer.labels.index("en")].tolist()
    for row, i in enumerate(wordy):
        languages[i] = _decide(samples[i], words[i], tops[row], de[row], en[row])
    return languages


def detect_language(text: str) -> str:
    """Return ``de``, ``en`` or ``other`` for one text."""
    return detect_languages([text])[0]
