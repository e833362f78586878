"""Every error the tool reports to a user, in one place.

Each error is one line that says where, what, and the fix. The CLI catches
:class:`TriageError` only and exits 1; anything else is a bug.
"""

from __future__ import annotations


class TriageError(Exception):
    """Base of all errors a user can cause and fix."""


class InputError(TriageError):
    """An input file, column or row that cannot be used."""


class ConfigError(TriageError):
    """A decision config or option value that is invalid."""


class ModelError(TriageError):
    """A model directory that is missing, tampered with or incompatible."""


def snippet(text: str, limit: int = 40) -> str:
    """Shorten customer text for an error message, so logs never hold it in full."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(text: str) -> str:
    """An error message safe for a terminal: one line, control characters (e.g. from binary input) as '?'."""
    return "".join(c if c.isprintable() else "?" for c in " ".join(text.split()))
