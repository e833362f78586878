"""Each normalization step on German and English real-world shapes, with negatives."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from classifier.normalize import clean_text, normalize_channel, pii, social, text
from classifier.normalize.lang import detect_language


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("FÃ¼r die Rechnung", "Für die Rechnung"),
        ("Iâ€™m waiting", "I'm waiting"),  # quotes uncurled too
        ("Grüße", "Grüße"),
    ],
)
def test_fix_unicode_repairs_mojibake(raw: str, expected: str) -> None:
    assert text.fix_unicode(raw) == expected


def test_remove_control_chars_drops_nul_and_zero_width() -> None:
    assert text.remove_control_chars("ab\x00c\u200bd\r\ne") == "abcd\ne"


def test_html_to_text_keeps_paragraphs_and_drops_scripts() -> None:
    html = (
        "<html><head><style>p{}</style><script>alert(1)</script></head>"
        "<body><p>Hallo</p><p>Paket fehlt</p></body></html>"
    )
    out = text.html_to_text(html)
    assert "Hallo" in out and "Paket fehlt" in out and "alert" not in out and "p{}" not in out


def test_collapse_whitespace_keeps_single_line_breaks() -> None:
    assert text.collapse_whitespace("a   b\n\n\n\nc \t d\n") == "a b\n\nc d"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("@DB_Bahn wo bleibt der Zug", "@user wo bleibt der Zug"),
        ("cc @AmazonHelp @UPS", "cc @user @UPS"),  # shorter than the token: kept
        ("mail me at a@b.de", "mail me at a@b.de"),  # an address is not a mention
    ],
)
def test_replace_mentions(raw: str, expected: str) -> None:
    assert social.replace_mentions(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("#NeverAgainDHL", "Never Again DHL"),
        ("#paketchaos heute", "paketchaos heute"),
        ("Preis #1", "Preis #1"),  # a number is no hashtag
    ],
)
def test_split_hashtags(raw: str, expected: str) -> None:
    assert social.split_hashtags(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("pleeeeease", "pleease"), ("suuuuper!!!!!!", "suuper!!!"), ("Kaffee", "Kaffee"), ("2000", "2000")],
)
def test_squeeze_elongations(raw: str, expected: str) -> None:
    assert social.squeeze_elongations(raw) == expected


@pytest.mark.parametrize(
    ("step", "raw", "expected"),
    [
        (pii.mask_emails, "Schreiben Sie an max.mustermann@web.de bitte", "Schreiben Sie an <EMAIL> bitte"),
        (pii.mask_urls, "see https://track.example.com/x?id=99 now", "see <URL> now"),
        (pii.mask_ibans, "IBAN DE89 3704 0044 0532 0130 00 bitte", "IBAN <IBAN> bitte"),
        (pii.mask_card_numbers, "card 4111 1111 1111 1111 was", "card <CARD> was"),
        (pii.mask_phone_numbers, "Tel. +49 (0)170 1234567 oder 030/12345678", "Tel. <PHONE> oder <PHONE>"),
        (pii.mask_phone_numbers, "am 12.03.2024 für 49,99 EUR", "am 12.03.2024 für 49,99 EUR"),
        (pii.mask_ids, "Bestellnummer ist 4711-2024", "Bestellnummer ist <ID>"),
        (pii.mask_ids, "Kundennummer: KD88123", "Kundennummer: <ID>"),
        (pii.mask_ids, "order #A1234", "order #<ID>"),
        (pii.mask_ids, "tracking 1Z999AA10123456784", "tracking <ID>"),
        (pii.mask_ids, "I waited 3 days", "I waited 3 days"),
        (pii.mask_names, "Hallo Frau Schmidt,\nPaket fehlt", "Hallo Frau <NAME>,\nPaket fehlt"),
        (pii.mask_names, "Dear Mr. Smith, hi", "Dear Mr. <NAME>, hi"),
        (pii.mask_names, "Hallo Team,\nPaket fehlt", "Hallo Team,\nPaket fehlt"),
        (pii.mask_names, "Danke & viele Grüße\nKatrin Wöllmer", "Danke & viele Grüße\n<NAME>"),
        (pii.mask_names, "my name is John Miller and", "my name is <NAME> and"),
    ],
)
def test_pii_steps(step, raw: str, expected: str) -> None:
    assert step(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hallo, wo bleibt mein Paket? Ich warte seit zwei Wochen.", "de"),
        ("Mein Login failt seit dem Update", "de"),
        ("wo ist mein paket??", "de"),
        ("Where is my parcel? It has been two weeks.", "en"),
        ("still no refund. great.", "en"),
        ("Bonjour, je voudrais annuler mon abonnement s'il vous plaît, merci beaucoup.", "other"),
        ("😡😡😡", "other"),
        ("@AmazonHelp ご丁寧にありがとうございます！返信いただけると思っていませんでした", "other"),
        ("@Tesco شكرا على المساعدة", "other"),
        ("Привет, где мой заказ?", "other"),
    ],
)
def test_detect_language(raw: str, expected: str) -> None:
    assert detect_language(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("E-Mail", "email"), ("tweet", "twitter"), ("Web Form", "webform"), ("", "unknown"), ("fax", "other")],
)
def test_normalize_channel(raw: str, expected: str) -> None:
    assert normalize_channel(raw) == expected


def test_clean_text_email_keeps_only_newest_words_and_masks() -> None:
    raw = (
        "Hallo,\nmein Paket 4711-99812 ist nicht da. Ruft mich an: 0171 2345678\n\nViele Grüße\nAnna Weber\n\n"
        "Am 12.03.2024 um 10:14 schrieb Kundenservice <service@shop.de>:\n> Ihr Paket ist unterwegs.\n"
    )
    steps: list[str] = []
    out = clean_text(raw, "email", steps=steps)
    assert "Paket" in out and "unterwegs" not in out and "Anna" not in out and "0171" not in out
    assert "strip_quoted_reply" in steps and "mask_phone_numbers" in steps


def test_clean_text_social_post() -> None:
    out = clean_text("@DHLPaket wo bleibt mein Paket?!?! #NieWieder 😡", "twitter")
    assert out == "@user wo bleibt mein Paket?!?! Nie Wieder 😡"


@settings(max_examples=200, deadline=None)
@given(st.text())
@example("\xa0Â\x95")  # mojibake that ftfy only sees once the space before it is gone
@example(",##Ÿ4")  # a double hash lost one # per pass
def test_clean_text_never_raises_and_is_idempotent(raw: str) -> None:
    once = clean_text(raw, "email")
    assert clean_text(once, "email") == once


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",))))
def test_clean_text_never_grows_social_text(raw: str) -> None:
    # PII placeholders may be longer than what they replace, so compare without masking;
    # split hashtags gain spaces, so count the output without whitespace; ftfy spells the
    # ligature "ﬀ" as "ff", so the input is counted with such characters spelled out (NFKC).
    import unicodedata

    out = clean_text(raw, "chat", keep_pii=True)
    assert sum(not c.isspace() for c in out) <= len(unicodedata.normalize("NFKC", raw))


@settings(max_examples=100, deadline=None)
@given(st.emails())
def test_no_address_survives_masking(address: str) -> None:
    assert address not in clean_text(f"Bitte an {address} antworten", "chat")


def _corpus_texts() -> list[str]:
    import csv
    from pathlib import Path

    corpus = Path(__file__).resolve().parent.parent / "corpora" / "inquiries"
    return [row["text"] for path in sorted(corpus.glob("*.csv")) for row in csv.DictReader(path.open(encoding="utf-8"))]


def test_batch_language_scores_match_py3langid_and_do_not_depend_on_the_batch() -> None:
    import numpy as np

    from classifier.normalize.lang import _identifier, _scorer

    texts = [*_corpus_texts()[::7], "Ça marche très bien, merci!", "Dziękuję bardzo", "ok", "🙂", ""]
    scorer = _scorer()
    batch = scorer.probabilities(texts)  # lockstep walk of the whole batch
    alone = np.vstack([scorer.probabilities([t]) for t in texts])  # py3langid's own walk, text by text
    assert np.array_equal(batch, alone)
    reference = np.array([[dict(_identifier().rank(t))[lang] for lang in scorer.labels] for t in texts])
    np.testing.assert_allclose(batch, reference, atol=1e-5)


def test_detect_languages_equals_detect_language_on_the_corpus() -> None:
    from classifier.normalize.lang import detect_languages

    texts = _corpus_texts()
    assert detect_languages(texts) == [detect_language(t) for t in texts]


_MOJIBAKE_ALPHABET = "abcXYZ .,?!\n-äöüßÄÖÜéèàáâÃÂÎÐ€œŠš¢£Ÿž\xa0\xad®©°·»–—´×²³ØÙ√≈‚ÄóвЂВГРСβΒΓΞΟā│┌▀\x80\x9f’”“„«µ"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_MOJIBAKE_ALPHABET, max_size=40), st.integers(0, 30), st.integers(0, 30))
def test_windowed_mojibake_check_equals_ftfy(core: str, before: int, after: int) -> None:
    import ftfy.badness

    sample = "x" * before + core + " y" * after
    assert text.looks_like_mojibake(sample) == ftfy.badness.is_bad(sample)


def test_normalize_messages_marks_a_failing_message_and_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    from classifier import normalize
    from classifier.message import Message

    real = normalize.clean_text

    def fragile(raw: str, *args, **kwargs) -> str:
        if "BOOM" in raw:
            raise ValueError("cannot cope")
        return real(raw, *args, **kwargs)

    monkeypatch.setattr(normalize, "clean_text", fragile)
    messages = [Message(id=str(i), text=t) for i, t in enumerate(["Wo ist mein Paket?", "BOOM", "Where is my parcel?"])]
    ready = normalize.normalize_messages(messages)
    assert [m.id for m in ready] == ["0", "2"]
    assert [m.language for m in ready] == ["de", "en"]
    assert "cannot normalize (ValueError: cannot cope)" in messages[1].error
