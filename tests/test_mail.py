"""Fixture tests: every raw mail in tests/fixtures/mail cleans to its expected text."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import inscriptis
import pytest

from classifier.normalize.mail import strip_disclaimer, strip_html_quotes, strip_quoted_reply, strip_signature
from classifier.readers.mail import parse_email_bytes

FIXTURES = Path(__file__).parent / "fixtures" / "mail"
# Known failures stay visible: name -> reason (strict xfail, so a fix is noticed).
KNOWN_FAILURES: dict[str, str] = {
    "en_name_company_no_contact": "a name block without sign-off or contact line is kept; cutting it would "
    "also cut short closing lines of real text",
}


def clean(path: Path) -> str:
    """Run the mail pipeline the lead's normalizer runs, on one fixture file."""
    if path.suffix == ".eml":
        message = parse_email_bytes(path.read_bytes(), source=str(path.parent), position=path.name)
        assert not message.error, message.error
        text = message.text
        if message.is_html:
            text = inscriptis.get_text(strip_html_quotes(text))
    else:
        text = path.read_text(encoding="utf-8")
    return strip_signature(strip_disclaimer(strip_quoted_reply(text)))


def collapse(text: str) -> str:
    return " ".join(text.split())


def _cases() -> list[object]:
    paths = sorted(
        p for p in FIXTURES.iterdir() if p.suffix in (".eml", ".txt") and not p.name.endswith(".expected.txt")
    )
    return [
        pytest.param(
            path,
            id=path.name,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[path.stem])]
            if path.stem in KNOWN_FAILURES
            else [],
        )
        for path in paths
    ]


LANGUAGES = ("de", "en", "fr", "es", "it", "nl", "pl", "sv", "da", "pt")
TABLES = (
    "REPLY_HEADERS",
    "ORIGINAL_HEADERS",
    "FORWARD_HEADERS",
    "FROM_FIELDS",
    "HEADER_FIELDS",
    "SUBJECT_PREFIXES",
    "SIGNOFFS",
    "DEVICE_SIGNATURES",
    "BANNERS",
    "DISCLAIMERS",
)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_has_every_rule_table(lang: str) -> None:
    rules = importlib.import_module(f"classifier.normalize.rules.{lang}")
    for table in TABLES:
        patterns = getattr(rules, table)
        assert isinstance(patterns, tuple), f"{lang}.{table}"
        for pattern in patterns:
            re.compile(pattern)


def test_there_are_enough_fixtures() -> None:
    assert len(_cases()) >= 80


@pytest.mark.parametrize("path", _cases())
def test_fixture_cleans_to_expected(path: Path) -> None:
    expected = (path.parent / f"{path.stem}.expected.txt").read_text(encoding="utf-8")
    assert collapse(clean(path)) == collapse(expected)
