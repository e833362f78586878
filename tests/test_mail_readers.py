"""Mail readers stream mbox/eml/Maildir safely; mail cleaning steps hold their contract."""

from __future__ import annotations

import base64
import mailbox
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifier.errors import InputError
from classifier.normalize.mail import (
    strip_disclaimer,
    strip_html_quotes,
    strip_quoted_reply,
    strip_signature,
    unwrap_forward,
)
from classifier.readers.mail import parse_email_bytes, read_eml, read_maildir, read_mbox

SAMPLE_INBOX = Path(__file__).parent.parent / "corpora" / "samples" / "inbox.mbox"


def mail(subject: str, body: str, *, headers: str = "", ctype: str = "text/plain; charset=utf-8") -> bytes:
    return (
        f"From: Kunde <kunde@mail.example>\nTo: service@shop.example\nSubject: {subject}\n"
        f"Date: Tue, 05 Mar 2024 10:12:00 +0100\n{headers}Content-Type: {ctype}\n\n{body}"
    ).encode()


def write_mbox(path: Path, *messages: bytes, tail: bytes = b"\n", escape: bool = False) -> Path:
    """Write an mbox; with ``escape``, body lines starting with ">*From " get one more ">" (mboxrd)."""
    chunks = []
    for message in messages:
        lines = message.rstrip(b"\n").split(b"\n")
        if escape:
            lines = [b">" + line if line.lstrip(b">").startswith(b"From ") else line for line in lines]
        chunks.append(b"From kunde@mail.example Tue Mar  5 10:12:00 2024\n" + b"\n".join(lines) + b"\n")
    path.write_bytes(b"\n".join(chunks) + tail)
    return path


# --- parse_email_bytes ---------------------------------------------------------------


def test_headers_are_decoded_and_ids_filled() -> None:
    raw = mail(
        "=?utf-8?q?AW=3A_K=C3=BCndigung?= =?utf-8?q?_Vertrag?=",
        "Bitte kündigen.\n",
        headers="Message-ID: <abc@mail.example>\nReferences: <root@shop.example> <mid@shop.example>\n",
    )
    msg = parse_email_bytes(raw, source="x.mbox", position="message 1")
    assert msg.subject == "AW: Kündigung Vertrag"
    assert msg.id == "abc@mail.example"
    assert msg.thread_id == "root@shop.example"
    assert msg.timestamp == "2024-03-05T10:12:00+01:00"
    assert msg.channel == "email"
    assert msg.sender == "Kunde <kunde@mail.example>"


def test_fallback_id_and_subject_thread() -> None:
    msg = parse_email_bytes(mail("Re: AW: WG: Paket fehlt", "Hallo\n"), source="in.mbox", position="message 4")
    assert msg.id == "in.mbox#message 4"
    assert msg.thread_id == "subject:kunde@mail.example:paket fehlt"


def test_root_message_threads_under_its_own_id() -> None:
    msg = parse_email_bytes(mail("Paket fehlt", "Hallo\n", headers="Message-ID: <r1@x>\n"), source="s", position="p")
    assert msg.thread_id == "r1@x"


def test_bad_date_is_a_warning_not_an_error() -> None:
    raw = mail("x", "Hallo\n").replace(b"Tue, 05 Mar 2024 10:12:00 +0100", b"gestern abend")
    msg = parse_email_bytes(raw, source="s", position="p")
    assert not msg.error
    assert msg.timestamp == ""
    assert any("Date header" in w for w in msg.warnings)


def test_empty_input_is_an_error_message() -> None:
    msg = parse_email_bytes(b"  \n", source="s", position="message 2")
    assert msg.error.startswith("s, message 2: empty e-mail")
    assert msg.id == "s#message 2"


def test_nul_bytes_are_removed() -> None:
    msg = parse_email_bytes(mail("Null\x00byte", "Hal\x00lo Welt\n"), source="s", position="p")
    assert "\x00" not in msg.text + msg.subject
    assert msg.text.strip() == "Hallo Welt"
    assert msg.subject == "Nullbyte"


def test_binary_attachment_is_listed_not_read() -> None:
    blob = base64.encodebytes(bytes(range(256)) * 4).decode()
    body = (
        "--b\nContent-Type: text/plain; charset=utf-8\n\nSiehe Anhang.\n"
        f'--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename="dump.bin"\n'
        f"Content-Transfer-Encoding: base64\n\n{blob}--b--\n"
    )
    msg = parse_email_bytes(mail("Anhang", body, ctype='multipart/mixed; boundary="b"'), source="s", position="p")
    assert msg.text.strip() == "Siehe Anhang."
    assert msg.attachments == ["dump.bin (application/octet-stream)"]


def test_broken_boundary_does_not_crash() -> None:
    body = "--wrong\nContent-Type: text/plain\n\nDer Text ist trotzdem da.\n--wrong--\n"
    msg = parse_email_bytes(mail("kaputt", body, ctype='multipart/mixed; boundary="right"'), source="s", position="p")
    assert not msg.error
    assert any("malformed MIME" in w for w in msg.warnings)


def test_deep_multipart_is_cut_with_a_warning() -> None:
    depth = 200
    head = "".join(f'--b{i}\nContent-Type: multipart/mixed; boundary="b{i + 1}"\n\n' for i in range(depth))
    tail = "".join(f"--b{i}--\n" for i in reversed(range(depth)))
    body = head + f"--b{depth}\nContent-Type: text/plain\n\ntief unten\n--b{depth}--\n" + tail
    msg = parse_email_bytes(mail("tief", body, ctype='multipart/mixed; boundary="b0"'), source="s", position="p")
    assert not msg.error
    assert any("deeper than 20" in w for w in msg.warnings)
    shallow = parse_email_bytes(
        mail("tief", body, ctype='multipart/mixed; boundary="b0"'), source="s", position="p", max_depth=500
    )
    assert "tief unten" in shallow.text or shallow.error


def test_html_only_mail_keeps_html() -> None:
    msg = parse_email_bytes(
        mail("h", "<p>Hallo <b>Welt</b></p>\n", ctype="text/html; charset=utf-8"), source="s", position="p"
    )
    assert msg.is_html
    assert "<b>Welt</b>" in msg.text


def test_bare_forward_takes_the_forwarded_text() -> None:
    body = (
        "---------- Forwarded message ---------\nFrom: A <a@x.example>\nDate: Mon, Mar 4, 2024\n"
        "Subject: Paket\nTo: <b@x.example>\n\nWo ist mein Paket?\n"
    )
    msg = parse_email_bytes(mail("Fwd: Paket", body), source="s", position="p")
    assert msg.text.strip() == "Wo ist mein Paket?"


def test_forwarded_mail_after_an_attachment_becomes_the_body() -> None:
    body = (
        '--o\nContent-Type: image/png\nContent-Disposition: attachment; filename="logo.png"\n\nxx\n'
        "--o\nContent-Type: message/rfc822\n\nSubject: Alt\nContent-Type: text/plain\n\nDer eigentliche Text.\n--o--\n"
    )
    msg = parse_email_bytes(mail("Fwd: Alt", body, ctype='multipart/mixed; boundary="o"'), source="s", position="p")
    assert msg.text.strip() == "Der eigentliche Text."
    assert msg.attachments == ["logo.png (image/png)"]


def test_undeclared_8bit_body_is_detected_with_a_warning() -> None:
    raw = mail("x", "", ctype="text/plain") + "Grüße aus Köln, die Lieferung fehlt.\n".encode("cp1252")
    msg = parse_email_bytes(raw, source="s", position="p")
    assert msg.text.strip() == "Grüße aus Köln, die Lieferung fehlt."
    assert any("no charset declared" in w for w in msg.warnings)


def test_top_level_binary_part_is_an_attachment() -> None:
    msg = parse_email_bytes(mail("scan", "JVBERi0=\n", ctype="application/pdf"), source="s", position="p")
    assert msg.attachments == ["unnamed (application/pdf)"]
    assert msg.text == ""
    assert any("no text part" in w for w in msg.warnings)


# --- read_mbox -----------------------------------------------------------------------


def test_mbox_streams_messages_in_order(tmp_path: Path) -> None:
    path = write_mbox(
        tmp_path / "in.mbox",
        mail("eins", "erste\n"),
        mail("zwei", "Zeile\n>From here on it was escaped\n>>From twice\n"),
        mail("drei", "dritte\n"),
    )
    messages = list(read_mbox(path))
    assert [m.subject for m in messages] == ["eins", "zwei", "drei"]
    assert [m.position for m in messages] == ["message 1", "message 2", "message 3"]
    assert "\nFrom here on it was escaped\n>From twice" in messages[1].text
    assert not any(m.warnings or m.error for m in messages)


def test_mbox_agrees_with_stdlib_on_message_count(tmp_path: Path) -> None:
    bodies = (mail(f"m{i}", f"Text {i}\n\nFrom the start\n>From quoted\n") for i in range(5))
    path = write_mbox(tmp_path / "in.mbox", *bodies, escape=True)
    messages = list(read_mbox(path))
    assert len(messages) == len(mailbox.mbox(path)) == 5
    assert messages[4].text == "Text 4\n\nFrom the start\n>From quoted\n"


def test_truncated_mbox_still_yields_the_last_message(tmp_path: Path) -> None:
    half = mail("zwei", "--b\nContent-Type: text/plain\n\nabgeschnit", ctype='multipart/mixed; boundary="b"')
    path = write_mbox(tmp_path / "cut.mbox", mail("eins", "ganz\n"), half, tail=b"")
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    messages = list(read_mbox(path))
    assert len(messages) == 2
    assert messages[1].warnings or messages[1].error
    assert any("truncated" in w for w in messages[1].warnings)


def test_crlf_mbox_splits_like_lf(tmp_path: Path) -> None:
    path = write_mbox(tmp_path / "crlf.mbox", mail("eins", "a\n"), mail("zwei", "b\n"))
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert [m.subject for m in read_mbox(path)] == ["eins", "zwei"]


def test_missing_mbox_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot open mbox"):
        list(read_mbox(tmp_path / "nope.mbox"))


def test_sample_inbox_reads_cleanly() -> None:
    messages = list(read_mbox(SAMPLE_INBOX))
    assert len(messages) == len(mailbox.mbox(SAMPLE_INBOX)) == 12
    assert not any(m.error for m in messages)
    assert all(m.text.strip() for m in messages)


# --- read_eml / read_maildir ---------------------------------------------------------


def test_eml_file_and_folder(tmp_path: Path) -> None:
    (tmp_path / "b.eml").write_bytes(mail("b", "B\n"))
    (tmp_path / "a.eml").write_bytes(mail("a", "A\n"))
    assert [m.position for m in read_eml(tmp_path)] == ["a.eml", "b.eml"]
    (single,) = read_eml(tmp_path / "b.eml")
    assert single.subject == "b"
    with pytest.raises(InputError):
        list(read_eml(tmp_path / "missing.eml"))


def test_maildir_reads_cur_and_new(tmp_path: Path) -> None:
    for folder in ("cur", "new", "tmp"):
        (tmp_path / folder).mkdir()
    (tmp_path / "cur" / "1709630000.1.host:2,S").write_bytes(mail("alt", "gelesen\n"))
    (tmp_path / "new" / "1709630001.2.host").write_bytes(mail("neu", "ungelesen\n"))
    (tmp_path / "tmp" / "1709630002.3.host").write_bytes(mail("halb", "x\n"))
    messages = list(read_maildir(tmp_path))
    assert [m.subject for m in messages] == ["alt", "neu"]
    assert messages[0].position == "1709630000.1.host:2,S"
    with pytest.raises(InputError, match="not a Maildir"):
        list(read_maildir(tmp_path / "cur"))


# --- properties ----------------------------------------------------------------------

FRAGMENTS = [
    "Hallo,",
    "Mein Paket fehlt.",
    "Please refund me, I was charged twice for the same order.",
    "",
    "> quoted line",
    ">",
    "-- ",
    "--",
    "Best regards,",
    "Viele Grüße",
    "Anna",
    "Tom Smith",
    "Tel. +49 30 1234567",
    "Sent from my iPhone",
    "Von meinem iPhone gesendet",
    "On Tue, 5 Mar 2024 at 10:12, X <x@y.example> wrote:",
    "Am Di., 5. März 2024 um 10:12 Uhr schrieb X <x@y.example>:",
    "-----Original Message-----",
    "---------- Forwarded message ---------",
    "From: X <x@y.example>",
    "Sent: Tuesday, March 5, 2024 10:12",
    "Subject: Paket",
    "Von: X",
    "Gesendet: Dienstag",
    "This e-mail and any attachments are confidential.",
    "Diese E-Mail enthält vertrauliche Informationen.",
    "PS: Kundennummer 4471.",
    "________________",
]
mail_like_text = st.lists(st.sampled_from(FRAGMENTS), max_size=25).map("\n".join)
any_text = st.one_of(st.text(max_size=400), mail_like_text)
STEPS = [strip_quoted_reply, strip_signature, strip_disclaimer, unwrap_forward, strip_html_quotes]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_parse_never_raises_on_bytes(data: bytes) -> None:
    msg = parse_email_bytes(data, source="fuzz", position="message 1")
    assert msg.id
    assert "\x00" not in msg.text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.binary(max_size=300))
def test_parse_never_raises_on_mail_shaped_bytes(header: str, body: bytes) -> None:
    raw = b"Content-Type: multipart/mixed; boundary=x\nSubject: " + header.encode("utf-8", "replace") + b"\n\n" + body
    assert parse_email_bytes(raw, source="fuzz", position="p").id


@pytest.mark.parametrize("step", STEPS, ids=lambda f: f.__name__)
@settings(max_examples=300, deadline=None)
@given(text=any_text)
def test_steps_never_raise_grow_or_change_twice(step: Callable[[str], str], text: str) -> None:
    once = step(text)
    assert len(once) <= len(text)
    assert step(once) == once


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<div>",
                "</div>",
                "<blockquote>",
                "</blockquote>",
                "Text",
                '<div class="gmail_quote">',
                '<div id="divRplyFwdMsg">',
                "<p>x</p>",
                "&amp;",
                "<br>",
            ]
        ),
        max_size=20,
    ).map("".join)
)
def test_strip_html_quotes_on_tag_soup(html: str) -> None:
    once = strip_html_quotes(html)
    assert len(once) <= len(html)
    assert strip_html_quotes(once) == once
