"""fold_case agrees with re.IGNORECASE for the letters the hot patterns are written in."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from classifier.textcase import fold_case

LETTERS = "abcdefghijklmnopqrstuvwxyzäöüß"


def test_every_character_ignorecase_takes_for_a_letter_folds_to_it() -> None:
    for letter in LETTERS:
        pattern = re.compile(re.escape(letter), re.IGNORECASE)
        for code in range(0x110000):
            char = chr(code)
            if 0xD800 <= code < 0xE000:
                continue
            assert bool(pattern.fullmatch(char)) == (fold_case(char) == letter), (letter, hex(code))


@given(st.text(alphabet=st.sampled_from("aAiIİısSſßẞkKKuÜü bin ist kunden Ticket 12345\n")))
def test_a_lowercase_pattern_finds_the_same_matches_in_folded_text(text: str) -> None:
    for words in (r"\b(?:ich bin|this is|kunden\w*|ticket|sue\b|unauthori[sz]ed)", r"(?:ist|bis)\s+\w+"):
        expected = [m.span() for m in re.finditer(words, text, re.IGNORECASE)]
        assert [m.span() for m in re.finditer(words, fold_case(text))] == expected
        assert len(fold_case(text)) == len(text)
