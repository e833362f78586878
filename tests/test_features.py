"""Featurization: lemmas, urgency signals, the semantic block."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.features import TextFeaturizer, lemmatize
from classifier.signals import SIGNAL_NAMES, Doc, signals


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Die Pakete kamen nie an!", "de", ["der", "paket", "kommen", "nie", "an", "!"]),
        ("My parcels were delayed", "en", ["my", "parcel", "be", "delay"]),
        ("Bitte an <EMAIL> schreiben", "de", ["bitte", "an", "xxemail", "schreiben"]),
    ],
)
def test_lemmatize(text: str, language: str, expected: list[str]) -> None:
    assert lemmatize(text, language) == expected


def test_signals_see_shouting_urgency_words_and_channel() -> None:
    calm = dict(zip(SIGNAL_NAMES, signals(Doc("Wann kommt mein Paket?", "de", "email")), strict=True))
    loud = dict(
        zip(SIGNAL_NAMES, signals(Doc("BETRUG!!! SOFORT sperren, zum dritten Mal!", "de", "twitter", 2)), strict=True)
    )
    assert loud["exclamations"] > calm["exclamations"] and loud["shouting"] == 1.0 and calm["shouting"] == 0.0
    assert loud["critical_terms"] > 0 and loud["high_terms"] > 0 and calm["critical_terms"] == 0
    assert loud["channel=twitter"] == 1.0 and calm["channel=email"] == 1.0 and loud["thread_position"] == 0.5


def test_semantic_block_adds_dense_columns_and_links_languages() -> None:
    docs = [Doc("Wo ist mein Paket", "de"), Doc("where is my parcel", "en"), Doc("I forgot my password", "en")]
    plain = TextFeaturizer().fit(docs)
    semantic = TextFeaturizer(semantic_weight=1.0).fit(docs)
    assert semantic.n_features_out_ == plain.n_features_out_ + semantic.semantic_.n_features_out_
    vectors = semantic.semantic_.transform([lemmatize(d.text, d.language) for d in docs])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # "Paket" and "parcel" share no character, but their vectors agree more than "parcel" and "password".
    assert vectors[0] @ vectors[1] > vectors[1] @ vectors[2]
