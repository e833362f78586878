"""The labeled corpus stays valid and balanced, and the checks that say so really catch problems."""

from __future__ import annotations

import importlib.util
import itertools
import random
import sys
from collections import Counter
from pathlib import Path

import pytest

from classifier.message import CHANNELS

ROOT = Path(__file__).resolve().parent.parent
CHECKER = ROOT / "corpora" / "tools" / "check_corpus.py"


def _load_checker():
    spec = importlib.util.spec_from_file_location("check_corpus", CHECKER)
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_corpus"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


cc = _load_checker()

TARGET_URGENCY = {"critical": 0.10, "high": 0.25, "normal": 0.45, "low": 0.20}


@pytest.fixture(scope="module")
def rows() -> list:
    rows, problems = cc.read_corpus()
    assert not problems, problems[:5]
    assert rows, "corpora/inquiries holds no rows"
    return rows


def make_row(id: str, text: str = "a perfectly ordinary message about my invoice", **fields: str):
    values = {"channel": "email", "language": "en", "topic": "billing", "urgency": "normal", **fields}
    return cc.Row(file="x", line=2, id=id, text=text, **values)


# --- the corpus itself ------------------------------------------------------------------------------


def test_corpus_rows_are_valid(rows: list) -> None:
    assert cc.validate(rows) == []


def test_every_topic_has_at_least_150_messages_per_language(rows: list) -> None:
    counts = Counter((r.topic, r.language) for r in rows)
    thin = {(t, lang): counts[t, lang] for t in cc.TOPICS for lang in cc.LANGUAGES if counts[t, lang] < 150}
    assert thin == {}


def test_urgency_shares_are_within_7_points_of_the_targets(rows: list) -> None:
    counts = Counter(r.urgency for r in rows)
    shares = {u: counts[u] / len(rows) for u in TARGET_URGENCY}
    off = {u: round(s, 3) for u, s in shares.items() if abs(s - TARGET_URGENCY[u]) > 0.07}
    assert off == {}


def test_email_is_30_to_50_percent_of_messages(rows: list) -> None:
    share = sum(r.channel == "email" for r in rows) / len(rows)
    assert 0.30 <= share <= 0.50


def test_every_channel_appears(rows: list) -> None:
    assert set(CHANNELS) - {r.channel for r in rows} == set()


def test_no_near_duplicates_above_0_8(rows: list) -> None:
    pairs = cc.near_duplicates(rows, threshold=0.8)
    assert [cc.describe(p) for p in pairs] == []


# --- the checks catch what they should ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"topic": "refund"}, "topic 'refund' is not in the taxonomy"),
        ({"urgency": "urgent"}, "urgency 'urgent'"),
        ({"language": "fr"}, "language 'fr' is not de or en"),
        ({"channel": "fax"}, "channel 'fax'"),
        ({"text": "  \n"}, "text is empty"),
        ({"id": ""}, "id is empty"),
    ],
)
def test_validate_names_the_broken_field(fields: dict, expected: str) -> None:
    problems = cc.validate([make_row(fields.pop("id", "x-1"), **fields)])
    assert len(problems) == 1 and expected in problems[0]


def test_validate_accepts_a_good_row_and_flags_an_id_used_twice() -> None:
    assert cc.validate([make_row("x-1")]) == []
    problems = cc.validate([make_row("x-1"), make_row("x-2"), make_row("x-1")])
    assert len(problems) == 1 and "id x-1 already used" in problems[0]


def test_read_file_rejects_a_wrong_header(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,text,label\n1,hello,billing\n", encoding="utf-8")
    rows, problems = cc.read_file(path)
    assert rows == [] and "header" in problems[0]


def test_near_duplicates_finds_a_reworded_copy_and_skips_short_messages() -> None:
    base = "my parcel from last week never arrived and the tracking page shows nothing at all"
    rows = [
        make_row("a", base),
        make_row("b", base.replace("last week", "last month")),
        make_row("c", "please cancel my contract at the end of the notice period thanks"),
        make_row("d", "test test"),
        make_row("e", "test test"),
    ]
    pairs = cc.near_duplicates(rows, threshold=0.6)
    assert [(p.a.id, p.b.id) for p in pairs] == [("a", "b")]
    assert pairs[0].jaccard == pytest.approx(14 / 16)


def test_near_duplicates_prefix_filter_matches_brute_force(rows: list) -> None:
    """The inverted-index shortcut must not miss a pair that comparing every pair would find."""
    sample = random.Random(0).sample(rows, 300)
    threshold = 0.25
    sets = [cc.word_set(r.text) for r in sample]
    brute = {
        (sample[i].id, sample[j].id)
        for i, j in itertools.combinations(range(len(sample)), 2)
        if min(len(sets[i]), len(sets[j])) >= cc.MIN_WORDS and cc.jaccard(sets[i], sets[j]) > threshold
    }
    fast = {(p.a.id, p.b.id) for p in cc.near_duplicates(sample, threshold)}
    assert brute, "threshold too high for the check to mean anything"
    assert fast == brute


def test_checker_exits_1_on_a_bad_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    header = ",".join(cc.HEADER)
    (tmp_path / "one.csv").write_text(f"{header}\n1,email,en,hello there,billing,normal\n", encoding="utf-8")
    (tmp_path / "two.csv").write_text(f"{header}\n1,email,en,hi again,nonsense,normal\n", encoding="utf-8")
    assert cc.main(["--corpus", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "topic 'nonsense'" in err and "id 1 already used" in err
