"""The whole registration journey in headless Chromium, in English and in Khmer, with and
without JavaScript: open the page, register, read the mail from the SMTP test server,
confirm, read the join details, cancel through the manage link."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from registration_helpers import (
    LINK,
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
from app.models import Registration

pytestmark = pytest.mark.browser


@pytest.fixture
def mail_live_server(make_app, smtp):
    """The app over real HTTP, sending its mail over SMTP to the test server."""
    app = make_app(WTF_CSRF_ENABLED=True, **smtp_config(smtp))
    server = LiveServer(app).start()
    app.config["BASE_URL"] = server.url
    with app.app_context():
        make_event()
    yield server
    server.stop()


def new_page(browser, server, javascript):
    context = browser.new_context(
        base_url=server.url, java_script_enabled=javascript, timezone_id="America/New_York"
    )
    # (main serves a favicon now; this branch predates it, and a 404 shows as console error)
    context.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    page = context.new_page()
    page.watch = PageWatch(page)
    return context, page


def deliver(server):
    with server.app.app_context():
        run_once()


def last_mail(smtp, address, kind=None):
    mails = smtp.to(address)
    assert mails, f"no mail to {address}"
    if kind is None:
        return mails[-1]
    return [m for m in mails if kind in SmtpSink.text(m)][-1]


def link(message, kind):
    return [url for url, k in LINK.findall(SmtpSink.text(message)) if k == kind][0]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("lang", ["en", "km"])
def test_registration_journey(browser, mail_live_server, smtp, lang, javascript):
    server = mail_live_server
    context, page = new_page(browser, server, javascript)
    email = f"dara-{lang}-{int(javascript)}@example.org"
    try:
        page.goto(f"/s/planning?lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        title = "កិច្ចប្រជុំរៀបចំផែនការ" if lang == "km" else "Planning session"
        assert title in page.locator("h1").inner_text()
        your_time = page.locator(".your-time")
        if javascript:
            # The visitor's own time, from their browser's zone, and a live countdown.
            expect(your_time).to_be_visible()
            assert ("ញូវយ៉ក" if lang == "km" else "New York") in your_time.inner_text()
        else:
            assert your_time.count() == 0
        assert re.search(r"\d", page.locator(".countdown strong").inner_text())
        # Small phone: nothing wider than the screen.
        page.set_viewport_size({"width": 360, "height": 740})
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        page.fill("#email", email)
        page.fill("#name", "Dara")
        assert page.locator("#language").input_value() == lang
        page.check("#consent")
        page.locator("#register button[type=submit]").click()
        page.wait_for_url("**/s/planning/registered")
        assert page.locator("html").get_attribute("lang") == lang

        deliver(server)
        confirm_mail = last_mail(smtp, email)
        assert confirm_mail["Content-Language"] == lang
        if lang == "km":
            assert "កិច្ចប្រជុំរៀបចំផែនការ" in confirm_mail["Subject"]
        page.goto(link(confirm_mail, "confirm"))
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        with server.app.app_context():
            status = db.session.scalar(
                sa.select(Registration.status).where(Registration.email_key == email)
            )
        assert status == "confirmed"

        deliver(server)
        join = last_mail(smtp, email, "zoom.example.invalid/j/123456")
        assert "shared-pass" in SmtpSink.text(join)
        assert any(p.get_content_type() == "text/calendar" for p in join.iter_attachments())

        page.goto(link(join, "manage"))
        assert page.locator("html").get_attribute("lang") == lang
        assert email in page.content()
        # Cancelling asks once: a question in place (htmx) or on its own page (no JS).
        page.locator("form[action*='/cancel#'] button").click()
        question = page.locator(".confirm-question")
        expect(question).to_be_visible()
        assert question.evaluate("el => el === document.activeElement")
        with server.app.app_context():
            status = db.session.scalar(
                sa.select(Registration.status).where(Registration.email_key == email)
            )
        assert status == "confirmed"  # asking changed nothing
        page.locator("form[method=post][action$='/cancel'] button").click()
        page.wait_for_load_state()
        assert page.locator("a[href$='#register']").count() == 1  # "Register again"
        with server.app.app_context():
            status = db.session.scalar(
                sa.select(Registration.status).where(Registration.email_key == email)
            )
        assert status == "cancelled"
        deliver(server)
        assert len(smtp.to(email)) == 4  # confirm, registered, join details, cancelled
        page.watch.assert_clean()
    finally:
        context.close()


def test_bad_input_in_the_browser_keeps_the_form(browser, mail_live_server):
    context, page = new_page(browser, mail_live_server, javascript=True)
    try:
        page.goto("/s/planning?lang=en")
        page.fill("#email", "not-an-address")
        page.fill("#name", "Dara")
        page.locator("#register button[type=submit]").click()
        page.wait_for_load_state()
        assert (
            "This does not look like an email address." in page.locator("#email-error").inner_text()
        )
        assert page.locator("#email").get_attribute("aria-invalid") == "true"
        assert page.locator("#name").input_value() == "Dara"
        page.watch.assert_clean()
    finally:
        context.close()


def test_organizer_filters_update_in_place_with_htmx(browser, mail_live_server):
    server = mail_live_server
    with server.app.app_context():
        create_user("organizer@example.org", "admin")
        event_id = db.session.scalar(sa.select(Registration.event_id)) or 1
        for i in range(3):
            email = f"kh{i}@example.org"
            db.session.add(
                Registration(
                    event_id=event_id,
                    email=email,
                    email_key=email,
                    name=f"Sok {i}",
                    language="km",
                    status="confirmed",
                )
            )
        db.session.add(
            Registration(
                event_id=event_id,
                email="fr@example.org",
                email_key="fr@example.org",
                name="Marie",
                language="en",
                status="waitlisted",
            )
        )
        db.session.commit()
    context, page = new_page(browser, server, javascript=True)
    try:
        page.goto("/login")
        page.fill("#email", "organizer@example.org")
        page.fill("#password", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        page.goto(f"/admin/events/{event_id}/registrants")
        assert "4 registrants match." in page.locator("#results").inner_text()
        page.evaluate("window.notReloaded = true")
        page.select_option("#language", "km")
        page.wait_for_url("**language=km**")
        expect(page.locator("#results")).to_contain_text("3 registrants match.")
        page.fill("#q", "sok 1")
        expect(page.locator("#results")).to_contain_text("1 registrant matches.")
        assert "q=sok" in page.url
        # Updated in place: the page itself was not reloaded.
        assert page.evaluate("window.notReloaded") is True
        page.watch.assert_clean()
    finally:
        context.close()
