"""Markdown for the Plan of Action: CommonMark (markdown-it-py) with raw HTML switched off,
then sanitized by nh3 (ammonia) to a short allow-list. Images are dropped entirely (a plan
must never make a reader's browser or mail client fetch anything from another origin), links
keep only http, https and mailto, and every table is wrapped in a scrolling box so a huge
table cannot push the page sideways."""

import re
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
BARE_LINK = re.compile(r'<a href="([^"]+)"([^>]*)>\1</a>')


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
    # A link whose text is its address needs no address printed after it (print CSS).
    html = BARE_LINK.sub(r'<a class="bare-link" href="\1"\2>\1</a>', html)
    return html


def render_markdown(source):
    """Markdown source as safe HTML (Markup)."""
    if not source or not source.strip():
        return Markup("")
    return Markup(_render(source))


def plain_text(source):
    """Markdown source as readable plain text for the text part of a mail: emphasis without
    its `**`, a link as its text and then its address in brackets, lists with their bullets
    or numbers, quotes with "> ". What the reader sees, not the markup."""
    if not source or not source.strip():
        return ""
    return _plain_text(source)


@lru_cache(maxsize=4096)
def _plain_text(source):
    blocks = []  # finished blocks of text
    prefixes = []  # what each line of the current block starts with (quotes, list items)
    lists = []  # per open list: the next number, or None for bullets
    first_line = [None]  # the prefix of a list item's first line ("- ", "2. ")
    tight = False  # in a tight list: its items go on consecutive lines
    starts_list = False  # the first item of a list: a blank line before it
    row, row_count = None, 0  # the cells of a table row, one line per row
    for token in parser().parse(source):
        kind = token.type
        if kind == "paragraph_open":
            tight = token.hidden and not starts_list
            starts_list = False
        if kind == "bullet_list_open":
            lists.append(None)
            starts_list = True
        elif kind == "ordered_list_open":
            lists.append(int(token.attrGet("start") or 1))
            starts_list = True
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            number = lists[-1]
            marker = "- " if number is None else f"{number}. "
            if number is not None:
                lists[-1] = number + 1
            first_line[0] = marker
            prefixes.append(" " * len(marker))
        elif kind == "list_item_close":
            prefixes.pop()
        elif kind == "blockquote_open":
            prefixes.append("> ")
        elif kind == "blockquote_close":
            prefixes.pop()
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close":
            _add_block(blocks, " | ".join(row), prefixes, first_line, tight=bool(row_count))
            row, row_count = None, row_count + 1
        elif kind == "table_open":
            row_count = 0
        elif kind == "inline" and row is not None:
            row.append(_inline_text(token.children or []))
        elif kind == "inline":
            _add_block(blocks, _inline_text(token.children or []), prefixes, first_line, tight)
        elif kind in ("fence", "code_block"):
            _add_block(blocks, token.content.rstrip("\n"), [*prefixes, "    "], first_line)
        elif kind == "hr":
            _add_block(blocks, "----", prefixes, first_line)
    return "".join(blocks).strip("\n")


def _add_block(blocks, text, prefixes, first_line, tight=False):
    lead = "".join(prefixes)
    lines = []
    for n, line in enumerate(text.split("\n")):
        prefix = lead
        if n == 0 and first_line[0]:
            prefix = lead[: -len(first_line[0])] + first_line[0] if lead else first_line[0]
        lines.append((prefix + line).rstrip())
    first_line[0] = None
    blocks.append(("\n" if tight and blocks else "\n\n") + "\n".join(lines))


def _inline_text(children):
    out = []
    links = []
    for child in children:
        kind = child.type
        if kind in ("text", "code_inline", "html_inline"):
            out.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            out.append("\n")
        elif kind == "link_open":
            links.append((child.attrGet("href") or "", len(out)))
        elif kind == "link_close" and links:
            href, start = links.pop()
            label = "".join(out[start:])
            if href and href not in (label, f"mailto:{label}"):
                out.append(f" ({href})")
        elif kind == "image":
            out.append(child.content)
    return "".join(out).strip()
