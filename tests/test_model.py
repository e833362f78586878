"""Estimator contract, model round trip, integrity checks, privacy and determinism."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import joblib
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from classifier import api, persist
from classifier.errors import ModelError
from classifier.model import CalibratedLinearClassifier


@parametrize_with_checks([CalibratedLinearClassifier()])
def test_sklearn_contract(estimator, check) -> None:
    check(estimator)


def test_round_trip_gives_the_same_predictions(small_model: Path, tmp_path: Path) -> None:
    triage = api.load(small_model)
    texts = ["Mein Paket ist nicht angekommen", "I want to cancel my subscription", "app crashes on start"]
    before = triage.classify_texts(texts)
    api.save(triage.model, triage.config, tmp_path / "copy")
    after = api.load(tmp_path / "copy").classify_texts(texts)
    assert before == after


def test_manifest_records_versions_hashes_and_data(small_model: Path) -> None:
    manifest = persist.read_manifest(small_model)
    assert manifest["created_by"] == "inquiry-triage"
    assert {"model.joblib", "decision.toml"} <= set(manifest["files"])
    assert manifest["versions"]["scikit-learn"] and len(manifest["data_sha256"]) == 64
    assert set(manifest["heads"]) == {"topic", "urgency"}


def test_tampered_model_is_refused(small_model: Path, tmp_path: Path) -> None:
    copy = tmp_path / "m"
    shutil.copytree(small_model, copy)
    with open(copy / "model.joblib", "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelError, match="checksum does not match"):
        api.load(copy)


def test_model_without_manifest_needs_trust(small_model: Path, tmp_path: Path) -> None:
    copy = tmp_path / "m"
    shutil.copytree(small_model, copy)
    (copy / "manifest.json").unlink()
    with pytest.raises(ModelError, match="not a model written by triage"):
        api.load(copy)
    assert api.load(copy, trust=True).score("Paket fehlt")["status"] == "ok"


def test_other_scikit_learn_version_is_an_explicit_error(small_model: Path, tmp_path: Path) -> None:
    copy = tmp_path / "m"
    shutil.copytree(small_model, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["versions"]["scikit-learn"] = "0.24.2"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match=r"trained with scikit-learn 0\.24\.2"):
        api.load(copy)


def test_same_data_and_seed_give_identical_models(small_corpus: Path) -> None:
    from classifier.training import load_training_data

    texts, labels, _ = load_training_data([small_corpus], "text", ["topic"], None)
    first, _, _ = api.train(texts[:150], {"topic": labels["topic"][:150]}, cv=3, seed=7)
    second, _, _ = api.train(texts[:150], {"topic": labels["topic"][:150]}, cv=3, seed=7)
    assert joblib.hash(first) == joblib.hash(second)


def test_no_personal_data_reaches_the_model_file(small_corpus: Path, tmp_path: Path) -> None:
    from classifier.training import load_training_data

    texts, labels, _ = load_training_data([small_corpus], "text", ["topic"], None)
    secrets = [
        "jolanta.wrzesniewska@example.org",
        "DE89370400440532013000",
        "4111111111111111",
        "+491701234567",
        "KD8812734",
        "Wrzesniewska",
    ]
    seeded = [
        f"{t}\nMail: {secrets[0]}, IBAN DE89 3704 0044 0532 0130 00, Karte 4111 1111 1111 1111, "
        f"Tel +49 170 1234567, Kundennummer KD8812734\nViele Grüße\nJolanta Wrzesniewska"
        for t in texts[:120]
    ]
    model, config, report = api.train(seeded, {"topic": labels["topic"][:120]}, cv=3)
    vocabulary = " ".join(
        [*model.featurizer.word_vectorizer_.vocabulary_, *model.featurizer.char_vectorizer_.vocabulary_]
    ).lower()
    compact = vocabulary.replace(" ", "")
    leaked = [secret for secret in secrets if secret.lower().replace("+", "") in compact]
    leaked += [name for name in ("wrzesniewska", "jolanta") if name in vocabulary]
    assert leaked == []
    out = api.save(model, config, tmp_path / "m", report)
    raw = (out / "model.joblib").read_bytes()
    assert b"wrzesniewska" not in raw.lower()


def test_reject_threshold_sends_unfamiliar_messages_to_review(triage) -> None:
    assert 0.0 < triage.config.reject_below < 1.0
    head = triage.model.heads["topic"]
    share = (head.cv_proba_.max(axis=1) < head.reject_threshold_).mean()
    assert share <= 0.06  # about reject_rate (5%) of in-scope held-out messages


def test_parallel_classification_keeps_order_and_rows(triage, small_corpus: Path) -> None:
    from classifier.readers import read_path

    serial = [r for rows in triage.classify_messages(read_path(small_corpus), chunk_size=40) for r in rows]
    parallel = [r for rows in triage.classify_messages(read_path(small_corpus), chunk_size=40, jobs=2) for r in rows]
    assert len(serial) > 200 and parallel == serial


def test_floor_for_recall_is_the_highest_floor_that_reaches_the_target() -> None:
    import numpy as np

    from classifier.priority import floor_for_recall, pick

    # class 1 rows: two already won by argmax, three missed with p(1) = 0.4, 0.3, 0.1
    proba = np.array([[0.2, 0.8], [0.4, 0.6], [0.6, 0.4], [0.7, 0.3], [0.9, 0.1], [0.9, 0.1]])
    y = np.array([1, 1, 1, 1, 1, 0])
    assert floor_for_recall(proba, y, 1, 0.4) is None  # argmax already finds 2 of 5
    assert floor_for_recall(proba, y, 1, 0.6) == 0.4
    assert floor_for_recall(proba, y, 1, 0.8) == 0.3
    assert pick(proba, [(1, 0.3)]).tolist() == [1, 1, 1, 1, 0, 0]


def test_min_recall_learns_a_floor_that_predict_applies() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    y = np.where(X[:, 0] + rng.normal(scale=1.5, size=300) > 1.4, "rare", "common")
    plain = CalibratedLinearClassifier(cv=3).fit(X, y)
    floored = CalibratedLinearClassifier(cv=3, min_recall={"rare": 0.9}).fit(X, y)
    assert plain.class_floors_ == [] and len(floored.class_floors_) == 1
    k, floor = floored.class_floors_[0]
    cv_pred = floored.classes_[floored.pick(floored.cv_proba_)]
    assert np.mean(cv_pred[y == "rare"] == "rare") >= 0.9
    assert np.mean(plain.classes_[plain.cv_proba_.argmax(axis=1)][y == "rare"] == "rare") < 0.9
    proba = floored.predict_proba(X)
    assert (floored.predict(X)[proba[:, k] >= floor] == "rare").all()
    with pytest.raises(ValueError, match="no class 'missing'"):
        CalibratedLinearClassifier(cv=3, min_recall={"missing": 0.9}).fit(X, y)


def _imbalanced_scores(seed: int = 0):
    """SVM-like scores for 3 classes of 80/10/10 rows: the true class scores higher, with noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y = rng.choice(3, size=600, p=[0.8, 0.1, 0.1])
    scores = rng.normal(size=(600, 3)) + 1.5 * np.eye(3)[y]
    return scores, y


def test_temperature_calibration_keeps_the_svm_decisions_and_learns_the_scale() -> None:
    import numpy as np

    from classifier.model import TemperatureCalibrator

    scores, y = _imbalanced_scores()
    cal = TemperatureCalibrator().fit(scores, y)
    proba = cal.predict_proba(scores)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert (proba.argmax(axis=1) == scores.argmax(axis=1)).all()
    # the same scores ten times larger need a ten times smaller factor for the same probabilities
    assert np.allclose(TemperatureCalibrator().fit(10 * scores, y).predict_proba(10 * scores), proba, atol=1e-4)
    binary = TemperatureCalibrator().fit(scores[:, :1] - scores[:, 1:2], (y == 0).astype(int))
    p = binary.predict_proba(scores[:, :1] - scores[:, 1:2])
    assert ((p[:, 1] > 0.5) == (scores[:, 0] > scores[:, 1])).all()


def test_lean_head_reads_a_temperature_calibrator_as_it_reads_a_logistic_one() -> None:
    import numpy as np

    from classifier.lean import LeanHead
    from classifier.model import TemperatureCalibrator

    scores, y = _imbalanced_scores()
    for s, labels in ((scores, y), (scores[:, :1] - scores[:, 1:2], (y == 0).astype(int))):
        cal = TemperatureCalibrator().fit(s, labels)
        head = LeanHead(
            classes=[str(c) for c in cal.classes_],
            svm_weights=np.zeros((1, s.shape[1])),
            svm_intercept=np.zeros(s.shape[1]),
            cal_coef=cal.coef_,
            cal_intercept=cal.intercept_,
        )
        assert np.abs(head.predict_proba(s) - cal.predict_proba(s)).max() < 1e-12


def test_auto_calibration_is_the_forced_choice_it_reports() -> None:
    import numpy as np

    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 6))
    y = np.array(["a", "b", "c"])[np.argmax(X[:, :3] + rng.normal(scale=1.0, size=(400, 3)), axis=1)]
    auto = CalibratedLinearClassifier(cv=3).fit(X, y)
    assert auto.calibration_ in ("logistic", "temperature")
    forced = CalibratedLinearClassifier(cv=3, calibration=auto.calibration_).fit(X, y)
    assert np.allclose(auto.predict_proba(X), forced.predict_proba(X))
    assert np.allclose(auto.cv_proba_, forced.cv_proba_)
    with pytest.raises(ValueError, match="calibration must be one of"):
        CalibratedLinearClassifier(calibration="isotonic").fit(X, y)


def test_auto_calibration_measures_which_calibrator_decides_better() -> None:
    import numpy as np
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    split = StratifiedKFold(3, shuffle=True, random_state=0)
    # few rows for ten classes: the logistic calibrator's 110 parameters overfit and favour the big class
    rng = np.random.default_rng(0)
    y = rng.choice(10, size=200, p=[0.4] + [0.6 / 9] * 9)
    scores = rng.normal(size=(200, 10)) + 2.0 * np.eye(10)[y]
    chosen, proba = CalibratedLinearClassifier(cv=3)._choose_calibration(scores, y, split)
    logistic = CalibratedLinearClassifier(cv=3, calibration="logistic")._choose_calibration(scores, y, split)[1]
    assert chosen == "temperature"
    assert f1_score(y, proba.argmax(axis=1), average="macro") > f1_score(y, logistic.argmax(axis=1), average="macro")
    # plenty of rows for three classes: the logistic calibrator's priors pay off and it stays
    scores, y = _imbalanced_scores()
    assert CalibratedLinearClassifier(cv=3)._choose_calibration(scores, y, split)[0] == "logistic"
