"""``triage train --tune``: pick each head's regularization and class weighting by cross-validation.

The featurizer is fit once; each candidate is a full :class:`CalibratedLinearClassifier`
fit, scored by the macro-F1 of its own out-of-fold predictions, so the winner is already
fitted and nothing is trained twice. Candidates run cheapest-first from the defaults
until the time budget is spent; what the user fixed on the command line (``--balanced``,
``--min-recall``) is kept in every candidate.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import f1_score

from classifier.model import CalibratedLinearClassifier

#: Inverse regularization strengths to try; the library default (0.5) comes first.
C_GRID = (0.5, 1.0, 0.25, 2.0, 0.1)
CLASS_WEIGHTS = (None, "balanced")


@dataclass
class Trial:
    params: dict[str, Any]
    macro_f1: float
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"params": self.params, "macro_f1": round(self.macro_f1, 4), "seconds": round(self.seconds, 1)}


def candidates(fixed: dict[str, Any]) -> list[dict[str, Any]]:
    """The grid around what the user fixed: C always varies, class weights unless set."""
    weights = (fixed["class_weight"],) if "class_weight" in fixed else CLASS_WEIGHTS
    return [{**fixed, "C": c, "class_weight": w} for w in weights for c in C_GRID]


def tune_head(
    X: Any, y: np.ndarray, fixed: dict[str, Any], deadline: float
) -> tuple[CalibratedLinearClassifier, list[Trial]]:
    """The best-scoring fitted head among the candidates tried before ``deadline`` (``time.monotonic()``).

    The first candidate (the defaults) always runs, so there is always a model.
    """
    best: CalibratedLinearClassifier | None = None
    best_score = -1.0
    trials: list[Trial] = []
    for params in candidates(fixed):
        if trials and time.monotonic() >= deadline:
            break
        start = time.monotonic()
        head = CalibratedLinearClassifier(**params).fit(X, y)
        score = float(f1_score(y, head.classes_[head.pick(head.cv_proba_)], average="macro"))
        trials.append(Trial(_shown(params), score, time.monotonic() - start))
        if score > best_score:
            best, best_score = head, score
    assert best is not None
    return best, trials


def _shown(params: dict[str, Any]) -> dict[str, Any]:
    return {k: params[k] for k in ("C", "class_weight") if k in params}
