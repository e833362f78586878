"""The HTML evaluation report (``triage evaluate --report``) and the accuracy benchmark's helpers."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, SHARED, corpus_frame
from typer.testing import CliRunner

from classifier.config import TopicRule, TriageConfig
from classifier.report import auto_answer_curve, confused_pairs, reliability_bins
from cli import app

runner = CliRunner()


def load_benchmark():
    """benchmarks/ is not a package: load accuracy.py by path."""
    spec = importlib.util.spec_from_file_location("bench_accuracy", ROOT / "benchmarks" / "accuracy.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


bench = load_benchmark()


@pytest.fixture(scope="module")
def held_out_csv(small_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten corpus messages per topic that the small model was not trained on."""
    import pandas as pd

    trained = set(pd.read_csv(small_corpus, dtype=str, keep_default_na=False)["text"])
    frame = corpus_frame()
    frame = frame[~frame["text"].isin(trained)].sample(frac=1.0, random_state=2).groupby("topic").head(10)
    path = tmp_path_factory.mktemp("eval") / "held_out.csv"
    frame.to_csv(path, index=False)
    return path


# --- the report -------------------------------------------------------------------------------------


def test_evaluate_report_writes_html_and_plots_naming_every_class(
    small_model: Path, held_out_csv: Path, tmp_path: Path
) -> None:
    import pandas as pd

    out = tmp_path / "report"
    args = ["evaluate", str(held_out_csv), "-m", str(small_model), "--label", "topic", "--label", "urgency"]
    result = runner.invoke(app, [*args, "--report", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {"rows", "heads", "review_rate"}, "the --json contract gains no per-row details"
    page = (out / "index.html").read_text(encoding="utf-8")
    for name in ("per_class", "confusion", "reliability"):
        for head in ("topic", "urgency"):
            png = out / f"{head}_{name}.png"
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            assert f'src="{png.name}"' in page
    assert (out / "auto_answer.png").exists()
    frame = pd.read_csv(held_out_csv, dtype=str, keep_default_na=False)
    for head in ("topic", "urgency"):
        for label in frame[head].unique():
            assert f"<td>{label}</td>" in page, f"class {label} missing from the report"
    assert "Review rate" in page and f"{report['review_rate']:.1%}" in page


def test_report_examples_are_pii_masked(small_model: Path, tmp_path: Path) -> None:
    from classifier import api
    from classifier.report import build_report

    texts = [f"Ich habe mein Passwort vergessen, bitte an max.muster{i}@example.com schreiben" for i in range(6)]
    texts += [f"Wo bleibt mein Paket? Rückfragen an anna{i}@example.org" for i in range(6)]
    labels = {"topic": ["billing"] * 6 + ["delivery"] * 6}  # deliberately wrong for the first six: confusions
    build_report(api.load(small_model), texts, labels, None, tmp_path)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "example.com" not in page and "example.org" not in page
    assert "&lt;EMAIL&gt;" in page


def test_missing_matplotlib_is_one_line_naming_the_extra(
    small_model: Path, held_out_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    args = ["evaluate", str(held_out_csv), "-m", str(small_model), "--label", "topic", "--report", str(tmp_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "inquiry-triage[report]" in result.stderr


def test_confused_pairs_counts_mistakes_most_frequent_first() -> None:
    y_true = np.array(["a", "a", "a", "b", "b", "c"])
    y_pred = np.array(["b", "b", "a", "a", "b", "a"])
    assert confused_pairs(y_true, y_pred) == [("a", "b", 2), ("b", "a", 1), ("c", "a", 1)]
    assert confused_pairs(y_true, y_true) == []


def test_reliability_bins_give_accuracy_per_confidence_bin() -> None:
    correct = np.array([True, False, True, True])
    confidence = np.array([0.95, 0.95, 0.31, 0.33])
    bins = reliability_bins(correct, confidence, bins=10)
    assert [(round(c, 2), a, n) for c, a, n in bins] == [(0.32, 1.0, 2), (0.95, 0.5, 2)]


def test_auto_answer_curve_counts_only_eligible_messages() -> None:
    config = TriageConfig(
        head="topic",
        urgency_head="urgency",
        reject_below=0.3,
        topics={"delivery": TopicRule(queue="logistics", auto_answer=True, min_confidence=0.8)},
        templates={"delivery": {"en": "..."}},
    )
    rows = [
        {"topic": "delivery", "topic_confidence": 0.9, "urgency": "normal"},  # right
        {"topic": "delivery", "topic_confidence": 0.7, "urgency": "normal"},  # wrong
        {"topic": "delivery", "topic_confidence": 0.95, "urgency": "critical"},  # escalated: not eligible
        {"topic": "billing", "topic_confidence": 0.99, "urgency": "low"},  # not auto-answerable
        {"topic": "delivery", "topic_confidence": 0.2, "urgency": "low"},  # review
    ]
    truth = np.array(["delivery", "billing", "delivery", "billing", "delivery"])
    thresholds, coverage, precision = auto_answer_curve("topic", rows, truth, config)
    assert thresholds.tolist() == [0.9, 0.7]
    assert coverage.tolist() == [0.2, 0.4]
    assert precision.tolist() == [1.0, 0.5]


# --- benchmark helpers ----------------------------------------------------------------------------


def test_oos_metrics_measure_unseen_recall_and_known_rejections() -> None:
    unseen = np.array([True, True, True, True, False, False, False, False, False, False])
    rejected = np.array([True, True, True, False, True, False, False, False, False, False])
    assert bench.oos_metrics(unseen, rejected) == {"unseen_recall": 0.75, "known_rejected": 1 / 6}
    with pytest.raises(ValueError, match="both unseen and known"):
        bench.oos_metrics(np.array([True]), np.array([True]))


def test_held_out_intents_are_fixed_by_the_seed() -> None:
    classes = [f"intent_{i}" for i in range(77)] * 2
    first = bench.pick_held_out(classes, seed=0)
    assert first == bench.pick_held_out(classes, seed=0)
    assert len(set(first)) == 10 and set(first) <= set(classes)
    assert first != bench.pick_held_out(classes, seed=1)


def test_ticket_text_joins_subject_and_unescapes_body_newlines() -> None:
    assert (
        bench.ticket_text("Login fails", "Hello,\\n\\nI cannot log in.") == "Login fails\n\nHello,\n\nI cannot log in."
    )
    assert bench.ticket_text(float("nan"), "Body only") == "Body only"


def test_format_table_and_verdicts_show_every_system() -> None:
    results = [
        bench.Result("tickets/queue", "pipeline", 0.61, 0.52, 0.03, 12.0, 850.0),
        bench.Result("tickets/queue", "tfidf_svm", 0.58, 0.55, None, 2.0, 9000.0),
        bench.Result("tickets/queue", "fasttext", 0.50, 0.40, 0.10, 30.0, 20000.0, note="lr=0.2"),
    ]
    table = bench.format_table(results).splitlines()
    assert len(table) == 5 and "accuracy" in table[0] and "msgs/s" in table[0]
    assert "0.6100" in table[2] and "0.5500" in table[3] and table[3].split()[4] == "-" and "lr=0.2" in table[4]
    (verdict,) = bench.verdicts(results)
    assert "NOT ahead" in verdict and "tfidf_svm" in verdict  # best on accuracy but not on macro-F1


def test_benchmark_skips_cleanly_without_the_shared_data(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert bench.main(["--data", str(tmp_path / "absent")]) == 0
    assert "skipped" in capsys.readouterr().out


def test_benchmark_rejects_unknown_systems() -> None:
    with pytest.raises(SystemExit):
        bench.parse_args(["--systems", "pipeline,bert"])


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} absent (shared datasets are not part of the repo)")
def test_reference_system_runs_on_a_ticket_sample(capsys: pytest.CaptureFixture) -> None:
    assert bench.main(["--datasets", "tickets", "--systems", "tfidf_svm", "--max-rows", "300", "--folds", "2"]) == 0
    out = capsys.readouterr().out
    assert "tickets/queue" in out and "tickets/priority" in out and "tfidf_svm" in out


def test_oos_scores_oracle_threshold_rejects_the_asked_share_of_known_rows() -> None:
    spec = importlib.util.spec_from_file_location("bench_oos_scores", ROOT / "benchmarks" / "oos_scores.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    known = np.linspace(1.0, 2.0, 100)  # in-scope scores; the lowest 5 fall below the 5% quantile
    score = np.concatenate([known, [0.5, 0.9, 1.5, 3.0]])
    unseen = np.array([False] * 100 + [True] * 4)
    assert module.caught_at(score, unseen, 0.05) == 0.5  # 0.5 and 0.9 are caught, 1.5 and 3.0 are not
    train = np.eye(3)
    test = np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0]])
    assert np.allclose(module.nearest_similarity(train, test, 1), [1.0, 0.8])
    assert np.allclose(module.nearest_similarity(train, test, 2), [0.5, 0.7])


def _transfer_module(monkeypatch: pytest.MonkeyPatch):
    spec = importlib.util.spec_from_file_location("bench_transfer", ROOT / "benchmarks" / "transfer.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_transfer", module)  # its dataclass looks its module up
    spec.loader.exec_module(module)
    return module


def test_transfer_escalation_line_counts_calls_hits_and_misses(monkeypatch: pytest.MonkeyPatch) -> None:
    module = _transfer_module(monkeypatch)
    gold = ["critical", "low", "critical", "normal"]
    pred = ["critical", "critical", "low", "critical"]
    assert module.escalation_line(gold, pred) == "critical: predicted 3 (75.0%), 1 of them right; found 1 of 2"


def test_transfer_in_domain_folds_leave_out_rare_classes_and_cover_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    module = _transfer_module(monkeypatch)
    gold = ["a"] * 7 + ["b"] * 5 + ["c"] * 2  # "c" cannot be in every training split of 5 folds
    kept, folds = module.cv_folds(gold, folds=5)
    assert kept == list(range(12))
    assert sorted(i for fold in folds for i in fold) == kept  # each kept row is tested exactly once
    assert all({gold[i] for i in fold} == {"a", "b"} for fold in folds)  # stratified
