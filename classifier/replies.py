"""Fill a reply template with what the message gives: the customer's name, an order number."""

from __future__ import annotations

import re
import string

from classifier.normalize import pii

# What a placeholder becomes with and without a value, per language.
_PHRASES: dict[str, dict[str, tuple[str, str]]] = {
    "de": {"greeting": ("Hallo {name},", "Hallo,"), "order": ("Bestellung {order_number}", "Bestellung")},
    "en": {"greeting": ("Hello {name},", "Hello,"), "order": ("order {order_number}", "order")},
}
_ORDER_RE = re.compile(
    r"(?i)\b(?:bestell|auftrags|order|sendungs|tracking|rechnungs|invoice)\w*(?:[ -]?(?:nummer|nr|no|number|#))?"
    r"\.?\s*[:#]?\s*(?:(?:ist|lautet|is|was)\s+)?[:#]?\s*(?-i:([A-Z0-9][A-Z0-9/-]{3,}))"
)
_SIGNOFF_RE = pii._SIGNOFF_NAME_RE
_INTRO_RE = pii._INTRO_NAME_RE


def extract_order_number(text: str) -> str:
    """The first order, invoice or tracking number named with its keyword, else ''."""
    match = _ORDER_RE.search(text)
    return match.group(1) if match and any(c.isdigit() for c in match.group(1)) else ""


def extract_name(text: str) -> str:
    """The customer's name from a sign-off or "my name is", else ''."""
    match = _SIGNOFF_RE.search(text) or _INTRO_RE.search(text)
    return match.group(2).strip() if match else ""


def render_reply(template: str, language: str, raw_text: str) -> str:
    """Fill ``{greeting}`` and ``{order}`` from the (unmasked) message; unknown fields stay empty."""
    phrases = _PHRASES.get(language, _PHRASES["en"])
    values = {"name": extract_name(raw_text), "order_number": extract_order_number(raw_text)}
    fields = {}
    for key, (with_value, without) in phrases.items():
        needed = [f for _, f, _, _ in string.Formatter().parse(with_value) if f]
        fields[key] = with_value.format(**values) if all(values[f] for f in needed) else without
    return string.Formatter().vformat(template, (), _Defaulting(fields)).strip()


class _Defaulting(dict):
    def __missing__(self, key: str) -> str:
        return ""
