"""Social-media exports: a Twitter/X account archive and a Facebook page message export.

Only inbound messages are inquiries. In a Twitter archive that is every direct message
whose sender is not the account owner; the archive's ``tweets.js`` holds the account's
own posts (the company's tweets and its replies to customers), never a customer's
mention, so it yields nothing. In a Facebook export it is every message whose sender is
not the page. Company messages are still read to number the customer messages of each
conversation (``thread_position``: earlier customer messages in it).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from classifier.errors import InputError
from classifier.message import Message

__all__ = [
    "dm_owner",
    "js_kind",
    "read_facebook_json",
    "read_twitter_dms",
    "repair_mojibake",
    "twitter_account_id",
    "walk_js_array",
]

_YTD_RE = re.compile(r"\s*window\.YTD\.([A-Za-z0-9_]+)\.part\d+\s*=\s*\[")
_YTD_BYTES_RE = re.compile(rb"\s*window\.YTD\.([A-Za-z0-9_]+)\.part\d+\s*=")
_CHUNK = 1 << 20
_MAX_ELEMENT = 256 << 20  # one conversation larger than this is not a DM export
_DECODER = json.JSONDecoder()
_NON_ALNUM_RE = re.compile(r"[\W_]+")
#: YTD kinds that hold direct messages (1:1 and group).
DM_KINDS = frozenset({"direct_messages", "direct_messages_group"})


def js_kind(head: bytes) -> str | None:
    """The YTD name of a Twitter archive file ("tweets", "direct_messages"...), or None."""
    match = _YTD_BYTES_RE.match(head.lstrip(b"\xef\xbb\xbf"))
    return match.group(1).decode("ascii") if match else None


def walk_js_array(stream: BinaryIO, source: str) -> Iterator[dict[str, Any]]:
    """Yield the objects of the array in ``window.YTD.<name>.part0 = [...]``, one at a time.

    Archives reach gigabytes; parsing element by element keeps memory at one
    conversation instead of the whole file.
    """
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict")
    try:
        buffer = text.read(256)  # the "window.YTD...= [" header
        match = _YTD_RE.match(buffer)
        if match is None:
            raise InputError(f"{source}: not a Twitter archive file (expected 'window.YTD.<name>.part0 = [')")
        yield from _walk(text, buffer, match.end(), source)
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: not UTF-8 text at byte {exc.start}; not a Twitter archive file") from None
    finally:
        text.detach()


def _walk(text: io.TextIOWrapper, buffer: str, pos: int, source: str) -> Iterator[dict[str, Any]]:
    eof = False
    expect_value = True
    empty = True
    while True:
        while pos < len(buffer) and buffer[pos] in " \t\r\n":
            pos += 1
        if pos == len(buffer):
            if eof:
                raise InputError(f"{source}: the JSON array is cut off (file truncated?)")
            buffer, pos = text.read(_CHUNK), 0
            eof = not buffer
            continue
        char = buffer[pos]
        if char == "]" and (not expect_value or empty):
            return
        if not expect_value:
            if char != ",":
                raise InputError(f"{source}: malformed JSON array (expected ',' or ']', got {char!r})")
            pos, expect_value = pos + 1, True
            continue
        try:
            value, end = _DECODER.raw_decode(buffer, pos)
        except json.JSONDecodeError as exc:
            more = "" if eof else text.read(_CHUNK)
            if not more or len(buffer) - pos > _MAX_ELEMENT:
                raise InputError(f"{source}: malformed JSON ({exc.msg} at char {exc.pos})") from None
            buffer, pos = buffer[pos:] + more, 0
            continue
        except RecursionError:
            raise InputError(f"{source}: JSON nested too deeply") from None
        if end == len(buffer) and not eof and not isinstance(value, dict | list | str):
            more = text.read(_CHUNK)  # a number or literal may go on in the next chunk
            if more:
                buffer, pos = buffer[pos:] + more, 0
                continue
            eof = True
        if isinstance(value, dict):
            yield value
        pos, expect_value, empty = end, False, False


def twitter_account_id(stream: BinaryIO, source: str) -> str:
    """The ``accountId`` in an archive's ``account.js``: the company's own user id."""
    for item in walk_js_array(stream, source):
        account = item.get("account")
        if isinstance(account, dict) and account.get("accountId"):
            return str(account["accountId"])
    raise InputError(f"{source}: no accountId in account.js")


def dm_owner(stream: BinaryIO, source: str) -> str:
    """Infer the account owner of a DM file without ``account.js``: the one id in every conversation.

    Conversation ids are "<id>-<id>"; only the owner is in all of them.
    """
    common: set[str] | None = None
    for item in walk_js_array(stream, source):
        conversation = item.get("dmConversation")
        if not isinstance(conversation, dict):
            continue
        ids = set(str(conversation.get("conversationId", "")).split("-")) - {""}
        common = ids if common is None else common & ids
    if common is None or len(common) != 1:
        raise InputError(
            f"{source}: cannot tell which participant is the account owner; pass the whole archive with data/account.js"
        )
    return next(iter(common))


def read_twitter_dms(stream: BinaryIO, source: str, owner: str) -> Iterator[Message]:
    """Yield the inbound direct messages (sender is not ``owner``) of a ``direct-messages.js`` file.

    Conversations are ordered oldest first, so ``thread_position`` counts the earlier
    customer messages of the conversation.
    """
    for number, item in enumerate(walk_js_array(stream, source), start=1):
        conversation = item.get("dmConversation")
        if not isinstance(conversation, dict):
            continue
        conversation_id = str(conversation.get("conversationId", "")) or f"conversation {number}"
        events = conversation.get("messages")
        events = events if isinstance(events, list) else []
        creates = [
            e["messageCreate"] for e in events if isinstance(e, dict) and isinstance(e.get("messageCreate"), dict)
        ]
        creates.sort(key=lambda m: str(m.get("createdAt", "")))
        earlier = 0
        for index, create in enumerate(creates, start=1):
            sender = str(create.get("senderId", ""))
            if sender == owner:
                continue
            yield _dm_message(create, source, conversation_id, index, earlier)
            earlier += 1


def _dm_message(create: dict[str, Any], source: str, conversation: str, index: int, earlier: int) -> Message:
    position = f"conversation {conversation}, message {index}"
    text = create.get("text")
    media = create.get("mediaUrls")
    message = Message(
        id=str(create.get("id") or f"{source}#{conversation}/{index}"),
        text=text if isinstance(text, str) else "",
        channel="twitter",
        source=source,
        position=position,
        sender=str(create.get("senderId", "")),
        timestamp=str(create.get("createdAt", "")),
        thread_id=f"twitter-dm:{conversation}",
        thread_position=earlier,
        attachments=[str(url) for url in media] if isinstance(media, list) else [],
    )
    if not message.text.strip():
        message.error = f"{source}, {position}: direct message has no text"
    return message


def repair_mojibake(text: str) -> str:
    """Undo Facebook's export encoding: UTF-8 bytes written as one code point each ("Ã¼" for "ü").

    Text that is not such mojibake (plain ASCII, or real non-Latin-1 characters) comes back unchanged.
    """
    if text.isascii():
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return text


def _fix(value: Any) -> str:
    return repair_mojibake(value) if isinstance(value, str) else ""


def _page_name(names: list[str], thread_path: str) -> str | None:
    """The page among a conversation's participants.

    The export names a conversation's folder after the other party ("inbox/annameyer_a1b2c3"),
    so the page is the participant whose name is not that folder's prefix; failing that,
    the last participant, where Facebook lists the account owner.
    """
    if not names:
        return None
    folder = _NON_ALNUM_RE.sub("", thread_path.rstrip("/").rsplit("/", 1)[-1].casefold())
    if folder:
        others = [n for n in names if not (key := _NON_ALNUM_RE.sub("", n.casefold())) or not folder.startswith(key)]
        if len(others) == 1 and len(names) > 1:
            return others[0]
    return names[-1]


def read_facebook_json(stream: BinaryIO, source: str, page: str | None = None) -> Iterator[Message]:
    """Yield the inbound messages of one ``messages/inbox/<thread>/message_N.json``, oldest first.

    ``page`` is the page's name as shown in the export; by default it is inferred per
    conversation (see :func:`_page_name`).
    """
    try:
        data = json.load(stream)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InputError(f"{source}: not valid JSON ({str(exc)[:80]})") from None
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        raise InputError(f"{source}: not a Facebook message export (no 'messages' list)")
    participants = data.get("participants")
    names = [_fix(p.get("name")) for p in participants if isinstance(p, dict)] if isinstance(participants, list) else []
    thread = _fix(data.get("thread_path")) or Path(source).parent.name or source
    owner = repair_mojibake(page) if page else _page_name(names, thread)
    records = [m for m in data["messages"] if isinstance(m, dict)]
    records.sort(key=_timestamp_ms)  # exports list the newest first
    earlier = 0
    for index, record in enumerate(records, start=1):
        sender = _fix(record.get("sender_name"))
        if owner is not None and sender == owner:
            continue
        yield _facebook_message(record, source, thread, index, sender, earlier)
        earlier += 1


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _timestamp_ms(record: dict[str, Any]) -> int:
    value = record.get("timestamp_ms")
    return value if isinstance(value, int) else 0


def _facebook_message(
    record: dict[str, Any], source: str, thread: str, index: int, sender: str, earlier: int
) -> Message:
    from datetime import UTC, datetime

    position = f"message {index}"
    stamp = _timestamp_ms(record)
    attachments = [
        _fix(item.get("uri")) or kind
        for kind in ("photos", "videos", "audio_files", "files", "gifs")
        for item in _as_list(record.get(kind))
        if isinstance(item, dict)
    ]
    message = Message(
        id=f"{thread}#{stamp or index}",
        text=_fix(record.get("content")),
        channel="facebook",
        source=source,
        position=position,
        sender=sender,
        timestamp=datetime.fromtimestamp(stamp / 1000, UTC).isoformat() if 0 < stamp < 1 << 45 else "",
        thread_id=f"facebook:{thread}",
        thread_position=earlier,
        attachments=attachments,
    )
    if not message.text.strip():
        what = f" ({len(attachments)} attachments)" if attachments else ""
        message.error = f"{source}, {position}: message has no text{what}"
    return message


# --- export layouts: which files of an account export hold messages ------------------------------

_TWITTER_MARKER_RE = re.compile(r"^(.*/)?data/(?:account|tweets|direct-messages(?:-group)?)(?:-part\d+)?\.js$")
_TWITTER_DM_RE = re.compile(r"(?:^|/)data/direct-messages(?:-group)?(?:-part\d+)?\.js$")
_FACEBOOK_TREE_RE = re.compile(r"(?:^|/)messages/(?:inbox|archived_threads|filtered_threads|message_requests)/")
_FACEBOOK_MESSAGE_RE = re.compile(r"/[^/]+/message_\d+\.json$")


def twitter_roots(names: Iterable[str]) -> set[str]:
    """Folders (as path prefixes, "" for the top) that hold a Twitter archive's ``data/``."""
    return {match.group(1) or "" for name in names if (match := _TWITTER_MARKER_RE.match(name))}


def export_role(name: str, roots: set[str]) -> str | None:
    """Role of a file inside an export: "twitter_dm", "facebook", "skip" (media, likes...) or None.

    An archive holds hundreds of files that are not messages (images, likes, followers);
    reading each by content would flood the output with error rows.
    """
    if any(name.startswith(root) for root in roots):
        return "twitter_dm" if _TWITTER_DM_RE.search(name) else "skip"
    tree = _FACEBOOK_TREE_RE.search(name)
    if tree is not None:
        return "facebook" if _FACEBOOK_MESSAGE_RE.fullmatch(name[tree.end() - 1 :]) else "skip"
    return None


def account_path(dm_name: str) -> str:
    """Where ``account.js`` lies for a DM file: beside it in ``data/``."""
    return dm_name.rsplit("/", 1)[0] + "/account.js" if "/" in dm_name else "account.js"


def read_twitter_dm_file(
    open_dm: Callable[[], BinaryIO], open_account: Callable[[], BinaryIO] | None, source: str
) -> Iterator[Message]:
    """Inbound DMs of one archive file; the owner comes from ``account.js``, else is inferred."""
    if open_account is not None:
        with open_account() as stream:
            owner = twitter_account_id(stream, source.rsplit("/", 1)[0] + "/account.js")
    else:
        with open_dm() as stream:
            owner = dm_owner(stream, source)
    with open_dm() as stream:
        yield from read_twitter_dms(stream, source, owner)
