"""Decide what happens to a classified message: auto-answer, route, escalate or review."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from classifier.config import TriageConfig

Action = Literal["auto_answer", "route", "escalate", "review"]


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    queue: str


def decide(
    label: str, confidence: float, urgency: str | None, config: TriageConfig, *, known_language: bool = True
) -> Decision:
    """Apply the config's rules, most cautious first.

    Unsure, or written in a language the model never saw -> review; critical -> escalate;
    a confident, recurring, non-urgent request -> auto_answer; everything else -> route to
    the label's queue. A model's confidence on a language it cannot read means nothing.
    """
    if confidence < config.reject_below or not known_language:
        return Decision("review", config.review_queue)
    if urgency is not None and urgency in config.escalate_urgency:
        return Decision("escalate", config.escalation_queue)
    rule = config.rule(label)
    urgency_ok = urgency is None or urgency in config.auto_answer_urgency
    if rule.auto_answer and urgency_ok and confidence >= rule.min_confidence and label in config.templates:
        return Decision("auto_answer", rule.queue)
    return Decision("route", rule.queue)
