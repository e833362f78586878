"""A lean, read-only form of a fitted :class:`~classifier.model.TriageModel` for fast single-message scoring.

``triage score`` runs once per message (a mail filter, a helpdesk trigger), so its
cost is start-up: importing scikit-learn, SciPy and spaCy alone takes seconds. This
module computes the same probabilities (to float rounding) with NumPy, ``re`` and the
standard library only:

* the spaCy tokenizer algorithm, re-implemented over its exported rules (prefix,
  suffix, infix and URL patterns, special cases), plus the part of the lookup lemma
  table that can reach the vocabulary;
* the featurizer as a list of blocks (word TF-IDF, ``char_wb`` TF-IDF, signals), each
  with its own export and compute, so a new block (e.g. static word vectors) is one
  more class;
* per head the SVM scores and the calibrator (logistic or temperature: a softmax of an affine map of
  the scores either way).

:func:`export_lean` writes ``lean.json`` and ``lean.*.npy`` into a model directory
(``api.save`` calls it, and the manifest checksums cover the files);
:meth:`LeanModel.load` reads them back, memory-mapping the weight matrices.
"""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, pairwise
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import numpy as np

from classifier import persist, priority
from classifier.errors import ModelError
from classifier.regex_cache import dump_pattern, load_pattern
from classifier.signals import PLACEHOLDER_RE, SIGNAL_NAMES, Doc, signals

LEAN_FILE = persist.LEAN_FILE
LEAN_FORMAT = 1
LANGUAGES = ("de", "en")
_KEEP_PUNCT = frozenset("!?")
_WHITE_SPACES_RE = re.compile(r"\s\s+")  # sklearn's VectorizerMixin._white_spaces
_RUN_RE = re.compile(r"\s+|\S+")  # \s is str.isspace(), as spaCy splits


CACHE_LIMIT = 300_000  # entries per cache; a full cache is emptied, so memory stays bounded


class BoundedCache(dict):
    """A dict that empties itself when full: recurring words stay cheap, memory stays flat."""

    def remember(self, key: str, value: tuple) -> tuple:
        if len(self) >= CACHE_LIMIT:
            self.clear()
        self[key] = value
        return value


def lemmatize_by_span(text: str, cache: BoundedCache, lemmatize_span: Callable[[str], tuple[str, ...]]) -> list[str]:
    """The lemmas of ``text``, span by whitespace-separated span through ``cache``.

    spaCy tokenizes each span on its own, so a span's lemmas never depend on its
    neighbours; placeholders such as ``<EMAIL>`` become the single token ``xxemail``.
    """
    text = PLACEHOLDER_RE.sub(lambda m: f" xx{m.group(1).lower()} ", text)
    out: list[str] = []
    for span in text.split():
        lemmas = cache.get(span)
        if lemmas is None:
            lemmas = cache.remember(span, lemmatize_span(span))
        out.extend(lemmas)
    return out


def row_pointers(doc: np.ndarray, n: int) -> np.ndarray:
    """CSR ``indptr`` of ``n`` rows from the (sorted) row number of every entry."""
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(doc, minlength=n), out=indptr[1:])
    return indptr


@dataclass
class HeadPrediction:
    """Labels and confidences of one head for a batch of messages (as ``classifier.model.HeadPrediction``)."""

    labels: list[str]
    confidences: list[float]


# --- tokenizer ----------------------------------------------------------------------------------


def is_punct(text: str) -> bool:
    """spaCy's ``Token.is_punct``: every character is in a Unicode punctuation category."""
    return all(unicodedata.category(c).startswith("P") for c in text)


class LeanTokenizer:
    """spaCy's rule-based tokenizer (``spacy/tokenizer.pyx``) in pure Python, token texts only.

    Same algorithm: split on whitespace (a single ``' '`` after a token is trailing
    space, other whitespace becomes tokens), peel prefixes and suffixes until none is
    left or a special case / token_match hits, then URL match or infix splitting, and
    finally the special cases that contain affixes, matched over the token sequence.
    """

    PATTERNS: ClassVar[tuple[str, ...]] = ("prefix", "suffix", "infix", "token_match", "url_match")

    def __init__(self, spec: dict[str, Any]) -> None:
        compiled = spec.get("compiled", {})
        patterns = {key: load_pattern(spec[key], compiled.get(key)) if spec.get(key) else None for key in self.PATTERNS}
        self.prefix_re = patterns["prefix"]
        self.suffix_re = patterns["suffix"]
        self.infix_re = patterns["infix"]
        self.token_match_re = patterns["token_match"]
        self.url_match_re = patterns["url_match"]
        self.specials: dict[str, list[str]] = spec["specials"]
        self.faster_heuristics: bool = spec.get("faster_heuristics", True)
        patterns = spec.get("matcher")
        if patterns is None:
            patterns = self._matcher_patterns()
        self.matcher: dict[str, list[tuple[str, ...]]] = {}
        for pattern in patterns:
            self.matcher.setdefault(pattern[0], []).append(tuple(pattern))
        self._cache: dict[tuple[str, bool], list[str]] = {}

    @staticmethod
    def export(tokenizer: Any) -> dict[str, Any]:
        """The rules of a spaCy ``Tokenizer`` as JSON-able data."""
        from spacy.attrs import ORTH

        pattern = lambda f: f.__self__.pattern if f is not None else None  # noqa: E731
        for f in (tokenizer.prefix_search, tokenizer.suffix_search, tokenizer.infix_finditer, tokenizer.url_match):
            if f is not None and f.__self__.flags & ~re.UNICODE:
                raise ModelError(f"tokenizer pattern uses flags {f.__self__.flags}; cannot export it")
        spec = {
            "prefix": pattern(tokenizer.prefix_search),
            "suffix": pattern(tokenizer.suffix_search),
            "infix": pattern(tokenizer.infix_finditer),
            "token_match": pattern(tokenizer.token_match),
            "url_match": pattern(tokenizer.url_match),
            "specials": {s: [t.get(ORTH, t.get("ORTH")) for t in subs] for s, subs in tokenizer.rules.items()},
            "faster_heuristics": bool(tokenizer.faster_heuristics),
        }
        spec["matcher"] = LeanTokenizer(spec | {"matcher": []})._matcher_patterns()
        spec["compiled"] = {key: dump_pattern(spec[key]) for key in LeanTokenizer.PATTERNS if spec[key]}
        return spec

    def __call__(self, text: str) -> list[str]:
        """Token texts of ``text``, whitespace tokens included, exactly as spaCy's tokenizer."""
        tokens, spaces = self._tokenize_text(text, True)
        if self.matcher:
            tokens = self._apply_special_cases(tokens, spaces)
        return tokens

    # -- internals, named after their Cython counterparts

    def _matcher_patterns(self) -> list[list[str]]:
        """Special cases that affix splitting would break up: matched over tokens afterwards."""
        out = []
        for string in sorted(self.specials):
            if (
                not self.faster_heuristics
                or self._find_prefix(string)
                or (self.infix_re is not None and any(True for _ in self.infix_re.finditer(string)))
                or self._find_suffix(string)
                or " " in string
            ):
                tokens = self._tokenize_text(string, False)[0]
                if tokens:
                    out.append(tokens)
        return out

    def _find_prefix(self, string: str) -> int:
        match = self.prefix_re.search(string) if self.prefix_re is not None else None
        return match.end() - match.start() if match is not None else 0

    def _find_suffix(self, string: str) -> int:
        match = self.suffix_re.search(string) if self.suffix_re is not None else None
        return match.end() - match.start() if match is not None else 0

    def _tokenize_text(self, text: str, with_specials: bool) -> tuple[list[str], list[bool]]:
        tokens: list[str] = []
        spaces: list[bool] = []
        for match in _RUN_RE.finditer(text):
            span = match.group()
            if span[0] == " " and tokens and match.start() > 0:
                spaces[-1] = True  # one ' ' after a token is its trailing space
                span = span[1:]
            if span:
                pieces = self._tokenize_span(span, with_specials)
                tokens.extend(pieces)
                spaces.extend([False] * len(pieces))
        return tokens, spaces

    def _tokenize_span(self, span: str, with_specials: bool) -> list[str]:
        key = (span, with_specials)
        cached = self._cache.get(key)
        if cached is None:
            if with_specials and span in self.specials:
                cached = self.specials[span]
            else:
                prefixes, string, suffixes = self._split_affixes(span, with_specials)
                cached = prefixes + self._attach(string, with_specials) + suffixes[::-1]
            if len(self._cache) < 100_000:
                self._cache[key] = cached
        return cached

    def _split_affixes(self, string: str, with_specials: bool) -> tuple[list[str], str, list[str]]:
        prefixes: list[str] = []
        suffixes: list[str] = []
        specials = self.specials if with_specials else {}
        last_size = -1
        while string and len(string) != last_size:
            if self.token_match_re is not None and self.token_match_re.match(string):
                break
            if string in specials:
                break
            last_size = len(string)
            pre_len = self._find_prefix(string)
            if pre_len:
                prefix, minus_pre = string[:pre_len], string[pre_len:]
                if minus_pre and minus_pre in specials:
                    string = minus_pre
                    prefixes.append(prefix)
                    break
            suf_len = self._find_suffix(string[pre_len:])
            if suf_len:
                suffix, minus_suf = string[-suf_len:], string[:-suf_len]
                if minus_suf and minus_suf in specials:
                    string = minus_suf
                    suffixes.append(suffix)
                    break
            if pre_len and suf_len and (pre_len + suf_len) <= len(string):
                string = string[pre_len:-suf_len]
                prefixes.append(prefix)
                suffixes.append(suffix)
            elif pre_len:
                string = minus_pre
                prefixes.append(prefix)
            elif suf_len:
                string = minus_suf
                suffixes.append(suffix)
        return prefixes, string, suffixes

    def _attach(self, string: str, with_specials: bool) -> list[str]:
        if not string:
            return []
        if with_specials and string in self.specials:
            return list(self.specials[string])
        if (self.token_match_re is not None and self.token_match_re.match(string)) or (
            self.url_match_re is not None and self.url_match_re.match(string)
        ):
            return [string]
        matches = list(self.infix_re.finditer(string)) if self.infix_re is not None else []
        if not matches:
            return [string]
        out = []
        start = 0
        for match in matches:
            infix_start, infix_end = match.start(), match.end()
            if infix_start == 0:
                continue
            if infix_start != start:
                out.append(string[start:infix_start])
            if infix_start != infix_end:
                out.append(string[infix_start:infix_end])
            start = infix_end
        if string[start:]:
            out.append(string[start:])
        return out

    def _apply_special_cases(self, tokens: list[str], spaces: list[bool]) -> list[str]:
        """Special cases containing affixes, found as token sequences (spaCy's PhraseMatcher pass)."""
        matches = []
        n = len(tokens)
        for start, token in enumerate(tokens):
            for pattern in self.matcher.get(token, ()):
                end = start + len(pattern)
                if end <= n and tuple(tokens[start:end]) == pattern:
                    matches.append((start, end))
        if not matches:
            return tokens
        matches.sort(key=lambda m: (m[1] - m[0], -m[0]))  # longest first, then leftmost, from the back
        seen: set[int] = set()
        accepted = []
        for start, end in reversed(matches):
            if start not in seen and end - 1 not in seen:
                accepted.append((start, end))
            seen.update(range(start, end))
        out: list[str] = []
        i = 0
        for start, end in sorted(accepted):
            out.extend(tokens[i:start])
            text = "".join(t + " " * s for t, s in zip(tokens[start:end], spaces[start:end], strict=True))
            text = text[:-1] if spaces[end - 1] else text
            out.extend(self.specials.get(text, tokens[start:end]))
            i = end
        out.extend(tokens[i:])
        return out


class LeanLemmatizer:
    """``classifier.features.lemmatize`` without spaCy: tokenizer + the useful part of the lookup table."""

    def __init__(self, rules: dict[str, dict[str, Any]], load_table: Callable[[str], dict[str, str]]) -> None:
        self.rules = rules
        self.load_table = load_table
        self._tokenizers: dict[str, LeanTokenizer] = {}
        self._tables: dict[str, dict[str, str]] = {}
        self._spans: dict[str, BoundedCache] = {}

    def tokenizer(self, language: str) -> LeanTokenizer:
        """The tokenizer of ``language``, built on first use (one message needs one language)."""
        if language not in self._tokenizers:
            self._tokenizers[language] = LeanTokenizer(self.rules[language])
        return self._tokenizers[language]

    def table(self, language: str) -> dict[str, str]:
        """The lemma table of ``language``, read on first use."""
        if language not in self._tables:
            self._tables[language] = self.load_table(language)
        return self._tables[language]

    def __call__(self, text: str, language: str) -> list[str]:
        language = language if language in LANGUAGES else "en"
        cache = self._spans.setdefault(language, BoundedCache())
        return lemmatize_by_span(text, cache, lambda span: self._lemmatize_span(span, language))

    def _lemmatize_span(self, span: str, language: str) -> tuple[str, ...]:
        """The lemmas of one whitespace-free span: spaCy tokenizes each span on its own."""
        table = self.table(language)
        out = []
        for word in self.tokenizer(language)(span):
            if word.isspace() or (word not in _KEEP_PUNCT and is_punct(word)):
                continue
            out.append(table.get(word, table.get(word.lower(), word)).lower())
        return tuple(out)


def reduce_lemma_table(table: dict[str, str], vocabulary: set[str]) -> dict[str, str]:
    """The entries of a lemma table that can change which vocabulary term a word becomes.

    A word maps to ``table[w]``, else ``table[w.lower()]``, else ``w`` (then lowercased).
    An entry is kept when its lemma, its key, or its lowercase key's lemma is in the
    vocabulary; every dropped entry maps its words to out-of-vocabulary strings either way.
    """
    vocab = vocabulary
    keep = {}
    for key, lemma in table.items():
        low = key.lower()
        if lemma.lower() in vocab or low in vocab or (low in table and table[low].lower() in vocab):
            keep[key] = lemma
    return keep


def spacy_lemma_table(language: str) -> dict[str, str]:
    """The raw lookup table spaCy's lookup lemmatizer loads (from spacy-lookups-data)."""
    import gzip

    import spacy_lookups_data

    path = spacy_lookups_data.get_file(f"{language}_lemma_lookup.json.gz")
    with gzip.open(str(path), "rt", encoding="utf-8") as handle:
        return json.load(handle)


# --- featurizer blocks --------------------------------------------------------------------------


class LeanFiles:
    """The ``lean.*`` files of one model directory: arrays as ``.npy`` (memory-mapped), word lists as text."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.written: list[str] = []

    def save_array(self, name: str, array: np.ndarray) -> None:
        file = f"lean.{name}.npy"
        np.save(self.directory / file, np.ascontiguousarray(array), allow_pickle=False)
        self.written.append(file)

    def save_lines(self, name: str, lines: Sequence[str]) -> None:
        """One entry a line: much faster to read back than JSON (the vocabularies have ~10^5 entries)."""
        if any("\n" in line or "\r" in line for line in lines):
            raise ModelError(f"lean.{name}: an entry contains a line break; cannot export it")
        file = f"lean.{name}.txt"
        (self.directory / file).write_bytes("\n".join(lines).encode("utf-8", "surrogatepass"))
        self.written.append(file)

    def array(self, name: str) -> np.ndarray:
        try:
            return np.load(self.directory / f"lean.{name}.npy", mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ModelError(f"{self.directory}/lean.{name}.npy: cannot be read ({exc.__class__.__name__})") from None

    def lines(self, name: str, expected: int | None = None) -> list[str]:
        path = self.directory / f"lean.{name}.txt"
        try:
            text = path.read_bytes().decode("utf-8", "surrogatepass")
        except (OSError, UnicodeDecodeError) as exc:
            raise ModelError(f"{path}: cannot be read ({exc.__class__.__name__})") from None
        lines = text.split("\n") if text else []
        if expected is not None and len(lines) != expected:
            raise ModelError(f"{path}: {len(lines)} entries, expected {expected}")
        return lines


class Rows(NamedTuple):
    """A batch of sparse rows, CSR-like: row ``i`` is ``indices/values[indptr[i]:indptr[i + 1]]``."""

    indptr: np.ndarray
    indices: np.ndarray
    values: np.ndarray


class Block:
    """One block of the feature vector: exported from the fitted featurizer, computed per batch.

    ``transform`` returns the batch's rows of the block (column indices within the
    block, float32 values already weighted); the model adds the block's offset.
    """

    kind: ClassVar[str] = ""
    width: int

    def transform(self, docs: Sequence[Doc]) -> Rows:
        raise NotImplementedError

    @staticmethod
    def export(featurizer: Any, name: str, files: LeanFiles) -> dict[str, Any]:
        """Write the block's arrays through ``files``; return its JSON spec."""
        raise NotImplementedError

    @classmethod
    def load(cls, spec: dict[str, Any], files: LeanFiles) -> Block:
        raise NotImplementedError


def tfidf_rows(doc: np.ndarray, found: np.ndarray, n: int, idf: np.ndarray, weight: float) -> Rows:
    """sklearn's TfidfVectorizer (sublinear tf, idf, l2) from (doc, vocabulary column) pairs, repeats counted.

    The float32 arithmetic is sklearn's; the row norms are summed in float64.
    """
    width = len(idf)
    keys, counts = np.unique(doc * width + found, return_counts=True)
    doc, index = np.divmod(keys, width)
    values = counts.astype(np.float32)
    np.log(values, values)
    values += np.float32(1.0)
    values *= idf[index]
    indptr = row_pointers(doc, n)
    if len(values):
        squares = values.astype(np.float64) ** 2
        filled = indptr[:-1] < indptr[1:]
        norms = np.ones(n, dtype=np.float64)
        norms[filled] = np.sqrt(np.add.reduceat(squares, indptr[:-1][filled]))
        norms[norms == 0.0] = 1.0
        values = (values.astype(np.float64) / norms[doc]).astype(np.float32)
    return Rows(indptr, index, values * np.float32(weight))


def ragged(lists: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Lists of ints as (flat array, lengths)."""
    lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    return np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(lengths.sum())), lengths


class Vocabulary:
    """Term -> column of a fitted vectorizer, whose terms are sorted (sklearn sorts its vocabulary).

    Building the dict of ~10^5 terms costs more than scoring one message, so a batch of
    a few docs is looked up by bisection in the sorted list; the dict is built once
    enough docs have come to make it worth it.
    """

    BUILD_AFTER = 8

    def __init__(self, terms: list[str]) -> None:
        self.terms = terms
        self._index: dict[str, int] | None = None
        self._lookups = 0

    def __len__(self) -> int:
        return len(self.terms)

    def get(self, term: str) -> int | None:
        j = bisect_left(self.terms, term)
        return j if j < len(self.terms) and self.terms[j] == term else None

    def getter(self, docs: int = 1) -> Callable[[str], int | None]:
        """The fastest lookup for the next ``docs`` docs."""
        if self._index is None:
            self._lookups += docs
            if self._lookups <= self.BUILD_AFTER:
                return self.get
            self._index = dict(zip(self.terms, range(len(self.terms)), strict=True))
        return self._index.get


def word_ngrams(tokens: list[str], ngram_range: tuple[int, int]) -> list[str]:
    """sklearn's ``_word_ngrams`` (no stop words)."""
    min_n, max_n = ngram_range
    if max_n == 1:
        return tokens
    original = tokens
    if min_n == 1:
        tokens = list(original)
        min_n += 1
    else:
        tokens = []
    n_original = len(original)
    for n in range(min_n, min(max_n + 1, n_original + 1)):
        for i in range(n_original - n + 1):
            tokens.append(" ".join(original[i : i + n]))
    return tokens


def char_wb_ngrams(text: str, ngram_range: tuple[int, int]) -> list[str]:
    """sklearn's ``_char_wb_ngrams``, exactly."""
    text = _WHITE_SPACES_RE.sub(" ", text)
    min_n, max_n = ngram_range
    ngrams = []
    append = ngrams.append
    for w in text.split():
        w = " " + w + " "
        w_len = len(w)
        for n in range(min_n, max_n + 1):
            offset = 0
            append(w[offset : offset + n])
            while offset + n < w_len:
                offset += 1
                append(w[offset : offset + n])
            if offset == 0:
                break
    return ngrams


def _sorted_terms(vocabulary: dict[str, int]) -> list[str]:
    """The terms in column order, which must be sorted order (as sklearn leaves it) for :class:`Vocabulary`."""
    terms = [""] * len(vocabulary)
    for term, j in vocabulary.items():
        terms[j] = term
    if any(a >= b for a, b in pairwise(terms)):
        raise ModelError("the vectorizer's vocabulary is not in sorted order; cannot export it")
    return terms


class WordBlock(Block):
    """Lemma word n-grams, TF-IDF."""

    kind = "word_tfidf"

    def __init__(self, spec: dict[str, Any], terms: list[str], idf: np.ndarray, lemmatizer: LeanLemmatizer) -> None:
        self.vocabulary = Vocabulary(terms)
        self.ngram_range = tuple(spec["ngram_range"])
        self.weight = spec["weight"]
        self.idf = idf
        self.width = len(terms)
        self.lemmatizer = lemmatizer

    @staticmethod
    def export(featurizer: Any, name: str, files: LeanFiles) -> dict[str, Any]:
        vectorizer = featurizer.word_vectorizer_
        vocabulary = _sorted_terms(vectorizer.vocabulary_)
        words = {w for term in vocabulary for w in term.split(" ")} | set(vocabulary)  # a lemma may hold a space
        tokenizers = {}
        for language in LANGUAGES:
            from classifier.features import _pipeline

            nlp, table = _pipeline(language)
            tokenizers[language] = LeanTokenizer.export(nlp.tokenizer)
            reduced = reduce_lemma_table(table, words)
            if any("\t" in key or "\t" in lemma for key, lemma in reduced.items()):
                raise ModelError(f"the {language} lemma table has an entry with a tab; cannot export it")
            files.save_lines(f"{name}.lemmas.{language}", [f"{k}\t{v}" for k, v in reduced.items()])
        files.save_array(f"{name}.idf", np.asarray(vectorizer.idf_, dtype=np.float32))
        files.save_lines(f"{name}.terms", vocabulary)
        return {
            "kind": WordBlock.kind,
            "n_terms": len(vocabulary),
            "ngram_range": list(vectorizer.ngram_range),
            "weight": featurizer.word_weight,
            "tokenizers": tokenizers,
        }

    @classmethod
    def load(cls, spec: dict[str, Any], files: LeanFiles) -> WordBlock:
        name = spec["name"]

        def load_table(language: str) -> dict[str, str]:
            # "key\tlemma" lines, neither part holding a tab or line break: one split for the whole table
            lines = files.lines(f"{name}.lemmas.{language}")
            cells = "\t".join(lines).split("\t") if lines else []
            if len(cells) % 2:
                raise ModelError(f"{files.directory}/lean.{name}.lemmas.{language}.txt: a line is not 'key<TAB>lemma'")
            return dict(zip(cells[::2], cells[1::2], strict=True))

        lemmatizer = LeanLemmatizer(spec["tokenizers"], load_table)
        return cls(spec, files.lines(f"{name}.terms", spec["n_terms"]), files.array(f"{name}.idf"), lemmatizer)

    def transform(self, docs: Sequence[Doc]) -> Rows:
        get = self.vocabulary.getter(len(docs))
        columns = []
        for doc in docs:
            terms = word_ngrams(self.lemmatizer(doc.text, doc.language), self.ngram_range)
            columns.append([j for j in map(get, terms) if j is not None])
        found, lengths = ragged(columns)
        return tfidf_rows(np.repeat(np.arange(len(docs)), lengths), found, len(docs), self.idf, self.weight)


class CharBlock(Block):
    """``char_wb`` n-grams of the lowercased text, TF-IDF."""

    kind = "char_tfidf"

    def __init__(self, spec: dict[str, Any], terms: list[str], idf: np.ndarray) -> None:
        self.vocabulary = Vocabulary(terms)
        self.ngram_range = tuple(spec["ngram_range"])
        self.weight = spec["weight"]
        self.lowercase = spec["lowercase"]
        self.idf = idf
        self.width = len(self.vocabulary)
        self._words = BoundedCache()  # word -> columns of its n-grams: customers repeat their words

    @staticmethod
    def export(featurizer: Any, name: str, files: LeanFiles) -> dict[str, Any]:
        vectorizer = featurizer.char_vectorizer_
        if vectorizer.analyzer != "char_wb" or vectorizer.strip_accents is not None or vectorizer.norm != "l2":
            raise ModelError("the character vectorizer is not plain char_wb/l2; cannot export it")
        files.save_array(f"{name}.idf", np.asarray(vectorizer.idf_, dtype=np.float32))
        terms = _sorted_terms(vectorizer.vocabulary_)
        files.save_lines(f"{name}.terms", terms)
        return {
            "kind": CharBlock.kind,
            "n_terms": len(terms),
            "ngram_range": list(vectorizer.ngram_range),
            "lowercase": bool(vectorizer.lowercase),
            "weight": featurizer.char_weight,
        }

    @classmethod
    def load(cls, spec: dict[str, Any], files: LeanFiles) -> CharBlock:
        name = spec["name"]
        return cls(spec, files.lines(f"{name}.terms", spec["n_terms"]), files.array(f"{name}.idf"))

    def transform(self, docs: Sequence[Doc]) -> Rows:
        get = self.vocabulary.getter(len(docs))
        cache, ngram_range = self._words, self.ngram_range

        def word_columns(word: str) -> tuple[int, ...]:
            found = cache.get(word)
            if found is None:
                grams = char_wb_ngrams(word, ngram_range)
                found = cache.remember(word, tuple(j for j in map(get, grams) if j is not None))
            return found

        # Each distinct word of the batch is listed once; its n-gram columns are then
        # repeated per occurrence by index arithmetic, (docs x words) @ (words x n-grams).
        distinct: dict[str, int] = {}
        number = distinct.setdefault
        words = []
        for doc in docs:
            text = doc.text.lower()  # the featurizer lowercases; the vectorizer may once more
            words.append([number(w, len(distinct)) for w in (text.lower() if self.lowercase else text).split()])
        occurrences, per_doc = ragged(words)
        grams, per_word = ragged(list(map(word_columns, distinct)))
        lengths = per_word[occurrences]
        starts = np.cumsum(per_word) - per_word
        ends = np.cumsum(lengths)
        at = np.repeat(starts[occurrences] - ends + lengths, lengths) + np.arange(int(ends[-1]) if len(ends) else 0)
        doc = np.repeat(np.repeat(np.arange(len(docs)), per_doc), lengths)
        return tfidf_rows(doc, grams[at], len(docs), self.idf, self.weight)


class SignalBlock(Block):
    """The urgency signals of :func:`classifier.signals.signals`."""

    kind = "signals"

    def __init__(self, spec: dict[str, Any]) -> None:
        self.weight = spec["weight"]
        self.width = len(SIGNAL_NAMES)

    @staticmethod
    def export(featurizer: Any, name: str, files: LeanFiles) -> dict[str, Any]:
        return {"kind": SignalBlock.kind, "names": list(SIGNAL_NAMES), "weight": featurizer.signal_weight}

    @classmethod
    def load(cls, spec: dict[str, Any], files: LeanFiles) -> SignalBlock:
        if spec["names"] != list(SIGNAL_NAMES):
            raise ModelError("the model's signals differ from this version's; re-export the lean model")
        return cls(spec)

    def transform(self, docs: Sequence[Doc]) -> Rows:
        if not self.weight:  # a model trained without signals: empty columns, as in the full featurizer
            return Rows(np.zeros(len(docs) + 1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, np.float32))
        dense = np.asarray([signals(d) for d in docs], dtype=np.float32).reshape(len(docs), self.width)
        dense *= np.float32(self.weight)
        doc, index = np.nonzero(dense)
        return Rows(row_pointers(doc, len(docs)), index, dense[doc, index])


BLOCKS: dict[str, type[Block]] = {b.kind: b for b in (WordBlock, CharBlock, SignalBlock)}
#: The blocks of ``TextFeaturizer._stack``, in column order.
FEATURIZER_BLOCKS: tuple[tuple[str, type[Block]], ...] = (
    ("word", WordBlock),
    ("char", CharBlock),
    ("signals", SignalBlock),
)


# --- heads --------------------------------------------------------------------------------------


@dataclass
class LeanHead:
    """One calibrated linear head: SVM weights (features x scores) and the calibrator (logistic or temperature)."""

    classes: list[str]
    svm_weights: np.ndarray  # (n_features, n_scores), coef_.T so a row gather reads few pages
    svm_intercept: np.ndarray
    cal_coef: np.ndarray
    cal_intercept: np.ndarray
    floors: list[tuple[int, float]] = field(default_factory=list)  # min_recall classes, see classifier.priority

    def predict_proba(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated probabilities from SVM scores, as ``LogisticRegression.predict_proba``."""
        decision = scores @ self.cal_coef.T + self.cal_intercept
        if len(self.classes) <= 2:
            p = 1.0 / (1.0 + np.exp(-decision.ravel()))
            return np.stack([1.0 - p, p], axis=1)
        decision = decision - decision.max(axis=1, keepdims=True)
        np.exp(decision, out=decision)
        return decision / decision.sum(axis=1, keepdims=True)


# --- model --------------------------------------------------------------------------------------

SPARSE_FROM = 64  # docs in a batch from which SciPy's sparse product is used


@lru_cache(maxsize=1)
def _scipy_sparse() -> Any:
    """``scipy.sparse``, or None where SciPy is not installed."""
    try:
        import scipy.sparse
    except ImportError:
        return None
    return scipy.sparse


class LeanModel:
    """Feature blocks plus heads; ``predict`` returns what ``TriageModel.predict`` returns."""

    def __init__(self, blocks: list[Block], heads: dict[str, LeanHead], metadata: dict[str, Any]) -> None:
        self.blocks = blocks
        self.heads = heads
        self.metadata = metadata
        self.offsets = np.cumsum([0] + [b.width for b in blocks])[:-1].tolist()

    @property
    def head_names(self) -> list[str]:
        return list(self.heads)

    @classmethod
    def load(cls, directory: Path | str) -> LeanModel:
        """Read ``lean.json`` and memory-map its arrays (no pickle is ever loaded)."""
        directory = Path(directory)
        try:
            spec = json.loads((directory / LEAN_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelError(f"{directory}: no {LEAN_FILE}; re-save the model to add the lean form") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelError(f"{directory / LEAN_FILE}: unreadable ({exc.__class__.__name__})") from None
        if spec.get("format") != LEAN_FORMAT:
            raise ModelError(f"{directory / LEAN_FILE}: format {spec.get('format')!r}, expected {LEAN_FORMAT}")

        files = LeanFiles(directory)
        blocks = []
        for block in spec["blocks"]:
            if block["kind"] not in BLOCKS:
                raise ModelError(f"{directory / LEAN_FILE}: unknown block kind {block['kind']!r}")
            blocks.append(BLOCKS[block["kind"]].load(block, files))
        heads = {
            head["name"]: LeanHead(
                classes=head["classes"],
                svm_weights=np.asarray(files.array(f"{head['name']}.svm_weights")),  # mapped, minus memmap's overhead
                svm_intercept=np.asarray(head["svm_intercept"], dtype=np.float64),
                cal_coef=np.asarray(head["cal_coef"], dtype=np.float64),
                cal_intercept=np.asarray(head["cal_intercept"], dtype=np.float64),
                floors=[(int(k), float(floor)) for k, floor in head.get("floors", [])],
            )
            for head in spec["heads"]
        }
        from classifier.normalize.lang import IDENTIFIER_FILE, use_identifier_file

        use_identifier_file(directory / IDENTIFIER_FILE)
        return cls(blocks, heads, spec.get("metadata", {}))

    def features(self, docs: Sequence[Doc]) -> list[Rows]:
        """Every block's rows for the batch, columns shifted to the block's place in the feature vector."""
        docs = [Doc(*d) for d in docs]
        out = []
        for offset, block in zip(self.offsets, self.blocks, strict=True):
            rows = block.transform(docs)
            out.append(rows._replace(indices=rows.indices + offset))
        return out

    @staticmethod
    def svm_scores(head: LeanHead, blocks: list[Rows]) -> np.ndarray:
        """X @ coef.T + intercept, summed block by block; shape (n, 1) for a binary SVM.

        A batch goes through SciPy's sparse product where SciPy is installed (it always
        is beside scikit-learn): five times faster than NumPy's gather, not worth its
        import for a single message.
        """
        n = len(blocks[0].indptr) - 1 if blocks else 0
        weights = head.svm_weights
        scores = np.zeros((n, weights.shape[1]), dtype=np.float64)
        sparse = _scipy_sparse() if n >= SPARSE_FROM else None
        for rows in blocks:
            if not len(rows.indices):
                continue
            if sparse is not None:
                matrix = sparse.csr_matrix((rows.values, rows.indices, rows.indptr), shape=(n, weights.shape[0]))
                scores += matrix @ weights
                continue
            contributions = weights[rows.indices] * rows.values.astype(np.float64)[:, None]
            filled = rows.indptr[:-1] < rows.indptr[1:]
            scores[filled] += np.add.reduceat(contributions, rows.indptr[:-1][filled], axis=0)
        return scores + head.svm_intercept

    def predict_proba(self, docs: Sequence[Doc]) -> dict[str, np.ndarray]:
        """Calibrated probabilities per head, columns in ``classes`` order."""
        blocks = self.features(docs)
        return {name: head.predict_proba(self.svm_scores(head, blocks)) for name, head in self.heads.items()}

    def predict(self, docs: Sequence[Doc]) -> dict[str, HeadPrediction]:
        """Predict every head for a batch of docs."""
        out = {}
        for name, proba in self.predict_proba(docs).items():
            best = priority.pick(proba, self.heads[name].floors)
            classes = self.heads[name].classes
            out[name] = HeadPrediction(
                labels=[classes[i] for i in best.tolist()], confidences=proba[np.arange(len(best)), best].tolist()
            )
        return out


def _languages(model: Any) -> dict[str, Any]:
    """The training rows per language, for the rule that sends unseen languages to review."""
    languages = getattr(model, "metadata", {}).get("languages")
    return {"languages": {str(k): int(n) for k, n in languages.items()}} if languages else {}


def export_lean(model: Any, directory: Path | str) -> list[str]:
    """Write the lean form of a fitted ``TriageModel`` into ``directory``; return the file names written.

    Only the default featurizer layout (word, char, signal blocks) and calibrated linear
    heads are supported; anything else raises ModelError rather than export wrong numbers.
    """
    directory = Path(directory)
    files = LeanFiles(directory)
    featurizer = model.featurizer
    blocks = []
    for name, block in FEATURIZER_BLOCKS:
        blocks.append({"name": name, **block.export(featurizer, name, files)})
    width = sum(b["n_terms"] if "n_terms" in b else len(b["names"]) for b in blocks)
    heads = []
    for name, head in model.heads.items():
        coef = np.asarray(head.svm_.coef_, dtype=np.float64)
        if coef.shape[1] != width:
            raise ModelError(f"head '{name}': {coef.shape[1]} weights for {width} features; cannot export it")
        files.save_array(f"{name}.svm_weights", coef.T)
        heads.append(
            {
                "name": name,
                "classes": [str(c) for c in head.classes_],
                "svm_intercept": np.asarray(head.svm_.intercept_, dtype=np.float64).tolist(),
                "cal_coef": np.asarray(head.calibrator_.coef_, dtype=np.float64).tolist(),
                "cal_intercept": np.asarray(head.calibrator_.intercept_, dtype=np.float64).tolist(),
                "floors": [[int(k), float(floor)] for k, floor in getattr(head, "class_floors_", [])],
            }
        )
    metadata = {"heads": list(model.heads), **_languages(model)}
    spec = {"format": LEAN_FORMAT, "blocks": blocks, "heads": heads, "metadata": metadata}
    (directory / LEAN_FILE).write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    from classifier.normalize.lang import export_identifier

    return [*files.written, LEAN_FILE, *export_identifier(directory)]
