"""What a question asks for: its parts, the kind of answer each wants, and details that must be present.

"How many inspections were done, and over how long?" has two parts: a number and a duration. "What is
her email address?" can only be answered by a sentence that holds an email address; a passage that
names the person but not the address does not answer it, and the answer says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

AnswerKind = Literal["number", "date", "duration", "frequency", "entity", "list", "definition", "other"]
Need = Literal[
    "email",
    "phone",
    "web address",
    "amount of money",
    "percentage",
    "number",
    "date",
    "duration",
    "frequency",
    "name",
    "list of names",
    "list",
    "place",
    "contact",
    "address",
]

KIND_PATTERNS: tuple[tuple[AnswerKind, re.Pattern[str]], ...] = (
    ("frequency", re.compile(r"\b(how often|how frequently|how many times)\b")),
    (
        "duration",
        re.compile(
            r"\b(how long|for how many (years|months)|what duration|over how long|(what|which) length of time|"
            r"how much time|over what (period|time)|for what (period|length))\b"
        ),
    ),
    (
        "date",
        re.compile(
            r"\b(when|what years?|which years?|until when|since when|by when|what date|which date|"
            r"start(ed)? date|end(ed)? date|what period|which period|timeline|dates?|"
            r"what time)\b"
        ),
    ),
    (
        "number",
        re.compile(
            r"\b(how many|how much|number of|what percentage|what per ?cent|percent|what share|"
            r"what proportion|how big|what amount|count of|what budget|what was the budget|"
            r"what is the budget|worth|(what|which) (is|was|are|were) the (\w+ )?(population|size|rate|total|count|"
            r"headcount|area|length|height|age|salary|wage|income|revenue|turnover|capacity|death toll|toll))\b|%"
        ),
    ),
    (
        "list",
        re.compile(
            r"\b(which countries|what countries|which areas|what areas|list|which sectors|names of|"
            r"what are the|which are the|name the|what (two|three|four|five|six) |"
            r"which (two|three|four|five|six) |key areas|components|what other)\b"
        ),
    ),
    (
        "entity",
        re.compile(
            r"\b(who|whom|whose|which (\w+ )?(organi[sz]ations?|authority|authorities|agency|"
            r"agencies|institution|ministry|department|body|partners?|government|country|countries|"
            r"institute|centre|center|project|programme|convention|company|union|treaty|law|act|agreement|"
            r"accord|factory|fire|disaster|building|brand|retailer|firm|donor|city|town|district|person|"
            r"official|officer|minister|ambassador|counsellor|committee|council|network|initiative|bank)|"
            r"what (\w+ )?"
            r"(organi[sz]ation|authority|agency|institution|ministry|department|body)|partners?|funds?|funded|funders?|implements?|implemented|"
            r"contact|counsellor|where)\b"
        ),
    ),
    (
        "definition",
        re.compile(
            r"\b(what is|what's|whats|wats|what are|what does .* (mean|stand for)|define|"
            r"meaning of|stands? for|refer to)\b"
        ),
    ),
)

LEADING_KINDS: tuple[tuple[AnswerKind, str], ...] = (
    ("frequency", "how many times"),
    ("number", "how many"),
    ("number", "how much"),
    ("duration", "how long"),
    ("frequency", "how often"),
)
LEADING_KIND = re.compile(
    r"\W*(?:and\s+|so\s+|roughly\s+|about\s+)?(how many times|how many|how much|how long|how often)\b"
)

NEED_PATTERNS: tuple[tuple[Need, re.Pattern[str]], ...] = (
    ("email", re.compile(r"\be-?mail\b")),
    ("phone", re.compile(r"\b(phone|telephone|hotline number|helpline number|mobile number|fax)\b")),
    ("web address", re.compile(r"\b(url|web ?(site )?(address|link)|link(?!\s+(between|with)))\b")),
    (
        "amount of money",
        re.compile(
            r"\b(budget|cost|costs|how much money|funding amount|worth|contribut\w* how much|"
            r"how much .*\b(contribut\w*|spen[dt]|give|gave|fund\w*|pa(y|id)|invest\w*|get|gets|receive\w*|earn\w*)|"
            r"in (taka|dollars|euros?|kroner|usd|eur|dkk|bdt))\b"
        ),
    ),
    ("percentage", re.compile(r"\b(percentage|per ?cent|what share|what proportion)\b|%")),
    ("web address", re.compile(r"\b(what|which)('s|’s| is| are| was)? (the )?(\w+ )?websites?\b|\bwebsite (of|for)\b")),
    ("address", re.compile(r"\b(the|its|their|postal|street|office|physical) address\b|\baddress of\b")),
)

PART_SPLIT = re.compile(
    r"(?:,\s*|\s+)(?:and|but|also|plus)\s+(?=(?:(?:in|for|by|at|on|from|to|with|of|over|since|until)\s+)?"
    r"(?:how|what|when|which|who|whom|whose|where|why|until)\b)|[;?]\s+(?=\w)",
    re.IGNORECASE,
)
NAMED_THINGS = re.compile(
    r"\b(names|countries|nations|organi[sz]ations|agencies|authorities|partners|donors|funders|"
    r"cities|ports|districts|institutions|institutes|universities|companies|brands|"
    r"projects|programmes|programs|conventions|ministries|unions|people|persons)\b"
)
COUNT_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}


@dataclass(frozen=True)
class QuestionPart:
    text: str
    kind: AnswerKind
    need: Need | None  # a detail without which a sentence cannot answer this part
    count: int | None = None  # "which five countries" → 5


def answer_kind(question: str) -> AnswerKind:
    """The kind of answer a question wants, e.g. 'How many inspections…' → 'number'."""
    lowered = question.lower()
    leading = LEADING_KIND.match(lowered)
    if leading:  # 'How many workers were inside when it collapsed?' counts; its 'when' is not the question
        return next(kind for kind, phrase in LEADING_KINDS if leading.group(1).startswith(phrase))
    for kind, pattern in KIND_PATTERNS:
        if pattern.search(lowered):
            return kind
    return "other"


def question_parts(question: str) -> tuple[QuestionPart, ...]:
    """The question split where it asks two things ('…, and when…?'), each part with its kind and need."""
    pieces = [piece.strip(" ,;?") for piece in PART_SPLIT.split(question) if piece and piece.strip(" ,;?")]
    return tuple(_part(piece) for piece in pieces or [question])


def _part(text: str) -> QuestionPart:
    lowered = text.lower()
    kind = answer_kind(text)
    need: Need | None = next((name for name, pattern in NEED_PATTERNS if pattern.search(lowered)), None)
    count = None
    match = re.search(
        r"\b(which|what|name the|list the|names of the|names of)\s+(two|three|four|five|six|seven|"
        r"eight|nine|ten)\b",
        lowered,
    )
    if match:
        count = COUNT_WORDS[match.group(2)]
    if CONTACT_QUESTION.search(lowered):
        need = "contact"
    if need is None:
        if kind == "number":
            need = "number"
        elif kind == "date":
            need = "date"
        elif kind == "duration":
            need = "duration"
        elif kind == "frequency":
            need = "frequency"
        elif (
            kind == "entity"
            and re.search(r"\bwhere\b", lowered)
            and not re.search(r"\b(who|whom|which)\b", lowered)
        ):
            need = "place"
        elif kind == "entity" and re.search(r"\b(who|whom|whose|which|where)\b", lowered):
            need = "name"
        elif kind in ("list", "entity") and NAMED_THINGS.search(lowered):  # 'adwib funders?'
            need = "list of names"
        elif kind == "list" and count and count >= 2:
            need = "list"
    return QuestionPart(text, kind, need, count)


NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|hundred|thousand|million|billion|half|third|quarter|dozen)\b",
    re.IGNORECASE,
)
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
MONTH = (
    r"(january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)"
)
DATE = re.compile(rf"\b(1[89]\d\d|20\d\d)\b|\b{MONTH}\b", re.IGNORECASE)
LENGTH_OF_TIME = (
    r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|a|half|[a-z]+-and-a-half)"
    r"[\s-]+(years?|months?|weeks?|days?|hours?)\b"
)
DURATION = re.compile(
    LENGTH_OF_TIME
    + r"|\b(1[89]\d\d|20\d\d)\s*(?:-|–|—|to|until|and)\s*(?:\d{1,2}\s+[A-Za-z]+\s+)?(1[89]\d\d|20\d\d)\b",
    re.IGNORECASE,
)
LENGTH = re.compile(LENGTH_OF_TIME, re.IGNORECASE)  # "a three-and-a-half year initiative", not a date range
FULL_DATE = re.compile(
    rf"\b\d{{1,2}}\s+{MONTH}\s+\d{{4}}\b|\b{MONTH}\s+\d{{1,2}},?\s+\d{{4}}\b", re.IGNORECASE
)
def full_dates(text: str) -> set[tuple[int, str, int]]:
    """The day-month-year dates in a text, as (day, month's first three letters, year)."""
    found = set()
    for match in re.finditer(rf"\b(\d{{1,2}})\s+{MONTH}\s+(\d{{4}})\b", text, re.IGNORECASE):
        found.add((int(match.group(1)), match.group(2)[:3].lower(), int(match.group(3))))
    for match in re.finditer(rf"\b{MONTH}\s+(\d{{1,2}}),?\s+(\d{{4}})\b", text, re.IGNORECASE):
        found.add((int(match.group(2)), match.group(1)[:3].lower(), int(match.group(3))))
    return found


FREQUENCY = re.compile(
    r"\b(once|twice|thrice|\w+ times|every|each|daily|weekly|monthly|quarterly|annually|"
    r"yearly|per (year|month|week|day)|a (year|month|week|day))\b",
    re.IGNORECASE,
)
PLACE = re.compile(
    r"(?:(?<=\bin )|(?<=\bat )|(?<=\bnear )|(?<=\bfrom ))(?:the )?[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*"
)
ADDRESS = re.compile(  # a street address: '12 Kazi Nazrul Islam Avenue', 'Road No. 4', 'Dhaka-1212', 'PO Box 7'
    r"\b\d+[A-Za-z]?,?\s+(?:[A-Z][\w'-]*\s+){1,4}(?:Road|Street|Avenue|Lane|Rd|St|Sarani|Way)\b"
    r"|\b(?:Road|Street|Avenue|Lane|House|Plot)\s+(?:No\.?\s*)?\d+"
    r"|\bP\.?\s?O\.?\s?Box\s+\d+|\b[A-Z][a-z]+-\d{4}\b"
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"(?<!\w)\+?\d[\d\s().-]{5,}\d")
WEB = re.compile(r"https?://\S+|\bwww\.\S+|\b[\w-]+\.(org|com|gov|int|net|dk|bd)(/\S*)?\b", re.IGNORECASE)
MONEY = re.compile(
    r"[€$£৳]\s?\d|\d[\d,.]*\s?(million|billion|thousand)?\s?(usd|eur|euros?|dollars?|dkk|kroner|"
    r"bdt|taka|tk)\b|\b(usd|eur|dkk|bdt|tk)\s?\d",
    re.IGNORECASE,
)
PERCENT = re.compile(
    r"\d[\d.,]*\s?(%|per ?cent)|\b(a|one|two)[\s-](half|third|quarter|fifth|tenth)s?\b|\bhalf\b|"
    r"\b(one|two|three|[1-9]) in (two|three|four|five|ten|[1-9]\d?)\b",
    re.IGNORECASE,
)
NAME = re.compile(
    r"\bNo\.?\s?\d+\b|\b[A-Z]{1,5}[.\-]?\d+\b|\b[A-Z][A-Za-z]*[A-Z][A-Za-z]*\b|\b[A-Z][a-z]+(?:\s+(?:of|for|the|de|van)?\s*[A-Z][a-z]+)+"
    r"|(?<=[a-z,;] )[A-Z][a-z]{2,}\b"
)


NOT_NAMES = re.compile(rf"{MONTH}|monday|tuesday|wednesday|thursday|friday|saturday|sunday", re.IGNORECASE)


def _new(
    pattern: re.Pattern[str], text: str, question: str, ignore: re.Pattern[str] | None = None
) -> list[str]:
    found = []
    for match in pattern.finditer(text):
        value = re.sub(r"^(The|A|An|This|These|Its|Their)\s+", "", match.group(0))
        if value.lower() in question or (ignore is not None and ignore.fullmatch(value.strip())):
            continue
        if pattern is NAME and NOT_NAMES.fullmatch(value.strip()):
            continue
        found.append(value)
    return found


def satisfies(text: str, need: Need, question: str, count: int | None = None) -> bool:
    """Whether `text` holds the detail `need` that is not already in the (lower-cased) question."""
    question = question.lower()
    if need == "email":
        return bool(EMAIL.search(text))
    if need == "phone":
        return bool(PHONE.search(text))
    if need == "web address":
        return bool(WEB.search(text))
    if need == "amount of money":
        return bool(MONEY.search(text))
    if need == "percentage":
        return bool(PERCENT.search(text)) and _share_of_what_is_said(text, question)
    if need == "number":
        counted = PERCENT.sub(" ", text) if "percent" not in question and "%" not in question else text
        counted = YEAR.sub(" ", FULL_DATE.sub(" ", counted))
        counted = re.sub(r"\b[A-Za-z]+-?\d+\b", " ", counted)  # names, not counts: COVID-19, C190
        if not _new(NUMBER, counted, question):
            return False
        noun = counted_noun(question)
        return noun is None or _number_near(counted, noun, question)
    if need == "date":
        return bool(_new(DATE, text, question))
    if need == "duration":
        return bool(_new(DURATION, text, question))
    if need == "frequency":
        return bool(FREQUENCY.search(text))
    if need == "place":
        return bool(_new(PLACE, text, question))
    if need == "name":
        return bool(_new(NAME, text, question))
    if need == "address":
        return bool(ADDRESS.search(text))
    if need == "contact":
        return bool(CONTACT_DETAILS.search(text) and _new(NAME, text, question))
    if need == "list":
        items = len(re.findall(r",\s|;\s|\s(?:and|or)\s", text)) + 1
        return items >= (count or 2)
    if need == "list of names":
        names = len(set(_new(NAME, text, question)))
        wanted = max(2, (count or 2) - 1)
        return names >= wanted or (count is None and text.count(",") >= 2)
    return True


NEED_PATTERN: dict[Need, re.Pattern[str]] = {
    "email": EMAIL,
    "phone": PHONE,
    "web address": WEB,
    "amount of money": MONEY,
    "percentage": PERCENT,
    "number": NUMBER,
    "date": DATE,
    "duration": DURATION,
    "frequency": FREQUENCY,
    "name": NAME,
    "list of names": NAME,
    "list": re.compile(r"[^,;]+"),
    "place": PLACE,
    "contact": NAME,
    "address": ADDRESS,
}


def need_spans(text: str, need: Need, question: str) -> list[tuple[int, int]]:
    """Where in `text` the details of kind `need` stand that the (lower-cased) question does not hold."""
    question = question.lower()
    spans = []
    for match in NEED_PATTERN[need].finditer(text):
        value = re.sub(r"^(The|A|An|This|These|Its|Their)\s+", "", match.group(0))
        if value.lower() not in question:
            spans.append((match.start(), match.end()))
    return spans


FOCUS = re.compile(
    r"\b(?:what|which|who|whom)(?:'s|’s|\s+is|\s+are|\s+was|\s+were)\s+(?:the|a|an)\s+"
    r"(?:current\s+|new\s+|former\s+|total\s+|exact\s+|main\s+|present\s+)?"
    r"(?!(?:does|do|did|is|are|was|were|can|will|would|should|could|has|have|had)\b)"
    r"(?P<focus>(?:[a-z][\w-]*\s+){0,2}?[a-z][\w-]*?)"
    r"(?=\s+(?:of|for|to|in|at|on|by|from|with|does|do|did|is|are|was|were|that|who|which|has|have|will|would|"
    r"can|could|should)\b|\s*[?.!]|$)",
    re.IGNORECASE,
)


GENERIC_FOCUS = frozenset(
    """date dates day year years month time period number numbers amount amounts percentage percent share proportion
    budget cost costs price name names kind kinds type types sort sorts else other others part parts role roles aim
    aims goal goals purpose purposes way ways reason reasons area areas thing things one ones main key end start
    title topic subject detail details level levels size total figure figures value values list person persons
    people someone somebody individual toll tally count""".split()
)


def question_focus(question: str) -> str | None:
    """The topic words of a 'what/which/who is the X…' question, without words that only name the kind of
    answer: 'Who is the current ambassador to …' → 'ambassador'; 'What is the date of …' → None."""
    match = FOCUS.search(question)
    if not match:
        return None
    words = match.group("focus").lower().split()
    if words and words[-1] in ("name", "names"):  # 'What was the name of the factory's owner?' is about an owner
        named = NAME_OF.search(question)
        words = [re.sub(r"['’]s?$", "", word) for word in named.group("np").lower().split()] if named else []
    return None if not words or words[-1] in GENERIC_FOCUS else " ".join(words)


NAME_OF = re.compile(
    r"\bnames? of (?:the |a |an )?(?P<np>(?:[\w’'-]+\s+){0,3}?[\w’'-]+?)"
    r"(?=\s+(?:of|for|to|in|at|on|by|from|with|that|who|which|is|was|were|are)\b|\s*[?.!]|$)",
    re.IGNORECASE,
)


CHAT_SPEAK = {
    "whos": "who is",
    "who's": "who is",
    "whats": "what is",
    "wats": "what is",
    "wat": "what",
    "wot": "what",
    "whn": "when",
    "wen": "when",
    "whr": "where",
    "wher": "where",
    "hw": "how",
    "u": "you",
    "ur": "your",
    "pls": "please",
    "plz": "please",
    "ppl": "people",
    "abt": "about",
    "n": "and",
    "govt": "government",
    "gov't": "government",
    "dept": "department",
    "depts": "departments",
    "org": "organisation",
    "orgs": "organisations",
    "yr": "year",
    "yrs": "years",
    "info": "information",
    "approx": "approximately",
    "1st": "first",
    "2nd": "second",
    "3rd": "third",
    "thru": "through",
    "w/": "with",
    "w/o": "without",
    "b4": "before",
    "cuz": "because",
    "coz": "because",
    "bn": "billion",
    "mn": "million",
    "tho": "though",
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "isnt": "is not",
    "wasnt": "was not",
}
_CHAT_WORD = re.compile(
    r"(?<![\w'’/])("
    + "|".join(re.escape(k) for k in sorted(CHAT_SPEAK, key=len, reverse=True))
    + r")(?![\w'’/])",
    re.IGNORECASE,
)


def normalise_question(question: str) -> str:
    """Chat-speak spelled out ('whn did u…' → 'when did you…') so the question's kind and words are found."""
    return _CHAT_WORD.sub(lambda m: CHAT_SPEAK[m.group(0).lower()], question)


COUNTED = re.compile(
    r"\bhow many\s+(?:more\s+|other\s+|additional\s+|different\s+|new\s+)?(?:[a-z][\w-]*\s+){0,3}?"
    r"(?P<noun>[a-z][\w-]*)\s+(?=(?:are|were|is|was|do|does|did|have|has|had|will|would|can|could|in|of|from|"
    r"at|for|on|to|went|got|took|that|who|must|should|may|might|shall|need|needs|be|[a-z]+ed)\b)"
)


def counted_noun(question: str) -> str | None:
    """What a 'how many X …' question counts: 'how many labour inspectors does DIFE employ' → 'inspectors'."""
    match = COUNTED.search(question.lower())
    from bot.lexical import STOPWORDS

    if not match or match.group("noun") in STOPWORDS | {"additional", "else"}:
        return None  # 'how many more are at risk' names nothing to count
    return match.group("noun")


def _number_near(text: str, noun: str, question: str, window: int = 4) -> bool:
    """A new number stands within `window` words of the counted noun (or a word of the same stem or meaning)."""
    from bot.lexical import synonym_table, terms_of

    wanted = set(terms_of(noun))
    for term in list(wanted):
        wanted |= synonym_table().get(term, frozenset())
    tokens = [m.group(0) for m in re.finditer(r"[^\W_]+(?:['’][^\W_]+)*|\d[\d,.]*", text)]  # 'eight-storey': 2
    noun_positions = [
        i
        for i, token in enumerate(tokens)
        if any(t in wanted for t in terms_of(token)) and not _modifies_next(tokens, i)
    ]
    labels = {m.group(1) for m in re.finditer(r"\b[A-Z][a-z]+ (\d+)\b", text)}  # "Phase 2", "Level 2"
    number_positions = [
        i
        for i, token in enumerate(tokens)
        if (token[0].isdigit() or NUMBER.fullmatch(token.lower()))
        and token not in labels
        and token.lower() not in question
    ]
    predicate = _asked_predicate(question, noun)
    for n in number_positions:
        said = _predicate_of(tokens, n, predicate) if predicate else None
        if said is False:
            continue
        for m in noun_positions:
            if 0 < m - n <= window or (0 < n - m <= window and not _counts_another(tokens, n)):
                return True
            if said and 0 < n - m <= 2 * window:  # '1,100 people were killed and about 2,500 were injured'
                return True
    return False


BE = frozenset({"are", "were", "is", "was", "been", "got", "get", "being"})


def _asked_predicate(question: str, noun: str) -> frozenset[str] | None:
    """The stems of what the counted things underwent: 'how many workers were injured' → injur (and synonyms)."""
    from bot.lexical import synonym_table, terms_of

    match = re.search(
        rf"\b{re.escape(noun)}\s+(?:(?:have|has|had)\s+)?(?:are|were|is|was|been|got|get)\s+([a-z]+)"
        r"(\s+(?:out|up|off)\b)?",
        question,
    )
    active = re.search(
        rf"\b{re.escape(noun)}\s+(?:(?:have|has|had)\s+)?(died|[a-z]+ed)\b(\s+(?:out|up|off)\b)?", question
    )
    if not match and active and set(terms_of(active.group(1))) & set(synonym_table()):
        match = active  # 'how many people died': judged only for verbs of known meaning ('travelled' ~ 'visited'?)
    if not match or match.group(2) or match.group(1) in LIGHT_VERBS:
        return None  # 'carried out', 'set up' are said in many ways
    stems = set(terms_of(match.group(1)))
    for stem in list(stems):
        stems |= synonym_table().get(stem, frozenset())
    return frozenset(stems) or None


def _predicate_of(tokens: list[str], position: int, predicate: frozenset[str]) -> bool | None:
    """Whether the number's own clause says the asked thing happened to them: False for '112 workers were
    killed' when the injured are counted, True for '2,500 were injured', None when it says nothing."""
    from bot.lexical import synonym_table, terms_of

    following = [token.lower() for token in tokens[position + 1 : position + 7]]
    for i, token in enumerate(following[:-1]):
        if token in BE or token in ("have", "has", "had"):  # '… were killed', '… officials have visited'
            said = set(terms_of(following[i + 1]))
            if following[i + 1] in BE:
                continue
            if token not in BE and not said & set(synonym_table()):
                return None  # an active verb of unknown meaning may say the same thing in other words
            return bool(said & predicate) if said else None
    return None


def _modifies_next(tokens: list[str], position: int) -> bool:
    """Whether the word only qualifies a plural noun after it: '33 national inspection guidelines' counts
    guidelines, not inspections."""
    from bot.lexical import STOPWORDS

    following = tokens[position + 1 : position + 2]
    if not following:
        return False
    word = following[0]
    plural = word.endswith("s") and not word.endswith("ss")
    return word.isalpha() and word.islower() and plural and word not in STOPWORDS


def _counts_another(tokens: list[str], position: int) -> bool:
    """Whether the number at `position` counts a word of its own ('launches four essential protocols'), so
    it cannot be the count of a noun before it ('inspectors numbered 575 in 2020' can)."""
    from bot.lexical import STOPWORDS

    following = tokens[position + 1 : position + 2]
    return bool(following) and following[0].isalpha() and following[0].lower() not in STOPWORDS | MAGNITUDES


MAGNITUDES = frozenset({"hundred", "thousand", "million", "billion", "lakh", "crore", "percent", "per", "more"})


def _share_of_what_is_said(text: str, question: str) -> bool:
    """'What percentage of inspectors are women?' is not answered by '70% of inspectors were trained': the
    word the share is said of must stand in the text (or a word of the same stem or meaning)."""
    from bot.lexical import synonym_table, terms_of

    match = re.search(
        r"\b(?:percentage|per ?cent|share|proportion) of (?:the |all )?(?:[a-z]+ ){0,3}?[a-z]+ "
        r"(?:are|were|is|was|have been|has been|had been|got) ([a-z]+)",
        question,
    )
    if not match:
        return True
    wanted = set(terms_of(match.group(1)))
    for term in list(wanted):
        wanted |= synonym_table().get(term, frozenset())
    said = set(terms_of(text))
    return not wanted or bool(wanted & said) or any(len(w) >= 6 and t.startswith(w[:6]) for w in wanted for t in said)


ORDINALS = {"second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
            "tenth": 10}
ORDINAL = re.compile(r"\b(" + "|".join(ORDINALS) + r")\s+(?:[a-z]+\s+)?(phase|edition|session|round|stage|meeting|"
                     r"conference|report|plan|wave|cycle|term|year)\b", re.IGNORECASE)


def ordinal_forms(question: str) -> list[set[str]]:
    """For each 'fourth phase' in the question, the ways a text can say it: fourth, 4th, Phase 4."""
    forms = []
    for match in ORDINAL.finditer(question):
        word, noun = match.group(1).lower(), match.group(2).lower()
        number = ORDINALS[word]
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number, "th")
        forms.append({word, f"{number}{suffix}", f"{noun} {number}"})
    return forms


IDENTIFIER = re.compile(r"\b(?:No\.?\s?|C\.?\s?|Convention\s+)(\d{2,4})\b|(?<![\d,.])(\d{1,3}(?:,\d{3})+|\d{3,})\b")


def identifiers(question: str) -> set[str]:
    """Numbers that name a thing in the question ('Convention No. 187', 'C190'), which an answer must be about."""
    found = set()
    for match in IDENTIFIER.finditer(question):
        value = match.group(1) or match.group(2)
        if value and not YEAR.fullmatch(value):
            found.add(value)
    return found


CONTACT_QUESTION = re.compile(
    r"\b(who|whom)\b.*\b(contact|talk|speak|reach|call|ask|write|email|get in touch)\b|\bcontact (person|point)\b",
    re.IGNORECASE,
)
CONTACT_DETAILS = re.compile(r"\b(contact|e-?mail|phone|tel|telephone|reach)\b|@|\[email", re.IGNORECASE)


AGENT = re.compile(r"\b(?:by|with|between|from|and)\s+(?:the\s+)?$")


def names_an_agent(text: str, question: str) -> bool:
    """A new name stands where a 'who' answer stands: opening the sentence, or after 'by', 'with', 'between'
    ('…implemented by IFC', 'DWEA and DIFE are the partners'), not as a place at its end."""
    question = question.lower()
    for match in NAME.finditer(text):
        value = re.sub(r"^(The|A|An|This|These|Its|Their)\s+", "", match.group(0))
        if value.lower() in question or NOT_NAMES.fullmatch(value.strip()):
            continue
        before = text[: match.start()]
        organisation = len(value.split()) >= 2 or sum(ch.isupper() for ch in value) >= 2
        if (len(before.split()) <= 2 and organisation) or AGENT.search(before):
            return True
    return False


# Milestones in the life of a law or a project. A date given for one is not the date of another: a treaty
# adopted in 1981 was not ratified in 1981, a project launched in 2016 does not end in 2016.
MILESTONES = (
    "adopt adopted adoption",
    "ratify ratified ratifies ratification",
    "sign signed signing",
    "force effect",
    "start started begin began begun launch launched commence commenced initiate initiated inaugurate",
    "end ended ends finish finished conclude concluded expire expired wrap till",
    "publish published",
)


LEGAL_ACTS = 4  # the first groups are acts of law: a date is only theirs when the text names the act


def other_milestone(text: str, question: str) -> bool:
    """Whether the text dates a different milestone from the one asked about ('When did Bangladesh ratify
    C155?' against 'C155 was adopted in 1981'). A text that names no milestone is judged only when an act of
    law is asked about: a ratification's date is never implied, a project's start often is."""
    from bot.lexical import terms_of

    groups = [frozenset(terms_of(group)) for group in MILESTONES]
    asked = {i for i, group in enumerate(groups) if group & set(terms_of(question))}
    said = {i for i, group in enumerate(groups) if group & set(terms_of(text))}
    if not asked or asked & said:
        return False
    return bool(said) or any(i < LEGAL_ACTS for i in asked)


LIGHT_VERBS = frozenset(
    "is are was were be do does did can could should would will may might must has have had take takes took make "
    "makes made get gets got give gives gave go goes went come comes came put set".split()
)


VAGUE_VERBS = frozenset(
    "happened occurred called named based located related concerned used needed required mentioned described "
    "listed stated said reported given known seen involved affected included".split()
)


def asked_action(question: str) -> str | None:
    """The verb of a 'who <verb> …' or 'which <noun> <verb>ed …' question ('Who owned the building?',
    'Which donor funded it?' → 'owned', 'funded'), unless it says little or a date range would imply it."""
    from bot.lexical import terms_of

    match = (
        re.match(r"\s*who\s+(?:was|were|is|are|has been|have been|had been|got|gets)\s+([a-z]+(?:ed|en))\b", question,
                 re.IGNORECASE)
        or re.match(r"\s*who\s+(?:[a-z]+ly\s+)?([a-z]+)\b", question, re.IGNORECASE)
    ) or re.match(
        r"\s*(?:which|what)\s+(?:[a-z'’-]+\s+){1,3}?([a-z]+ed)\b", question, re.IGNORECASE
    )
    if not match or re.match(r"\s+(up|with|out|in|on|off|together|over|into)\b", question[match.end() :]):
        return None  # a phrasal verb ('teamed up with') is said in other words
    verb = match.group(1).lower()
    milestones = {term for group in MILESTONES for term in terms_of(group)}
    if verb in LIGHT_VERBS | VAGUE_VERBS or set(terms_of(verb)) & milestones:
        return None
    return verb


STANDS_FOR = re.compile(
    r"\bwhat\s+(?:does|do|did)\s+(?:the\s+)?(?P<short>[A-Za-z][\w&-]{1,11})\s+(?:stand\s+for|abbreviate)"
    r"|\b(?:full\s+form|long\s+form|expansion)\s+of\s+(?:the\s+)?(?P<short2>[A-Za-z][\w&-]{1,11})\b",
    re.IGNORECASE,
)


def spelled_out(question: str) -> str | None:
    """The acronym a question asks to spell out ('What does DIFE stand for?' → 'DIFE')."""
    match = STANDS_FOR.search(question)
    if not match:
        return None
    short = match.group("short") or match.group("short2")
    return short if sum(ch.isupper() for ch in short) >= 2 else None


NAME_WORD = re.compile(r"(?<![\w'’-])[A-Z][\w’'-]*")


def proper_names(question: str) -> list[str]:
    """The capitalised words of a question that do not open one of its sentences: the names it is about,
    hyphenated ones in parts ('DWEA-DIFE' → 'DWEA', 'DIFE')."""
    names = []
    for match in NAME_WORD.finditer(question):
        if not question[: match.start()].strip() or re.search(r"[.?!:]\s*$", question[: match.start()]):
            continue
        word = match.group(0).rstrip("'’").removesuffix("’s").removesuffix("'s")
        names += [part for part in re.split(r"[-’']", word) if part[:1].isupper() and not NOT_NAMES.fullmatch(part)]
    return names


PURPOSE_QUESTION = re.compile(
    r"\b(trying to (achieve|do)|aims?( at| to)?|goals?|purposes?|objectives?|what for|intended to|meant to|"
    r"seeks? to|set out to|for what purpose)\b",
    re.IGNORECASE,
)
PURPOSE = re.compile(
    r"\b(aims?|aimed|objectives?|goals?|purposes?|seeks?|in order to|intended|designed to|so that|to ensure)\b",
    re.IGNORECASE,
)


def states_purpose(text: str, question: str) -> bool:
    """For 'what is the project trying to achieve?', a sentence that says what something is for ('aims to')."""
    return bool(PURPOSE_QUESTION.search(question) and PURPOSE.search(text))
