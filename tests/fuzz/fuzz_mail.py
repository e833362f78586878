"""Atheris fuzzer for the e-mail parser and the text normalizer (not collected by pytest).

``parse_email_bytes`` promises never to raise (a broken mail becomes ``Message.error``),
and ``clean_text`` must accept whatever text a mail decodes to and leave no e-mail
address unmasked. (Idempotence is not checked: stripping a sign-off can reveal another.)
Any exception or broken promise is a crash that atheris saves as ``crash-<sha1>`` for replay.

    pip install -e ".[fuzz]"
    python tests/fuzz/fuzz_mail.py -max_total_time=120 -rss_limit_mb=2048 tests/fuzz/corpus
    python tests/fuzz/fuzz_mail.py crash-<sha1>          # replay one finding
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from classifier.normalize import clean_text
    from classifier.readers.mail import parse_email_bytes

ROOT = Path(__file__).resolve().parent.parent.parent
_ADDRESS_RE = re.compile(r"\b[\w.+-]{2,}@[\w-]{2,}\.[a-z]{2,}\b")


def check_one(data: bytes) -> None:
    """Parse, normalize, and check the promises; raise AssertionError when one breaks."""
    message = parse_email_bytes(data, source="fuzz.eml", position="")
    if message.error:
        assert "\n" not in message.error, "an error must be one line"
        return
    clean = clean_text(message.text, message.channel, is_html=message.is_html)
    assert not _ADDRESS_RE.search(clean), "an e-mail address survived masking"


def seed_corpus(folder: Path) -> None:
    """Start from the project's own sample mails (written once; atheris grows the folder)."""
    if folder.exists():
        return
    folder.mkdir(parents=True)
    mbox = (ROOT / "corpora" / "samples" / "inbox.mbox").read_bytes()
    for i, chunk in enumerate(mbox.split(b"\nFrom ")):
        (folder / f"sample-{i}.eml").write_bytes(chunk.partition(b"\n")[2])
    for path in sorted((ROOT / "tests" / "fixtures").rglob("*.eml")):
        (folder / path.name).write_bytes(path.read_bytes())


def main() -> None:
    folders = [arg for arg in sys.argv[1:] if not arg.startswith("-") and not Path(arg).is_file()]
    for folder in folders:
        seed_corpus(Path(folder))
    atheris.Setup(sys.argv, check_one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
