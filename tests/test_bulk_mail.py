"""Bulk mail (issue 17 §1): the plan and announcements reach every pre-registrant who proved
their address (confirmed or waitlisted), never an unconfirmed one; the organizer sees the
counts before sending; each bulk mail carries one-click unsubscribe (RFC 8058), List-Id,
Reply-To and the personal links, checked on mail received over real SMTP; the one-click
POST works exactly as mail providers send it and stops bulk mail only."""

import re

import pytest
import sqlalchemy as sa
from plan_helpers import PUBLISH_AND_MAIL, make_registration
from world import CONCLUDED, make_event

from app.extensions import db
from app.mail.worker import run_once
from app.models import PlanItem, PlanSection, Registration
from app.plan import service
from app.registration import domain

CONTACT = "team@example.org"


@pytest.fixture
def organizer(mail_app):
    from support import Auth, create_user

    mail_app.config["CONTACT_EMAIL"] = CONTACT
    client = mail_app.test_client()
    create_user("organizer@example.org", "admin")
    Auth(client).login("organizer@example.org")
    return client


def ready_plan(event):
    plan = service.get_plan(event)
    plan.intro = {
        "en": "We agreed on **three things**; see [the report](https://example.org/report).",
        "km": "យើងបានឯកភាពលើ **បីចំណុច**។",
    }
    section = PlanSection(plan=plan, title={"en": "Rights", "km": "សិទ្ធិ"}, body={}, position=0)
    item = PlanItem(
        section=section, position=0, what={"en": "Free them", "km": "ដោះលែងពួកគេ"},
        who={}, due="", status="agreed",
    )  # fmt: skip
    db.session.add_all([section, item])
    db.session.commit()
    return plan


def one_click_path(message):
    """The https link of List-Unsubscribe, as a path of the test site."""
    [url] = re.findall(r"<(http[^>]+)>", message["List-Unsubscribe"])
    assert url.startswith("http://sala.test/")
    return url.removeprefix("http://sala.test")


def test_the_plan_reaches_confirmed_and_waitlisted_with_bulk_headers(organizer, smtp):
    event = make_event(CONCLUDED)
    make_registration(event, "reader@example.org", name="Dara")
    make_registration(event, "waiting@example.org", language="km", status="waitlisted")
    make_registration(event, "never@example.org", status="unconfirmed")
    make_registration(event, "gone@example.org", status="cancelled")
    ready_plan(event)

    editor = organizer.get(f"/admin/events/{event.id}/plan").get_data(as_text=True)
    assert (
        "It goes to the confirmed registrants (1) and to those on the waiting list (1). "
        "Addresses never confirmed (1) get nothing." in editor
    )

    response = organizer.post(f"/admin/events/{event.id}/plan/publish", data=PUBLISH_AND_MAIL)
    assert response.status_code == 302
    assert run_once().sent == 2
    assert sorted(m["To"] for m in smtp.messages) == [
        "reader@example.org",
        "waiting@example.org",
    ]
    for message in smtp.messages:
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert one_click_path(message).startswith("/u/")
        assert message["List-Id"] == "<plan-test.sala.test>"
        assert message["Reply-To"] == CONTACT
        text, html = smtp.text(message), smtp.html(message)
        assert "http://sala.test/r/manage/" in text and "http://sala.test/r/manage/" in html
        assert "http://sala.test" + one_click_path(message) in text
    # Each registrant gets their own links.
    paths = {one_click_path(m) for m in smtp.messages}
    assert len(paths) == 2

    [english] = smtp.to("reader@example.org")
    text = smtp.text(english)
    assert "Hello Dara," in text
    assert "We agreed on three things; see the report (https://example.org/report)." in text
    assert "**" not in text and "](" not in text
    [khmer] = smtp.to("waiting@example.org")
    assert "យើងបានឯកភាពលើ បីចំណុច។" in smtp.text(khmer)


def test_a_transactional_mail_has_reply_to_but_no_unsubscribe(organizer, smtp):
    event = make_event()
    registration = make_registration(event, "reader@example.org")
    domain.release_join_details(registration)
    db.session.commit()
    assert run_once().sent == 1
    [join] = smtp.messages
    assert join["Reply-To"] == CONTACT
    assert join["List-Unsubscribe"] is None and join["List-Unsubscribe-Post"] is None


def test_one_click_unsubscribe_as_a_mail_provider_posts_it(organizer, make_app, smtp):
    event = make_event()
    registration = make_registration(event, "reader@example.org")
    make_registration(event, "other@example.org")
    run_once()  # their join details
    smtp.messages.clear()
    texts = {"en": ("Room change", "We meet in the big room.")}
    domain.announce(event, texts, None, "announce-1")
    db.session.commit()
    assert run_once().sent == 2
    [announcement] = smtp.to("reader@example.org")
    path = one_click_path(announcement)

    # A provider's POST: CSRF protection on, no cookie, no token, no Origin, no Referer.
    provider = make_app(WTF_CSRF_ENABLED=True).test_client(use_cookies=False)
    # Opening the link (a link checker, a preview) stops nothing.
    assert provider.get(path).status_code == 200
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).bulk_mail_stopped_at is None
    response = provider.post(
        path,
        data=b"List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).bulk_mail_stopped_at is not None
    # A second POST (providers retry) changes nothing and fails nothing.
    assert provider.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    # A forged link stops nobody.
    forged = path[:-3] + ("abc" if not path.endswith("abc") else "xyz")
    assert provider.post(forged, data={"List-Unsubscribe": "One-Click"}).status_code == 404

    smtp.messages.clear()
    domain.announce(event, {"en": ("Reminder", "Tomorrow.")}, None, "announce-2")
    db.session.commit()
    run_once()
    assert [m["To"] for m in smtp.messages] == ["other@example.org"]
    page = organizer.get(f"/admin/events/{event.id}/announce").get_data(as_text=True)
    assert "Of them, 1 stopped these mails and get nothing." in page

    # The join details are about the registration itself: they still go.
    smtp.messages.clear()
    registration = db.session.get(Registration, registration.id)
    assert domain.release_join_details(registration, resend=True) is not None
    db.session.commit()
    run_once()
    assert [m["To"] for m in smtp.messages] == ["reader@example.org"]
    assert registration.bulk_mail_stopped_at is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 2


def test_a_providers_one_clicks_for_many_registrants_are_not_refused(make_app):
    """Mail providers post every user's one-click unsubscribe from a few addresses of their
    own: the limit counts per link, not per address."""
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    with app.app_context():
        from app.mail.unsubscribe import token_for

        event = make_event()
        tokens = [token_for(make_registration(event, f"person{n}@example.org")) for n in range(30)]
    provider = app.test_client(use_cookies=False)
    statuses = [
        provider.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"}).status_code
        for token in tokens
    ]
    assert statuses == [200] * 30
    # One link posted again and again is limited.
    again = [provider.post(f"/u/{tokens[0]}").status_code for _ in range(12)]
    assert 429 in again
