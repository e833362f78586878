"""Compiled regular expressions kept between runs, so a cold ``triage score`` does not rebuild them.

Compiling the normalization patterns (reply headers, sign-offs and disclaimers in ten
languages, PII) takes about 40 ms, an eighth of a cold ``triage score``. ``re`` parses
a pattern and generates its code in Python; only the last step, ``_sre.compile``, is
C. :func:`compile` stores the generated code in the user's cache folder the first time
a pattern is compiled and hands it straight to ``_sre.compile`` on later runs.

The code is only reused by the same Python minor version and ``_sre`` build (both are
in the file name and checked), for the same pattern string and flags; anything else,
or a cache that cannot be read or written, falls back to ``re.compile``.
``INQUIRY_TRIAGE_CACHE_DIR`` moves the cache; set it to an empty string to switch it off.
"""

from __future__ import annotations

import atexit
import marshal
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

_MAX_ENTRIES = 2000  # a cache that grew past this (patterns changed over versions) keeps this run's only


def _build_tag() -> tuple[int, int, int, int]:
    import _sre

    return (sys.version_info[0], sys.version_info[1], _sre.MAGIC, _sre.CODESIZE)


def dump_pattern(pattern: str, flags: int = 0) -> dict[str, Any]:
    """What ``re._compiler.compile`` hands to ``_sre.compile`` for ``pattern``: reusable by the same build."""
    from re import _compiler, _parser

    parsed = _parser.parse(pattern, flags)
    indexgroup = [None] * parsed.state.groups
    for name, i in parsed.state.groupdict.items():
        indexgroup[i] = name
    return {
        "sre": list(_build_tag()),
        "flags": flags | parsed.state.flags,
        "code": [int(op) for op in _compiler._code(parsed, flags)],  # plain ints: opcodes are an int subclass
        "groups": parsed.state.groups - 1,
        "groupindex": dict(parsed.state.groupdict),
        "indexgroup": indexgroup,
    }


def load_pattern(pattern: str, compiled: dict[str, Any] | None, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, from its dumped form (:func:`dump_pattern`) when this build can use it."""
    import _sre

    if compiled is None or list(compiled["sre"]) != list(_build_tag()):
        return re.compile(pattern, flags)
    return _sre.compile(
        pattern,
        compiled["flags"],
        compiled["code"],
        compiled["groups"],
        compiled["groupindex"],
        tuple(compiled["indexgroup"]),
    )


def cache_file() -> Path | None:
    """Where this build's compiled patterns live, or None when caching is switched off."""
    folder = os.environ.get("INQUIRY_TRIAGE_CACHE_DIR")
    if folder is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = os.path.join(base, "inquiry-triage")
    if not folder:
        return None
    return Path(folder) / ("regex-{}.{}-{}-{}.marshal".format(*_build_tag()))


class _Store:
    """The cache file's entries, read on first use and written back at exit if this run added any."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, int], dict[str, Any]] | None = None
        self.used: set[tuple[str, int]] = set()
        self.added = False

    def load(self) -> dict[tuple[str, int], dict[str, Any]]:
        if self.entries is None:
            self.entries = {}
            path = cache_file()
            try:
                data = marshal.loads(path.read_bytes()) if path is not None else {}
                if isinstance(data, dict):
                    self.entries = data
            except (OSError, EOFError, ValueError, TypeError):
                pass  # no cache yet, or an unreadable one: compile, and write a new one
        return self.entries

    def add(self, key: tuple[str, int], entry: dict[str, Any]) -> None:
        entries = self.load()
        if not self.added:
            atexit.register(self.save)
        entries[key] = entry
        self.added = True

    def save(self) -> None:
        path = cache_file()
        if path is None or self.entries is None:
            return
        entries = self.entries
        if len(entries) > _MAX_ENTRIES:
            entries = {key: value for key, value in entries.items() if key in self.used}
        tmp = None
        try:
            data = marshal.dumps(entries)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".regex-", dir=path.parent)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except (OSError, ValueError):
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)  # a read-only home costs the next run 40 ms, nothing more


_STORE = _Store()


def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, with the generated code taken from, or added to, the cache."""
    key = (pattern, int(flags))
    _STORE.used.add(key)
    entry = _STORE.load().get(key)
    if entry is not None:
        try:
            return load_pattern(pattern, entry, flags)
        except (KeyError, TypeError, ValueError, RuntimeError):
            pass  # a damaged entry: compile it afresh below
    try:
        entry = dump_pattern(pattern, int(flags))
        compiled = load_pattern(pattern, entry, flags)
    except re.error:
        raise
    except Exception:  # re's internals moved: compile the ordinary way, cache nothing
        return re.compile(pattern, flags)
    _STORE.add(key, entry)
    return compiled
