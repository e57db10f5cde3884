"""Ideas are plain text, stored exactly as written. On output: escaped, paragraphs, and
http(s) links made clickable. Nothing the author typed is ever read as HTML."""

import re

from flask_babel import gettext as _
from markupsafe import Markup, escape

# A URL runs to the next space; trailing punctuation belongs to the sentence, not the link.
URL = re.compile(r"\bhttps?://[^\s<>\"']+", re.IGNORECASE)
TRAILING = ".,;:!?)]}»”’'\""
LINK = '<a href="{0}" rel="nofollow noopener noreferrer">{0}</a>'


def linkify_line(line):
    """One line, escaped, its links clickable. Plain string work on escaped pieces: the
    queue of 50 ideas drew a text in ~120 µs with `Markup.format`, most of a row."""
    if "://" not in line:
        return escape(line)
    out = []
    pos = 0
    for match in URL.finditer(line):
        url = match.group(0).rstrip(TRAILING)
        end = match.start() + len(url)
        if len(url) <= len("https://"):
            continue
        out.append(escape(line[pos : match.start()]))
        out.append(LINK.format(escape(url)))
        pos = end
    out.append(escape(line[pos:]))
    return Markup("".join(out))


def idea_text(text):
    """Plain text as escaped paragraphs (blank lines separate them), links clickable."""
    blocks = [b.strip() for b in (text or "").replace("\r\n", "\n").split("\n\n") if b.strip()]
    # Every piece is escaped by linkify_line: joined as strings, marked safe once.
    return Markup(
        "".join(
            "<p>" + "<br>".join(linkify_line(line) for line in b.split("\n")) + "</p>"
            for b in blocks
        )
    )


def initials(name):
    """ "Sok Dara" -> "S. D."; the first letter of each word, whatever the script."""
    letters = [word[0].upper() for word in (name or "").split() if word]
    return " ".join(f"{letter}." for letter in letters[:4])


def author_label(idea):
    """How an idea's author is shown, as they chose. The email address never is."""
    name = (idea.author_name or "").strip()
    if idea.raised_live:
        if idea.raised_by == "speaker" and name:
            return _("%(name)s (speaker)", name=name)
        if idea.raised_by == "attendee" or not name:
            return _("An attendee")
    if idea.display == "name" and name:
        return name
    if idea.display == "initials" and name:
        return initials(name)
    return _("Anonymous")
