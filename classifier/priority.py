"""Classes that must not be missed: predicted as soon as their probability reaches a floor.

Argmax treats every mistake alike, but an unnoticed ``critical`` message costs far more
than a false alarm. A head trained with ``min_recall={"critical": 0.92}`` learns, from its
out-of-fold probabilities, the highest probability floor at which 92% of the critical
messages are caught; at prediction the class wins whenever its probability reaches that
floor. NumPy only, so the lean scorer applies the same rule.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Floor = tuple[int, float]  # (class index, probability floor)


def pick(proba: np.ndarray, floors: Sequence[Floor] = ()) -> np.ndarray:
    """Index of the predicted class per row: the most probable one, unless a floored class reaches its floor."""
    best = proba.argmax(axis=1)
    for k, floor in floors:
        best[proba[:, k] >= floor] = k
    return best


def floor_for_recall(proba: np.ndarray, y_index: np.ndarray, k: int, target: float) -> float | None:
    """The highest floor at which class ``k`` reaches ``target`` recall on these rows; None if argmax already does."""
    rows = y_index == k
    total = int(rows.sum())
    if total == 0:
        return None
    hit = proba[rows].argmax(axis=1) == k
    needed = math.ceil(target * total - 1e-9) - int(hit.sum())
    if needed <= 0:
        return None
    missed = np.sort(proba[rows][~hit, k])[::-1]
    return float(missed[min(needed, len(missed)) - 1])
