"""Mask personal data with placeholder tokens before anything is vectorized.

Masking happens before features are built, so no address, number or name can end
up in a model file's vocabulary. The placeholders stay as signal (``<ID>`` tells
the model that an order or customer number was given).
"""

from __future__ import annotations

import re

from classifier import regex_cache
from classifier.textcase import fold_case

EMAIL_TOKEN = "<EMAIL>"
URL_TOKEN = "<URL>"
PHONE_TOKEN = "<PHONE>"
IBAN_TOKEN = "<IBAN>"
CARD_TOKEN = "<CARD>"
ID_TOKEN = "<ID>"
NAME_TOKEN = "<NAME>"
PLACEHOLDERS = (
    EMAIL_TOKEN,
    URL_TOKEN,
    PHONE_TOKEN,
    IBAN_TOKEN,
    CARD_TOKEN,
    ID_TOKEN,
    NAME_TOKEN,
)

_EMAIL_RE = regex_cache.compile(
    r"(?<![\w.!#$%&'*+/=?^`{|}~-])[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b"
)
_URL_RE = regex_cache.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+", re.IGNORECASE)
# IBAN: country code, check digits, 11-30 alphanumerics, often in groups of four.
_IBAN_RE = regex_cache.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
# Payment cards: 13-19 digits, optionally grouped by spaces or dashes.
_CARD_RE = regex_cache.compile(r"\b\d{4}(?:[ -]?\d{4}){2}(?:[ -]?\d{1,4}){1,2}\b")
# Phone numbers: international (+49 / 0049) or national with a leading 0; at least 7 digits.
_PHONE_RE = regex_cache.compile(
    r"(?<![\w+])(?:(?:\+|00)\d{1,3}[\s./-]?(?:\(0\)[\s./-]?)?|\(?0\d{1,5}\)?[\s./-]?)"
    r"\d{2,}(?:[\s./-]?\d{2,}){0,4}(?![\w])"
)
# Order, customer, contract, invoice, tracking and ticket numbers: any token holding
# at least five digits, or a shorter one right after such a keyword.
_ID_KEYWORDS = (
    "bestell|auftrags|kunden|vertrags|rechnungs|sendungs|vorgangs|ticket|referenz|"
    "mitglieds|versicherungs|policen|buchungs|order|customer|account|contract|invoice|tracking|"
    "reference|ticket|case|booking|policy|member"
)
_KEYWORD_ID_RE = regex_cache.compile(
    rf"(?i)\b((?:{_ID_KEYWORDS})\w*(?:[ -]?(?:nummer|nr|no|number|id|#))?\.?"
    r"\s*[:#]?\s*(?:(?:ist|lautet|is|was)\s+)?[:#]?\s*)([A-Z0-9][A-Z0-9/-]{2,})\b"
)
# Gates: a keyword ID needs its keyword (case-sensitive search of the folded text), a long ID five digits
_ID_KEYWORD_GATE_RE = regex_cache.compile(_ID_KEYWORDS)
_FIVE_DIGITS_RE = regex_cache.compile(r"\d{5}")
_LONG_ID_RE = regex_cache.compile(r"(?<![\w<])#?(?=[A-Za-z0-9/-]*\d{5})[A-Za-z0-9][A-Za-z0-9/-]{4,}\b")
_GREETING_NAME_RE = regex_cache.compile(
    r"(?im)^(\s*(?:hallo|hi|hey|liebe[rs]?|sehr geehrte[rs]?|guten tag|servus|moin|grüezi|"
    r"dear|hello|good morning|good afternoon)\s+(?:(?:herr|frau|mr|mrs|ms|miss|dr|prof)\.?\s+)*)"
    r"((?!(?:herr|frau|mr|mrs|ms|miss|dr|prof|team|support|kundenservice|kundendienst|service|damen|zusammen|all|everyone|there|"
    r"sir|madam|customer|leute|folks)\b)[A-ZÄÖÜ][\w'-]+(?:\s+[A-ZÄÖÜ][\w'-]+)?)"
)
_INTROS = "mein name ist|ich bin|ich heiße|my name is|this is"
_INTRO_GATE_RE = regex_cache.compile(_INTROS)
_INTRO_NAME_RE = regex_cache.compile(
    rf"(?i)\b({_INTROS})\s+"
    r"(?-i:([A-ZÄÖÜ][\w'-]+(?:\s+[A-ZÄÖÜ][\w'-]+)?))"
)
_SIGNOFF_NAME_RE = regex_cache.compile(
    r"(?im)^([^\n]{0,25}?\b(?:mit freundlichen grüßen|mit freundlichen gruessen|freundliche grüße|viele grüße|"
    r"beste grüße|liebe grüße|grüße|gruß|lg|vg|mfg|best regards|kind regards|regards|best|"
    r"cheers|thanks|thank you|many thanks|danke|vielen dank|sincerely|yours sincerely)[,!.]?\s*\n)"
    r"(?-i:((?:[A-ZÄÖÜ][\w'.-]*)(?:[ \t]+[A-ZÄÖÜ][\w'.-]*){0,2}))[ \t]*$"
)


_DIGIT_RE = regex_cache.compile(r"\d")


def _has_digit(text: str) -> bool:
    """Cheap gate: number patterns cannot match text without a digit."""
    return _DIGIT_RE.search(text) is not None


def mask_emails(text: str) -> str:
    """Replace e-mail addresses with ``<EMAIL>``."""
    return _EMAIL_RE.sub(EMAIL_TOKEN, text) if "@" in text else text


def mask_urls(text: str) -> str:
    """Replace links with ``<URL>``: tracking links and query strings carry personal data."""
    return _URL_RE.sub(URL_TOKEN, text) if "://" in text or "www." in text.lower() else text


def mask_ibans(text: str) -> str:
    """Replace IBANs with ``<IBAN>``."""
    return _IBAN_RE.sub(IBAN_TOKEN, text) if _has_digit(text) else text


def mask_card_numbers(text: str) -> str:
    """Replace payment card numbers with ``<CARD>``."""
    return _CARD_RE.sub(CARD_TOKEN, text) if _has_digit(text) else text


def mask_phone_numbers(text: str) -> str:
    """Replace phone numbers with ``<PHONE>``; dates and amounts do not match (no leading 0/+)."""
    if not _has_digit(text):
        return text
    return _PHONE_RE.sub(
        lambda m: PHONE_TOKEN if sum(c.isdigit() for c in m.group()) >= 7 else m.group(),
        text,
    )


def mask_ids(text: str) -> str:
    """Replace order, customer, contract and tracking numbers with ``<ID>``, keeping the keyword."""
    if not _has_digit(text):  # every pattern below needs a digit; most social posts have none
        return text
    if _ID_KEYWORD_GATE_RE.search(fold_case(text)):
        text = _KEYWORD_ID_RE.sub(
            lambda m: m.group(1) + ID_TOKEN if any(c.isdigit() for c in m.group(2)) else m.group(),
            text,
        )
    return _LONG_ID_RE.sub(ID_TOKEN, text) if _FIVE_DIGITS_RE.search(text) else text


def mask_names(text: str) -> str:
    """Replace names after greetings, introductions and sign-offs with ``<NAME>``."""
    text = _GREETING_NAME_RE.sub(lambda m: m.group(1) + NAME_TOKEN, text)
    if _INTRO_GATE_RE.search(fold_case(text)):
        text = _INTRO_NAME_RE.sub(lambda m: f"{m.group(1)} {NAME_TOKEN}", text)
    return _SIGNOFF_NAME_RE.sub(lambda m: m.group(1) + NAME_TOKEN, text)


PII_STEPS = (
    mask_emails,
    mask_urls,
    mask_ibans,
    mask_card_numbers,
    mask_phone_numbers,
    mask_ids,
    mask_names,
)
