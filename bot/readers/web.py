"""Saved HTML pages: the article text only, with the page's own title, site name, date and address.

Navigation, scripts, styles, forms, cookie banners, share and newsletter boxes, related links and the
site's header and footer are left out; the article is the page's one `<article>`, else `<main>`, else the
body. Text that sits loose in a `<div>` is kept, and a table row is one line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bot.readers.common import BLANK, RawLine, decode_text, human_date

NEVER_CONTENT = [
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "aside",
    "form",
    "iframe",
    "svg",
    "button",
    "select",
    "input",
    "textarea",
    "dialog",
    "object",
    "embed",
    "canvas",
    "audio",
    "video",
]
BOILERPLATE_ROLES = [
    "navigation",
    "banner",
    "contentinfo",
    "dialog",
    "alertdialog",
    "search",
    "complementary",
]
BOILERPLATE_MARKER = re.compile(
    r"cookie|consent|gdpr|banner|breadcrumb|skip-link|share|social|newsletter|subscribe|signup|sign-up|menu|"
    r"sidebar|related|promo|advert|popup|modal|comments?\b|visually-hidden|sr-only|screen-reader",
    re.IGNORECASE,
)
TEXT_BLOCKS = {"p", "li", "dt", "dd", "blockquote", "pre", "figcaption", "caption", "address"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
INLINE = {
    "a",
    "abbr",
    "b",
    "bdi",
    "bdo",
    "cite",
    "code",
    "data",
    "dfn",
    "em",
    "i",
    "kbd",
    "mark",
    "q",
    "s",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "time",
    "u",
    "var",
    "wbr",
    "br",
    "font",
    "del",
    "ins",
}
TITLE_SEPARATORS = (" | ", " – ", " — ", " - ", " :: ", " · ")


def read_html(path: Path) -> tuple[list[RawLine], dict[str, str]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_text(path.read_bytes(), path.name), "html.parser")
    meta = _page_meta(soup)
    _remove_boilerplate(soup)
    articles = soup.find_all("article")
    root = (articles[0] if len(articles) == 1 else None) or soup.find("main") or soup.body or soup
    lines: list[RawLine] = []
    _walk(root, lines)
    return lines, meta


def _page_meta(soup: Any) -> dict[str, str]:
    """Title, site name, publication date and address from the page's head (and its JSON-LD, if any)."""

    def meta_content(*names: str) -> str | None:
        for name in names:
            tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
            content = tag.get("content") if tag else None
            if isinstance(content, str) and content.strip():
                return content.strip()
        return None

    linked_data = _linked_data(soup)
    site = meta_content("og:site_name", "application-name") or linked_data.get("publisher")
    title = meta_content("og:title", "twitter:title", "dc.title", "DC.title") or linked_data.get("headline")
    if not title and soup.title and soup.title.get_text(strip=True):
        title = _without_site_name(soup.title.get_text(" ", strip=True), site)
    date = meta_content(
        "article:published_time", "date", "dc.date", "DC.date", "pubdate", "publication_date"
    ) or linked_data.get("datePublished")
    if not date:
        time_tag = soup.find("time", attrs={"datetime": True})
        date = str(time_tag["datetime"]) if time_tag else None
    canonical = soup.find("link", rel="canonical")
    source = (
        str(canonical["href"]) if canonical and isinstance(canonical.get("href"), str) else None
    ) or meta_content("og:url")
    found = {
        "title": title,
        "publisher": site or meta_content("author"),
        "date": human_date(date) if date else None,
        "source": source,
    }
    return {key: value for key, value in found.items() if value}


def _linked_data(soup: Any) -> dict[str, str]:
    """headline, datePublished and the publisher's name from a schema.org JSON-LD block."""
    for script in soup.find_all("script", attrs={"type": "application/ld+json"}):
        try:
            data = json.loads(script.string or "")
        except ValueError:
            continue
        for item in data if isinstance(data, list) else [data]:
            if not isinstance(item, dict) or "headline" not in item:
                continue
            publisher = item.get("publisher")
            name = publisher.get("name") if isinstance(publisher, dict) else publisher
            found = {
                "headline": item.get("headline"),
                "datePublished": item.get("datePublished"),
                "publisher": name,
            }
            return {
                key: str(value) for key, value in found.items() if isinstance(value, str) and value.strip()
            }
    return {}


def _without_site_name(title: str, site: str | None) -> str:
    """'Rana Plaza: ten years on | Labour Safety Notes' → 'Rana Plaza: ten years on'."""
    for separator in TITLE_SEPARATORS:
        head, found, tail = title.rpartition(separator)
        if found and head and (separator == " | " or (site and tail.strip().lower() == site.lower())):
            return head.strip()
    return title


def _remove_boilerplate(soup: Any) -> None:
    for tag in soup(NEVER_CONTENT):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": BOILERPLATE_ROLES}):
        tag.decompose()
    for tag in soup.find_all(["header", "footer"]):
        # An article's own header holds its title and date; the site's header and every footer go.
        if tag.name == "footer" or tag.find_parent("article") is None:
            tag.decompose()
    for tag in soup.find_all(True):
        if tag.attrs is not None and _is_boilerplate(tag):  # attrs is None once a parent was removed
            tag.decompose()


def _is_boilerplate(tag: Any) -> bool:
    if tag.name in ("html", "body", "main", "article"):
        return False  # the page's frame, whatever its class says
    if tag.get("hidden") is not None or tag.get("aria-hidden") == "true":
        return True
    marker = " ".join([str(tag.get("id") or ""), *[str(c) for c in (tag.get("class") or [])]])
    return bool(BOILERPLATE_MARKER.search(marker))


def _walk(element: Any, lines: list[RawLine]) -> None:
    """Headings, paragraphs, list items and table rows in reading order; loose text as paragraphs."""
    from bs4 import Comment, NavigableString, Tag

    loose: list[str] = []

    def flush() -> None:
        text = " ".join(" ".join(loose).split())
        loose.clear()
        if len(text.split()) >= 2:
            lines.extend([(text, "text", 0, None), BLANK])

    for child in element.children:
        if isinstance(child, Comment):
            continue
        if isinstance(child, NavigableString):
            loose.append(str(child))
        elif not isinstance(child, Tag):
            continue
        elif child.name in INLINE:
            loose.append(child.get_text(" "))
        else:
            flush()
            _block(child, lines)
    flush()


def _block(tag: Any, lines: list[RawLine]) -> None:
    text = " ".join(tag.get_text(" ", strip=True).split())
    if tag.name in HEADINGS:
        if text:
            lines.extend([BLANK, (text, "heading", min(int(tag.name[1]), 3), None), BLANK])
    elif tag.name == "li":
        nested = tag.find(["ul", "ol"])
        if nested is not None:  # the item's own words, then its sub-list
            own = " ".join(" ".join(s for s in tag.find_all(string=True) if nested not in s.parents).split())
            if own:
                lines.append((own, "bullet", 0, None))
            _walk(nested, lines)
        elif text:
            lines.append(
                (text, "item" if tag.parent is not None and tag.parent.name == "ol" else "bullet", 0, None)
            )
    elif tag.name == "table":  # one block, a line per row
        for row in tag.find_all("tr"):
            cells = [" ".join(cell.get_text(" ", strip=True).split()) for cell in row.find_all(["td", "th"])]
            if any(cells):
                lines.append((" | ".join(cell for cell in cells if cell), "text", 0, None))
        lines.append(BLANK)
    elif tag.name in TEXT_BLOCKS:
        if text:
            lines.append((text, "text", 0, None))
            if not text.endswith(":"):  # a list's lead-in stays with the list
                lines.append(BLANK)
    else:
        _walk(tag, lines)
