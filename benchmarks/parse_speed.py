"""Parse + normalize speed on one core: e-mails/s over a generated mbox, social posts/s over a generated CSV.

Bars: >= 2,000 e-mails/s and >= 10,000 social posts/s.

    .venv/bin/python benchmarks/parse_speed.py [--mails 3000] [--posts 20000] [--profile]

The mbox wraps the e-mail texts of ``corpora/inquiries`` in realistic headers, with quoted
history, signatures, multipart/alternative HTML and base64 parts; the CSV holds the
corpus's social texts (twitter, facebook, instagram). Nothing is written to the repo.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import csv
import os
import pstats
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifier.normalize import normalize_stream  # noqa: E402
from classifier.readers import read_path  # noqa: E402

CORPUS = ROOT / "corpora" / "inquiries"
SOCIAL_CHANNELS = ("twitter", "facebook", "instagram")


def corpus_texts() -> dict[str, list[str]]:
    """Texts of the corpus by channel."""
    texts: dict[str, list[str]] = {}
    for path in sorted(CORPUS.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                texts.setdefault(row["channel"], []).append(row["text"])
    return texts


def _quoted(previous: str, german: bool) -> str:
    header = (
        "Am 04.03.2024 um 16:20 schrieb Kundenservice <service@shop.example>:"
        if german
        else "On Mon, Mar 4, 2024 at 4:20 PM Customer Service <service@shop.example> wrote:"
    )
    return f"\n\n{header}\n" + "\n".join(f"> {line}" for line in previous.splitlines())


def _html(text: str) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
    return f'<html><head><style>p {{margin:0}}</style></head><body><div dir="ltr">{paragraphs}</div></body></html>'


def build_mail(number: int, text: str, previous: str, rng: random.Random) -> bytes:
    """One RFC 5322 mail around a corpus text: a reply with quote, HTML alternative or base64 body."""
    german = any(w in text for w in (" ich ", " und ", "Hallo", "Sehr geehrte"))
    kind = rng.random()
    reply = kind < 0.5
    subject = ("AW: " if german else "Re: ") * reply + rng.choice(
        ["Bestellung", "Rechnung", "Frage", "Konto", "Lieferung"]
    )
    body = text + ("\n\n-- \nMax Mustermann\nTel. +49 30 1234567" if rng.random() < 0.3 else "")
    if reply:
        body += _quoted(previous, german)
    head = (
        f"From: Kunde {number} <kunde{number}@mail.example>\nTo: service@shop.example\nSubject: {subject}\n"
        f"Date: Tue, 05 Mar 2024 10:{number % 60:02d}:00 +0100\nMessage-ID: <m{number}@mail.example>\n"
        + (f"In-Reply-To: <s{number}@shop.example>\nReferences: <s{number}@shop.example>\n" if reply else "")
        + "MIME-Version: 1.0\n"
    )
    if kind < 0.7:  # plain UTF-8, quoted-printable-free
        return (head + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + body).encode()
    if kind < 0.9:  # multipart/alternative, the plain part base64-encoded
        plain = base64.encodebytes(body.encode()).decode()
        return (
            head + 'Content-Type: multipart/alternative; boundary="b1"\n\n--b1\n'
            "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
            f"{plain}\n--b1\nContent-Type: text/html; charset=utf-8\n\n{_html(body)}\n--b1--\n"
        ).encode()
    return (head + "Content-Type: text/html; charset=utf-8\n\n" + _html(body)).encode()  # HTML only


def write_mbox(path: Path, texts: list[str], count: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with path.open("wb") as out:
        for number in range(count):
            text, previous = rng.choice(texts), rng.choice(texts)
            mail = build_mail(number, text, previous, rng)
            lines = [b">" + line if line.startswith(b"From ") else line for line in mail.split(b"\n")]
            out.write(b"From kunde@mail.example Tue Mar  5 10:12:00 2024\n" + b"\n".join(lines) + b"\n\n")


def write_social_csv(path: Path, texts: list[tuple[str, str]], count: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "channel", "text"])
        for number in range(count):
            channel, text = rng.choice(texts)
            writer.writerow([f"s{number}", channel, text])


def run(path: Path) -> tuple[int, float, float, float]:
    """Return (messages, CPU s to read only, CPU s to read + normalize, wall s to read + normalize).

    CPU time of this process is the figure: on a shared machine wall time also counts other jobs.
    """
    start = time.process_time()
    count = sum(1 for _ in read_path(path))
    read_only = time.process_time() - start
    start, wall = time.process_time(), time.perf_counter()
    for _ in normalize_stream(read_path(path), chunk_size=512):  # batches as `triage classify` normalizes them
        pass
    return count, read_only, time.process_time() - start, time.perf_counter() - wall


def profile(call: Callable[[], object], top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    call()
    profiler.disable()
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=3000)
    parser.add_argument("--posts", type=int, default=20000)
    parser.add_argument("--profile", action="store_true", help="print the top functions of each run")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    texts = corpus_texts()
    social = [(c, t) for c in SOCIAL_CHANNELS for t in texts.get(c, [])]
    with tempfile.TemporaryDirectory(prefix="parse-speed-") as folder:
        mbox, posts = Path(folder) / "inbox.mbox", Path(folder) / "social.csv"
        write_mbox(mbox, texts["email"], args.mails)
        write_social_csv(posts, social, args.posts)
        run(posts)  # warm-up: imports, lazy regex compilation, language model load
        size = mbox.stat().st_size / 1e6
        for name, path, bar in (("e-mails", mbox, 2000), ("social posts", posts, 10000)):
            count, read_s, total_s, wall_s = run(path)
            rate = count / total_s
            print(
                f"{name:13s} {count:6d} in {total_s:6.2f} CPU s ({wall_s:6.2f} wall s): {rate:7.0f}/s parse+normalize "
                f"({count / read_s:7.0f}/s parse only) bar {bar:,}/s: {'PASS' if rate >= bar else 'FAIL'}"
            )
            if args.profile:
                profile(lambda p=path: list(normalize_stream(read_path(p), chunk_size=512)), 25)
        print(f"mbox size {size:.1f} MB; python {sys.version.split()[0]}; one core")


if __name__ == "__main__":
    main()
