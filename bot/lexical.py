"""The lexical side of retrieval: stemmed BM25 (bm25s) with light typo correction of query words."""

from __future__ import annotations

import bisect
import json
import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
    off on once only or other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours yourself yourselves whos whats wheres
    hows tell please know stuff thing things also get got did does many much hey hi hello thanks thank""".split()
)
TOKEN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Lower-cased word tokens, hyphenated and possessive forms split into their parts."""
    tokens: list[str] = []
    for match in TOKEN.finditer(text.lower()):
        token = match.group(0).replace("’", "'").removesuffix("'s")
        tokens.append(token)
        if "-" in token or "'" in token:
            tokens.extend(part for part in re.split(r"[-']", token) if part and part != "s")
    return tokens


def content_terms(text: str) -> list[str]:
    """Stemmed tokens without stopwords: what BM25 and the answerer compare."""
    return list(terms_of(text))


@lru_cache(maxsize=200_000)
def terms_of(text: str) -> tuple[str, ...]:
    """`content_terms`, remembered: the answerer looks at the same sentences for many questions."""
    stem = _stemmer().stemWord
    return tuple(stem(token) for token in words(text) if token not in STOPWORDS)


class LexicalIndex:
    """BM25 over passages' index text; rankings are lists of row numbers, best first."""

    def __init__(
        self,
        bm25: object,
        vocabulary: dict[str, int],
        document_frequency: dict[str, int],
        surface_frequency: dict[str, int],
        size: int,
    ) -> None:
        self._bm25 = bm25
        self._vocabulary = vocabulary
        self.document_frequency = document_frequency
        self._surface_frequency = surface_frequency
        self.size = size
        self._by_deletion: dict[str, set[str]] | None = None
        self._prefixes: set[str] | None = None
        self._sorted_vocabulary: list[str] | None = None

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        tokenised = [content_terms(text) or ["∅"] for text in texts]
        bm25 = bm25s.BM25()
        bm25.index(tokenised, show_progress=False)
        frequency: dict[str, int] = {}
        for tokens in tokenised:
            for token in set(tokens):
                frequency[token] = frequency.get(token, 0) + 1
        surface: dict[str, int] = {}
        for text in texts:
            for token in set(words(text)):
                if token not in STOPWORDS:
                    surface[token] = surface.get(token, 0) + 1
        return cls(bm25, dict(bm25.vocab_dict), frequency, surface, len(texts))

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), show_progress=False)  # type: ignore[attr-defined]
        statistics = {
            "document_frequency": self.document_frequency,
            "surface_frequency": self._surface_frequency,
        }
        (folder / "term_statistics.json").write_text(json.dumps(statistics), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, size: int) -> LexicalIndex:
        import bm25s

        bm25 = bm25s.BM25.load(str(folder), show_progress=False)
        statistics = json.loads((folder / "term_statistics.json").read_text(encoding="utf-8"))
        return cls(
            bm25,
            dict(bm25.vocab_dict),
            statistics["document_frequency"],
            statistics["surface_frequency"],
            size,
        )

    def idf(self, term: str) -> float:
        frequency = self.document_frequency.get(term, 0)
        return float(np.log(1 + (self.size - frequency + 0.5) / (frequency + 0.5)))

    def correct(self, word: str) -> str:
        """The corpus word one edit away from an unknown word (typos: 'inspecton' → 'inspection')."""
        if word in self._surface_frequency or len(word) < 5 or not word.isalpha():
            return word
        if self._by_deletion is None:
            self._by_deletion = _deletion_table(self._surface_frequency)
        table = self._by_deletion
        candidates = set(table.get(word, set()))
        for deleted in _deletions(word):
            candidates |= table.get(deleted, set())
            if deleted in self._surface_frequency:
                candidates.add(deleted)
        if not candidates:
            return word
        return max(sorted(candidates), key=lambda known: self._surface_frequency.get(known, 0))

    def knows(self, word: str) -> bool:
        """Whether the corpus uses this word (or one a typo away, or one with the same stem)."""
        word = word.lower()
        if word in STOPWORDS or word in self._surface_frequency:
            return True
        # Short words are too often one letter from another real word ("mayor"/"major") to correct.
        corrected = self.correct(word) if len(word) >= 6 else word
        if corrected in self._surface_frequency:
            return True
        stem = _stemmer().stemWord(corrected)
        if stem in self._vocabulary:
            return True
        if self._prefixes is None:
            self._prefixes = {term[:6] for term in self._vocabulary if len(term) >= 6}
        return len(stem) >= 6 and stem[:6] in self._prefixes

    def knows_name(self, name: str) -> bool:
        """Whether the corpus names this (a typo away, or as the start of a longer word: 'Asia' in 'Asian')."""
        if self.knows(name):
            return True
        stem = _stemmer().stemWord(name.lower())
        if len(stem) < 4:
            return False
        if self._sorted_vocabulary is None:
            self._sorted_vocabulary = sorted(self._vocabulary)
        position = bisect.bisect_left(self._sorted_vocabulary, stem)
        return position < len(self._sorted_vocabulary) and self._sorted_vocabulary[position].startswith(stem)

    def query_terms(self, text: str) -> list[str]:
        """The question's content terms, typos corrected against the corpus vocabulary, stemmed."""
        stem = _stemmer().stemWord
        return [stem(self.correct(token)) for token in words(text) if token not in STOPWORDS]

    def has(self, term: str) -> bool:
        """Whether the stemmed term occurs in some passage."""
        return term in self._vocabulary

    def rank(self, terms: Sequence[str], limit: int) -> list[tuple[int, float]]:
        known = [self._vocabulary[term] for term in terms if term in self._vocabulary]
        if not known or self.size == 0:
            return []
        scores = self._bm25.get_scores(known)  # type: ignore[attr-defined]
        limit = min(limit, self.size)
        top = np.argpartition(-scores, limit - 1)[:limit] if limit < self.size else np.arange(self.size)
        ordered = sorted(
            ((int(row), float(scores[row])) for row in top if scores[row] > 0), key=lambda x: -x[1]
        )
        return ordered


def _deletions(term: str) -> set[str]:
    return {term[:i] + term[i + 1 :] for i in range(len(term))}


def _deletion_table(vocabulary: dict[str, int]) -> dict[str, set[str]]:
    # Symmetric deletions (SymSpell): two words one edit apart share a one-deletion variant.
    table: dict[str, set[str]] = {}
    for term in vocabulary:
        if len(term) >= 4 and term.isalpha():
            for deleted in _deletions(term):
                table.setdefault(deleted, set()).add(term)
    return table


# Everyday English synonyms (not words of any one corpus), so a question's "goal" finds a document's "objective".
SYNONYM_GROUPS = (
    "goal aim objective purpose target intention achieve",
    "fund finance sponsor bankroll pay",
    "start begin launch commence initiate",
    "end finish conclude close terminate expire wrap till",
    "help support assist aid",
    "staff officials employees personnel workers people",
    "country nation state",
    "course training programme program curriculum",
    "approach method model way strategy",
    "run operate manage administer implement",
    "head lead direct chair",
    "create form establish set found",
    "job employment work occupation",
    "company firm enterprise business",
    "factory plant mill workplace",
    "rule regulation law act",
    "check inspect examine audit",
    "accident incident mishap",
    "injury injure harm hurt wound",
    "death fatality die died dead kill killed",
    "danger hazard risk",
    "money budget funding cost",
    "improve enhance strengthen upgrade",
    "teach train educate",
    "visit trip tour",
    "big large major",
    "kid child children",
    "women woman female",
    "men man male",
    "phone telephone",
    "make develop create produce build design prepare",
    "contact talk speak reach ask",
    "share pass transfer impart",
    "expertise know-how skill experience",
    "participate participant involve engage",
    "conduct perform undertake",
)


@lru_cache(maxsize=1)
def synonym_table() -> dict[str, frozenset[str]]:
    """Each stemmed word of a synonym group → the other stems of its groups."""
    stem = _stemmer().stemWord
    table: dict[str, set[str]] = {}
    for group in SYNONYM_GROUPS:
        stems = {stem(word) for word in group.split()}
        for item in stems:
            table.setdefault(item, set()).update(stems - {item})
    return {word: frozenset(others) for word, others in table.items()}
