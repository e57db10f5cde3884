"""A visitor's own pages in Chromium, at 360 and 1280 px, in Khmer and English (issue 18.3,
18.4, 18.5): erasing one's data asks first; the idea status page says when the idea joined
the published Plan of Action and offers no Withdraw; session texts not written in the page's
language are marked, beside them, in the page's language."""

from datetime import datetime

import pytest
from flask_babel import force_locale, gettext
from ideas_support import add_idea
from playwright.sync_api import expect
from support import WIDTHS, artifact_path, viewport
from world import IDEAS_OPEN, make_event

from app.extensions import db
from app.models import LinkToken, PlanVersion, Registration
from app.plan.service import get_plan
from app.templating import local_time

pytestmark = pytest.mark.browser

NO_SIDEWAYS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def words(app, lang, msgid, **values):
    with app.test_request_context(f"/?lang={lang}"), force_locale(lang):
        return gettext(msgid, **values)


@pytest.fixture
def open_page(browser, live_server, request):
    """A page at the test's width; closed after the test."""
    width = request.node.callspec.params["width"]
    context = browser.new_context(base_url=live_server.url, viewport=viewport(width))
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["km", "en"])
def test_erasing_ones_data_asks_first(app, open_page, lang, width):
    page = open_page
    event = make_event()
    registration = Registration(
        event=event, email="dara@example.org", email_key="dara@example.org", name="Dara",
        language=lang, status="confirmed", confirmed_at=datetime(2026, 11, 1),
    )  # fmt: skip
    db.session.add(registration)
    db.session.flush()
    _row, token = LinkToken.issue("manage", registration)
    db.session.commit()

    page.goto(f"/r/manage/{token}?lang={lang}")
    page.locator("form[action$='/erase'] button[type=submit]").click()
    page.wait_for_load_state()
    # Not done: the box to tick is named, beside it, in the visitor's language.
    expect(page.locator("#sure-error")).to_have_text(
        words(app, lang, "Please tick the box to confirm.")
    )
    box = page.get_by_label(words(app, lang, "Yes, delete my data. This cannot be undone."))
    expect(box).to_be_visible()
    expect(box).not_to_be_checked()
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).email == "dara@example.org"
    assert page.evaluate(NO_SIDEWAYS)
    page.screenshot(path=artifact_path(f"erase-asks-{lang}-{width}px.png"), full_page=True)

    page.check("#sure")
    page.locator("form[action$='/erase'] button[type=submit]").click()
    page.wait_for_load_state()
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).email != "dara@example.org"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["km", "en"])
def test_the_idea_status_page_says_when_the_idea_joined_the_plan(app, open_page, lang, width):
    page = open_page
    event = make_event(IDEAS_OPEN, timezone="Asia/Phnom_Penh")
    idea = add_idea(event, status="approved")
    _row, token = LinkToken.issue("idea", idea)
    published = datetime(2026, 12, 1, 13, 0)
    snapshot = {"sections": [{"items": [{"ideas": [{"id": idea.id}]}]}]}
    db.session.add(
        PlanVersion(plan=get_plan(event), number=1, published_at=published, snapshot=snapshot)
    )
    event.state = "plan_published"
    db.session.commit()
    with app.test_request_context(f"/?lang={lang}"), force_locale(lang):
        when = local_time(published, "Asia/Phnom_Penh", "long", zone=True, locale=lang)
    said = words(app, lang, "Your idea became part of the Plan of Action on %(when)s.", when=when)

    page.goto(f"/ideas/status/{token}?lang={lang}")
    expect(page.locator(".idea-in-plan")).to_contain_text(said)
    expect(page.locator("form[action$='/withdraw']")).to_have_count(0)
    assert page.evaluate(NO_SIDEWAYS)
    page.screenshot(path=artifact_path(f"idea-in-plan-{lang}-{width}px.png"), full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["km", "en"])
def test_untranslated_session_texts_are_marked_in_the_pages_language(app, open_page, lang, width):
    page = open_page
    make_event()  # its title and summary in Khmer; convener, agenda, speakers in English only
    page.goto(f"/s/planning?lang={lang}")
    notes = page.locator("main .untranslated-note")
    if lang == "en":
        expect(notes).to_have_count(0)
    else:
        expect(notes).to_have_count(3)
        for note in notes.all():
            expect(note).to_be_visible()
            assert note.get_attribute("lang") == "km"
            assert "អង់គ្លេស" in note.inner_text()  # "English", in Khmer
        expect(page.locator("main .convener[lang=en]")).to_have_text("Convened by the Commission")
    assert page.evaluate(NO_SIDEWAYS)
    page.screenshot(path=artifact_path(f"untranslated-mark-{lang}-{width}px.png"), full_page=True)
