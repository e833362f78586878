"""Shared fixtures: a small model trained on a slice of the project's own corpus."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpora" / "inquiries"
SHARED = ROOT.parent / "shared" / "datasets"


def corpus_frame() -> pd.DataFrame:
    return pd.concat(
        [pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(CORPUS.glob("*.csv"))], ignore_index=True
    )


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 messages per topic, both languages, as a CSV file."""
    frame = corpus_frame()
    sample = frame.sample(frac=1.0, random_state=1).groupby("topic").head(30)
    path = tmp_path_factory.mktemp("corpus") / "small.csv"
    sample.to_csv(path, index=False)
    return path


# as models/default is built: balanced urgency weights and a floor for critical
#: Urgency signals are off by default; on here so that the lean tests cover their block too.
SMALL_MODEL_FEATURIZER_PARAMS = {"signal_weight": 1.0}
SMALL_MODEL_HEAD_PARAMS = {"urgency": {"class_weight": "balanced", "min_recall": {"critical": 0.97}}}


@pytest.fixture(scope="session")
def small_model(small_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model directory trained on ``small_corpus`` with the default decision config."""
    from classifier import api
    from classifier.training import base_config_for, load_training_data

    texts, labels, channels = load_training_data([small_corpus], "text", ["topic", "urgency"], None)
    model, config, report = api.train(
        texts,
        labels,
        channels=channels,
        base_config=base_config_for(labels, None),
        cv=3,
        head_params=SMALL_MODEL_HEAD_PARAMS,
        featurizer_params=SMALL_MODEL_FEATURIZER_PARAMS,
    )
    out = tmp_path_factory.mktemp("models") / "small"
    api.save(model, config, out, report)
    return out


@pytest.fixture(scope="session")
def triage(small_model: Path):
    from classifier import api

    return api.load(small_model)
