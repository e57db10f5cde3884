"""Registration over HTTP: the session page, register, confirm, capacity and waitlist, join
details and reminders, the manage page, bad input and abuse. Mail goes over real SMTP."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Blueprint
from registration_helpers import SmtpSink, deliver, form, links, mails_to, path_of, smtp_config
from world import make_event

from app.extensions import db
from app.models import AuditEntry, Idea, LinkToken, OutboxMessage, Registration, utcnow
from app.plugins import JOIN_PENDING, JoinDetails, hookimpl, plugin_state
from app.registration import domain


@pytest.fixture
def mail_app(make_app, smtp):
    """An app whose mail goes over SMTP to the test server (Flask-Mail would otherwise keep
    quiet under TESTING)."""
    app = make_app(**smtp_config(smtp))
    with app.app_context():
        yield app


@pytest.fixture
def client(mail_app):
    return mail_app.test_client()


def register_and_confirm(client, smtp, email="dara@example.org", language="en", slug="planning"):
    response = client.post(f"/s/{slug}/register", data=form(email=email, language=language))
    assert response.status_code == 302
    deliver()
    confirm_url = links(mails_to(smtp, email)[-1], "confirm")[0]
    page = client.get(path_of(confirm_url))
    assert page.status_code == 200
    done = client.post(path_of(confirm_url))
    deliver()
    return done


def registration(email="dara@example.org"):
    return db.session.scalar(sa.select(Registration).where(Registration.email_key == email.lower()))


# ---------------------------------------------------------------- the session page


def test_session_page_shows_the_session_in_its_zone_and_others(client):
    make_event()
    page = client.get("/s/planning", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = page.text
    assert "<h1>Planning session</h1>" in text
    assert "Convened by the Commission" in text and "Dr. Expert" in text and "Welcome" in text
    assert "Phnom Penh" in text and "Paris" in text and "New York" in text
    shown = re.search(r"<time [^>]*>([^<]*)</time>", text).group(1)
    assert re.search(r"\d:\d\d", shown) and not re.search(r"\d:\d\d:\d\d", shown)  # no seconds
    assert 'data-when-url="/s/planning/when"' in text and "js/session.js" in text
    assert "Time left until the start:" in text
    assert re.search(r"<strong>\d+ days?(, \d+ hours?)?</strong>", text)  # not "1 week"
    assert 'href="/s/planning/calendar.ics"' in text
    assert 'action="/s/planning/register"' in text and 'name="website"' in text
    assert "<script>" not in text and "style=" not in text


def test_home_page_with_one_session_shows_it_with_its_form(client):
    make_event()
    page = client.get("/")
    assert "<h1>Planning session</h1>" in page.text and 'action="/s/planning/register"' in page.text


def test_home_page_lists_several_sessions(client):
    make_event()
    make_event(slug="second", starts_at=utcnow() + timedelta(days=20))
    page = client.get("/")
    assert page.text.count('class="event-card"') == 2


def test_session_page_in_khmer(client):
    make_event()
    page = client.get("/s/planning?lang=km")
    assert '<html lang="km">' in page.text
    assert "កិច្ចប្រជុំរៀបចំផែនការ" in page.text
    assert "ភ្នំពេញ" in page.text  # the zone's name in Khmer, from Babel


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"registration_opens_at": utcnow() + timedelta(days=2)}, "Registration opens soon"),
        ({}, 'action="/s/planning/register"'),
        ({"registration_closes_at": utcnow() - timedelta(hours=1)}, "Registration is closed"),
        ({"starts_at": utcnow() - timedelta(minutes=30)}, "Live now"),
        ({"starts_at": utcnow() - timedelta(days=2)}, "This session has ended"),
        ({"state": "plan_published"}, "The Plan of Action is out"),
    ],
)
def test_next_step_follows_the_state_of_the_session(client, fields, expected):
    make_event(**fields)
    text = client.get("/s/planning").text
    assert expected in text
    if expected != 'action="/s/planning/register"':
        assert 'action="/s/planning/register"' not in text


def test_plan_link_only_when_the_plan_page_exists(make_app, monkeypatch):
    # The page is rendered afresh each time: the test changes the app, not the data.
    app = make_app(PAGE_CACHE_SECONDS=0)
    if "plan.public_plan" not in app.view_functions:
        plan = Blueprint("plan", __name__)
        plan.add_url_rule("/s/<slug>/plan", "public_plan", lambda slug: "plan")
        app = make_app(PAGE_CACHE_SECONDS=0)
        app.register_blueprint(plan)

    def next_step():
        text = app.test_client().get("/s/planning").text
        return text[text.index('id="register"') : text.index('class="summary"')]

    with app.app_context():
        make_event(state="plan_published")
        assert 'href="/s/planning/plan"' in next_step()
        monkeypatch.delitem(app.view_functions, "plan.public_plan")
        assert 'href="/s/planning/plan"' not in next_step()
        assert "It has been sent to every registered participant." in next_step()


def test_public_calendar_file_has_the_time_zone_and_no_join_link(client):
    make_event()
    response = client.get("/s/planning/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    body = response.text
    assert "BEGIN:VTIMEZONE" in body and "TZID:Asia/Phnom_Penh" in body
    assert "DTSTART;TZID=Asia/Phnom_Penh:" in body
    assert "zoom.example.invalid" not in body and "shared-pass" not in body


# ---------------------------------------------------------------- register and confirm


def test_new_and_known_addresses_get_the_same_answer_but_different_mail(client, smtp):
    make_event()
    first = client.post("/s/planning/register", data=form())
    again = client.post("/s/planning/register", data=form(email="DARA@example.org"))
    assert first.status_code == again.status_code == 302
    assert first.location == again.location
    check = client.get(first.location)
    assert "Check your email" in check.text
    deliver()
    mails = smtp.to("dara@example.org") + smtp.to("DARA@example.org")
    assert len(mails) == 2 and all("Confirm your registration" in m["Subject"] for m in mails)
    # Once confirmed, registering again sends the manage link instead.
    register_and_confirm(client, smtp, email="dara@example.org")
    client.post("/s/planning/register", data=form())
    deliver()
    known = mails_to(smtp, "dara@example.org", "already registered")
    assert len(known) == 1
    assert links(known[0], "manage") and not links(known[0], "confirm")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 1


def test_confirm_link_asks_first_then_confirms_and_sends_join_details_with_calendar(client, smtp):
    make_event()
    client.post("/s/planning/register", data=form(name="Dara Sok"))
    deliver()
    confirm = smtp.to("dara@example.org")[0]
    assert "Planning session" in confirm["Subject"]
    # Not greeted by name: the address is not confirmed yet, so nothing typed is repeated.
    assert "Hello," in SmtpSink.text(confirm) and "Dara Sok" not in SmtpSink.text(confirm)
    url = links(confirm, "confirm")[0]
    # Only the hash of the token is stored.
    raw = url.rsplit("/", 1)[1]
    assert db.session.scalar(sa.select(sa.func.count()).where(LinkToken.token_hash == raw)) == 0
    # Opening the link (a mail scanner might) does not confirm.
    assert "Confirm my registration" in client.get(path_of(url)).text
    assert registration().status == "unconfirmed"
    # Consent is recorded with its time.
    assert registration().consent_text == "privacy-notice"
    assert registration().consented_at is not None
    done = client.post(path_of(url))
    assert "You are registered" in done.text
    deliver()
    assert registration().status == "confirmed"
    subjects = [m["Subject"] for m in smtp.to("dara@example.org")]
    assert any(s.startswith("You are registered") for s in subjects)
    join = mails_to(smtp, "dara@example.org", "Join details")
    assert len(join) == 1
    text = SmtpSink.text(join[0])
    assert "https://zoom.example.invalid/j/123456" in text and "shared-pass" in text
    ics = [p for p in join[0].iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(ics) == 1
    calendar = ics[0].get_content()
    assert "BEGIN:VTIMEZONE" in calendar and "zoom.example.invalid" in calendar
    assert links(join[0], "manage")
    # Every mail says why it came and how to cancel.
    assert "you registered for this session" in text and "Manage or cancel" in text


def test_a_used_link_says_so_kindly_and_mails_the_manage_link(client, smtp):
    make_event()
    client.post("/s/planning/register", data=form())
    deliver()
    url = links(smtp.to("dara@example.org")[0], "confirm")[0]
    client.post(path_of(url))
    again = client.get(path_of(url))
    assert again.status_code == 200 and "Already confirmed" in again.text
    assert "/r/manage/" not in again.text
    sent = client.post(path_of(url) + "/link", follow_redirects=True)
    assert "We have sent you an email with your personal link." in sent.text
    deliver()
    assert links(mails_to(smtp, "dara@example.org", "already registered")[0], "manage")


def test_an_expired_link_asks_to_register_again(client, smtp):
    make_event()
    client.post("/s/planning/register", data=form())
    db.session.execute(sa.update(LinkToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    deliver()
    url = links(smtp.to("dara@example.org")[0], "confirm")[0]
    page = client.post(path_of(url))
    assert "This link has expired" in page.text
    assert registration().status == "unconfirmed"


@pytest.mark.parametrize("token", ["forged", "x" * 43, "y" * 500])
def test_forged_tokens_tell_nothing(client, token):
    make_event()
    client.post("/s/planning/register", data=form())
    for path in (f"/r/confirm/{token}", f"/r/manage/{token}"):
        response = client.get(path)
        assert response.status_code == 404
        assert "This link does not work" in response.text
        assert "dara" not in response.text.lower()


def test_a_manage_token_is_not_a_confirm_token(client, smtp):
    make_event()
    register_and_confirm(client, smtp)
    manage = links(mails_to(smtp, "dara@example.org", "You are registered")[0], "manage")[0]
    token = manage.rsplit("/", 1)[1]
    assert client.get(f"/r/confirm/{token}").status_code == 404


# ---------------------------------------------------------------- bad input and abuse


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (form(email=""), "Please enter your email address."),
        (form(email="not-an-address"), "This does not look like an email address."),
        (form(email="a" * 250 + "@example.org"), "An email address has at most 254 characters."),
        (form(name="N" * 5000), "Please keep the name under 200 characters."),
        (form(name=""), "Please enter a name. A pseudonym is fine."),
        (form(language="xx"), "Please choose one of the languages offered."),
        (form(country="QQ"), "Please choose a country from the list."),
        (form(affiliation="A" * 300), "Please keep this under 200 characters."),
        ({**form(), "consent": ""}, "Please agree to the privacy notice to register."),
    ],
)
def test_bad_input_gets_a_message_next_to_the_field_and_keeps_the_form(client, data, message):
    make_event()
    response = client.post("/s/planning/register", data=data)
    assert response.status_code == 200
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    # What they typed is still there (the name, unless it was the broken field).
    if data["name"] and len(data["name"]) < 200:
        assert f'value="{data["name"]}"' in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


def test_bad_input_messages_follow_the_visitors_language(client):
    make_event()
    response = client.post("/s/planning/register?lang=km", data=form(email=""))
    assert '<html lang="km">' in response.text and 'aria-invalid="true"' in response.text


def test_registration_window_closed(client):
    make_event(registration_closes_at=utcnow() - timedelta(minutes=5))
    response = client.post("/s/planning/register", data=form())
    assert response.status_code == 200
    assert "Registration for this session is closed." in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


def test_registration_not_open_yet(client):
    make_event(registration_opens_at=utcnow() + timedelta(days=1))
    response = client.post("/s/planning/register", data=form())
    assert "Registration for this session is closed." in response.text


def test_honeypot_gets_the_usual_answer_and_nothing_happens(client, smtp):
    make_event()
    response = client.post("/s/planning/register", data=form(website="http://spam.example"))
    assert response.status_code == 302 and response.location.endswith("/s/planning/registered")
    deliver()
    assert smtp.messages == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


def test_a_form_without_csrf_token_gets_the_friendly_400_page(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_event()
        response = app.test_client().post("/s/planning/register", data=form())
    assert response.status_code == 400
    assert "This form has expired or was sent from another page." in response.text
    assert "Traceback" not in response.text


def test_per_address_limit_answers_as_usual_and_sends_nothing_more(make_app, smtp):
    app = make_app(
        RATELIMIT_ENABLED=True,
        MAILBOX_MAIL_LIMIT="2 per hour",
        RATELIMIT_PUBLIC_POST="100 per minute",
        **smtp_config(smtp),
    )
    with app.app_context():
        make_event()
        client = app.test_client()
        codes = [
            client.post("/s/planning/register", data=form(email=email)).status_code
            for email in ("dara@example.org", "Dara@Example.org", "DARA@example.org")
        ]
        assert codes == [302, 302, 302]
        deliver()
        assert len(smtp.to("dara@example.org")) == 2
        # Another address is not held back by the first one's limit.
        assert (
            client.post("/s/planning/register", data=form(email="b@example.org")).status_code == 302
        )
        deliver()
        assert len(smtp.to("b@example.org")) == 1


def test_per_ip_public_post_limit(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_PUBLIC_POST="3 per minute")
    with app.app_context():
        make_event()
        client = app.test_client()
        codes = [
            client.post("/s/planning/register", data=form(email=f"p{i}@example.org")).status_code
            for i in range(4)
        ]
        assert codes == [302, 302, 302, 429]
        assert "You have tried too often" in client.post("/s/planning/register", data=form()).text


# ---------------------------------------------------------------- capacity and waitlist


def test_capacity_waitlist_and_promotion_when_someone_cancels(client, smtp):
    make_event(capacity=1)
    register_and_confirm(client, smtp, email="first@example.org")
    second = register_and_confirm(client, smtp, email="second@example.org")
    assert "You are on the waitlist" in second.text
    assert registration("second@example.org").status == "waitlisted"
    assert mails_to(smtp, "second@example.org", "waitlist")
    assert not mails_to(smtp, "second@example.org", "Join details")
    page = client.get("/s/planning").text
    assert "All seats are taken." in page
    manage = links(mails_to(smtp, "first@example.org", "You are registered")[0], "manage")[0]
    cancelled = client.post(path_of(manage) + "/cancel", follow_redirects=True)
    assert "Your registration is cancelled." in cancelled.text
    deliver()
    assert registration("second@example.org").status == "confirmed"
    assert mails_to(smtp, "second@example.org", "A seat is yours")
    assert len(mails_to(smtp, "second@example.org", "Join details")) == 1
    assert mails_to(smtp, "first@example.org", "cancelled")


def test_full_session_without_waitlist(client, smtp):
    make_event(capacity=1, waitlist_enabled=False)
    register_and_confirm(client, smtp, email="first@example.org")
    second = register_and_confirm(client, smtp, email="second@example.org")
    assert "The session is full" in second.text
    assert registration("second@example.org").status == "unconfirmed"


# ---------------------------------------------------------------- join details and reminders


def test_join_details_wait_for_the_release_time_then_go_out_once(client, smtp):
    event = make_event(
        starts_at=utcnow() + timedelta(days=5), join_release="before_start", join_release_hours=48
    )
    done = register_and_confirm(client, smtp)
    assert "We will email you the join details on" in done.text
    assert not mails_to(smtp, "dara@example.org", "Join details")
    # Time passes: the release time comes (the session is now 47 hours away).
    event.starts_at = utcnow() + timedelta(hours=47)
    db.session.commit()
    deliver()
    deliver()
    assert len(mails_to(smtp, "dara@example.org", "Join details")) == 1


def test_confirming_after_the_release_time_gets_the_details_at_once(client, smtp):
    make_event(
        starts_at=utcnow() + timedelta(hours=10), join_release="before_start", join_release_hours=48
    )
    done = register_and_confirm(client, smtp)
    assert "Your join details are on their way" in done.text
    assert len(mails_to(smtp, "dara@example.org", "Join details")) == 1


class PersonalLinks:
    """A join provider like the Zoom plugin: pending at first, then a personal link."""

    def __init__(self):
        self.ready = False
        self.erased = []

    @hookimpl
    def sala_join_details(self, registration):
        if not self.ready:
            return JOIN_PENDING
        return JoinDetails(url=f"https://zoom.example.invalid/w/{registration.id}", personal=True)

    @hookimpl
    def sala_registration_erased(self, registration):
        self.erased.append((registration.email, registration.name))


@pytest.fixture
def provider(mail_app):
    plugin = PersonalLinks()
    plugin_state(mail_app).manager.register(plugin)
    return plugin


def test_a_pending_personal_link_is_awaited_then_sent(client, smtp, provider):
    make_event()
    register_and_confirm(client, smtp)
    deliver()
    assert not mails_to(smtp, "dara@example.org", "Join details")
    provider.ready = True
    deliver()
    join = mails_to(smtp, "dara@example.org", "Join details")
    assert len(join) == 1
    text = SmtpSink.text(join[0])
    assert f"https://zoom.example.invalid/w/{registration().id}" in text
    assert "please do not share it" in text


def test_a_personal_link_too_late_falls_back_to_the_shared_link(client, smtp, provider):
    make_event()
    register_and_confirm(client, smtp)
    reg = registration()
    reg.confirmed_at = utcnow() - timedelta(minutes=16)
    db.session.commit()
    deliver()
    join = mails_to(smtp, "dara@example.org", "Join details")
    assert len(join) == 1 and "https://zoom.example.invalid/j/123456" in SmtpSink.text(join[0])
    provider.ready = True  # the personal link comes too late: no second mail
    deliver()
    assert len(mails_to(smtp, "dara@example.org", "Join details")) == 1


def test_reminders_go_out_once_and_can_be_turned_off(client, smtp):
    event = make_event()
    register_and_confirm(client, smtp)
    registration().confirmed_at = utcnow() - timedelta(days=3)  # they confirmed long ago
    event.starts_at = utcnow() + timedelta(hours=20)
    db.session.commit()
    deliver()
    deliver()
    tomorrow = mails_to(smtp, "dara@example.org", "Tomorrow")
    assert len(tomorrow) == 1
    assert "https://zoom.example.invalid/j/123456" in SmtpSink.text(tomorrow[0])
    event.starts_at = utcnow() + timedelta(minutes=50)
    db.session.commit()
    deliver()
    deliver()
    assert len(mails_to(smtp, "dara@example.org", "Starts in one hour")) == 1
    # Moved to tomorrow again, with the 24-hour reminder turned off: nothing more.
    event.starts_at = utcnow() + timedelta(hours=20)
    event.reminder_24h = False
    db.session.commit()
    deliver()
    assert len(mails_to(smtp, "dara@example.org", "Tomorrow")) == 1


def test_a_reminder_is_not_sent_to_someone_who_confirmed_after_it_was_due(client, smtp):
    make_event(starts_at=utcnow() + timedelta(hours=20))
    register_and_confirm(client, smtp)
    deliver()
    assert not mails_to(smtp, "dara@example.org", "Tomorrow")


# ---------------------------------------------------------------- manage


def manage_path(smtp, email="dara@example.org", subject="You are registered"):
    return path_of(links(mails_to(smtp, email, subject)[0], "manage")[0])


def test_manage_page_changes_name_and_language(client, smtp):
    make_event()
    register_and_confirm(client, smtp)
    path = manage_path(smtp)
    page = client.get(path)
    assert page.status_code == 200 and "dara@example.org" in page.text
    assert '<html lang="en">' in page.text
    saved = client.post(path, data={"name": "Sok", "language": "km"}, follow_redirects=True)
    assert registration().name == "Sok" and registration().language == "km"
    # The page now speaks the registrant's language.
    assert '<html lang="km">' in saved.text
    bad = client.post(path, data={"name": "x" * 5000, "language": "km"})
    # The message next to the field, in the registrant's language.
    assert "សូមសរសេរឈ្មោះឱ្យខ្លីជាង 200 តួអក្សរ។" in bad.text
    assert 'aria-invalid="true"' in bad.text and registration().name == "Sok"


def test_manage_page_names_the_country_in_the_page_language(client, smtp):
    make_event()
    client.post("/s/planning/register", data=form(language="km", country="KH"))
    deliver()
    confirm = path_of(links(mails_to(smtp, "dara@example.org")[-1], "confirm")[0])
    client.post(confirm)
    deliver()
    path = manage_path(smtp, subject="អ្នកបានចុះឈ្មោះរួចរាល់")
    khmer = client.get(path).text
    assert "<dd>កម្ពុជា</dd>" in khmer and "<dd>KH</dd>" not in khmer
    assert "<dd>Cambodge</dd>" in client.get(path + "?lang=fr").text


def test_manage_page_follows_an_explicit_language_choice(client, smtp):
    make_event()
    register_and_confirm(client, smtp, language="km")
    path = manage_path(smtp, subject="អ្នកបានចុះឈ្មោះរួចរាល់")  # the mail is in Khmer
    assert '<html lang="km">' in client.get(path).text
    assert '<html lang="en">' in client.get(path + "?lang=en").text


def test_resend_join_details_from_the_manage_page(client, smtp):
    make_event()
    register_and_confirm(client, smtp)
    path = manage_path(smtp)
    response = client.post(path + "/resend", follow_redirects=True)
    assert "The join details are on their way to your inbox." in response.text
    deliver()
    assert len(mails_to(smtp, "dara@example.org", "Join details")) == 2


def test_resend_is_rate_limited(make_app, smtp):
    # Enough links kept that the resends' own mails do not replace the one used here.
    app = make_app(RATELIMIT_ENABLED=True, MANAGE_LINKS_KEPT=10, **smtp_config(smtp))
    with app.app_context():
        make_event()
        client = app.test_client()
        register_and_confirm(client, smtp)
        path = manage_path(smtp)
        codes = [client.post(path + "/resend").status_code for _ in range(4)]
        assert codes == [302, 302, 302, 429]


def test_resend_limit_is_a_setting(make_app, smtp):
    app = make_app(
        RATELIMIT_ENABLED=True,
        LINK_MAIL_RATE_LIMIT="1 per hour",
        MANAGE_LINKS_KEPT=10,
        **smtp_config(smtp),
    )
    with app.app_context():
        make_event()
        client = app.test_client()
        register_and_confirm(client, smtp)
        path = manage_path(smtp)
        codes = [client.post(path + "/resend").status_code for _ in range(2)]
        assert codes == [302, 429]


def test_cancel_fires_the_hook_and_the_page_offers_to_register_again(client, smtp, mail_app):
    calls = []

    class Watcher:
        @hookimpl
        def sala_registration_cancelled(self, registration):
            calls.append(registration.status)

        @hookimpl
        def sala_registration_confirmed(self, registration):
            calls.append("confirmed-hook")

    plugin_state(mail_app).manager.register(Watcher())
    make_event()
    register_and_confirm(client, smtp)
    path = manage_path(smtp)
    page = client.post(path + "/cancel", follow_redirects=True)
    assert "Register again" in page.text
    assert calls == ["confirmed-hook", "cancelled"]
    assert registration().status == "cancelled"


def test_delete_my_data(client, smtp, provider):
    provider.ready = True
    event = make_event()
    register_and_confirm(client, smtp)
    reg = registration()
    reg.country, reg.affiliation = "KH", "A group"
    db.session.add(
        Idea(
            event=event,
            registration=reg,
            author_name="Dara",
            author_email=reg.email,
            display="name",
            title="An idea",
            body="Text",
        )
    )
    db.session.commit()
    path = manage_path(smtp)
    unticked = client.post(path + "/erase", data={})
    assert "Please tick the box to confirm." in unticked.text
    done = client.post(path + "/erase", data={"sure": "y"})
    assert "Your data is deleted" in done.text
    # The plugin was told before the data went.
    assert provider.erased == [("dara@example.org", "Dara")]
    reg = db.session.get(Registration, reg.id)
    assert reg.erased_at is not None and reg.status == "cancelled"
    assert "@" not in reg.email and reg.name == reg.country == reg.affiliation == ""
    idea = db.session.scalar(sa.select(Idea))
    assert idea.title == "An idea" and idea.author_name == "" and idea.display == "anonymous"
    assert client.get(path).status_code == 404
    leftovers = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.body_text.contains("dara@example.org"))
    ).all()
    assert leftovers == []
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(OutboxMessage.recipient == "dara@example.org")
        )
        == 0
    )
    # The address may register again, as a new registrant.
    assert client.post("/s/planning/register", data=form()).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 2
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(AuditEntry.action == "registration.erase")
        )
        == 1
    )


def test_erasing_a_confirmed_registrant_passes_the_seat_on(client, smtp):
    make_event(capacity=1)
    register_and_confirm(client, smtp, email="first@example.org")
    register_and_confirm(client, smtp, email="second@example.org")
    client.post(manage_path(smtp, "first@example.org") + "/erase", data={"sure": "y"})
    assert registration("second@example.org").status == "confirmed"


def test_release_sweep_is_an_internal_plugin_on_the_worker_tick(mail_app):
    names = [name for name, _ in plugin_state(mail_app).manager.list_name_plugin()]
    assert "app.registration.release" in names


def test_join_details_for_falls_back_to_the_shared_link(client, smtp):
    make_event()
    register_and_confirm(client, smtp)
    details = domain.join_details_for(registration())
    assert details.url == "https://zoom.example.invalid/j/123456" and not details.personal


def test_registering_again_after_cancelling_brings_the_mails_again(client, smtp):
    make_event()
    register_and_confirm(client, smtp)
    client.post(manage_path(smtp) + "/cancel")
    register_and_confirm(client, smtp)
    assert registration().status == "confirmed"
    assert len(mails_to(smtp, "dara@example.org", "You are registered")) == 2
    assert len(mails_to(smtp, "dara@example.org", "Join details")) == 2


def test_cancelling_asks_once_and_keeping_changes_nothing(client, smtp):
    make_event()
    register_and_confirm(client, smtp, language="km")
    path = manage_path(smtp, subject="អ្នកបានចុះឈ្មោះរួចរាល់")
    manage = client.get(path).text
    # The manage page's button only asks; it does not cancel.
    assert f'action="{path}/cancel#cancel-question"' in manage and 'method="get"' in manage
    question = client.get(f"{path}/cancel")
    assert question.status_code == 200 and registration().status == "confirmed"
    assert "តើអ្នកពិតជាចង់បោះបង់ការចុះឈ្មោះរបស់អ្នកមែនទេ?" in question.text
    assert f'href="{path}"' in question.text  # "No, keep my registration"
    step = client.get(f"{path}/cancel", headers={"HX-Request": "true"})
    assert "<html" not in step.text and "confirm-question" in step.text
    assert "HX-Request" in step.headers["Vary"]
    client.post(f"{path}/cancel")
    assert registration().status == "cancelled"
    assert client.get(f"{path}/cancel").status_code == 302  # nothing left to ask
