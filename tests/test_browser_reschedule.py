"""Changes of plan in a real Chromium, in English and Khmer: the organizer moves a published
session, sees the mail registrants will get and how many will get it before anything is
saved, then saves; cancels it after a confirmation page; and a visitor reads the cancelled
session's page, still at its address. Nothing leaves 127.0.0.1 and the console stays
clean."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from plan_helpers import make_registration
from playwright.sync_api import expect
from support import create_user
from world import PUBLISHED, make_event

from app.extensions import db
from app.models import Event, Mailout

pytestmark = pytest.mark.browser

ARTIFACTS = Path(os.environ.get("SALA_TEST_ARTIFACTS", "/tmp/sala-test-artifacts"))

WORDS = {
    "en": {
        "preview": "Check the mail before saving",
        "subject": "New date and time: Planning session",
        "save": "Save and mail 2 people",
        "cancelled": "This session has been cancelled.",
        "cancel": "Cancel the session",
    },
    "km": {
        "preview": "សូមពិនិត្យអ៊ីមែលមុនពេលរក្សាទុក",
        "subject": "កាលបរិច្ឆេទ និងម៉ោងថ្មី៖ " + PUBLISHED["texts"]["km"]["title"],
        "save": "រក្សាទុក ហើយផ្ញើអ៊ីមែលទៅ 2 នាក់",
        "cancelled": "កិច្ចប្រជុំនេះត្រូវបានលុបចោល។",
        "cancel": "លុបចោលកិច្ចប្រជុំ",
    },
}


def sign_in(page, email, lang):
    page.goto(f"/login?lang={lang}")
    page.fill("#email", email)
    page.fill("#password", "correct horse battery staple")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()


@pytest.mark.parametrize("lang", ["en", "km"])
def test_organizer_previews_a_move_then_cancels_and_the_public_page_says_so(app, page, lang):
    words = WORDS[lang]
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    event = make_event(starts_in=timedelta(days=10))
    make_registration(event, "dara@example.org", name="Dara")
    make_registration(event, "sokha@example.org", language="km", status="waitlisted")
    start = event.starts_at
    create_user("organizer@example.org", "admin")
    sign_in(page, "organizer@example.org", lang)

    # Move it by a day: the preview comes first, nothing is saved yet.
    page.goto(f"/admin/events/{event.id}/edit?lang={lang}")
    shown = page.locator("#starts_at").input_value()
    time = shown.split("T")[1]
    next_day = (event.starts_at + timedelta(days=1, hours=7)).strftime("%Y-%m-%d")
    page.fill("#starts_at", f"{next_day}T{time}")
    page.locator("form.session-form > p > button[type=submit]").click()
    preview = page.locator("#move-preview")
    expect(preview).to_be_visible()
    expect(preview.locator("h2")).to_have_text(words["preview"])
    expect(preview.locator("figcaption")).to_have_text(words["subject"])
    expect(preview.locator("button[name=confirm_move]")).to_have_text(words["save"])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"reschedule-preview-{lang}.png"), full_page=True)
    db.session.expire_all()
    assert db.session.get(Event, event.id).starts_at == start

    preview.locator("button[name=confirm_move]").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text(event.text("title", lang))
    db.session.expire_all()
    assert db.session.get(Event, event.id).starts_at == start.replace(second=0) + timedelta(days=1)

    # Cancel it: a confirmation page with the mail, then the state in the reader's words.
    page.get_by_role("button", name=words["cancel"]).click()
    expect(page.locator(".mail-preview pre")).to_be_visible()
    page.locator("main form[action$='/state'] button[type=submit]").click()
    expect(page.locator(".state").first).to_be_visible()
    db.session.expire_all()
    assert db.session.get(Event, event.id).state == "cancelled"

    # The public page stays, says so, and offers no registration.
    page.goto(f"/s/{event.slug}?lang={lang}")
    expect(page.locator(".cancelled-notice")).to_contain_text(words["cancelled"])
    expect(page.locator("#register form")).to_have_count(0)
    expect(page.locator(".countdown")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / f"cancelled-session-{lang}.png"), full_page=True)
    page.goto(f"/s/{event.slug}/ideas?lang={lang}")
    expect(page.locator(".cancelled-notice")).to_contain_text(words["cancelled"])
    page.watch.assert_clean()
    recorded = db.session.scalars(sa.select(Mailout.kind).where(Mailout.event_id == event.id))
    assert sorted(recorded) == ["event_cancelled", "event_moved"]
