"""``--tune``: the head with the best cross-validated macro-F1 among the settings tried in the budget."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from classifier import api
from classifier.training import format_report, load_training_data
from classifier.tuning import candidates, tune_head


def test_candidates_keep_what_the_user_fixed() -> None:
    grid = candidates({"class_weight": "balanced", "min_recall": {"critical": 0.9}})
    assert {g["class_weight"] for g in grid} == {"balanced"}
    assert all(g["min_recall"] == {"critical": 0.9} for g in grid)
    assert grid[0]["C"] == 0.5  # the library default runs first
    assert {g["class_weight"] for g in candidates({})} == {None, "balanced"}


def test_tune_head_returns_the_best_fitted_head_and_always_one() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 8))
    y = np.where(X[:, 0] + X[:, 1] + rng.normal(scale=1.0, size=200) > 0.5, "a", "b")
    head, trials = tune_head(X, y, {"cv": 3}, deadline=time.monotonic() + 60)
    assert len(trials) == len(candidates({}))
    best = max(trials, key=lambda t: t.macro_f1)
    assert {"C": head.C, "class_weight": head.class_weight} == best.params
    only, trials = tune_head(X, y, {"cv": 3}, deadline=time.monotonic() - 1)  # budget already spent
    assert len(trials) == 1 and only.C == 0.5


def test_train_with_tune_reports_the_trials(small_corpus: Path) -> None:
    texts, labels, channels = load_training_data([small_corpus], "text", ["topic"], None)
    model, config, report = api.train(texts, labels, channels=channels, cv=3, tune_seconds=5)
    trials = report["tuning"]["topic"]
    assert trials and all(set(t) == {"params", "macro_f1", "seconds"} for t in trials)
    assert max(trials, key=lambda t: t["macro_f1"])["params"]["C"] == model.heads["topic"].C
    assert "--tune topic:" in format_report(report, config)
