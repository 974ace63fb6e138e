"""Hybrid retrieval: dense (MiniLM in Chroma) and BM25, fused by reciprocal rank."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from bot.embedding import Embedder, QueryBatcher
from bot.glossary import expand_query, term_alternatives
from bot.intent import question_parts
from bot.lexical import content_terms, synonym_table
from bot.settings import RetrievalSettings
from bot.store import LoadedIndex
from bot.types import Hit


@dataclass(frozen=True)
class Retrieval:
    question: str
    expanded: str  # the question with learned acronyms and long forms added
    query_vector: np.ndarray
    terms: tuple[str, ...]  # stemmed content terms of the expanded question, typos corrected
    hits: tuple[Hit, ...]
    question_terms: tuple[str, ...] = ()  # the same for the question as asked
    alternatives: Mapping[str, tuple[frozenset[str], ...]] = field(default_factory=dict)
    parts: tuple[Retrieval, ...] = ()  # one retrieval per part of a question that asks two things


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], k: int = 60, weights: Sequence[float] | None = None
) -> list[tuple[str, float]]:
    """Fuse rankings of ids into one, best first: score(id) = Σ weight / (k + rank), rank from 1.

    >>> reciprocal_rank_fusion([["a", "b"], ["b", "c"]], k=1)
    [('b', 0.8333333333333333), ('a', 0.5), ('c', 0.3333333333333333)]
    """
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


class HybridRetriever:
    def __init__(self, index: LoadedIndex, embedder: Embedder, settings: RetrievalSettings) -> None:
        self._index = index
        self._embedder = embedder
        self._settings = settings

    def retrieve(self, question: str, top_k: int | None = None) -> Retrieval:
        """The passages for the question; a two-part question also gets passages for each part, since
        each part may be answered by a different document."""
        parts = question_parts(question)
        if len(parts) < 2:
            return self._retrieve_one(question, top_k)
        subject = parts[0].text
        part_questions = [
            part.text if len(content_terms(part.text)) >= 3 or part.text == subject else f"{part.text} ({subject})"
            for part in parts
        ]
        expanded = [expand_query(text, self._index.manifest.acronyms) for text in (question, *part_questions)]
        if isinstance(self._embedder, QueryBatcher):  # one forward pass for all, then each retrieval finds its own
            self._embedder.embed_queries(expanded)
        dense = self._dense_ids([self._embedder.embed_query(text) for text in expanded])  # and one Chroma query
        whole = self._retrieve_one(question, top_k, dense[0])
        part_retrievals = tuple(
            self._retrieve_one(text, top_k, ids) for text, ids in zip(part_questions, dense[1:], strict=True)
        )
        return replace(whole, parts=part_retrievals)

    def _dense_ids(self, query_vectors: list[np.ndarray]) -> list[list[str]]:
        """The nearest passages to each vector, from one Chroma query (none in lexical mode or an empty index)."""
        count = len(self._index.passages)
        if self._settings.mode not in ("hybrid", "dense") or count == 0:
            return [[] for _ in query_vectors]
        candidates = min(self._settings.candidates, count)
        result = self._index.collection.query(query_embeddings=query_vectors, n_results=candidates, include=[])
        return [list(ids) for ids in result["ids"]]

    def _retrieve_one(self, question: str, top_k: int | None, dense_ids: list[str] | None = None) -> Retrieval:
        index = self._index
        expanded = expand_query(question, index.manifest.acronyms)
        query_vector = self._embedder.embed_query(expanded)
        terms = tuple(index.lexical.query_terms(expanded))
        question_terms = tuple(dict.fromkeys(index.lexical.query_terms(question)))
        alternatives = term_alternatives(
            question_terms, index.manifest.acronyms, content_terms, synonym_table()
        )
        count = len(index.passages)
        if count == 0:
            return Retrieval(question, expanded, query_vector, terms, (), question_terms, alternatives)
        candidates = min(self._settings.candidates, count)
        mode = self._settings.mode
        if dense_ids is None:
            dense_ids = self._dense_ids([query_vector])[0]
        lexical_ids: list[str] = []
        if mode in ("hybrid", "lexical"):
            search_terms = terms + _stand_ins(terms, index)
            lexical_ids = [index.passages[row].passage_id for row, _ in index.lexical.rank(search_terms, candidates)]
        fused = reciprocal_rank_fusion([dense_ids, lexical_ids], k=self._settings.rrf_k)
        dense_rank = {pid: rank for rank, pid in enumerate(dense_ids, start=1)}
        lexical_rank = {pid: rank for rank, pid in enumerate(lexical_ids, start=1)}
        hits = []
        for passage_id, score in fused[: top_k or self._settings.top_k]:
            row = index.row_of[passage_id]
            similarity = float(index.passage_vectors[row] @ query_vector)
            hits.append(
                Hit(
                    index.passages[row],
                    score,
                    dense_rank.get(passage_id),
                    lexical_rank.get(passage_id),
                    similarity,
                )
            )
        return Retrieval(question, expanded, query_vector, terms, tuple(hits), question_terms, alternatives)


def _stand_ins(terms: tuple[str, ...], index: LoadedIndex) -> tuple[str, ...]:
    """The corpus's synonyms of question words it never uses: 'wrap up' finds 'till' and 'end'."""
    table = synonym_table()
    found: dict[str, None] = {}
    for term in terms:
        if not index.lexical.has(term):
            found.update(dict.fromkeys(s for s in sorted(table.get(term, ())) if index.lexical.has(s)))
    return tuple(found)
