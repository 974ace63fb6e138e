"""What the chat window shows: the answer as safe Markdown and the cited passages as safe HTML.

Text from documents and questions is always escaped: it is shown as text, never rendered as markup.
"""

from __future__ import annotations

import html
import re

from bot.formatting import describe_source
from bot.types import Answer, Citation

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def markdown_text(text: str) -> str:
    """Text that Markdown and HTML renderers show literally."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def answer_markdown(answer: Answer) -> str:
    if answer.abstained:
        body = f"**Not in the documents.** {markdown_text(answer.text)}"
        if answer.reason:
            body += f"\n\n_{markdown_text(answer.reason)}_"
        return body
    return " ".join(f"{markdown_text(s.text)} \\[{s.citation + 1}\\]" for s in answer.sentences)


def sources_html(answer: Answer) -> str:
    """The cited passages, answering sentences marked, with title, publisher, date, section and page."""
    citations = answer.related if answer.abstained else answer.citations
    if not citations:
        return ""
    heading = "Closest passages (they do not answer the question)" if answer.abstained else "Sources"
    items = "".join(_citation_html(number, citation) for number, citation in enumerate(citations, start=1))
    return f'<div class="sources"><h4>{heading}</h4><ol>{items}</ol></div>'


def _citation_html(number: int, citation: Citation) -> str:
    text = citation.text
    pieces: list[str] = []
    cursor = 0
    for span in citation.highlights:
        pieces.append(html.escape(text[cursor : span.start]))
        pieces.append(f"<mark>{html.escape(text[span.start : span.end])}</mark>")
        cursor = span.end
    pieces.append(html.escape(text[cursor:]))
    body = "".join(pieces).replace("\n", "<br>")
    return (f'<li class="source" value="{number}"><div class="source-title"><b>[{number}]</b> '
            f"{html.escape(describe_source(citation))}</div><div class=\"passage\">{body}</div></li>")


CSS = """
.sources mark { background: #fff1a8; }
.sources .passage { white-space: normal; margin: 0.2em 0 0.8em 0; color: #333; }
.sources .source-title { font-size: 0.9em; color: #555; }
.status-badge { display: inline-block; padding: 0.15em 0.6em; border-radius: 0.8em; font-size: 0.9em; }
.status-badge.answered { background: #e3f4e1; color: #1d5a17; }
.status-badge.not-found { background: #fde8d7; color: #7a3300; }
.status-badge.not-ready { background: #f6d5d5; color: #7a0000; }
"""


def question_markdown(question: str) -> str:
    """The user's question as the chat shows it: literally, never as Markdown or HTML."""
    return markdown_text(question) if question.strip() else "\\(empty question\\)"


def not_ready_markdown(reason: str) -> str:
    return f"**The assistant is not ready.** {markdown_text(reason)}"


def status_html(answer: Answer | None, problem: str | None = None) -> str:
    """A badge above the sources: answered from the documents, not in the documents, or not ready."""
    if answer is None:
        return f'<span class="status-badge not-ready">Not ready: {html.escape(problem or "unknown")}</span>'
    if answer.abstained and answer.reason == "invalid question":
        return '<span class="status-badge not-found">Please rephrase the question</span>'
    if answer.abstained:
        return '<span class="status-badge not-found">Not in the documents</span>'
    count = len(answer.citations)
    return (f'<span class="status-badge answered">Answered from the documents: {count} '
            f'passage{"s" if count != 1 else ""} cited</span>')
