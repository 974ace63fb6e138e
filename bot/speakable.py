"""Answers an operator (or a phone system) can read aloud: plain words, two or three short sentences.

No markup, symbols or citation brackets; the source said in words ("This is from Sector cooperation, by
the Embassy of Denmark in Dhaka."); acronyms the documents define said in full the first time and spelled
out after; a refusal says so and names a contact when the documents give one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.types import Answer, Citation, Passage

MAX_SPOKEN_SENTENCES = 2  # of the answer; the source sentence makes three
MAX_SPOKEN_WORDS = 45  # a second sentence is read only while the answer stays this short
NOT_IN_DOCUMENTS = "The documents I have don't say that."


@dataclass(frozen=True)
class Contact:
    """Someone the documents tell readers to contact, e.g. 'Sector Counsellor Maria Stein Knudsen'."""

    who: str
    doc_id: str
    publisher: str | None
    start: int = 0  # where the document names them: a contact closes the section it belongs to


_CONTACT = re.compile(r"\bcontact\s+(?:(?:our|the)\s+)?([A-Z][^,.;:\n(\[]{3,80})", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def find_contacts(passages: Iterable[Passage]) -> tuple[Contact, ...]:
    """Every 'please contact X' the documents contain, in document order, each person once."""
    found: dict[str, Contact] = {}
    for passage in passages:
        for match in _CONTACT.finditer(passage.text):
            who = " ".join(match.group(1).split()).strip()
            if who.lower().startswith(("us", "me", "them")) or who in found:
                continue
            found[who] = Contact(who, passage.doc_id, passage.meta.publisher, passage.start + match.start())
    return tuple(found.values())


def pick_contact(contacts: Sequence[Contact], near: Sequence[Citation]) -> Contact | None:
    """The contact for the closest passage: the next one its document names after it (the section's own),
    else the last one before it; None when no document of `near` names anyone."""
    for citation in near:
        same_document = [c for c in contacts if c.doc_id == citation.doc_id]
        after = [c for c in same_document if c.start >= citation.start]
        if after:
            return min(after, key=lambda c: c.start)
        if same_document:
            return max(same_document, key=lambda c: c.start)
    return None


def speakable(answer: Answer, acronyms: Mapping[str, str] | None = None, contact: Contact | None = None) -> str:
    """The answer as two or three short sentences of plain words."""
    acronyms = acronyms or {}
    if answer.abstained:
        if answer.reason == "invalid question":
            return _speak(answer.text, acronyms, set())
        spoken = NOT_IN_DOCUMENTS
        if contact is not None:
            by = f" at the {_place(contact.publisher)}" if contact.publisher else ""
            spoken += f" For more, you could contact {_speak(contact.who, acronyms, set()).rstrip('.')}{by}."
        return spoken
    said: set[str] = set()
    sentences: list[str] = []
    words = 0
    for sentence in answer.sentences[:MAX_SPOKEN_SENTENCES]:
        text = _speak(sentence.text, acronyms, said)
        length = len(text.split())
        if sentences and words + length > MAX_SPOKEN_WORDS:
            break
        sentences.append(text)
        words += length
    used = sorted({s.citation for s in answer.sentences[: len(sentences)]})
    sources = [answer.citations[i] for i in used if i < len(answer.citations)]
    if sources:
        sentences.append(_source_sentence(sources, acronyms, said, " ".join(sentences)))
    return " ".join(sentences)


def _source_sentence(citations: Sequence[Citation], acronyms: Mapping[str, str], said: set[str], spoken: str) -> str:
    """'This is from <title>, by the <publisher>, dated <date>.' (leaving out a date already said)."""
    seen: list[str] = []
    for citation in citations:
        part = citation.title.rstrip(".")
        if citation.publisher:
            publisher = citation.publisher
            part += f", by {publisher}" if publisher.lower().startswith("the ") else f", by the {_place(publisher)}"
        if citation.date and _speak(citation.date, {}, set()).rstrip(".") not in spoken:
            part += f", dated {citation.date}"
        part = _speak(part, acronyms, said).rstrip(".")
        if part not in seen:
            seen.append(part)
    return "This is from " + " and from ".join(seen) + "."


def _place(publisher: str) -> str:
    """'Embassy of Denmark, Dhaka' → 'Embassy of Denmark in Dhaka'."""
    head, _, tail = publisher.rpartition(", ")
    return f"{head} in {tail}" if head and len(tail.split()) == 1 else publisher


_TAG = re.compile(r"</?[A-Za-z][^>]{0,200}>")
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE_RANGE_DASH = re.compile(rf"\s+[–—-]\s+(?=\d|(?:{_MONTHS})\b)")
# A record's header ("… project 1 January 2014 - 31 December 2016") reads better with a pause before its date.
_BARE_DATE = re.compile(rf"\b([A-Za-z]+) (\d{{1,2}} (?:{_MONTHS}) \d{{4}})")
_DATE_PREPOSITIONS = {
    "on",
    "in",
    "to",
    "by",
    "of",
    "from",
    "since",
    "until",
    "till",
    "dated",
    "and",
    "or",
    "before",
    "after",
    "between",
}
_PARENTHESES = re.compile(r"\s*[(\[{]([^)\]}]*)[)\]}]")
_NUMBER_RANGE = re.compile(r"\b(\d{1,4})\s*[–—-]\s*(\d{1,4})\b")
_THOUSANDS = re.compile(r"\b(\d{1,3}(?:,\d{3})+)\b")
_DECIMAL = re.compile(r"\b(\d+)\.(\d+)\b")
_PERCENT = re.compile(r"(\d)\s*%")
_MONEY = re.compile(r"(?:US\$|USD|\$)\s*(\d[\d.,]*(?:\s+(?:million|billion|thousand))?)")
_EURO = re.compile(r"(?:€|EUR)\s*(\d[\d.,]*(?:\s+(?:million|billion|thousand))?)")
_ACRONYM = re.compile(r"\b([A-Z][A-Za-z]*[A-Z][A-Za-z]*s?)(?:['’]s)?\b")
_SYMBOLS = {
    "&": " and ",
    "+": " plus ",
    "=": " equals ",
    "/": " or ",
    "@": " at ",
    "#": " number ",
    "–": ", ",
    "—": ", ",
    "•": " ",
    "*": " ",
    "_": " ",
    "|": " ",
    "~": " ",
    "^": " ",
    "`": " ",
    "<": " ",
    ">": " ",
    "\\": " ",
    '"': "",
    "“": "",
    "”": "",
    "‘": "'",
    "’": "'",
    "…": ".",
    "[": " ",
    "]": " ",
    "{": " ",
    "}": " ",
    "(": ", ",
    ")": ", ",
    "›": ", ",
    "»": " ",
    "«": " ",
}


def _speak(text: str, acronyms: Mapping[str, str], said: set[str]) -> str:
    """One sentence as plain spoken words."""
    text = _EMAIL.sub(lambda m: m.group(0).replace("@", " at ").replace(".", " dot "), text)
    text = _TAG.sub(" ", text)
    text = _PARENTHESES.sub(lambda m: "" if _is_aside(m.group(1), acronyms) else f", {m.group(1)},", text)
    text = _MONEY.sub(lambda m: f"{m.group(1)} US dollars", text)
    text = _EURO.sub(lambda m: f"{m.group(1)} euros", text)
    text = _PERCENT.sub(r"\1 percent", text)
    text = _NUMBER_RANGE.sub(r"\1 to \2", text)
    text = _DATE_RANGE_DASH.sub(" to ", text)
    text = re.sub(r"\s+-+\s+", ", ", text)
    text = _BARE_DATE.sub(
        lambda m: m.group(0) if m.group(1).lower() in _DATE_PREPOSITIONS else f"{m.group(1)}, {m.group(2)}", text
    )
    text = _THOUSANDS.sub(lambda m: m.group(1).replace(",", ""), text)
    text = _DECIMAL.sub(r"\1 point \2", text)
    text = _ACRONYM.sub(lambda m: _say_acronym(m, acronyms, said, text), text)
    text = "".join(_SYMBOLS.get(ch, ch) if not ch.isalnum() else ch for ch in text)
    text = "".join(ch for ch in text if ch.isprintable())
    text = re.sub(r"\s+([,.;:!?])", r"\1", " ".join(text.split()))
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    text = re.sub(r"[,;:]+\s*([.!?])", r"\1", text).strip(" ,;:-")
    text = re.sub(r"^(?:and|or)\s+", "", text)
    if text and text[-1] not in ".!?":
        text += "."
    return text[:1].upper() + text[1:]


def _is_aside(inside: str, acronyms: Mapping[str, str]) -> bool:
    """A bracketed acronym ('(DIFE)'), citation marker ('[2]') or reference is dropped, not read."""
    inside = inside.strip()
    if inside.lower() in {long_form.lower() for long_form in acronyms.values()}:
        return True  # "DIFE (Department of …)": the acronym before it is said in full anyway
    return (
        not inside
        or inside in acronyms
        or inside.isdigit()
        or bool(re.fullmatch(r"[A-Z][A-Za-z-]{1,11}", inside) and sum(c.isupper() for c in inside) >= 2)
    )


def _say_acronym(match: re.Match[str], acronyms: Mapping[str, str], said: set[str], text: str) -> str:
    word = match.group(1)
    possessive = match.group(0)[len(word) :]
    if word not in acronyms and word.endswith("s") and word[:-1] in acronyms:
        long_form = acronyms[word[:-1]] + "s"
        key = word[:-1]
    else:
        long_form, key = acronyms.get(word, ""), word
    if long_form and key not in said and long_form.lower() not in text.lower():
        said.add(key)
        if possessive and long_form.endswith("s"):
            return long_form + "'"
        return long_form + possessive.replace("’", "'")
    said.add(key)
    if word.isupper() and len(word) <= 5:
        return " ".join(word) + possessive.replace("’", "'")
    if sum(c.isupper() for c in word) >= 2 and len(word) <= 6 and not word.istitle():
        letters = [c for c in word if c.isupper()]
        return (
            " ".join(letters)
            + (" " + word[-1] if word.endswith("s") and not word.isupper() else "")
            + possessive.replace("’", "'")
        )
    return match.group(0)
