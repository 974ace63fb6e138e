"""Acronyms learned from the documents themselves, so "DIFE" finds its long form and back.

Pairs are found where a document defines them, "Long Form Words (LFW)" or "LFW — Long Form Words",
and kept when the letters of the short form appear in order in the long form, the first at the
start of a word (Schwartz & Hearst, 2003).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

GLOSSARY_VERSION = "3"  # learned at ingest: a change here must rebuild the index

SHORT_FORM = r"[A-Za-z][A-Za-z0-9&\-]{1,11}"
LONG_THEN_SHORT = re.compile(rf"((?:[\w’'\-“”\"]+[ ,]+){{1,14}}?)\(\s*({SHORT_FORM})\s*\)")
SHORT_THEN_LONG = re.compile(rf"\b({SHORT_FORM})\s+[—–-]\s+(?:the\s+)?((?:[\w’'\-]+\s+){{1,14}}[\w’'\-]+)")
MAX_LONG_WORDS = 14


def _is_short_form(candidate: str) -> bool:
    capitals = sum(1 for ch in candidate if ch.isupper())
    return capitals >= 2 and not candidate.isdigit() and len(candidate) <= 12


def best_long_form(short: str, words: list[str]) -> str | None:
    """The shortest run of trailing `words` whose letters spell `short` (Schwartz & Hearst)."""
    letters = [ch.lower() for ch in short if ch.isalnum()]
    for count in range(1, min(len(words), len(letters) + 6) + 1):
        candidate = " ".join(words[-count:]).strip(" ,")
        if _spells(letters, candidate) and candidate.lower() != short.lower():
            first = candidate.split()[0]
            if first.lower() in {"the", "a", "an", "of", "and", "for"}:
                continue
            return candidate
    return None


def _spells(letters: list[str], long_form: str) -> bool:
    text = long_form.lower()
    position = len(text) - 1
    for index in range(len(letters) - 1, -1, -1):
        letter = letters[index]
        while position >= 0:
            matched = text[position] == letter and (
                index > 0 or position == 0 or not text[position - 1].isalnum()
            )
            position -= 1
            if matched:
                break
        else:
            return False
    return True


def _clean_long_form(long_form: str) -> str:
    return re.sub(r"(['’]s?|,)$", "", long_form.strip()).strip()


def learn_acronyms(texts: Iterable[str]) -> dict[str, str]:
    """Map of short form → long form, e.g. {"DIFE": "Department of Inspection for Factories and Establishments"}."""
    found: dict[str, str] = {}
    for text in texts:
        for match in LONG_THEN_SHORT.finditer(text):
            short = match.group(2).strip("-")
            if not _is_short_form(short):
                continue
            words = re.sub(r"[,“”\"]", " ", match.group(1)).split()[-MAX_LONG_WORDS:]
            long_form = best_long_form(short, words)
            if long_form:
                found.setdefault(short, _clean_long_form(long_form))
        for match in SHORT_THEN_LONG.finditer(text):
            short = match.group(1)
            if not _is_short_form(short) or short in found:
                continue
            words = match.group(2).split()
            letters = [ch.lower() for ch in short if ch.isalnum()]
            for count in range(len(letters), len(words) + 1):
                candidate = " ".join(words[:count])
                last_word_starts = words[count - 1][:1].lower() == letters[-1]
                if _spells(letters, candidate) and words[0][:1].lower() == letters[0] and last_word_starts:
                    found[short] = _clean_long_form(candidate)
                    break
    return found


def expand_query(question: str, acronyms: Mapping[str, str]) -> str:
    """The question with the long form of each acronym it uses appended, and the acronym of each long form."""
    additions: list[str] = []
    lowered = question.lower()
    for short, long_form in acronyms.items():
        if re.search(rf"(?<![\w-]){re.escape(short.lower())}(?![\w-])", lowered):
            if long_form.lower() not in lowered:
                additions.append(long_form)
        elif long_form.lower() in lowered:
            additions.append(short)
    return f"{question} ({'; '.join(additions)})" if additions else question


def term_alternatives(
    terms: Iterable[str],
    acronyms: Mapping[str, str],
    to_terms: Callable[[str], list[str]],
    synonyms: Mapping[str, frozenset[str]] | None = None,
) -> dict[str, tuple[frozenset[str], ...]]:
    """Other ways a question term can appear: an acronym's long form (all its terms), the acronym of a long
    form, or an everyday synonym.

    `to_terms` turns text into the same stemmed terms as `terms`.
    """
    present = set(terms)
    synonyms = synonyms or {}
    alternatives: dict[str, list[frozenset[str]]] = {}
    for short, long_form in acronyms.items():
        short_terms = to_terms(short)
        long_terms = frozenset(to_terms(long_form))
        if len(short_terms) != 1 or not long_terms:
            continue
        short_term = short_terms[0]
        if short_term in present:
            alternatives.setdefault(short_term, []).append(long_terms)
        if long_terms <= present:
            for term in long_terms:
                alternatives.setdefault(term, []).append(frozenset({short_term}))
    for term in present:
        for synonym in synonyms.get(term, ()):
            alternatives.setdefault(term, []).append(frozenset({synonym}))
    return {term: tuple(options) for term, options in alternatives.items()}
