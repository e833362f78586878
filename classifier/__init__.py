"""inquiry-triage: classify customer inquiries by topic and urgency, and decide what happens to each.

The data flow is the module layout: ``readers`` -> ``normalize`` -> ``features``
-> ``model`` -> ``routing`` -> ``writers``; ``api`` ties them together.
Heavy modules load on first use, so ``import classifier`` stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Message", "Triage", "load", "save", "train"]


def __getattr__(name: str) -> Any:
    if name in ("load", "save", "train", "Triage"):
        from classifier import api

        return getattr(api, name)
    if name == "Message":
        from classifier.message import Message

        return Message
    raise AttributeError(f"module 'classifier' has no attribute {name!r}")
