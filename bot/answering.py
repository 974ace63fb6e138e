"""The extractive answerer: the sentences of the retrieved passages that answer, each one cited.

Every candidate sentence is scored on its meaning (cosine to the question), the question's words it and
the headings above it carry (idf-weighted, phrases counting extra), whether it brings the kind of answer
asked for (a number, a date, a name the question does not already hold), and how well its passage covers
the question. Each part of a two-part question gets its own best sentence. A question that needs a detail
(an email address, an amount, a date) is answered only by a sentence that holds one; otherwise, and when
the evidence is weak, the answer says the documents don't say.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache

from bot.intent import (
    FULL_DATE,
    LENGTH,
    Need,
    QuestionPart,
    asked_action,
    full_dates,
    identifiers,
    names_an_agent,
    need_spans,
    ordinal_forms,
    other_milestone,
    proper_names,
    question_focus,
    question_parts,
    satisfies,
    spelled_out,
    states_purpose,
)
from bot.lexical import content_terms, synonym_table, terms_of
from bot.retrieval import Retrieval
from bot.settings import AnswerSettings
from bot.store import LoadedIndex
from bot.structure import is_date_line
from bot.types import Answer, AnswerSentence, Citation, Hit, Passage, Span

DEFAULT_WEIGHTS = {
    "similarity": 0.30,
    "passage": 0.15,
    "coverage": 0.50,
    "kind": 0.15,
    "prior": 0.0,
    "echo": 0.10,
    "passage_coverage": 0.4,
    "phrase": 0.15,
    "near": 0.10,
}
LABEL = re.compile(r"^([A-Z][^:.!?]{2,80}):\s")  # "Internal Training via DIFE2DIFE: A robust programme…"
Alternatives = Mapping[str, tuple[frozenset[str], ...]]


@dataclass(frozen=True)
class Candidate:
    hit_rank: int
    passage: Passage
    span: Span
    text: str
    score: float
    coverage: float
    terms: frozenset[str]  # the sentence's terms with those it inherits from headings and labels


class ExtractiveAnswerer:
    def __init__(
        self, settings: AnswerSettings, max_citations: int = 3, weights: dict[str, float] | None = None
    ) -> None:
        self._settings = settings
        self._max_citations = max_citations
        self._weights = {**DEFAULT_WEIGHTS, **(weights or {})}
        self._topics: tuple[LoadedIndex, dict[tuple[str, str], frozenset[str]]] | None = None

    def answer(self, retrieval: Retrieval, index: LoadedIndex) -> Answer:
        hits = retrieval.hits
        if not hits:
            return self._abstain("The documents don't say: the index holds no passages yet.", "empty index", hits)
        parts = question_parts(retrieval.question)
        whole = QuestionPart(
            retrieval.question,
            parts[0].kind if len(parts) == 1 else "other",
            parts[0].need if len(parts) == 1 else None,
            parts[0].count if len(parts) == 1 else None,
        )
        weights = _term_weights(retrieval.question_terms or retrieval.terms, index)
        candidates = self._candidates(retrieval, index, whole, weights)
        best = max(candidates, key=lambda c: c.score)
        confidence = round(best.score, 4)
        if best.score < self._settings.min_confidence:
            missing = [t for t in weights if t not in best.terms and weights[t] >= max(weights.values()) * 0.6]
            reason = f"no passage answers it closely enough (evidence {best.score:.2f})"
            if missing:
                reason += "; nothing found about: " + ", ".join(sorted(missing))
            return replace(self._abstain(_DONT_SAY, reason, hits), confidence=confidence)
        focus = question_focus(retrieval.question)
        focus_words = focus.split() if focus else []
        short = spelled_out(retrieval.question)
        if (
            short
            and short.lower() not in {known.lower() for known in index.manifest.acronyms}
            and not any(_in_brackets(short, hit.passage.text) for hit in hits)  # '… Centre (NFA)' spells it out
        ):
            reason = f"the documents never spell out “{short}”"
            return replace(self._abstain(_DONT_SAY, reason, hits), confidence=min(confidence, 0.0))
        unknown = [name for name in proper_names(retrieval.question) if not index.lexical.knows_name(name)]
        unknown += [  # 'the fourth phase' where the documents never say 'fourth' or '4th'
            max(forms, key=len)
            for forms in ordinal_forms(retrieval.question)
            if not any(index.lexical.has(term) for form in forms if " " not in form for term in terms_of(form))
            and not any(form in " ".join(hit.passage.index_text.lower().split()) for form in forms for hit in hits)
        ]
        if focus_words and not _known(focus_words[-1], index):  # 'the minimum wage' where no wage is named
            unknown.insert(0, focus)
        if unknown:
            reason = f"the documents never mention “{unknown[0]}”"
            return replace(self._abstain(_DONT_SAY, reason, hits), confidence=min(confidence, 0.0))
        chosen: list[Candidate] = []
        unanswered: list[QuestionPart] = []
        options: list[list[Candidate]] = []
        for number, part in enumerate(parts):
            part_retrieval = retrieval.parts[number] if len(retrieval.parts) == len(parts) else retrieval
            options.append(self._answer_part(part, whole, part_retrieval, index, weights, candidates))
        for part, picked in zip(parts, _distinct_answers(parts, options, retrieval.expanded.lower()), strict=True):
            if picked is None:
                unanswered.append(part)
            elif all(_key(c) != _key(picked) for c in chosen):
                chosen.append(picked)
        if unanswered and unanswered[0] is parts[0]:
            chosen = []  # the main question has no answer; an answer to a side question would mislead
        if not chosen:
            need = unanswered[0].need if unanswered else None
            reason = f"the passages found do not give the {need} asked for" if need else "no sentence answers it"
            return replace(self._abstain(_DONT_SAY, reason, hits), confidence=min(confidence, 0.0))
        if len(parts) == 1:
            chosen = self._complete(chosen, candidates, weights)
        spans = self._expand(chosen, parts)
        answer = self._render(spans, _merged_hits(hits, *(part.hits for part in retrieval.parts)))
        if unanswered:
            answer = replace(answer, reason="not found: " + "; ".join(p.text for p in unanswered))
        return replace(answer, confidence=confidence)

    def _answer_part(
        self,
        part: QuestionPart,
        whole: QuestionPart,
        retrieval: Retrieval,
        index: LoadedIndex,
        weights: dict[str, float],
        candidates: list[Candidate],
    ) -> list[Candidate]:
        """The sentences that answer one part of the question, best first; none when none has what it needs."""
        question = retrieval.expanded.lower()
        if part is not whole and part.text != whole.text:
            own_terms = tuple(index.lexical.query_terms(part.text))
            part_weights = {t: w * 0.25 for t, w in weights.items()} | _term_weights(own_terms, index)
            candidates = self._candidates(retrieval, index, part, part_weights)
        ranked = sorted(candidates, key=lambda c: -c.score)
        best_score = ranked[0].score
        if part.need == "contact":  # who to contact is judged among the contacts, each by the topic it sits under
            contacts = [c for c in ranked if c.coverage >= 0.25 and satisfies(c.text, "contact", question)]
            best_score = contacts[0].score if contacts else best_score
        wanted_ids = identifiers(retrieval.question)
        wanted_dates = full_dates(retrieval.question)
        named = [
            term
            for name in proper_names(retrieval.question)
            if _is_acronym(name)
            for term in terms_of(name)
            if index.lexical.document_frequency.get(term, 0) <= max(2, 0.1 * index.lexical.size)  # distinctive
        ]
        topics = self._topic_terms(index)
        action = asked_action(part.text)
        action_terms = terms_of(action) if action else ()
        eligible = [
            c
            for c in ranked
            if c.score >= best_score * 0.75
            and _mentions_identifiers(c, wanted_ids, wanted_dates)
            and not (
                part.need == "date"
                and (
                    _dates_another_milestone(c, question)
                    or (not _has_date(c.text) and _only_intended(c.text, question))
                )
            )
            and all(_matches(term, _passage_terms(c.passage), retrieval.alternatives) for term in action_terms)
            and all(  # 'When does B-CAP end?' is not answered by another project's end
                _matches(term, c.terms | topics.get(_topic_of(c.passage), frozenset()), retrieval.alternatives)
                for term in named
            )
            and (
                part.need is None
                or satisfies(_with_header(c), part.need, question, part.count)
                or (part.need == "name" and _names_the_actor(c.text, action_terms, question))
                or (
                    c.text.rstrip().endswith(":")
                    and satisfies(_with_items(c.passage, c.span), part.need, question, part.count)
                )
            )
        ]
        return eligible

    def _candidates(
        self, retrieval: Retrieval, index: LoadedIndex, part: QuestionPart, weights: dict[str, float]
    ) -> list[Candidate]:
        total_weight = sum(weights.values()) or 1.0
        asked = QuestionTerms(tuple(weights), retrieval.alternatives)
        plain = QuestionTerms(tuple(weights), {})
        novelty_terms = set(weights) | set(retrieval.terms)
        question = retrieval.expanded.lower()
        question_bigrams = _bigrams(content_terms(retrieval.question))
        asks_about_document = bool(ABOUT_A_DOCUMENT.search(question))
        defined = [
            long.lower() for short, long in index.manifest.acronyms.items() if _asks_what(short, retrieval.question)
        ]
        bracketed = spelled_out(retrieval.question)  # an acronym the glossary could not pair: '… Centre (NFA)'
        if bracketed and not defined:
            defined = [f"({bracketed.lower()})"]
        candidates: list[Candidate] = []
        for rank, hit in enumerate(retrieval.hits):
            passage = hit.passage
            row = index.row_of[passage.passage_id]
            similarities = index.sentence_vectors_of(row) @ retrieval.query_vector
            context_terms = frozenset(terms_of(" ".join(filter(None, (passage.meta.title, passage.section)))))
            topic_terms = self._topic_terms(index).get(_topic_of(passage), frozenset())
            header_text = passage.sentence_text(passage.header) if passage.header else ""
            label = LABEL.match(passage.text)
            header_terms = frozenset(terms_of(header_text + " " + (label.group(1) if label else "")))
            passage_terms = frozenset(terms_of(passage.index_text))
            passage_coverage = sum(weights[t] for t in asked.found_in(passage_terms))
            in_context_terms = asked.found_in(context_terms)
            in_topic_terms = asked.found_in(topic_terms)
            prior = 1.0 - rank / len(retrieval.hits)
            for position, span in enumerate(passage.sentences):
                text = passage.sentence_text(span)
                sentence_terms = list(terms_of(text))
                terms = frozenset(sentence_terms)
                inherited = frozenset() if span == passage.header else header_terms
                antecedent = _antecedent(passage, span)
                if antecedent is not None:  # "It was a binding agreement…" is about the sentence before it
                    inherited = inherited | frozenset(terms_of(passage.sentence_text(antecedent)))
                matched = asked.found_in(terms)
                in_header = asked.found_in(inherited) - matched
                in_context = in_context_terms - matched - in_header
                in_topic = in_topic_terms - matched - in_header - in_context
                coverage = (
                    sum(weights[t] for t in matched | in_header)
                    + 0.5 * sum(weights[t] for t in in_context)
                    + 0.15 * sum(weights[t] for t in in_topic)
                ) / total_weight
                novelty = len(terms - novelty_terms) / len(terms) if terms else 0.0
                kind_match = (
                    part.need is None
                    or satisfies(text, part.need, question, part.count)
                    or (part.need in ("date", "duration") and satisfies(header_text, part.need, question))
                    or (
                        part.need in ("list", "list of names")
                        and text.rstrip().endswith(":")
                        and satisfies(_with_items(passage, span), part.need, question, part.count)
                    )
                )
                if part.kind == "definition" and defined:
                    spelled = text.lower() + " " + (passage.section or "").lower()  # a heading may spell it out
                    kind_match = any(long_form in spelled for long_form in defined)
                agent_bonus = 0.5 if part.need == "name" and kind_match and names_an_agent(text, question) else 0.0
                if part.need is None and states_purpose(text, question):
                    agent_bonus = 0.5
                if part.need == "date" and kind_match and FULL_DATE.search(text):
                    agent_bonus = 0.25  # a day, month and year answers 'when' better than a year alone
                if part.need == "duration" and kind_match:
                    # 'how long' is answered by a length of time; two dates leave the sum to the reader
                    agent_bonus = 0.5 if LENGTH.search(text) else -0.5
                phrase = (
                    len(question_bigrams & _bigrams(sentence_terms)) / len(question_bigrams)
                    if question_bigrams
                    else 0.0
                )
                near = _answer_near_question_words(text, part, question, plain)
                score = (
                    self._weights["similarity"] * float(similarities[position])
                    + self._weights["passage"] * float(hit.dense_similarity or 0.0)
                    + self._weights["coverage"] * coverage
                    + self._weights["kind"] * (float(kind_match) + agent_bonus)
                    + self._weights["prior"] * prior
                    + self._weights["passage_coverage"] * passage_coverage / total_weight
                    + self._weights["phrase"] * phrase
                    + self._weights["near"] * near
                    - self._weights["echo"]
                    * float(
                        novelty < 0.34
                        or (span == passage.header and (part.need is None or not kind_match))
                        or (bool(ABOUT_ITSELF.match(text)) and not asks_about_document)
                    )
                )
                candidates.append(
                    Candidate(rank, passage, span, text, score, coverage, terms | context_terms | inherited)
                )
        return candidates

    def _topic_terms(self, index: LoadedIndex) -> dict[tuple[str, str], frozenset[str]]:
        """The words of each top-level section of a document, for the passages under it: the contact at the end
        of 'food and agriculture' is about the dairy work described above it."""
        if self._topics is None or self._topics[0] is not index:
            members: dict[tuple[str, str], list[Passage]] = {}
            for passage in index.passages:
                members.setdefault(_topic_of(passage), []).append(passage)
            topics = {
                topic: frozenset(term for p in passages for term in terms_of(p.index_text))
                for topic, passages in members.items()
                if topic[1] and len(passages) <= MAX_TOPIC_PASSAGES
            }
            self._topics = (index, topics)
        return self._topics[1]

    def _complete(
        self, chosen: list[Candidate], candidates: list[Candidate], weights: dict[str, float]
    ) -> list[Candidate]:
        """Add the sentences that carry question words the answer lacks or continue it in the same passage, then,
        while words remain, a second sentence that answers as well as the first ('developed 33 guidelines' and
        'developed 8 courses' for 'what did the teams make?')."""
        best = chosen[0]
        covered = set().union(*(c.terms for c in chosen))
        total = sum(weights.values()) or 1.0
        ranked = [c for c in sorted(candidates, key=lambda c: -c.score) if c.score >= best.score * 0.8]

        def fits(candidate: Candidate) -> bool:
            words = sum(len(c.text.split()) for c in chosen) + len(candidate.text.split())
            return (
                len(chosen) < self._settings.max_sentences
                and words <= self._settings.max_answer_words
                and all(_key(c) != _key(candidate) for c in chosen)
            )

        for candidate in ranked:
            gain = sum(w for t, w in weights.items() if t in candidate.terms and t not in covered)
            follows = (
                candidate.passage.passage_id == best.passage.passage_id
                and candidate.passage.sentences.index(candidate.span)
                == candidate.passage.sentences.index(best.span) + 1
                and candidate.score >= best.score * 0.9
                and gain > 0  # a next sentence that adds none of the question's words only lengthens the answer
            )
            if (gain >= 0.25 * total or follows) and fits(candidate):
                chosen.append(candidate)
                covered |= candidate.terms
        for candidate in ranked:
            short = sum(len(c.text.split()) for c in chosen) + len(candidate.text.split()) <= 45
            rival = candidate.score >= best.score * 0.95 and candidate.coverage >= best.coverage
            if rival and short and fits(candidate):
                chosen.append(candidate)
                break
        return chosen

    @staticmethod
    def _leans_on(candidate: Candidate, parts: tuple[QuestionPart, ...]) -> bool:
        """Whether the sentence needs the one it refers back to: alone it lacks the detail a part asks for."""
        question = " ".join(part.text for part in parts).lower()
        return any(
            part.need is not None and not satisfies(candidate.text, part.need, question, part.count) for part in parts
        )

    def _expand(self, chosen: list[Candidate], parts: tuple[QuestionPart, ...]) -> list[tuple[Passage, Span]]:
        """The chosen sentences in answer order, with a record's date line or a list's items where they belong."""
        spans: list[tuple[Passage, Span]] = []
        wants_date = any(part.need in ("date", "duration") for part in parts)
        for candidate in chosen:
            passage, span = candidate.passage, candidate.span
            if (
                wants_date
                and passage.header
                and span != passage.header
                and (passage, passage.header) not in spans
                and not _has_date(candidate.text)
            ):
                spans.append((passage, passage.header))
            previous = _antecedent(passage, span)
            if previous is not None and (passage, previous) not in spans and self._leans_on(candidate, parts):
                spans.append((passage, previous))
            if (passage, span) not in spans:
                spans.append((passage, span))
            if candidate.text.rstrip().endswith(":"):
                following = [s for s in passage.sentences if s.start > span.start]
                spans += [(passage, s) for s in following[: self._settings.max_sentences + 5]]
        return spans

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
            citations.append(
                citation_of(
                    passages[passage_id],
                    score_of.get(passage_id, 0.0),
                    tuple(sorted(highlights[passage_id], key=lambda s: s.start)),
                )
            )
        for hit in hits:
            if len(citations) >= self._max_citations:
                break
            if hit.passage.passage_id not in order:
                citations.append(citation_of(hit.passage, hit.score, ()))
        text = " ".join(sentence.text for sentence in sentences)
        return Answer(
            text=text,
            sentences=tuple(sentences),
            citations=tuple(citations),
            abstained=False,
            retrieved=tuple(citation_of(hit.passage, hit.score, ()) for hit in hits),
        )

    def _abstain(self, text: str, reason: str, hits: tuple[Hit, ...]) -> Answer:
        related = tuple(citation_of(hit.passage, hit.score, ()) for hit in hits[: self._max_citations])
        return Answer(
            text=text,
            sentences=(),
            citations=(),
            abstained=True,
            reason=reason,
            related=related,
            retrieved=tuple(citation_of(hit.passage, hit.score, ()) for hit in hits),
        )


_DONT_SAY = "The documents don't say. The closest passages are listed as related reading."


WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")


def _answer_near_question_words(text: str, part: QuestionPart, question: str, asked: QuestionTerms) -> float:
    """1 when the detail asked for stands within three words of a question word ("implemented by IFC"),
    0.5 within eight, else 0: the classic sign that a sentence answers rather than mentions."""
    if part.need is None:
        return 0.0
    answers = need_spans(text, part.need, question)
    if not answers:
        return 0.0
    positions = [(m.start(), m.end()) for m in WORD.finditer(text)]
    anchors = []
    for i, (a, b) in enumerate(positions):
        terms = frozenset(terms_of(text[a:b]))
        if terms and asked.found_in(terms):
            anchors.append(i)
    if not anchors:
        return 0.0
    best = 99
    for start, end in answers:
        covered = [i for i, (a, b) in enumerate(positions) if a < end and b > start]
        if not covered:
            continue
        for anchor in anchors:
            if anchor in covered:
                continue
            best = min(best, min(abs(anchor - i) for i in covered))
    return 1.0 if best <= 3 else 0.5 if best <= 8 else 0.0


def _distinct_answers(
    parts: tuple[QuestionPart, ...], options: list[list[Candidate]], question: str
) -> list[Candidate | None]:
    """Each part's best sentence; when two parts asking for the same kind of detail would share a sentence that
    holds only one such detail ('how many are in child labour, and how many more are at risk?'), the part
    whose next-best sentence is closer to its best takes that one instead."""
    picks: list[Candidate | None] = [found[0] if found else None for found in options]
    pairs = [(i, j) for i in range(len(parts)) for j in range(i + 1, len(parts))]
    for i, j in pairs:
        shared, other, need = picks[i], picks[j], parts[i].need
        if shared is None or other is None or need is None or parts[j].need != need:
            continue
        if _key(shared) != _key(other):
            continue
        if _detail_count(shared.text, need, question) >= 2:
            continue
        closeness = {
            k: options[k][1].score / options[k][0].score
            for k in (i, j)
            if len(options[k]) > 1 and options[k][0].score > 0
        }
        if closeness:
            giver = max(closeness, key=lambda k: closeness[k])
            picks[giver] = options[giver][1]
    return picks


def _key(candidate: Candidate) -> tuple[str, Span]:
    return candidate.passage.passage_id, candidate.span


def _detail_count(text: str, need: Need, question: str) -> int:
    """How many details of a kind a sentence holds, words of one detail ('nine million') counted once."""
    count, end = 0, -1
    for start, stop in need_spans(text, need, question):
        if end < 0 or text[end:start].strip():
            count += 1
        end = stop
    return count


def _merged_hits(*rankings: tuple[Hit, ...]) -> tuple[Hit, ...]:
    """The hits of several retrievals, each passage once, in the order first seen."""
    seen: set[str] = set()
    merged: list[Hit] = []
    for hits in rankings:
        for hit in hits:
            if hit.passage.passage_id not in seen:
                seen.add(hit.passage.passage_id)
                merged.append(hit)
    return tuple(merged)


def _asks_what(short: str, question: str) -> bool:
    """Whether the question asks what an acronym is or stands for ('What is DIFE?', 'What does HSB mean?')."""
    name = re.escape(short)
    return bool(
        re.fullmatch(
            rf"\s*(what|who)\s*(is|are|was|were|'s|’s)\s+(the\s+)?{name}\s*\??\s*"
            rf"|\s*what\s+(does|did)\s+(the\s+)?{name}\s+(stand\s+for|mean|refer\s+to)\s*\??\s*",
            question,
            re.IGNORECASE,
        )
    )


def _with_items(passage: Passage, span: Span) -> str:
    """A list's lead-in sentence with the items that follow it, joined as one list."""
    following = [passage.sentence_text(s) for s in passage.sentences if s.start > span.start]
    return passage.sentence_text(span) + " " + ", ".join(following)


def _with_header(candidate: Candidate) -> str:
    """The sentence with what it leans on: its record's title and date, and the sentence before an 'It …'."""
    passage = candidate.passage
    header = passage.sentence_text(passage.header) if passage.header and passage.header != candidate.span else ""
    previous = _antecedent(passage, candidate.span)
    parts = [header, passage.sentence_text(previous) if previous else "", candidate.text]
    return "\n".join(part for part in parts if part)


ABOUT_ITSELF = re.compile(  # 'This brief delineates the key functions of DIFE…' says what a document covers
    r"\s*(?:this|the present|the following)\s+(?:brief|briefing|report|paper|page|article|document|note|study|"
    r"section|chapter|publication|factsheet|fact sheet|guide)\s+(?:\w+\s+){0,2}?(?:describes|delineates|outlines|"
    r"presents|examines|explains|summari[sz]es|provides|discusses|covers|reviews|sets out|looks at|introduces|gives)\b",
    re.IGNORECASE,
)
ABOUT_A_DOCUMENT = re.compile(  # 'What does the brief set out?' is answered by what the brief says it covers
    r"\b(brief|briefing|report|paper|page|article|document|note|study|publication|guide)\b.*\b(sets? out|covers?|"
    r"describes?|delineates?|outlines?|presents?|explains?|discuss(es)?|about|summari[sz]es?)\b"
)
ANAPHOR = re.compile(r"^(It|Its|They|Their|He|She|His|Her|Both|These|Those)\b")


DEFINITE = re.compile(r"^The ([a-z]+)\b")


def _antecedent(passage: Passage, span: Span) -> Span | None:
    """The sentence a sentence refers back to: the nearest earlier one that is not itself a pronoun-led
    reference ('It is the first treaty…'), or, for 'The fire came…', the one before that names a fire."""
    text = passage.sentence_text(span)
    position = passage.sentences.index(span)
    if position == 0:
        return None
    if ANAPHOR.match(text):
        for earlier in reversed(passage.sentences[:position]):
            if not ANAPHOR.match(passage.sentence_text(earlier)):
                return earlier
        return None
    definite = DEFINITE.match(text)
    previous = passage.sentences[position - 1]
    if definite and set(terms_of(definite.group(1))) & set(terms_of(passage.sentence_text(previous))):
        return previous
    return None


def _mentions_identifiers(candidate: Candidate, wanted: set[str], dates: set[tuple[int, str, int]]) -> bool:
    """Whether every number that names a thing in the question ('Convention No. 187') and every full date
    ('the release of 4 May 2021') stands by the sentence."""
    if not wanted and not dates:
        return True
    context = " ".join(filter(None, (_with_header(candidate), candidate.passage.section, candidate.passage.meta.title)))
    return all(re.search(rf"(?<![\d,.]){re.escape(value)}(?!\d)", context) for value in wanted) and dates <= (
        full_dates(context)
    )


def _dates_another_milestone(candidate: Candidate, question: str) -> bool:
    """Whether the date this sentence gives (its own, or else its record's or antecedent's) is that of another
    milestone than the one asked about."""
    if _has_date(candidate.text):
        return other_milestone(candidate.text, question)
    carrier = _with_header(candidate).removesuffix(candidate.text)
    return other_milestone(carrier, question) or other_milestone(candidate.text, question)


def _only_intended(text: str, question: str) -> bool:
    """Whether the sentence names the question's event only as something wanted: 'calls on States to ratify
    C190' does not say C190 was ratified, so its release date is not the date asked for."""
    infinitive = re.compile(r"\bto\s+([a-z]+)")
    intended = {t for match in infinitive.finditer(text.lower()) for t in terms_of(match.group(1))}
    asked = set(terms_of(question)) - {t for match in infinitive.finditer(question) for t in terms_of(match.group(1))}
    stated = set(terms_of(infinitive.sub(" ", text.lower())))
    return bool((intended & asked) - stated)


def _in_brackets(short: str, text: str) -> bool:
    return bool(re.search(rf"\(\s*{re.escape(short)}\s*\)", text))


def _is_acronym(name: str) -> bool:
    return sum(ch.isupper() for ch in name) >= 2


def _names_the_actor(text: str, action_terms: tuple[str, ...], question: str) -> bool:
    """Whether words the question lacks stand before the asked action: 'ILO specialists at the headquarters
    manage projects' answers 'who manages the projects?' though it names no one."""
    if not action_terms:
        return False
    asked = set(terms_of(question))
    for match in WORD.finditer(text):
        if any(_matches(term, frozenset(terms_of(match.group(0)))) for term in action_terms):
            return bool(set(terms_of(text[: match.start()])) - asked)
    return False


MAX_TOPIC_PASSAGES = 40  # a section longer than this is a whole document, not a topic


def _topic_of(passage: Passage) -> tuple[str, str]:
    return passage.doc_id, (passage.section or "").split(" › ")[0]


def _passage_terms(passage: Passage) -> frozenset[str]:
    """The terms of a passage with its title and section: what the whole passage speaks of."""
    return frozenset(terms_of(" ".join(filter(None, (passage.index_text, passage.meta.title, passage.section)))))


def _known(word: str, index: LoadedIndex) -> bool:
    """Whether the corpus uses the word, a typo of it, or an everyday synonym of it."""
    if index.lexical.knows(word):
        return True
    return any(index.lexical.has(synonym) for term in terms_of(word) for synonym in synonym_table().get(term, ()))


def _has_date(text: str) -> bool:
    return satisfies(text, "date", "")


def _bigrams(terms: list[str]) -> set[tuple[str, str]]:
    return set(zip(terms, terms[1:], strict=False))


class QuestionTerms:
    """The question's terms, ready to be looked for in many sentences: the same test as `_matches`, term by term."""

    def __init__(self, terms: tuple[str, ...], alternatives: Alternatives) -> None:
        self._terms = terms
        self._prefix = {t: t[:6] for t in terms if len(t) >= 6}
        self._agent_verb = {t: t[:-2] for t in terms if t.endswith("er") and len(t) > 5}
        self._alternatives = {t: alternatives[t] for t in terms if alternatives.get(t)}

    def found_in(self, sentence_terms: frozenset[str]) -> set[str]:
        if not sentence_terms:
            return set()
        prefixes = _prefixes(sentence_terms)
        found = set()
        for term in self._terms:
            if (
                term in sentence_terms
                or self._prefix.get(term, "\0") in prefixes
                or self._agent_verb.get(term, "\0") in sentence_terms
                or any(option <= sentence_terms for option in self._alternatives.get(term, ()))
            ):
                found.add(term)
        return found


@lru_cache(maxsize=100_000)
def _prefixes(terms: frozenset[str]) -> frozenset[str]:
    return frozenset(t[:6] for t in terms if len(t) >= 6)


def _matches(term: str, sentence_terms: frozenset[str], alternatives: Alternatives | None = None) -> bool:
    """A question term found in the sentence: itself, a word sharing its first six letters ('partner' for
    'partnership'), an agent noun's verb ('funder' for 'fund'), or an alternative form (an acronym's long
    form, or the acronym of a long form)."""
    if term in sentence_terms:
        return True
    if len(term) >= 6 and term[:6] in _prefixes(sentence_terms):
        return True
    if term.endswith("er") and len(term) > 5 and term[:-2] in sentence_terms:
        return True
    return any(option <= sentence_terms for option in (alternatives or {}).get(term, ()))


def _term_weights(terms: tuple[str, ...], index: LoadedIndex) -> dict[str, float]:
    weights: dict[str, float] = {}
    for term in terms:
        weights[term] = max(weights.get(term, 0.0), index.lexical.idf(term))
    return weights


def citation_of(passage: Passage, score: float, highlights: tuple[Span, ...]) -> Citation:
    """The citation of a passage; a record's own date (a press release's) wins over its document's."""
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
        date=_record_date(passage) or passage.meta.date,
        highlights=highlights,
    )


def _record_date(passage: Passage) -> str | None:
    if passage.header is None:
        return None
    for line in reversed(passage.sentence_text(passage.header).splitlines()):
        if is_date_line(line.strip()):
            return line.strip()
    return None
