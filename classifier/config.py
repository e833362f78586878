"""The decision config: queues, auto-answer rules, thresholds and reply templates.

One frozen :class:`TriageConfig` is read from TOML (``decision.toml`` beside a model,
or ``--config``) and passed explicitly; overrides use :func:`dataclasses.replace`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from classifier.errors import ConfigError

ACTIONS = ("auto_answer", "route", "escalate", "review")


@dataclass(frozen=True)
class TopicRule:
    """What happens to messages of one class of the routing head."""

    queue: str
    auto_answer: bool = False
    min_confidence: float = 1.0


@dataclass(frozen=True)
class TriageConfig:
    """Decision rules shipped with a model; see ``docs`` in README for each field."""

    head: str = "topic"
    urgency_head: str = "urgency"
    reject_below: float = 0.0
    escalate_urgency: tuple[str, ...] = ("critical",)
    auto_answer_urgency: tuple[str, ...] = ("low", "normal")
    default_queue: str = "general"
    review_queue: str = "review"
    escalation_queue: str = "escalation"
    max_chars: int = 1_000_000
    topics: Mapping[str, TopicRule] = field(default_factory=lambda: MappingProxyType({}))
    templates: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: MappingProxyType({}))

    def rule(self, label: str) -> TopicRule:
        return self.topics.get(label) or TopicRule(queue=self.default_queue)

    def with_topics(self, **changes: TopicRule) -> TriageConfig:
        return replace(self, topics=MappingProxyType({**self.topics, **changes}))


_ROUTING_KEYS = {
    "head": str,
    "urgency_head": str,
    "reject_below": float,
    "escalate_urgency": list,
    "auto_answer_urgency": list,
    "default_queue": str,
    "review_queue": str,
    "escalation_queue": str,
}


def parse_config(data: Mapping[str, Any], source: str = "config") -> TriageConfig:
    """Build a config from parsed TOML, naming the key and file of any bad value."""
    kwargs: dict[str, Any] = {}
    for key, value in data.get("routing", {}).items():
        if key not in _ROUTING_KEYS:
            raise ConfigError(f"{source}: unknown key routing.{key}; valid keys: {', '.join(_ROUTING_KEYS)}")
        kind = _ROUTING_KEYS[key]
        if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind):
            raise ConfigError(f"{source}: routing.{key} must be a {kind.__name__}, got {value!r}")
        kwargs[key] = tuple(value) if kind is list else value
    if "max_chars" in data.get("limits", {}):
        kwargs["max_chars"] = int(data["limits"]["max_chars"])
    topics = {}
    for label, rule in data.get("topics", {}).items():
        try:
            topics[label] = TopicRule(
                queue=str(rule["queue"]),
                auto_answer=bool(rule.get("auto_answer", False)),
                min_confidence=float(rule.get("min_confidence", 1.0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(
                f"{source}: topics.{label} needs queue (text), auto_answer (bool), min_confidence (number): {exc}"
            ) from None
    templates = {k: MappingProxyType(dict(v)) for k, v in data.get("templates", {}).items()}
    config = TriageConfig(**kwargs, topics=MappingProxyType(topics), templates=MappingProxyType(templates))
    if not 0.0 <= config.reject_below <= 1.0:
        raise ConfigError(f"{source}: routing.reject_below must be between 0 and 1, got {config.reject_below}")
    return config


def load_config(path: Path | str) -> TriageConfig:
    """Read a decision config from a TOML file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, str(path))


def dump_config(config: TriageConfig) -> str:
    """Serialize a config to TOML, so it can ship beside a model."""
    import tomli_w

    routing = {key: getattr(config, key) for key in _ROUTING_KEYS}
    routing = {k: list(v) if isinstance(v, tuple) else v for k, v in routing.items()}
    data = {
        "routing": routing,
        "limits": {"max_chars": config.max_chars},
        "topics": {
            k: {"queue": r.queue, "auto_answer": r.auto_answer, "min_confidence": round(r.min_confidence, 4)}
            for k, r in config.topics.items()
        },
        "templates": {k: dict(v) for k, v in config.templates.items()},
    }
    return tomli_w.dumps(data, multiline_strings=True)
