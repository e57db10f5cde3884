"""Markdown for the Plan of Action: CommonMark (markdown-it-py) with raw HTML switched off,
then sanitized by nh3 (ammonia) to a short allow-list. Images are dropped entirely (a plan
must never make a reader's browser or mail client fetch anything from another origin), links
keep only http, https and mailto, and every table is wrapped in a scrolling box so a huge
table cannot push the page sideways."""

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr",
    "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "div",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
    "div": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}
TABLE_WRAP = '<div class="table-scroll" role="region" tabindex="0">'


@lru_cache(maxsize=1)
def parser():
    # "commonmark" preset with html off: raw HTML in the source is shown as text, never parsed.
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.disable("image")  # ![alt](url) stays as text; nh3 drops any <img> that slips through
    return md


def _allowed_class(tag, name, value):
    if tag == "div" and name == "class":
        return "table-scroll" if value == "table-scroll" else None
    return value


def sanitize(html):
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
        attribute_filter=_allowed_class,
    )


@lru_cache(maxsize=4096)
def _render(source):
    html = parser().render(source)
    html = sanitize(html)
    # Headings in a plan sit under the section's own h2: # and ## lose their tag (kept as
    # text), ### and below stay. The scroll box is added after sanitizing, by us alone.
    html = html.replace("<table>", TABLE_WRAP + "<table>").replace("</table>", "</table></div>")
    return html


def render_markdown(source):
    """Markdown source as safe HTML (Markup)."""
    if not source or not source.strip():
        return Markup("")
    return Markup(_render(source))


def plain_text(source):
    """Markdown source as readable plain text for the text part of a mail: the source itself
    is already plain text by design; only trailing spaces are tidied."""
    return "\n".join(line.rstrip() for line in (source or "").strip().splitlines())
