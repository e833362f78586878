"""Zip archives: every supported member format, export layouts, zip-bomb limits, nesting, broken members."""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.errors import InputError
from classifier.readers import Columns, detect_format, read_path
from classifier.readers.archive import ZipLimits, _Guard, read_zip
from classifier.readers.outlook import parse_msg_bytes

SOCIAL = Path(__file__).parent / "fixtures" / "social"
FIXTURES = Path(__file__).parent / "fixtures" / "archives"


def eml(subject: str, body: str, msgid: str) -> bytes:
    return (
        f"From: Kunde <kunde@mail.example>\nTo: service@shop.example\nSubject: {subject}\n"
        f"Message-ID: <{msgid}>\nDate: Tue, 05 Mar 2024 10:12:00 +0100\n"
        f"Content-Type: text/plain; charset=utf-8\n\n{body}\n"
    ).encode()


def make_zip(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def add_folder(members: dict[str, bytes], folder: Path, prefix: str) -> dict[str, bytes]:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            members[prefix + path.relative_to(folder).as_posix()] = path.read_bytes()
    return members


MBOX = b"From a@b Tue Mar  5 10:12:00 2024\n" + eml("Paket", "Wo ist mein Paket?", "m1@x") + b"\n"
MBOX += b"From a@b Tue Mar  5 10:13:00 2024\n" + eml("Rechnung", "Rechnung doppelt.", "m2@x") + b"\n"


def test_zip_of_mixed_inputs_is_read_member_by_member(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "inbox.zip",
        {
            "box.mbox": MBOX,
            "single.eml": eml("Kündigung", "Bitte kündigen.", "e1@x"),
            "tickets.csv": "id,text\nT-1,Passwort vergessen\nT-2,App stürzt ab\n".encode(),
            "Maildir/cur/1700000000.M1P1.host:2,S": eml("Lieferung", "Lieferadresse ändern", "md1@x"),
            "Maildir/new/1700000001.M2P2.host": eml("Frage", "Gibt es das in blau?", "md2@x"),
            "__MACOSX/._box.mbox": b"\x00\x05\x16\x07junk",
            ".hidden.eml": eml("x", "y", "h@x"),
            "inner.zip": zip_bytes({"nested.eml": eml("Nested", "Aus dem inneren Zip.", "n1@x")}),
        },
    )
    assert detect_format(archive) == "zip"
    messages = list(read_path(archive))
    assert [m.id for m in messages] == ["m1@x", "m2@x", "e1@x", "T-1", "T-2", "md1@x", "md2@x", "n1@x"]
    assert not any(m.error for m in messages)
    assert messages[0].source == f"{archive}:box.mbox" and messages[0].position == "message 1"
    assert messages[-1].source == f"{archive}:inner.zip:nested.eml"
    assert messages[4].text == "App stürzt ab"


def test_zipped_twitter_archive_reads_only_inbound_dms(tmp_path: Path) -> None:
    members = add_folder({}, SOCIAL / "twitter_archive", "twitter-2024-03-06/")
    messages = list(read_path(make_zip(tmp_path / "twitter.zip", members)))
    assert [m.sender for m in messages] == ["555001", "555001", "555002"]
    assert not any(m.error for m in messages)  # tweets.js, like.js, images: skipped, not error rows


def test_zipped_facebook_export_and_twcs_csv(tmp_path: Path) -> None:
    members = add_folder({}, SOCIAL / "facebook_export", "")
    members["support/twcs.csv"] = (SOCIAL / "twcs_threads.csv").read_bytes()
    messages = list(read_path(make_zip(tmp_path / "export.zip", members)))
    facebook = [m for m in messages if m.channel == "facebook"]
    twitter = [m for m in messages if m.channel == "twitter"]
    assert len(facebook) == 4 and facebook[0].text.startswith("Hallo, meine Rücksendung")
    assert [m.thread_position for m in twitter] == [0, 1, 2, 0, 0]  # two passes work on a zip member


def test_zip_bomb_by_ratio_is_refused_and_the_rest_is_read(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "bomb.zip", {"bomb.csv": b"text\n" + b"0" * (20 << 20), "ok.eml": eml("a", "b", "ok@x")}
    )
    messages = list(read_path(archive))
    assert "bomb.zip:bomb.csv: member declares over 100x its compressed size" in messages[0].error
    assert messages[1].id == "ok@x" and not messages[1].error


def test_member_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "big.zip", {"big.csv": b"text\n" + b"x" * 5000}, zipfile.ZIP_STORED)
    messages = list(read_zip(archive, str(archive), Columns(), limits=ZipLimits(max_member_bytes=4000)))
    assert len(messages) == 1 and "big.zip:big.csv: member declares more than 0 MB" in messages[0].error


def test_guard_counts_the_bytes_actually_decompressed() -> None:
    guard = _Guard(io.BytesIO(b"x" * 5000), "a.zip:m", 5000, ZipLimits(max_member_bytes=4000))
    with pytest.raises(InputError, match=re.escape("a.zip:m: member decompresses to more than")):
        io.BufferedReader(guard, buffer_size=1024).read()
    ratio = _Guard(io.BytesIO(b"x" * 5000), "a.zip:m", 10, ZipLimits(ratio_floor=1000))
    with pytest.raises(InputError, match=re.escape("over 100x its compressed size")):
        io.BufferedReader(ratio, buffer_size=1024).read()


def test_too_many_members_stops_the_archive(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "many.zip", {f"{i}.eml": eml("a", "b", f"{i}@x") for i in range(3)})
    with pytest.raises(InputError, match=re.escape("many.zip: 3 members, more than the limit of 2")):
        list(read_zip(archive, str(archive), Columns(), limits=ZipLimits(max_members=2)))


def test_zip_nested_two_levels_is_refused(tmp_path: Path) -> None:
    level2 = zip_bytes({"deep.eml": eml("a", "b", "deep@x")})
    archive = make_zip(tmp_path / "outer.zip", {"mid.zip": zip_bytes({"inner.zip": level2})})
    messages = list(read_path(archive))
    assert len(messages) == 1
    assert messages[0].error.startswith(f"{archive}:mid.zip:inner.zip: zip nested more than 1 level deep")


def test_corrupt_member_is_one_error_row(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "crc.zip",
        {"a.eml": eml("a", "Hallo " * 200, "a@x"), "b.eml": eml("b", "c", "b@x")},
        zipfile.ZIP_STORED,
    )
    data = bytearray(archive.read_bytes())
    index = data.index(b"Hallo Hallo")
    data[index : index + 5] = b"HALLO"  # stored data no longer matches its CRC
    archive.write_bytes(bytes(data))
    messages = list(read_path(archive))
    assert "crc.zip:a.eml: cannot decompress (BadZipFile" in messages[0].error
    assert messages[1].id == "b@x"


def test_broken_archive_raises(tmp_path: Path) -> None:
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(InputError, match=re.escape("broken.zip: broken zip archive")):
        list(read_path(path))


def test_ole_member_that_is_not_a_msg_is_an_error_row(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "ole.zip", {"old.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000})
    messages = list(read_path(archive))
    assert "ole.zip:old.xls: OLE file but not an Outlook message" in messages[0].error


# --- Outlook .msg: error paths ------------------------------------------------------------------------


def test_damaged_msg_file_is_refused_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "mail.msg"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 3000)
    with pytest.raises(InputError, match=re.escape("mail.msg: OLE file but not an Outlook message")):
        list(read_path(path))


def test_parse_msg_bytes_never_raises() -> None:
    message = parse_msg_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x01" * 3000, source="in.zip:a.msg")
    assert message.error.startswith("in.zip:a.msg: not a readable Outlook .msg file")


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400))
def test_zip_reader_raises_only_input_errors(data: bytes) -> None:
    for prefix in (b"", b"PK\x03\x04"):
        with contextlib.suppress(InputError):
            list(read_zip(io.BytesIO(prefix + data), "x.zip", Columns()))  # type: ignore[arg-type]


# --- Outlook .msg: a hand-built file (tests/fixtures/archives/make_msg.py) ------------------------------


def _make_msg() -> object:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_msg", FIXTURES / "make_msg.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_msg_file_is_detected_and_read() -> None:
    path = FIXTURES / "sample.msg"
    assert detect_format(path) == "msg"
    (message,) = list(read_path(path))
    assert not message.error and message.channel == "email"
    assert message.id == "outlook-118@mail.example"
    assert message.subject == "AW: Rechnung 2024-118 doppelt abgebucht"
    assert message.text.startswith("Hallo,\n\ndie Rechnung 2024-118 wurde zweimal abgebucht.")
    assert "\r" not in message.text and not message.is_html
    assert message.sender == "Jonas Berg <jonas.berg@mail.example>"
    assert message.timestamp == "2024-03-05T09:30:00+00:00"
    assert message.attachments == ["Kontoauszug.pdf"]
    assert message.thread_id == "subject:jonas.berg@mail.example:rechnung 2024-118 doppelt abgebucht"


def test_html_only_msg_is_marked_html(tmp_path: Path) -> None:
    make_msg = _make_msg()
    sample = {**make_msg.SAMPLE, "body": "", "html": "<html><body><p>Paket fehlt</p></body></html>"}  # type: ignore[attr-defined]
    path = tmp_path / "html.msg"
    path.write_bytes(make_msg.build_msg(**sample))  # type: ignore[attr-defined]
    (message,) = list(read_path(path))
    assert message.is_html and "<p>Paket fehlt</p>" in message.text


def test_msg_inside_a_zip(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "outlook.zip", {"export/a.msg": (FIXTURES / "sample.msg").read_bytes()})
    (message,) = list(read_path(archive))
    assert message.id == "outlook-118@mail.example" and message.source == f"{archive}:export/a.msg"


def test_truncated_msg_is_an_error_row_not_a_crash(tmp_path: Path) -> None:
    data = (FIXTURES / "sample.msg").read_bytes()
    message = parse_msg_bytes(data[:2048], source="cut.msg")
    assert message.error.startswith("cut.msg: not a readable Outlook .msg file")
