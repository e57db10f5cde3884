"""Session texts the organizers have not written in the page's language (issue 18.5): shown in
the session's own language, marked "not yet translated" as the README promises, and with
`lang` on those texts alone, never on the interface around them."""

from html.parser import HTMLParser

from world import make_event

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class LangSpans(HTMLParser):
    """For each element with a `lang` other than the page's: its tag, class and text."""

    def __init__(self, page_lang):
        super().__init__()
        self.page_lang = page_lang
        self.stack = []  # (tag, attrs, collected text or None)
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in VOID:
            return
        other = attrs.get("lang") not in (None, self.page_lang) and "hreflang" not in attrs
        self.stack.append((tag, attrs, [] if other else None))

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, attrs, text = self.stack.pop()
            if text is not None:
                self.found.append((open_tag, attrs.get("class", ""), "".join(text).strip()))
            if open_tag == tag:
                break

    def handle_data(self, data):
        for _, _, text in self.stack:
            if text is not None:
                text.append(data)


def other_language_parts(html, page_lang):
    parser = LangSpans(page_lang)
    parser.feed(html)
    return parser.found


def test_a_french_page_marks_the_english_session_texts_and_only_them(client):
    make_event()
    html = client.get("/s/planning?lang=fr").text
    parts = other_language_parts(html, "fr")
    assert ("h1", "", "Planning session") in parts
    assert ("p", "convener", "Convened by the Commission") in parts
    texts = [text for _, _, text in parts]
    # Only the session's own texts: no heading, button or label of the interface.
    assert all(
        t in ("Planning session", "Convened by the Commission", "Dr. Expert")
        or t.startswith(("We plan together", "Welcome"))  # the agenda: a Markdown list
        for t in texts
    ), texts
    assert '<article class="event">' in html
    notes = [
        text for _, cls, text in other_language_parts(html, "en") if cls == "untranslated-note"
    ]
    assert len(notes) == 5 and all("Pas encore traduit" in n and "anglais" in n for n in notes)


def test_a_khmer_page_marks_only_what_is_missing_in_khmer(client):
    make_event()
    html = client.get("/s/planning?lang=km").text
    parts = other_language_parts(html, "km")
    tags = {(tag, cls) for tag, cls, _ in parts}
    assert ("h1", "") not in tags  # the title is written in Khmer
    assert ("p", "convener") in tags
    notes = [
        text for _, cls, text in other_language_parts(html, "en") if cls == "untranslated-note"
    ]
    assert len(notes) == 3  # convener, agenda, speakers
    assert all("មិនទាន់បានបកប្រែ" in n and "អង់គ្លេស" in n for n in notes)


def test_an_english_page_has_no_mark(client):
    make_event()
    html = client.get("/s/planning?lang=en").text
    assert other_language_parts(html, "en") == []
    assert "untranslated-note" not in html


def test_the_home_pages_session_cards_mark_a_summary_not_in_the_page_language(client):
    """With several sessions the home page shows a card each: its summary's first paragraph
    in the session's language where the page's has none, marked, `lang` on it alone."""
    make_event()
    make_event(slug="second-session")
    french = client.get("/?lang=fr").text
    summaries = [p for p in other_language_parts(french, "fr") if p[1] == "summary"]
    assert summaries == [("div", "summary", "We plan together.")] * 2  # the first paragraph
    notes = [t for _, cls, t in other_language_parts(french, "en") if cls == "untranslated-note"]
    assert len(notes) == 4  # each card's title and summary
    assert all("Pas encore traduit" in n and "anglais" in n for n in notes)
    assert 'class="event-card" lang=' not in french  # the card itself stays French

    khmer = client.get("/?lang=km").text
    assert [p for p in other_language_parts(khmer, "km") if p[1] == "summary"] == []
    assert khmer.count('<div class="summary"><p>យើងរៀបចំផែនការជាមួយគ្នា។</p>\n</div>') == 2
    assert "untranslated-note" not in khmer
