"""The shipped default model: trained from the current corpus, loadable, scoring as documented."""

from __future__ import annotations

from pathlib import Path

from classifier import api, persist
from classifier.training import load_training_data

ROOT = Path(__file__).resolve().parent.parent


def test_default_model_was_trained_from_the_current_corpus() -> None:
    texts, labels, _ = load_training_data([ROOT / "corpora" / "inquiries"], "text", ["topic", "urgency"], None)
    manifest = persist.read_manifest(persist.DEFAULT_MODEL_DIR)
    assert manifest["rows"] == len(texts)
    assert manifest["data_sha256"] == api.data_hash(texts, labels), (
        "corpora/ changed since models/default was trained; rebuild it with: "
        "triage train corpora/inquiries --label topic --label urgency --balanced urgency "
        "--min-recall urgency:critical=0.92 -o models/default"
    )


def test_default_model_follows_the_taxonomy() -> None:
    manifest = persist.read_manifest(persist.DEFAULT_MODEL_DIR)
    assert manifest["heads"]["topic"] == sorted(
        ["account_access", "billing", "cancellation", "contract_change", "delivery", "returns_refund",
         "warranty_claim", "technical_issue", "product_info", "data_privacy", "feedback", "other"]
    )  # fmt: skip
    assert manifest["heads"]["urgency"] == ["critical", "high", "low", "normal"]


def test_default_model_scores_through_the_lean_form() -> None:
    assert api.has_lean_form()
    row = api.score("Ich möchte meinen Handyvertrag zum nächsten Monat kündigen.", channel="email")
    assert row["topic"] == "cancellation" and row["language"] == "de" and row["status"] == "ok"
    full = api.load().score("Ich möchte meinen Handyvertrag zum nächsten Monat kündigen.", channel="email")
    assert abs(full["topic_confidence"] - row["topic_confidence"]) < 1e-6
