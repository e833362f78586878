"""Zip archives of any supported input, read member by member without unpacking to disk.

Exports arrive zipped (a Twitter archive, a Facebook export, a mailbox backup). A member
is streamed through a guard that counts decompressed bytes, so a zip bomb is refused
however its headers lie. A bad member becomes one error row naming archive and member;
only a broken archive (or one with too many members) raises :class:`InputError`.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from classifier.errors import InputError
from classifier.message import Message
from classifier.readers.table import Columns

__all__ = ["ZipLimits", "read_zip"]

_MB = 1 << 20
_HEAD = 8192
# Errors zipfile and its codecs raise for damaged, encrypted or exotic members.
_MEMBER_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError)


@dataclass(frozen=True)
class ZipLimits:
    """Zip-bomb limits: bytes per member, compression ratio, member count, nesting depth."""

    max_member_bytes: int = 200 * _MB
    max_ratio: float = 100.0
    ratio_floor: int = 1 * _MB  # small members compress well legitimately (a run of spaces)
    max_members: int = 100_000
    max_depth: int = 1  # a zip inside a zip is read; one more level is refused


DEFAULT_LIMITS = ZipLimits()


class _Guard(io.RawIOBase):
    """A zip member stream that stops once it has produced more bytes than the limits allow."""

    def __init__(self, raw: IO[bytes], where: str, compressed: int, limits: ZipLimits) -> None:
        super().__init__()
        self.raw, self.where, self.compressed, self.limits = raw, where, compressed, limits
        self.total = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self.raw.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        position = self.raw.seek(offset, whence)
        self.total = min(self.total, position)  # re-reading from the start is not new data
        return position

    def tell(self) -> int:
        return self.raw.tell()

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.raw.read(len(buffer))
        count = len(data)
        buffer[:count] = data
        self.total += count
        _check_size(self.total, self.compressed, self.where, self.limits, "decompresses to")
        return count

    def close(self) -> None:
        self.raw.close()
        super().close()


def _check_size(size: int, compressed: int, where: str, limits: ZipLimits, verb: str) -> None:
    if size > limits.max_member_bytes:
        raise InputError(f"{where}: member {verb} more than {limits.max_member_bytes // _MB} MB; skipped (zip bomb?)")
    if size > limits.ratio_floor and size > limits.max_ratio * max(compressed, 1):
        raise InputError(f"{where}: member {verb} over {limits.max_ratio:g}x its compressed size; skipped (zip bomb?)")


def read_zip(
    archive: Path | BinaryIO, source: str, columns: Columns, *, limits: ZipLimits = DEFAULT_LIMITS, depth: int = 0
) -> Iterator[Message]:
    """Messages of every member of a zip archive, in archive order (hidden and macOS files skipped)."""
    from classifier.readers import social

    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise InputError(
            f"{source}: broken zip archive ({exc}); only complete, unencrypted zip archives can be read"
        ) from None
    with zf:
        members = [info for info in zf.infolist() if not info.is_dir()]
        if len(members) > limits.max_members:
            raise InputError(f"{source}: {len(members):,} members, more than the limit of {limits.max_members:,}")
        names = {info.filename for info in members}
        roots = social.twitter_roots(names)
        for info in members:
            if any(part.startswith(".") or part == "__MACOSX" for part in info.filename.split("/")):
                continue
            role = social.export_role(info.filename, roots)
            if role == "skip":
                continue
            where = f"{source}:{info.filename}"
            try:
                yield from _read_member(zf, info, where, columns, limits, depth, role, names)
            except InputError as exc:
                yield Message(id=where, source=where, error=str(exc))
            except _MEMBER_ERRORS as exc:
                yield Message(id=where, source=where, error=f"{where}: cannot decompress ({type(exc).__name__}: {exc})")


def _open(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, limits: ZipLimits) -> io.BufferedReader:
    """Open a member behind the size guard, after checking what its header declares."""
    if info.flag_bits & 0x1:
        raise InputError(f"{where}: member is encrypted; unpack it with its password first")
    _check_size(info.file_size, info.compress_size, where, limits, "declares")
    return io.BufferedReader(_Guard(zf.open(info), where, info.compress_size, limits), buffer_size=1 << 16)


def _read_member(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    where: str,
    columns: Columns,
    limits: ZipLimits,
    depth: int,
    role: str | None,
    names: set[str],
) -> Iterator[Message]:
    from classifier.readers import detect_bytes, read_stream

    if role == "twitter_dm":
        yield from _read_twitter_member(zf, info, where, limits, names)
        return
    with _open(zf, info, where, limits) as stream:
        fmt = "facebook" if role == "facebook" else detect_bytes(stream.peek(_HEAD)[:_HEAD], where)
        if fmt in ("eml", "ole"):
            yield _read_single(stream.read(), fmt, where)
        elif fmt == "twitter":
            raise InputError(f"{where}: Twitter archive file outside the archive's data/ folder; zip the whole archive")
        elif fmt == "zip":
            yield from _read_nested(stream, where, columns, limits, depth)
        elif fmt in ("parquet", "excel"):
            yield from _read_spooled(stream, fmt, where, columns)
        else:
            yield from read_stream(stream, fmt, where, columns)


def _read_single(data: bytes, fmt: str, where: str) -> Message:
    """One .eml or .msg member."""
    from classifier.readers import _ole_format
    from classifier.readers.mail import parse_email_bytes
    from classifier.readers.outlook import parse_msg_bytes

    if fmt == "eml":
        return parse_email_bytes(data, source=where, position="")
    _ole_format(where, data)  # raises unless it is an Outlook message
    return parse_msg_bytes(data, source=where)


def _spool(stream: BinaryIO) -> IO[bytes]:
    """Copy a guarded member to a temporary file, for readers that need to seek."""
    spool = tempfile.TemporaryFile(prefix="triage-zip-")  # noqa: SIM115 - the caller closes it
    shutil.copyfileobj(stream, spool, 1 << 20)
    spool.seek(0)
    return spool


def _read_nested(stream: BinaryIO, where: str, columns: Columns, limits: ZipLimits, depth: int) -> Iterator[Message]:
    if depth >= limits.max_depth:
        raise InputError(f"{where}: zip nested more than {limits.max_depth} level deep; unpack the outer archive")
    with _spool(stream) as spool:
        yield from read_zip(spool, where, columns, limits=limits, depth=depth + 1)  # type: ignore[arg-type]


def _read_spooled(stream: BinaryIO, fmt: str, where: str, columns: Columns) -> Iterator[Message]:
    from classifier.readers.table import read_excel, read_parquet

    with tempfile.TemporaryDirectory(prefix="triage-zip-") as folder:
        path = Path(folder) / ("member.parquet" if fmt == "parquet" else "member.xlsx")
        with path.open("wb") as out:
            shutil.copyfileobj(stream, out, 1 << 20)
        reader = read_parquet if fmt == "parquet" else read_excel
        yield from reader(path, where, columns)


def _read_twitter_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, limits: ZipLimits, names: set[str]
) -> Iterator[Message]:
    from classifier.readers import social

    account = social.account_path(info.filename)
    account_info = zf.getinfo(account) if account in names else None
    open_account = (lambda: _open(zf, account_info, where, limits)) if account_info is not None else None
    yield from social.read_twitter_dm_file(lambda: _open(zf, info, where, limits), open_account, where)
