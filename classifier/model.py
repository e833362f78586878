"""Classifier heads with calibrated probabilities and a learned rejection threshold.

One :class:`CalibratedLinearClassifier` per label column sits on the shared
:class:`~classifier.features.TextFeaturizer`; :class:`TriageModel` bundles them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.svm import LinearSVC
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from classifier import priority
from classifier.features import Doc, TextFeaturizer

CALIBRATIONS = ("auto", "logistic", "temperature")
# "auto" keeps the logistic calibrator unless temperature scaling is better by more than this
# (mean of out-of-fold accuracy and macro-F1), so a tie never changes a model.
CALIBRATION_MARGIN = 0.005


class TemperatureCalibrator(ClassifierMixin, BaseEstimator):
    """Softmax of the SVM scores times one learned factor: calibrated confidences, the SVM's own decisions.

    A multinomial logistic calibrator also learns class priors, which on some data (small,
    imbalanced label sets) moves decisions towards the frequent classes and costs the rare ones.
    One scale factor cannot reorder the scores. ``coef_`` and ``intercept_`` have the shape of
    :class:`~sklearn.linear_model.LogisticRegression`'s, so the lean scorer reads either.
    """

    def __init__(self, *, class_weight: str | None = None) -> None:
        self.class_weight = class_weight

    def fit(self, scores: np.ndarray, y: np.ndarray) -> TemperatureCalibrator:
        from scipy.optimize import minimize_scalar
        from scipy.special import log_softmax

        scores = np.asarray(scores, dtype=np.float64)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        weights = compute_sample_weight(self.class_weight, y_index)  # all ones without class weights
        logits = self._logits(scores)
        rows = np.arange(len(y_index))

        def loss(log_scale: float) -> float:
            log_p = log_softmax(logits * np.exp(log_scale), axis=1)[rows, y_index]
            return float(-(weights * log_p).sum() / weights.sum())

        scale = float(np.exp(minimize_scalar(loss, bounds=(-6.0, 6.0), method="bounded").x))
        k = scores.shape[1]
        self.coef_ = scale * np.eye(k) if k > 1 else np.array([[scale]])
        self.intercept_ = np.zeros(k)
        return self

    def predict_proba(self, scores: np.ndarray) -> np.ndarray:
        from scipy.special import softmax

        check_is_fitted(self, "coef_")
        return softmax(self._logits(np.asarray(scores, dtype=np.float64) * self.coef_[0, 0]), axis=1)

    def predict(self, scores: np.ndarray) -> np.ndarray:
        return self.classes_[self.predict_proba(scores).argmax(axis=1)]

    @staticmethod
    def _logits(scores: np.ndarray) -> np.ndarray:
        """Two classes score on one column (the positive class); softmax needs both."""
        return np.hstack([np.zeros_like(scores), scores]) if scores.shape[1] == 1 else scores


class CalibratedLinearClassifier(ClassifierMixin, BaseEstimator):
    """Linear SVM whose scores are turned into calibrated probabilities.

    The SVM's out-of-fold decision scores train a calibrator (multinomial logistic, or one
    temperature where that decides better), so a confidence of 0.9 means about 90% right.
    The same out-of-fold probabilities give ``cv_proba_`` (an honest cross-validated prediction for
    reports) and ``reject_threshold_``: the confidence below which only
    ``reject_rate`` of in-scope messages fall, so anything less sure is sent to review.

    Parameters
    ----------
    C : float
        Inverse regularization strength of the SVM.
    class_weight : {"balanced"} or None
        Weighting of rare classes. Off by default (on GermEval it costs 5 points of
        macro-F1); on for the default model's urgency head, where the rare ``critical``
        matters most (corpus CV: critical recall 0.81 -> 0.90).
    cv : int
        Folds for the out-of-fold scores; reduced when a class is smaller.
    reject_rate : float
        Share of in-scope held-out messages allowed below the rejection threshold.
    calibration : {"auto", "logistic", "temperature"}
        How SVM scores become probabilities. "logistic" (a multinomial logistic regression on
        the scores) may move decisions between classes; "temperature" (:class:`TemperatureCalibrator`)
        keeps the SVM's decisions. "auto" measures both on the out-of-fold scores and keeps
        logistic unless temperature is clearly better (``calibration_`` tells which was used).
    min_recall : dict of {class: float} or None
        Recall to guarantee for classes that must not be missed (e.g. ``{"critical": 0.92}``):
        the fit learns ``class_floors_``, the probability at which such a class wins over
        the argmax, from the out-of-fold probabilities (see :mod:`classifier.priority`).
    random_state : int
        Seed of the fold split and the SVM, for reproducible models.
    n_jobs : int or None
        Processes for the cross-validation folds; None uses all cores from 2,000 rows on
        (below that, starting workers costs more than it saves).
    """

    def __init__(
        self,
        *,
        C: float = 0.5,
        class_weight: str | None = None,
        cv: int = 5,
        reject_rate: float = 0.05,
        calibration: str = "auto",
        min_recall: dict[str, float] | None = None,
        random_state: int = 0,
        n_jobs: int | None = None,
    ) -> None:
        self.C = C
        self.class_weight = class_weight
        self.cv = cv
        self.reject_rate = reject_rate
        self.calibration = calibration
        self.min_recall = min_recall
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(self, X: Any, y: Any) -> CalibratedLinearClassifier:
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32])
        check_classification_targets(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"CalibratedLinearClassifier needs at least 2 classes, got {len(self.classes_)} class")
        if not 0.0 <= self.reject_rate < 1.0:
            raise ValueError(f"reject_rate must be in [0, 1), got {self.reject_rate!r}")
        if self.calibration not in CALIBRATIONS:
            raise ValueError(f"calibration must be one of {', '.join(CALIBRATIONS)}, got {self.calibration!r}")
        svm = LinearSVC(C=self.C, class_weight=self.class_weight, random_state=self.random_state)
        folds = min(self.cv, int(np.bincount(y_index).min()))
        if folds >= 2:
            split = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
            jobs = self.n_jobs if self.n_jobs is not None else (-1 if X.shape[0] >= 2000 else None)
            scores = cross_val_predict(svm, X, y_index, cv=split, method="decision_function", n_jobs=jobs)
            scores = self._as_2d(scores)
            self.calibration_, cv_proba = self._choose_calibration(scores, y_index, split)
            self.calibrator_ = self._calibrator(self.calibration_).fit(scores, y_index)
        else:  # too few rows per class to hold any out: calibrate in-sample
            scores = self._as_2d(clone(svm).fit(X, y_index).decision_function(X))
            self.calibration_ = "logistic" if self.calibration == "auto" else self.calibration
            self.calibrator_ = self._calibrator(self.calibration_).fit(scores, y_index)
            cv_proba = self.calibrator_.predict_proba(scores)
        self.cv_proba_ = cv_proba.astype(np.float32)
        self.class_floors_ = self._class_floors(cv_proba, y_index)
        self.reject_threshold_ = float(np.quantile(cv_proba.max(axis=1), self.reject_rate))
        self.svm_ = svm.fit(X, y_index)
        return self

    def svm_scores(self, X: Any) -> np.ndarray:
        """The raw SVM scores, shape (n, 1) for two classes, (n, n_classes) otherwise."""
        check_is_fitted(self, "svm_")
        X = validate_data(self, X, accept_sparse="csr", reset=False, dtype=[np.float64, np.float32])
        return self._as_2d(self.svm_.decision_function(X))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated class probabilities, columns in ``classes_`` order."""
        scores = self.svm_scores(X)
        return self.calibrator_.predict_proba(scores)

    def decision_function(self, X: Any) -> np.ndarray:
        """Calibrated log-odds (two classes) or log-probabilities; ``predict`` is their argmax, floors aside."""
        log_proba = np.log(np.clip(self.predict_proba(X), 1e-12, 1.0))
        return log_proba[:, 1] - log_proba[:, 0] if log_proba.shape[1] == 2 else log_proba

    def predict(self, X: Any) -> np.ndarray:
        proba = self.predict_proba(X)
        return self.classes_[self.pick(proba)]

    def pick(self, proba: np.ndarray) -> np.ndarray:
        """Class index per row of ``proba``: the argmax, unless a ``min_recall`` class reaches its floor."""
        return priority.pick(proba, getattr(self, "class_floors_", ()))

    def _class_floors(self, cv_proba: np.ndarray, y_index: np.ndarray) -> list[tuple[int, float]]:
        floors = []
        names = [str(c) for c in self.classes_]
        for name, target in (self.min_recall or {}).items():
            if str(name) not in names:
                raise ValueError(f"min_recall: no class {name!r} (classes: {', '.join(names)})")
            if not 0.0 < target <= 1.0:
                raise ValueError(f"min_recall for {name!r} must be in (0, 1], got {target!r}")
            k = names.index(str(name))
            floor = priority.floor_for_recall(cv_proba, y_index, k, target)
            if floor is not None:
                floors.append((k, floor))
        return floors

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _calibrator(self, kind: str) -> LogisticRegression | TemperatureCalibrator:
        # The calibrator shares the class weights: otherwise it would undo them by re-learning the priors.
        if kind == "temperature":
            return TemperatureCalibrator(class_weight=self.class_weight)
        return LogisticRegression(C=1.0, max_iter=1000, class_weight=self.class_weight)

    def _choose_calibration(self, scores: np.ndarray, y_index: np.ndarray, split: Any) -> tuple[str, np.ndarray]:
        """The calibration to use and its out-of-fold probabilities, measured on the out-of-fold scores."""

        def out_of_fold(kind: str) -> np.ndarray:
            return cross_val_predict(self._calibrator(kind), scores, y_index, cv=split, method="predict_proba")

        def quality(p: np.ndarray) -> float:
            pred = p.argmax(axis=1)
            return (accuracy_score(y_index, pred) + f1_score(y_index, pred, average="macro")) / 2

        if self.calibration != "auto":
            return self.calibration, out_of_fold(self.calibration)
        logistic, temperature = out_of_fold("logistic"), out_of_fold("temperature")
        if quality(temperature) > quality(logistic) + CALIBRATION_MARGIN:
            return "temperature", temperature
        return "logistic", logistic

    @staticmethod
    def _as_2d(scores: np.ndarray) -> np.ndarray:
        return scores.reshape(-1, 1) if scores.ndim == 1 else scores


@dataclass
class HeadPrediction:
    """Labels and confidences of one head for a batch of messages."""

    labels: list[str]
    confidences: list[float]


@dataclass
class TriageModel:
    """A fitted featurizer with one classifier head per label column.

    The first head is the routing head: its rejection threshold sends unfamiliar
    messages to review.
    """

    featurizer: TextFeaturizer
    heads: dict[str, CalibratedLinearClassifier]
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def head_names(self) -> list[str]:
        return list(self.heads)

    @classmethod
    def fit(
        cls,
        docs: Sequence[Doc],
        labels: dict[str, Sequence[str]],
        *,
        featurizer: TextFeaturizer | None = None,
        head: CalibratedLinearClassifier | None = None,
        head_params: dict[str, dict[str, Any]] | None = None,
        tune_seconds: float | None = None,
    ) -> TriageModel:
        """Fit the featurizer once and one head per label column.

        ``tune_seconds`` searches each head's C and class weights by cross-validation
        (:mod:`classifier.tuning`) within that budget, shared by the heads; the trials
        land in ``metadata["tuning"]``.
        """
        featurizer = clone(featurizer) if featurizer is not None else TextFeaturizer()
        X = featurizer.fit_transform(docs)
        heads: dict[str, Any] = {}
        tuning: dict[str, list[dict[str, Any]]] = {}
        start = time.monotonic()
        for i, (name, y) in enumerate(labels.items()):
            y = np.asarray(y, dtype=object).astype(str)
            if tune_seconds is not None:
                from classifier.tuning import tune_head

                deadline = start + tune_seconds * (i + 1) / len(
                    labels
                )  # each head gets its share, unused time passes on
                heads[name], trials = tune_head(X, y, (head_params or {}).get(name, {}), deadline)
                tuning[name] = [t.as_dict() for t in trials]
                continue
            estimator = clone(head) if head is not None else CalibratedLinearClassifier()
            estimator.set_params(**(head_params or {}).get(name, {}))
            heads[name] = estimator.fit(X, y)
        return cls(featurizer=featurizer, heads=heads, metadata={"tuning": tuning} if tuning else {})

    def predict(self, docs: Sequence[Doc]) -> dict[str, HeadPrediction]:
        """Predict every head for a batch of docs."""
        X = self.featurizer.transform(docs)
        out = {}
        for name, head in self.heads.items():
            proba = head.predict_proba(X)
            best = priority.pick(proba, getattr(head, "class_floors_", ()))  # any sklearn classifier may be a head
            out[name] = HeadPrediction(
                labels=head.classes_[best].tolist(), confidences=proba[np.arange(len(best)), best].tolist()
            )
        return out
