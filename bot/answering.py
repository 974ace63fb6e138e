"""The extractive answerer: the sentences of the retrieved passages that answer, each one cited.

Every candidate sentence is scored on its meaning (cosine to the question), the question's words it
and its headings carry (idf-weighted), whether it holds the kind of answer asked for (a number, a
date, an organisation), and its passage's retrieval rank. The best sentence answers; others join
only when they add words of the question the answer does not yet cover. Weak evidence abstains.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

from bot.lexical import content_terms
from bot.retrieval import Retrieval
from bot.settings import AnswerSettings
from bot.store import LoadedIndex
from bot.types import Answer, AnswerSentence, Citation, Hit, Passage, Span

AnswerKind = Literal["number", "date", "entity", "list", "definition", "other"]

KIND_PATTERNS: tuple[tuple[AnswerKind, re.Pattern[str]], ...] = (
    ("date", re.compile(r"\b(when|what year|which year|until when|since when|by when|what date|which date|"
                        r"how long|start(ed)? date|end(ed)? date|what period|timeline|dates?)\b")),
    ("number", re.compile(r"\b(how many|how much|number of|what percentage|what per ?cent|percent|what share|"
                          r"what proportion|how big|what amount|count of)\b")),
    ("list", re.compile(r"\b(which countries|what countries|which areas|what areas|list|which sectors|"
                        r"what are the|which are the|name the|what three|what four|what two|which three|"
                        r"which four|key areas|components)\b")),
    ("entity", re.compile(r"\b(who|whom|whose|which (organi[sz]ation|authority|agency|institution|ministry|"
                          r"department|body|partner|government|country)|what (organi[sz]ation|authority|agency|"
                          r"institution|ministry|department|body)|partners?|funds?|funded|implements?|"
                          r"implemented|contact|counsellor)\b")),
    ("definition", re.compile(r"\b(what is|what's|what are|what does .* (mean|stand for)|define|meaning of|"
                              r"stands? for)\b")),
)
NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
                    r"fifty|hundred|thousand|million|billion|half|third|quarter)\b", re.IGNORECASE)
DATE = re.compile(r"\b(1[89]\d\d|20\d\d)\b|\b(january|february|march|april|may|june|july|august|september|"
                  r"october|november|december)\b", re.IGNORECASE)
ENTITY = re.compile(r"\b[A-Z][A-Za-z]*[A-Z][A-Za-z]*\b|\b[A-Z][a-z]+(?:\s+(?:of|for|and|the)?\s*[A-Z][a-z]+)+")
DEFINITION = re.compile(r"\b(is|are|means|refers to|stands for)\b|\(|—")

DEFAULT_WEIGHTS = {"similarity": 0.30, "passage": 0.15, "coverage": 0.50, "kind": 0.15, "prior": 0.0, "echo": 0.10,
                   "passage_coverage": 0.4}


def answer_kind(question: str) -> AnswerKind:
    """What kind of answer a question wants, e.g. 'How many inspections…' → 'number'."""
    lowered = question.lower()
    for kind, pattern in KIND_PATTERNS:
        if pattern.search(lowered):
            return kind
    return "other"


def has_kind(text: str, kind: AnswerKind) -> bool:
    if kind == "number":
        return bool(NUMBER.search(text))
    if kind == "date":
        return bool(DATE.search(text))
    if kind == "entity":
        return bool(ENTITY.search(text))
    if kind == "list":
        return text.count(",") >= 2 or text.rstrip().endswith(":")
    if kind == "definition":
        return bool(DEFINITION.search(text))
    return True


@dataclass(frozen=True)
class Candidate:
    hit_rank: int
    passage: Passage
    span: Span
    score: float
    similarity: float
    coverage: float
    terms: frozenset[str]


class ExtractiveAnswerer:
    def __init__(self, settings: AnswerSettings, max_citations: int = 3,
                 weights: dict[str, float] | None = None) -> None:
        self._settings = settings
        self._max_citations = max_citations
        self._weights = {**DEFAULT_WEIGHTS, **(weights or {})}

    def answer(self, retrieval: Retrieval, index: LoadedIndex) -> Answer:
        hits = retrieval.hits
        if not hits:
            return self._abstain("The documents don't say: the index holds no passages yet.", "empty index", hits)
        kind = answer_kind(retrieval.question)
        weights = _term_weights(retrieval.question_terms or retrieval.terms, index)
        candidates = self._candidates(retrieval, index, kind, weights)
        best = max(candidates, key=lambda c: c.score)
        if best.score < self._settings.min_confidence:
            missing = [t for t in weights if t not in best.terms and weights[t] >= max(weights.values()) * 0.6]
            reason = f"no passage answers it closely enough (evidence {best.score:.2f})"
            if missing:
                reason += "; nothing found about: " + ", ".join(sorted(missing))
            answer = self._abstain("The documents don't say. The closest passages are listed as related reading.",
                                   reason, hits)
        else:
            answer = self._render(self._compose(best, candidates, kind, weights), hits)
        return replace(answer, confidence=round(best.score, 4))

    def _candidates(self, retrieval: Retrieval, index: LoadedIndex, kind: AnswerKind,
                    weights: dict[str, float]) -> list[Candidate]:
        total_weight = sum(weights.values()) or 1.0
        question_terms = set(weights)
        question_lower = retrieval.expanded.lower()
        candidates: list[Candidate] = []
        for rank, hit in enumerate(retrieval.hits):
            passage = hit.passage
            row = index.row_of[passage.passage_id]
            similarities = index.sentence_vectors_of(row) @ retrieval.query_vector
            context_terms = set(content_terms(" ".join(filter(None, (passage.meta.title, passage.section)))))
            header_text = passage.sentence_text(passage.header) if passage.header else ""
            header_terms = set(content_terms(header_text))
            prior = 1.0 - rank / len(retrieval.hits)
            passage_terms = frozenset(content_terms(passage.index_text))
            passage_coverage = sum(w for t, w in weights.items()
                                   if _matches(t, passage_terms, retrieval.alternatives)) / total_weight
            for position, span in enumerate(passage.sentences):
                text = passage.sentence_text(span)
                terms = frozenset(content_terms(text))
                is_header = span == passage.header
                inherited_header = set() if is_header else header_terms
                alternatives = retrieval.alternatives
                matched = {t for t in weights if _matches(t, terms, alternatives)}
                in_header = {t for t in weights if t not in matched and _matches(t, frozenset(inherited_header),
                                                                                   alternatives)}
                in_context = {t for t in weights if t not in matched and t not in in_header
                              and _matches(t, frozenset(context_terms), alternatives)}
                own = sum(weights[t] for t in matched)
                from_header = sum(weights[t] for t in in_header)
                from_context = sum(weights[t] for t in in_context)
                coverage = (own + from_header + 0.5 * from_context) / total_weight
                novelty = len(terms - question_terms) / len(terms) if terms else 0.0
                kind_match = _has_new(text, kind, question_lower) or (
                    kind == "date" and _has_new(header_text, "date", question_lower))
                similarity = float(similarities[position])
                score = (self._weights["similarity"] * similarity
                         + self._weights["passage"] * float(hit.dense_similarity or 0.0)
                         + self._weights["coverage"] * coverage
                         + self._weights["kind"] * float(kind_match)
                         + self._weights["prior"] * prior
                         + self._weights["passage_coverage"] * passage_coverage
                         - self._weights["echo"] * float(novelty < 0.34))
                candidates.append(Candidate(rank, passage, span, score, similarity, coverage,
                                            terms | frozenset(context_terms) | frozenset(inherited_header)))
        return candidates

    def _compose(self, best: Candidate, candidates: list[Candidate], kind: AnswerKind,
                 weights: dict[str, float]) -> list[tuple[Passage, Span]]:
        chosen: list[tuple[Passage, Span]] = [(best.passage, best.span)]
        passage = best.passage
        if kind == "date" and passage.header and best.span != passage.header and not has_kind(
                passage.sentence_text(best.span), "date"):
            chosen.insert(0, (passage, passage.header))
        text = passage.sentence_text(best.span)
        if text.rstrip().endswith(":"):
            following = [s for s in passage.sentences if s.start > best.span.start]
            chosen += [(passage, s) for s in following[: self._settings.max_sentences + 5]]
            return chosen
        covered = set(best.terms)
        limit = self._settings.max_sentences
        for candidate in sorted(candidates, key=lambda c: -c.score):
            if len(chosen) >= limit:
                break
            if (candidate.passage, candidate.span) in chosen or candidate.score < best.score * 0.8:
                continue
            gain = sum(weights[t] for t in candidate.terms if t in weights and t not in covered)
            if gain >= 0.25 * sum(weights.values()):
                chosen.append((candidate.passage, candidate.span))
                covered |= candidate.terms
        return chosen

    def _render(self, chosen: list[tuple[Passage, Span]], hits: tuple[Hit, ...]) -> Answer:
        citations: list[Citation] = []
        order: dict[str, int] = {}
        highlights: dict[str, list[Span]] = {}
        sentences: list[AnswerSentence] = []
        score_of = {hit.passage.passage_id: hit.score for hit in hits}
        for passage, span in chosen:
            if passage.passage_id not in order:
                order[passage.passage_id] = len(order)
            highlights.setdefault(passage.passage_id, []).append(span)
            sentences.append(AnswerSentence(" ".join(passage.sentence_text(span).split()), order[passage.passage_id]))
        passages = {p.passage_id: p for p, _ in chosen}
        for passage_id in order:
            citations.append(_citation(passages[passage_id], score_of.get(passage_id, 0.0),
                                       tuple(sorted(highlights[passage_id], key=lambda s: s.start))))
        for hit in hits:
            if len(citations) >= self._max_citations:
                break
            if hit.passage.passage_id not in order:
                citations.append(_citation(hit.passage, hit.score, ()))
        text = " ".join(sentence.text for sentence in sentences)
        return Answer(text=text, sentences=tuple(sentences), citations=tuple(citations), abstained=False,
                      retrieved=tuple(_citation(hit.passage, hit.score, ()) for hit in hits))

    def _abstain(self, text: str, reason: str, hits: tuple[Hit, ...]) -> Answer:
        related = tuple(_citation(hit.passage, hit.score, ()) for hit in hits[: self._max_citations])
        return Answer(text=text, sentences=(), citations=(), abstained=True, reason=reason, related=related,
                      retrieved=tuple(_citation(hit.passage, hit.score, ()) for hit in hits))


def _matches(term: str, sentence_terms: frozenset[str],
             alternatives: Mapping[str, tuple[frozenset[str], ...]] | None = None) -> bool:
    """A question term found in the sentence: itself, a word sharing its first six letters ('partner' for
    'partnership'), or an alternative form (an acronym's long form, or the acronym of a long form)."""
    if term in sentence_terms:
        return True
    if len(term) >= 6 and any(t[:6] == term[:6] for t in sentence_terms):
        return True
    return any(option <= sentence_terms for option in (alternatives or {}).get(term, ()))


def _has_new(text: str, kind: AnswerKind, question: str) -> bool:
    """The sentence holds an answer of this kind that the question does not already contain."""
    if kind == "number":
        return any(m.group(0).lower() not in question for m in NUMBER.finditer(text))
    if kind == "date":
        return any(m.group(0).lower() not in question for m in DATE.finditer(text))
    if kind == "entity":
        return any(m.group(0).lower() not in question for m in ENTITY.finditer(text))
    return has_kind(text, kind)


def _term_weights(terms: tuple[str, ...], index: LoadedIndex) -> dict[str, float]:
    weights: dict[str, float] = {}
    for term in terms:
        weights[term] = max(weights.get(term, 0.0), index.lexical.idf(term))
    return weights


def _citation(passage: Passage, score: float, highlights: tuple[Span, ...]) -> Citation:
    return Citation(
        passage_id=passage.passage_id,
        doc_id=passage.doc_id,
        text=passage.text,
        title=passage.meta.title,
        source=passage.doc_id,
        url=passage.meta.source,
        section=passage.section,
        page=passage.page,
        start=passage.start,
        end=passage.end,
        score=round(float(score), 6),
        publisher=passage.meta.publisher,
        date=passage.meta.date,
        highlights=highlights,
    )
