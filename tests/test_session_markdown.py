"""Issue 18.9 (texts): ONE rule for every organizer text, said next to the field: the
multi-line prose is Markdown with a preview, rendered by the plan's sanitizer (no raw HTML,
no images, safe links) on the public page and in mails, whose plain-text part reads as
text. Titles stay plain text. Session texts (summary, agenda, speakers, privacy notice) and
the follow-up mail join the plan and the announcements."""

import re

import pytest
from plan_helpers import make_registration
from world import CONCLUDED, PUBLISHED, make_event

from app.extensions import db
from app.mail.outbox import render_mail
from app.models import Event

PROSE = (
    "We meet **online**, see [the page](https://example.org/about).\n\n"
    "- first point\n- second point\n\n"
    '<script>alert("x")</script> ![tracker](https://evil.example/pixel.png)'
)


@pytest.fixture
def organizer(client, auth, admin_user):
    auth.login(admin_user.email)
    return client


def set_texts(event, **texts):
    event.texts = {**event.texts, "en": {**event.texts["en"], **texts}}
    db.session.commit()


def test_the_public_page_renders_session_prose_as_safe_markdown_titles_stay_plain(client):
    event = make_event(PUBLISHED)
    set_texts(event, title="**Not bold**", summary=PROSE, agenda="1. Welcome\n2. Ideas")
    html = client.get(f"/s/{event.slug}?lang=en").text
    summary = html.split('<div class="summary">')[1].split("</div>")[0]
    assert "<strong>online</strong>" in summary
    assert '<a href="https://example.org/about" rel="nofollow noopener noreferrer">' in summary
    assert "<ul>\n<li>first point</li>" in summary
    assert "<script>" not in summary and "&lt;script&gt;" in summary
    assert "<img" not in html  # an image is never fetched: at most a link to click
    assert "<ol>\n<li>Welcome</li>\n<li>Ideas</li>\n</ol>" in html
    assert "**Not bold**" in html and "<strong>Not bold</strong>" not in html


def test_the_home_card_shows_the_summarys_first_paragraph_formatted(client):
    first = make_event(PUBLISHED)
    make_event(PUBLISHED, slug="another")
    set_texts(first, summary=PROSE)
    html = client.get("/?lang=en").text
    assert '<div class="summary"><p>We meet <strong>online</strong>' in html
    assert "first point" not in html  # only the first paragraph on a card


def test_the_session_form_says_markdown_at_each_prose_field_and_previews_without_saving(
    organizer,
):
    event = make_event(PUBLISHED)
    url = f"/admin/events/{event.id}/edit?lang=en"
    page = organizer.get(url).text
    hint = "Markdown, as in the Plan of Action: **bold**, *italic*, lists, links."
    for name in ("summary_en", "agenda_en", "speakers_en", "privacy_notice_en"):
        field = page.split(f'id="{name}"')[1].split('class="field')[0]
        assert hint in field, name
    for name in ("title_en", "convener_en"):
        assert hint not in page.split(f'id="{name}"')[1].split('class="field')[0], name

    form = organizer.get(url).text
    data = {
        m.group(1): m.group(2)
        for m in re.finditer(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form)
        if "checkbox" not in m.group(0)
    }
    data.update({"summary_en": PROSE, "title_en": "Planning session", "preview": "texts"})
    preview = organizer.post(url, data=data)
    assert preview.status_code == 200
    box = preview.text.split('id="summary_en-preview"')[1].split("</div>")[0]
    assert "<strong>online</strong>" in box and "<li>second point</li>" in box
    assert "<script>" not in box
    assert "Nothing is saved yet." in preview.text
    assert 'name="summary_en"' in preview.text and "We meet **online**" in preview.text  # kept
    db.session.expire_all()
    assert (
        db.session.get(Event, event.id).texts["en"]["summary"]
        == "We plan together.\n\nSecond paragraph."
    )


def test_the_follow_up_mail_is_markdown_formatted_in_html_and_readable_as_text(app):
    from app.followup import service

    event = make_event(CONCLUDED)
    registration = make_registration(event, "dara@example.org")
    subject, text, html = render_mail(
        "followup",
        "en",
        registration=registration,
        manage_url="https://x/m",
        unsubscribe_url="https://x/u",
        feedback_url="",
        **service.mail_context(event, "Thanks", PROSE, "", [], ""),
    )
    assert "<strong>online</strong>" in html and "<li>first point</li>" in html
    assert "<script>" not in html and "<img" not in html
    assert "We meet online, see the page (https://example.org/about)." in text
    assert "- first point\n- second point" in text
    assert "**" not in text
