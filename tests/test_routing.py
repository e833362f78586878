"""Decision rules: review, escalate, auto-answer, route, in that order of caution."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from classifier.config import ConfigError, TopicRule, TriageConfig, dump_config, parse_config
from classifier.routing import decide

CONFIG = TriageConfig(
    reject_below=0.4,
    topics=MappingProxyType(
        {
            "delivery": TopicRule(queue="logistics", auto_answer=True, min_confidence=0.8),
            "billing": TopicRule(queue="billing"),
        }
    ),
    templates=MappingProxyType({"delivery": MappingProxyType({"de": "x", "en": "y"})}),
)


@pytest.mark.parametrize(
    ("label", "confidence", "urgency", "action", "queue"),
    [
        ("delivery", 0.30, "critical", "review", "review"),  # unsure beats everything
        ("delivery", 0.95, "critical", "escalate", "escalation"),
        ("delivery", 0.95, "normal", "auto_answer", "logistics"),
        ("delivery", 0.95, "low", "auto_answer", "logistics"),
        ("delivery", 0.95, "high", "route", "logistics"),  # upset customers get a person
        ("delivery", 0.70, "normal", "route", "logistics"),  # below the auto-answer threshold
        ("billing", 0.99, "normal", "route", "billing"),  # not auto-answerable
        ("unknown_label", 0.99, "normal", "route", "general"),
        ("delivery", 0.95, None, "auto_answer", "logistics"),  # model without urgency head
    ],
)
def test_decide(label: str, confidence: float, urgency: str | None, action: str, queue: str) -> None:
    decision = decide(label, confidence, urgency, CONFIG)
    assert (decision.action, decision.queue) == (action, queue)


def test_a_language_the_model_cannot_read_goes_to_review_before_escalation() -> None:
    decision = decide("delivery", 0.99, "critical", CONFIG, known_language=False)
    assert (decision.action, decision.queue) == ("review", "review")


def test_trained_languages_ignores_languages_with_a_handful_of_rows() -> None:
    from classifier.api import trained_languages

    assert trained_languages({"de": 900, "en": 1100, "other": 19}) == {"de", "en"}
    assert trained_languages({"de": 30, "en": 9000, "other": 120}) == {"en", "other"}  # 30 < 1% of 9150
    assert trained_languages(None) is None  # models saved before languages were recorded: no rule


def test_config_round_trips_through_toml() -> None:
    import tomllib

    assert parse_config(tomllib.loads(dump_config(CONFIG))) == CONFIG


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"routing": {"reject_below": "high"}}, "routing.reject_below must be a float"),
        ({"routing": {"reject_below": 3}}, "between 0 and 1"),
        ({"routing": {"colour": "red"}}, "unknown key routing.colour"),
        ({"topics": {"billing": {"auto_answer": True}}}, "topics.billing needs queue"),
    ],
)
def test_bad_config_values_are_named(data: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(data, "my.toml")
