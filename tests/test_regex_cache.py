"""The compiled-regex cache gives the patterns re.compile gives, and never breaks on a bad cache."""

from __future__ import annotations

import re

import pytest

from classifier import regex_cache

PATTERNS = [
    (r"\b(?:betrug|fraud)\b", re.IGNORECASE),
    (r"(?P<name>[A-ZÄÖÜ][a-zäöüß]+)\s+(?P=name)", 0),
    (r"^>+\s?(.*)$", re.MULTILINE),
    (r"(?<![\w.])\d{2,4}[./-]\d{1,2}", 0),
]
SAMPLES = ["Betrug!! FRAUD, fraudster", "Anna Anna meyer", "> quoted\n>> twice\nnot", "am 12.03. oder 2024-5"]


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("INQUIRY_TRIAGE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(regex_cache, "_STORE", regex_cache._Store())
    return tmp_path


def _behaves_like_re(compiled: re.Pattern[str], pattern: str, flags: int) -> None:
    expected = re.compile(pattern, flags)
    assert (compiled.pattern, compiled.flags, compiled.groupindex) == (
        expected.pattern,
        expected.flags,
        expected.groupindex,
    )
    for text in SAMPLES:
        assert [m.span() for m in compiled.finditer(text)] == [m.span() for m in expected.finditer(text)]
        assert compiled.sub("#", text) == expected.sub("#", text)


def test_patterns_from_the_cache_file_match_like_re_compile(fresh_cache) -> None:
    for pattern, flags in PATTERNS:
        _behaves_like_re(regex_cache.compile(pattern, flags), pattern, flags)
    regex_cache._STORE.save()
    assert regex_cache.cache_file().is_file()
    regex_cache._STORE = regex_cache._Store()  # the next run: read back from the file
    entries = regex_cache._STORE.load()
    assert {(p, int(f)) for p, f in PATTERNS} <= set(entries)
    for pattern, flags in PATTERNS:
        _behaves_like_re(regex_cache.compile(pattern, flags), pattern, flags)
    assert not regex_cache._STORE.added  # nothing new to write


def test_a_damaged_cache_file_falls_back_to_compiling(fresh_cache) -> None:
    path = regex_cache.cache_file()
    path.write_bytes(b"\x00not marshal at all")
    pattern, flags = PATTERNS[0]
    _behaves_like_re(regex_cache.compile(pattern, flags), pattern, flags)
    regex_cache._STORE.save()  # replaced by a good one
    regex_cache._STORE = regex_cache._Store()
    assert (pattern, int(flags)) in regex_cache._STORE.load()


def test_an_entry_for_another_build_is_not_used(fresh_cache) -> None:
    pattern, flags = PATTERNS[1]
    entry = regex_cache.dump_pattern(pattern, flags)
    entry["sre"] = [2, 7, 0, 0]
    assert regex_cache.load_pattern(pattern, entry, flags).groupindex == re.compile(pattern, flags).groupindex


def test_caching_can_be_switched_off(monkeypatch) -> None:
    monkeypatch.setenv("INQUIRY_TRIAGE_CACHE_DIR", "")
    assert regex_cache.cache_file() is None
    store = regex_cache._Store()
    store.save()  # writes nothing, raises nothing
