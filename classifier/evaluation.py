"""Scores a team lead can trust: per-class metrics, review rate, auto-answer precision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from classifier.config import TopicRule, TriageConfig
from classifier.priority import Floor, pick


def head_report(
    y_true: np.ndarray, classes: np.ndarray, proba: np.ndarray, floors: Sequence[Floor] = ()
) -> dict[str, Any]:
    """Accuracy, macro/micro F1 and per-class precision/recall/F1 of one head's predictions."""
    y_pred = classes[pick(proba, floors)]
    return metrics_report(y_true, y_pred, proba.max(axis=1))


def metrics_report(y_true: np.ndarray, y_pred: np.ndarray, confidence: np.ndarray | None = None) -> dict[str, Any]:
    labels = np.unique(np.concatenate([y_true, y_pred]))
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    report: dict[str, Any] = {
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, average="macro", zero_division=0)), 4),
        "micro_f1": round(float(f1_score(y_true, y_pred, average="micro", zero_division=0)), 4),
        "per_class": {
            str(label): {
                "precision": round(float(p), 4),
                "recall": round(float(r), 4),
                "f1": round(float(f), 4),
                "support": int(s),
            }
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        },
    }
    if confidence is not None:
        report["ece"] = round(expected_calibration_error(y_true == y_pred, confidence), 4)
    return report


def expected_calibration_error(correct: np.ndarray, confidence: np.ndarray, bins: int = 15) -> float:
    """Mean gap between confidence and accuracy over equal-width confidence bins."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(total)


def choose_auto_answer_thresholds(
    config: TriageConfig,
    y_true: np.ndarray,
    classes: np.ndarray,
    proba: np.ndarray,
    urgency_pred: np.ndarray | None,
    *,
    target: float = 0.95,
    min_rows: int = 10,
) -> tuple[TriageConfig, dict[str, Any]]:
    """Per auto-answerable class, the lowest confidence at which held-out precision stays >= ``target``.

    Thresholds come from cross-validated predictions, never from the training fit.
    A class that cannot reach the target on at least ``min_rows`` messages is not
    auto-answered.
    """
    y_pred = classes[proba.argmax(axis=1)]
    confidence = proba.max(axis=1)
    eligible = np.ones(len(y_true), dtype=bool)
    if urgency_pred is not None:
        eligible = np.isin(urgency_pred, config.auto_answer_urgency)
    rules: dict[str, TopicRule] = {}
    answered = np.zeros(len(y_true), dtype=bool)
    per_class: dict[str, Any] = {}
    for label, rule in config.topics.items():
        if not rule.auto_answer:
            continue
        mask = (y_pred == label) & eligible & (confidence >= config.reject_below)
        threshold = _lowest_threshold(confidence[mask], (y_true[mask] == label), target, min_rows)
        if threshold is None:
            rules[label] = replace(rule, min_confidence=1.01)
            per_class[label] = {"threshold": None, "coverage": 0.0}
            continue
        threshold = max(threshold, config.reject_below)
        rules[label] = replace(rule, min_confidence=round(threshold, 4))
        chosen = mask & (confidence >= threshold)
        answered |= chosen
        per_class[label] = {
            "threshold": round(threshold, 4),
            "precision": round(float((y_true[chosen] == label).mean()), 4),
            "answered": int(chosen.sum()),
        }
    summary = {
        "target_precision": target,
        "coverage": round(float(answered.mean()), 4),
        "precision": round(float((y_true[answered] == y_pred[answered]).mean()), 4) if answered.any() else None,
        "per_class": per_class,
    }
    return config.with_topics(**rules), summary


def _lowest_threshold(confidence: np.ndarray, correct: np.ndarray, target: float, min_rows: int) -> float | None:
    """Smallest confidence c such that every prefix above c keeps precision >= target."""
    if len(confidence) < min_rows:
        return None
    order = np.argsort(-confidence, kind="stable")
    hits = np.cumsum(correct[order])
    precision = hits / np.arange(1, len(order) + 1)
    # Walk down from the most confident; stop where precision last holds for all larger sets.
    ok = precision >= target
    if not ok[min_rows - 1 :].any():
        return None
    last = len(ok) - 1 - int(np.argmax(ok[::-1]))
    if last + 1 < min_rows:
        return None
    return float(confidence[order][last])
