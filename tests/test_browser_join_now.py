"""Join details on demand in headless Chromium, in English and Khmer: the organizer sends
them to everyone confirmed now (the question in place with htmx, on its own page without
JavaScript), and the registrant reads their own on their personal page and takes the
calendar file. Mail over real SMTP; nothing leaves 127.0.0.1."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from registration_helpers import (
    PASSWORD,
    LiveServer,
    PageWatch,
    SmtpSink,
    create_user,
    smtp_config,
)
from world import make_event

from app.extensions import db
from app.mail.worker import run_once
from app.models import Registration, utcnow

pytestmark = pytest.mark.browser

DIAL_IN = "+855 23 000 000, meeting ID 123 456"


@pytest.fixture
def server(make_app, smtp):
    app = make_app(WTF_CSRF_ENABLED=True, **smtp_config(smtp))
    live = LiveServer(app).start()
    app.config["BASE_URL"] = live.url
    with app.app_context():
        event = make_event(join_release="before_start", join_release_hours=24, join_phone=DIAL_IN)
        for email, language in (("dara@example.org", "en"), ("sophea@example.org", "km")):
            db.session.add(
                Registration(
                    event=event,
                    email=email,
                    email_key=email,
                    name="Dara",
                    language=language,
                    status="confirmed",
                    confirmed_at=utcnow() - timedelta(days=1),
                )
            )
        db.session.commit()
        live.event_id = event.id
        create_user("organizer@example.org", "admin")
    yield live
    live.stop()


def new_page(browser, server, javascript=True):
    context = browser.new_context(base_url=server.url, java_script_enabled=javascript)
    context.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    page = context.new_page()
    page.watch = PageWatch(page)
    return context, page


def deliver(server):
    with server.app.app_context():
        run_once()


def join_mails(smtp, address):
    return [m for m in smtp.to(address) if "shared-pass" in SmtpSink.text(m)]


@pytest.mark.parametrize(
    ("lang", "javascript"), [("en", True), ("km", True), ("en", False)], ids=["en", "km", "nojs"]
)
def test_the_organizer_sends_the_join_details_now(browser, server, smtp, lang, javascript):
    context, page = new_page(browser, server, javascript)
    try:
        page.goto("/login")
        page.fill("#email", "organizer@example.org")
        page.fill("#password", PASSWORD)
        page.locator("form button[type=submit]").click()
        page.wait_for_load_state()
        page.goto(f"/admin/events/{server.event_id}?lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        section = page.locator("#join-now")
        button = section.locator("form button")
        people = "2 នាក់" if lang == "km" else "2 people"
        expect(button).to_contain_text(people)
        if lang == "km":
            expect(button).to_contain_text("ផ្ញើព័ត៌មានសម្រាប់ចូលរួម")
        button.click()

        # The question: how many, and the mail each language receives.
        question = page.locator("#join-now-question")
        expect(question).to_be_visible()
        expect(question).to_contain_text("2")
        if javascript:  # in place, on the session's page
            assert page.url.endswith(f"/admin/events/{server.event_id}?lang={lang}")
        else:
            assert f"/admin/events/{server.event_id}/join-now" in page.url
        previews = section.locator(".preview")
        expect(previews).to_have_count(2)
        expect(previews.first).to_contain_text("https://zoom.example.invalid/j/123456")
        expect(previews.first).to_contain_text(DIAL_IN)
        assert join_mails(smtp, "dara@example.org") == []

        section.locator(".confirm-actions button").click()
        page.wait_for_load_state()
        expect(page.locator(".flash-success")).to_contain_text("2")
        deliver(server)
        assert len(join_mails(smtp, "dara@example.org")) == 1
        assert len(join_mails(smtp, "sophea@example.org")) == 1
        expect(page.locator("#join-now .join-now-none")).to_be_visible()
        page.watch.assert_clean()
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["en", "km"])
def test_the_registrant_reads_their_own_join_details(browser, server, smtp, lang):
    address = "sophea@example.org" if lang == "km" else "dara@example.org"
    with server.app.app_context():
        from app.registration import domain

        registration = db.session.query(Registration).filter_by(email=address).one()
        raw = domain.manage_token(registration)
        db.session.commit()
    context, page = new_page(browser, server)
    try:
        page.goto(f"/r/manage/{raw}")
        assert page.locator("html").get_attribute("lang") == lang
        later = page.locator(".own-join .join-later")
        expect(later).to_be_visible()  # not released yet: it says when
        assert page.locator(".join-passcode").count() == 0

        # Released (the organizer's button): the page has them, whatever became of the mail.
        with server.app.app_context():
            from app.models import Event

            event = db.session.get(Event, server.event_id)
            event.join_released_at = utcnow()
            db.session.commit()
        page.reload()
        expect(page.locator(".join-passcode")).to_have_text("shared-pass")
        expect(page.locator(".join-dial-in")).to_have_text(DIAL_IN)
        link = page.locator(".join-url a")
        expect(link).to_have_attribute("href", "https://zoom.example.invalid/j/123456")
        if lang == "km":
            expect(page.locator("#join-heading")).to_have_text("ព័ត៌មានសម្រាប់ចូលរួម")
        with page.expect_download() as download:
            page.locator(".own-join a[download]").click()
        with open(download.value.path(), encoding="utf-8") as ics:
            body = ics.read().replace("\r\n ", "")
        assert "LOCATION:https://zoom.example.invalid/j/123456" in body
        page.watch.assert_clean()
    finally:
        context.close()
