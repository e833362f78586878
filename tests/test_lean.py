"""The lean scorer computes what the full pipeline computes, without the training stack."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, corpus_frame

from classifier import api, persist, priority
from classifier.errors import ModelError
from classifier.lean import LeanModel, LeanTokenizer, char_wb_ngrams, reduce_lemma_table
from classifier.message import Message
from classifier.normalize import normalize_message
from classifier.signals import PLACEHOLDER_RE

HEAVY = ("sklearn", "scipy", "pandas", "spacy")


@pytest.fixture(scope="module")
def corpus_docs():
    """Every corpus message, normalized as the pipeline does (text, language, channel)."""
    frame = corpus_frame()
    channels = frame["channel"].tolist() if "channel" in frame else ["unknown"] * len(frame)
    messages = [
        normalize_message(Message(id=str(i), text=t, channel=c))
        for i, (t, c) in enumerate(zip(frame["text"], channels, strict=True))
    ]
    return [api.to_doc(m) for m in messages]


@pytest.fixture(scope="module")
def models(small_model: Path):
    from classifier.persist import load_model

    full, _, _ = load_model(small_model)
    return full, LeanModel.load(small_model)


def test_save_writes_the_lean_form_under_the_manifest(small_model: Path):
    manifest = persist.read_manifest(small_model)
    lean = persist.lean_files(small_model)
    assert "lean.json" in lean and "lean.langid.nextmove.npy" in lean
    assert set(lean) <= set(manifest["files"])


def test_lean_probabilities_equal_the_full_pipeline_on_the_corpus(models, corpus_docs):
    full, lean = models
    X = full.featurizer.transform(corpus_docs)
    lean_proba = lean.predict_proba(corpus_docs)
    for name, head in full.heads.items():
        expected = head.predict_proba(X)
        assert lean.heads[name].classes == head.classes_.tolist()
        assert np.abs(lean_proba[name] - expected).max() < 1e-6, name
        assert (lean_proba[name].argmax(axis=1) == expected.argmax(axis=1)).all(), name
        assert lean.heads[name].floors == head.class_floors_, name
        assert (priority.pick(lean_proba[name], lean.heads[name].floors) == head.pick(expected)).all(), name


def test_the_small_model_has_a_floor_to_check(models):
    full, _ = models
    assert full.heads["urgency"].class_floors_, "the fixture's urgency head should learn a critical floor"


def test_lean_predict_has_the_full_predict_structure(models, corpus_docs):
    full, lean = models
    docs = corpus_docs[:50]
    expected, got = full.predict(docs), lean.predict(docs)
    assert list(got) == list(expected)
    for name in expected:
        assert got[name].labels == expected[name].labels
        assert np.allclose(got[name].confidences, expected[name].confidences, atol=1e-6, rtol=0)


def test_lean_tokenizer_matches_spacy_on_the_corpus(models, corpus_docs):
    from classifier.features import _pipeline

    _, lean = models
    lemmatizer = lean.blocks[0].lemmatizer
    mismatches = []
    for doc in corpus_docs:
        language = doc.language if doc.language in ("de", "en") else "en"
        text = PLACEHOLDER_RE.sub(lambda m: f" xx{m.group(1).lower()} ", doc.text)
        expected = [t.text for t in _pipeline(language)[0].tokenizer(text)]
        if lemmatizer.tokenizer(language)(text) != expected:
            mismatches.append(text[:80])
    assert not mismatches, mismatches[:3]


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize(
    "text",
    [
        "Hallo!!  Mein Paket (Nr. 123-456) kam nicht an... :( https://example.com/x?y=1 z.B. 3,50€",
        "  I can't log in -- it's \"broken\"!!! e.g. my U.S. card $5.00 :) @user #help\n\n\tthanks",
        "a.m. p.m. Dr. St. usw. bzw. ca. o.ä. z. B. ?!?! ''quotes'' ...",
    ],
)
def test_lean_tokenizer_matches_spacy_on_hard_cases(models, language: str, text: str):
    from classifier.features import _pipeline

    _, lean = models
    expected = [t.text for t in _pipeline(language)[0].tokenizer(text)]
    assert lean.blocks[0].lemmatizer.tokenizer(language)(text) == expected


def test_tokenizer_without_compiled_patterns_gives_the_same_tokens(models):
    import spacy

    spec = LeanTokenizer.export(spacy.blank("de").tokenizer)
    text = "Sehr geehrte Damen und Herren, mein Router (FritzBox 7590) ist seit 3 Tagen offline!!"
    assert LeanTokenizer({**spec, "compiled": {}})(text) == LeanTokenizer(spec)(text)


def test_char_wb_ngrams_match_sklearn():
    from sklearn.feature_extraction.text import CountVectorizer

    analyzer = CountVectorizer(analyzer="char_wb", ngram_range=(2, 5)).build_analyzer()
    for text in ["a  bc\tdef", "x", "", "über   straße!! ok"]:
        assert char_wb_ngrams(text.lower(), (2, 5)) == analyzer(text)


def test_reduced_lemma_table_maps_words_to_the_same_vocabulary_terms():
    table = {"Apples": "Apfel", "apples": "apple", "Went": "go", "went": "go", "Dogs": "dog", "cats": "cat"}
    vocabulary = {"apple", "go"}
    reduced = reduce_lemma_table(table, vocabulary)
    for word in ["Apples", "apples", "Went", "went", "Dogs", "dogs", "cats", "Cats", "other"]:
        full = table.get(word, table.get(word.lower(), word)).lower()
        lean = reduced.get(word, reduced.get(word.lower(), word)).lower()
        assert (full in vocabulary) == (lean in vocabulary)
        assert full not in vocabulary or full == lean
    assert "Dogs" not in reduced and "cats" not in reduced


def test_score_uses_the_lean_form_and_gives_the_full_row(small_model: Path):
    text = "Hallo, ich habe mein Passwort vergessen und die Reset-Mail kommt nicht an. Gruß, Jonas Berg"
    for channel in ("unknown", "twitter", "email"):
        assert api.score(text, small_model, channel=channel) == api.load(small_model).score(text, channel=channel)
    assert isinstance(api.load_lean(small_model).model, LeanModel)


def test_both_forms_send_a_language_the_model_never_saw_to_review(small_model: Path):
    full, lean = api.load(small_model), api.load_lean(small_model)
    assert lean.languages == full.languages == {"de", "en"}
    text = "お問い合わせありがとうございます。注文した商品がまだ届いていません。"
    for triage in (full, lean):
        row = triage.score(text)
        assert (row["language"], row["action"], row["status"]) == ("other", "review", "ok")
        assert "language 'other' not in the training data" in row["error"]
    assert lean.score("Wo bleibt mein Paket? Bestellt vor zwei Wochen.")["error"] == ""


def test_classify_uses_the_lean_form_and_gives_the_full_rows(small_model: Path):
    frame = corpus_frame().sample(600, random_state=3)
    texts = frame["text"].tolist()
    lean = api.load_scorer(small_model)
    assert isinstance(lean.model, LeanModel)
    full = api.load(small_model)
    assert lean.classify_texts(texts, channel="twitter") == full.classify_texts(texts, channel="twitter")


def test_batch_and_single_scoring_paths_agree(models, corpus_docs, monkeypatch):
    """Batches use SciPy's sparse product, single messages NumPy's gather: the same scores."""
    from classifier import lean as lean_module

    _, lean = models
    docs = corpus_docs[:300]
    batch = lean.predict_proba(docs)
    monkeypatch.setattr(lean_module, "SPARSE_FROM", len(docs) + 1)
    gathered = lean.predict_proba(docs)
    one_by_one = [lean.predict_proba([d]) for d in docs[:40]]
    for name in batch:
        assert np.abs(batch[name] - gathered[name]).max() < 1e-12, name
        assert np.abs(batch[name][:40] - np.vstack([p[name] for p in one_by_one])).max() < 1e-12, name


def test_a_changed_lean_file_is_refused(small_model: Path, tmp_path: Path):
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(small_model, copy)
    with open(copy / "lean.word.terms.txt", "a", encoding="utf-8") as handle:
        handle.write("\nextra")
    with pytest.raises(ModelError, match="checksum"):
        api.load_lean(copy)
    with pytest.raises(ModelError, match="checksum"):
        api.load(copy)
    with pytest.raises(ModelError, match="entries, expected"):  # trusted, but still inconsistent
        api.load_lean(copy, trust=True)
    (copy / "lean.word.terms.txt").write_bytes((small_model / "lean.word.terms.txt").read_bytes())
    assert isinstance(api.load_lean(copy, trust=True).model, LeanModel)  # --trust-model skips the checksums


def test_an_unlisted_lean_form_is_refused(small_model: Path, tmp_path: Path):
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(small_model, copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"] = {k: v for k, v in manifest["files"].items() if not k.startswith("lean")}
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(Exception, match="lean"):
        api.score("hello", copy)


def _imported_modules(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return {name.split(".")[0] for name in json.loads(out.stdout.strip().splitlines()[-1])}


def test_lean_import_and_score_do_not_import_the_training_stack(small_model: Path):
    modules = _imported_modules(
        f"import classifier.lean\nfrom classifier import api\napi.score('Hallo', r'{small_model}')"
    )
    assert not modules & set(HEAVY), modules & set(HEAVY)
    assert "numpy" in modules  # the check itself can fail: numpy is imported by the same path


def test_cli_score_does_not_import_the_training_stack(small_model: Path):
    code = (
        f"import sys\nsys.argv = ['triage', 'score', '--json', '-m', r'{small_model}', 'Wo bleibt mein Paket?']\n"
        "import cli\ntry:\n    cli.main()\nexcept SystemExit:\n    pass"
    )
    modules = _imported_modules(code)
    assert not modules & set(HEAVY), modules & set(HEAVY)
