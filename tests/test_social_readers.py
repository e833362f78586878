"""Social exports: Twitter archive DMs, Facebook page messages, the customer-support-on-Twitter CSV."""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.api import assign_thread_positions
from classifier.errors import InputError
from classifier.message import Message
from classifier.readers import detect_format, read_path
from classifier.readers.social import (
    dm_owner,
    read_facebook_json,
    read_twitter_dms,
    repair_mojibake,
    walk_js_array,
)

FIXTURES = Path(__file__).parent / "fixtures" / "social"
ARCHIVE = FIXTURES / "twitter_archive"
FACEBOOK = FIXTURES / "facebook_export"
SHARED_TWCS = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "twcs-sample" / "sample.csv"


# --- Twitter archive -------------------------------------------------------------------------------


def test_archive_folder_yields_only_inbound_dms_oldest_first() -> None:
    messages = list(read_path(ARCHIVE))
    assert [m.id for m in messages] == ["1701000000000000001", "1701000000000000002", "1702000000000000001"]
    assert all(m.channel == "twitter" and not m.error for m in messages)
    assert {m.sender for m in messages} == {"555001", "555002"}  # never the account 900100
    assert [m.thread_position for m in messages] == [0, 1, 0]
    assert messages[0].thread_id == messages[1].thread_id == "twitter-dm:555001-900100"
    assert messages[2].text == "Hallo, ich möchte mein Abo kündigen. Wie geht das? 😕"
    assert messages[2].attachments == ["https://ton.twitter.com/dm/1/screenshot.jpg"]
    assert messages[0].timestamp == "2024-03-05T10:00:00.000Z"


def test_single_dm_file_uses_account_js_beside_it() -> None:
    assert detect_format(ARCHIVE / "data" / "direct-messages.js") == "twitter"
    assert len(list(read_path(ARCHIVE / "data" / "direct-messages.js"))) == 3


def test_owner_is_inferred_without_account_js(tmp_path: Path) -> None:
    shutil.copy(ARCHIVE / "data" / "direct-messages.js", tmp_path / "direct-messages.js")
    with open(tmp_path / "direct-messages.js", "rb") as stream:
        assert dm_owner(stream, "dm.js") == "900100"
    assert len(list(read_path(tmp_path / "direct-messages.js"))) == 3


def test_owner_of_a_single_conversation_cannot_be_guessed() -> None:
    data = b'window.YTD.direct_messages.part0 = [{"dmConversation": {"conversationId": "1-2", "messages": []}}]'
    with pytest.raises(InputError, match="account owner"):
        dm_owner(io.BytesIO(data), "dm.js")


@pytest.mark.parametrize(("name", "what"), [("tweets.js", "the account's own posts"), ("like.js", "'like' data")])
def test_own_tweets_and_other_archive_files_are_refused_alone(name: str, what: str) -> None:
    with pytest.raises(InputError, match=f"{name}: holds {what}, not inquiries"):
        list(read_path(ARCHIVE / "data" / name))


def test_js_array_is_walked_across_chunk_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    from classifier.readers import social

    monkeypatch.setattr(social, "_CHUNK", 7)  # every element spans many reads
    data = b'window.YTD.x.part0 = [ {"a": 1}, {"b": "' + ("ü" * 300).encode() + b'"}, 5, {"c": [1, 2]} ]'
    items = list(walk_js_array(io.BytesIO(data), "x.js"))
    assert items == [{"a": 1}, {"b": "ü" * 300}, {"c": [1, 2]}]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"var x = [];", "not a Twitter archive file"),
        (b'window.YTD.direct_messages.part0 = [{"a": 1}', "cut off"),
        (b'window.YTD.direct_messages.part0 = [{"a": 1} {"b": 2}]', "expected ','"),
        (b'window.YTD.direct_messages.part0 = [{"a": }]', "malformed JSON"),
        (b"window.YTD.direct_messages.part0 = [\xff\xfe]", "not UTF-8"),
    ],
)
def test_broken_js_files_raise_one_line_input_errors(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        list(read_twitter_dms(io.BytesIO(data), "dm.js", "1"))


def test_empty_js_array_yields_nothing() -> None:
    assert list(walk_js_array(io.BytesIO(b"window.YTD.direct_messages.part0 = [ ]\n"), "x.js")) == []


# --- Facebook --------------------------------------------------------------------------------------


def test_facebook_export_folder_yields_inbound_messages_with_mojibake_repaired() -> None:
    messages = list(read_path(FACEBOOK))  # the photos/ folder is skipped, not an error row
    assert [m.sender for m in messages] == ["Anna Meyer", "Anna Meyer", "Anna Meyer", "Tom Weber"]
    first = messages[0]
    assert first.channel == "facebook"
    assert first.text.startswith("Hallo, meine Rücksendung (Bestellung 4471)")
    assert first.text.endswith("😡")
    assert first.timestamp == "2024-03-05T09:13:20+00:00"
    assert [m.thread_position for m in messages] == [0, 1, 2, 0]  # the page's reply is not counted
    assert messages[0].thread_id == "facebook:inbox/annameyer_a1b2c3"
    assert "has no text (1 attachments)" in messages[2].error
    assert messages[3].text == 'Is the 55" TV in stock in the Köln store?'


def test_facebook_page_is_found_by_thread_folder_not_by_position() -> None:
    data = (
        b'{"participants": [{"name": "Techhaus"}, {"name": "Anna Meyer"}], "thread_path": "inbox/annameyer_1",'
        b' "messages": [{"sender_name": "Techhaus", "timestamp_ms": 2, "content": "Hi"},'
        b' {"sender_name": "Anna Meyer", "timestamp_ms": 1, "content": "Hallo"}]}'
    )
    assert [m.text for m in read_facebook_json(io.BytesIO(data), "m.json")] == ["Hallo"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("R\u00c3\u00bccksendung", "Rücksendung"),
        ("\u00f0\u009f\u0098\u00a1", "😡"),
        ("Rücksendung", "Rücksendung"),  # already right: unchanged
        ("plain ascii", "plain ascii"),
        ("Ωmega", "Ωmega"),  # not Latin-1 at all
    ],
)
def test_repair_mojibake(text: str, expected: str) -> None:
    assert repair_mojibake(text) == expected


# --- customer support on Twitter CSV ---------------------------------------------------------------


def test_twcs_csv_threads_follow_reply_chains() -> None:
    messages = list(read_path(FIXTURES / "twcs_threads.csv"))
    got = [(m.id, m.thread_id, m.thread_position) for m in messages]
    assert got == [
        ("10", "twitter:10", 0),
        ("12", "twitter:10", 1),  # the company reply 11 between them is not counted
        ("14", "twitter:10", 2),
        ("20", "twitter:20", 0),
        ("31", "twitter:30", 0),  # parent not in the export: its id is the thread
    ]


def test_twcs_thread_positions_survive_assign_thread_positions() -> None:
    messages = list(assign_thread_positions(read_path(FIXTURES / "twcs_threads.csv")))
    assert [m.thread_position for m in messages] == [0, 1, 2, 0, 0]


def test_twcs_chains_are_built_from_later_rows_too(tmp_path: Path) -> None:
    lines = (FIXTURES / "twcs_threads.csv").read_text().splitlines()
    path = tmp_path / "reversed.csv"
    path.write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    positions = {m.id: m.thread_position for m in read_path(path)}
    assert positions == {"31": 0, "20": 0, "14": 2, "12": 1, "10": 0}


@pytest.mark.skipif(not SHARED_TWCS.is_file(), reason="shared twcs-sample dataset not present")
def test_twcs_sample_threads_are_consistent() -> None:
    messages = list(read_path(SHARED_TWCS))
    assert messages and all(m.channel == "twitter" and m.thread_id.startswith("twitter:") for m in messages)
    assert any(m.thread_position > 0 for m in messages)
    by_id = {m.id: m for m in messages}
    for message in messages:  # a thread root is its own thread and the first customer tweet
        if message.thread_id == f"twitter:{message.id}":
            assert message.thread_position == 0
    assert len(by_id) == len(messages)


# --- mail threads by subject -----------------------------------------------------------------------


def test_subject_reply_without_references_joins_its_root_thread() -> None:
    from classifier.readers.mail import parse_email_bytes

    def mail(subject: str, msgid: str, sender: str = "kunde@mail.example") -> Message:
        raw = f"From: Kunde <{sender}>\nSubject: {subject}\nMessage-ID: <{msgid}>\n\nText\n".encode()
        return parse_email_bytes(raw, source="in.mbox", position=msgid)

    messages = [
        mail("Kündigung", "a@x"),
        mail("AW: Kündigung", "b@x"),
        mail("SV: VS: Antw: Kündigung", "c@x"),
        mail("Re: Kündigung", "d@x", sender="other@mail.example"),  # another customer: another thread
    ]
    result = list(assign_thread_positions(messages))
    assert [m.thread_id for m in result[:3]] == ["a@x"] * 3
    assert [m.thread_position for m in result] == [0, 1, 2, 0]


# --- robustness ------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_twitter_reader_raises_only_input_errors(data: bytes) -> None:
    for prefix in (b"", b"window.YTD.direct_messages.part0 = ["):
        with contextlib.suppress(InputError):
            list(read_twitter_dms(io.BytesIO(prefix + data), "dm.js", "1"))


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_facebook_reader_raises_only_input_errors(data: bytes) -> None:
    for prefix in (b"", b'{"participants": [], "messages": ['):
        with contextlib.suppress(InputError):
            list(read_facebook_json(io.BytesIO(prefix + data), "m.json"))


_KEYS = ["messages", "participants", "sender_name", "content", "timestamp_ms", "name", "photos", "uri"]


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=4),
        max_leaves=12,
    )
)
def test_facebook_reader_survives_any_json_shape(value: object) -> None:
    import json

    data = json.dumps({"participants": [{"name": "P"}], "messages": [value, {"sender_name": "C", "content": value}]})
    with contextlib.suppress(InputError):
        list(read_facebook_json(io.BytesIO(data.encode()), "m.json"))
