"""Sessions from the browser: create, edit, duplicate and archive, with bad input of every
kind (a message next to the field, the form kept, never a 500), organizers only; the public
archive page."""

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from support import Auth, create_user
from world import make_event

from app.extensions import db
from app.models import AuditEntry, Event, Idea, Plan, PlanVersion, Registration, Theme, utcnow


@pytest.fixture
def organizer(client, admin_user):
    Auth(client).login(admin_user.email)
    return client


def valid_form(**overrides):
    start = (utcnow() + timedelta(days=30)).replace(hour=0, minute=0, second=0, microsecond=0)
    data = {
        "slug": "planning-2024",
        "default_language": "en",
        "title_en": "Planning 2024",
        "summary_en": "We plan again.",
        "title_km": "",
        "starts_at": start.strftime("%Y-%m-%dT14:00"),
        "duration_minutes": "90",
        "timezone": "Asia/Phnom_Penh",
        "extra_timezones": "Europe/Paris, America/New_York",
        "registration_opens_at": "",
        "registration_closes_at": "",
        "capacity": "",
        "waitlist_enabled": "y",
        "ideas_open_at": "",
        "ideas_close_at": "",
        "join_release": "on_confirmation",
        "join_release_hours": "24",
        "join_url": "https://zoom.example.invalid/j/1",
        "join_passcode": "pass",
        "meeting_id": "",
        "reminder_24h": "y",
        "retention_days": "90",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def error_for(html, field_id):
    """The error text shown next to a field (tied to it by id), or None."""
    match = re.search(rf'id="{re.escape(field_id)}-error">(.*?)</div>', html, re.S)
    return re.sub(r"<[^>]+>", " ", match.group(1)).strip() if match else None


def test_organizers_only(client, moderator_user):
    event = make_event()
    for url in (
        "/admin/events/new",
        f"/admin/events/{event.id}/edit",
        f"/admin/events/{event.id}/duplicate",
        f"/admin/events/{event.id}/archive",
        f"/admin/events/{event.id}/dashboard",
    ):
        assert client.get(url).status_code == 302, url
        assert "/login" in client.get(url).headers["Location"]
    Auth(client).login(moderator_user.email)
    for url in (
        "/admin/events/new",
        f"/admin/events/{event.id}/edit",
        f"/admin/events/{event.id}/duplicate",
        f"/admin/events/{event.id}/dashboard",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post("/admin/events/new", data=valid_form()).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 1


def test_create_a_session_stores_utc_and_audits(organizer):
    page = organizer.get("/admin/")
    assert 'href="/admin/events/new"' in page.text
    form = organizer.get("/admin/events/new").text
    assert 'id="texts-en"' in form and 'id="texts-km"' in form  # one fieldset per language
    response = organizer.post("/admin/events/new", data=valid_form())
    assert response.status_code == 302
    event = db.session.scalar(sa.select(Event).where(Event.slug == "planning-2024"))
    assert event.state == "draft"
    # 14:00 in Phnom Penh (UTC+7) is 07:00 UTC.
    assert (event.starts_at.hour, event.starts_at.minute) == (7, 0)
    assert event.duration_minutes == 90
    assert event.extra_timezones == ["Europe/Paris", "America/New_York"]
    assert event.text("title", "km") == "Planning 2024"  # falls back to English
    assert "km" not in event.texts
    audit = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert "event.create" in audit
    page = organizer.get(response.headers["Location"])
    assert "Planning 2024" in page.text
    assert f'/admin/events/{event.id}/edit"' in page.text  # linked from the event tabs
    assert f'/admin/events/{event.id}/duplicate"' in page.text


@pytest.mark.parametrize(
    "overrides, field_id, words",
    [
        ({"slug": ""}, "slug", "short address"),
        ({"slug": "Bad Slug!"}, "slug", "small letters"),
        ({"slug": "x" * 81}, "slug", "at most 80"),
        ({"title_en": ""}, "title_en", "title in the default language"),
        ({"title_en": "x" * 201}, "title_en", "at most 200"),
        ({"summary_km": "ក" * 10001}, "summary_km", "at most 10000"),
        ({"starts_at": ""}, "starts_at", "date and time"),
        ({"starts_at": "tomorrow-ish"}, "starts_at", "YYYY-MM-DD HH:MM"),
        ({"duration_minutes": "0"}, "duration_minutes", "between 1 minute"),
        ({"duration_minutes": "abc"}, "duration_minutes", "integer"),
        ({"timezone": "Mars/Olympus"}, "timezone", "not a time zone we know"),
        ({"extra_timezones": "Europe/Paris, Nowhere/City"}, "extra_timezones", "Nowhere/City"),
        ({"capacity": "0"}, "capacity", "at least 1"),
        ({"capacity": "-5"}, "capacity", "at least 1"),
        (
            {
                "registration_opens_at": "2030-01-10T10:00",
                "registration_closes_at": "2030-01-09T10:00",
            },
            "registration_closes_at",
            "close after it opens",
        ),
        (
            {"ideas_open_at": "2030-01-10T10:00", "ideas_close_at": "2030-01-10T10:00"},
            "ideas_close_at",
            "close after they open",
        ),
        ({"join_release": "whenever"}, "join_release", "choose when"),
        ({"join_release": "before_start", "join_release_hours": ""}, "join_release_hours", "hours"),
        ({"join_release_hours": "100000"}, "join_release_hours", "720"),
        ({"join_url": "javascript:alert(1)"}, "join_url", "https://"),
        ({"join_url": "https://x.org/" + "a" * 500}, "join_url", "at most 500"),
        ({"join_passcode": "p" * 101}, "join_passcode", "at most 100"),
        ({"retention_days": "0"}, "retention_days", "Between 1 and 3650"),
        ({"default_language": "xx"}, "default_language", "languages offered"),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_the_form_kept(
    organizer, overrides, field_id, words
):
    data = valid_form(summary_en="Kept text", **overrides)
    response = organizer.post("/admin/events/new", data=data)
    assert response.status_code == 200
    message = error_for(response.text, field_id)
    assert message and words.lower() in message.lower(), (field_id, message)
    assert "Kept text" in response.text  # what was typed stays
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


def test_a_taken_slug_and_registration_after_start_are_refused(organizer):
    make_event(slug="planning-2024")
    response = organizer.post("/admin/events/new", data=valid_form())
    assert "Another session already uses this address" in error_for(response.text, "slug")
    late = valid_form(slug="late", registration_opens_at="2099-01-01T10:00")
    response = organizer.post("/admin/events/new", data=late)
    assert "open before the session starts" in error_for(response.text, "registration_opens_at")


def test_a_start_in_the_past_is_accepted_with_a_warning(organizer):
    response = organizer.post(
        "/admin/events/new", data=valid_form(starts_at="2020-03-01T10:00"), follow_redirects=True
    )
    assert response.status_code == 200
    assert "the start you entered is in the past" in response.text
    assert db.session.scalar(sa.select(Event.starts_at)) == datetime(2020, 3, 1, 3, 0)


def test_the_zoom_meeting_field_shows_only_with_the_zoom_plugin(make_app):
    with_zoom = make_app()
    without = make_app(PLUGINS="moderation,smtp")
    for app, email, shown in (
        (with_zoom, "org1@example.org", True),
        (without, "org2@example.org", False),
    ):
        with app.app_context():
            create_user(email, "admin")
            client = app.test_client()
            Auth(client).login(email)
            page = client.get("/admin/events/new").text
            assert ('name="meeting_id"' in page) is shown


def test_edit_texts_per_language_and_themes(organizer):
    event = make_event(ideas_open_at=utcnow())
    event.themes = [
        Theme(labels={"en": "Elections"}, position=0),
        Theme(labels={"en": "Media", "km": "ប្រព័ន្ធផ្សព្វផ្សាយ"}, position=1),
    ]
    db.session.commit()
    elections, media = event.themes
    idea = Idea(event=event, title="t", body="b", theme_id=elections.id, status="approved")
    db.session.add(idea)
    db.session.commit()
    page = organizer.get(f"/admin/events/{event.id}/edit").text
    assert 'value="Planning session"' in page
    assert "not translated" in page  # Elections has no Khmer label
    assert "Not written in this language yet" in page  # the Khmer agenda is empty
    data = valid_form(
        slug="planning",
        title_en="Planning session, revised",
        title_km="កិច្ចប្រជុំថ្មី",
        starts_at="2030-05-01T09:00",
    )
    data.update(
        {
            f"theme-{elections.id}-en": "Elections",
            f"theme-{elections.id}-remove": "y",
            f"theme-{media.id}-en": "Free media",
            f"theme-{media.id}-km": "ប្រព័ន្ធផ្សព្វផ្សាយ",
            f"theme-{media.id}-position": "5",
            "theme-new0-en": "Justice",
            "theme-new0-km": "យុត្តិធម៌",
            "theme-new0-position": "1",
        }
    )
    # A published session moved to another time: the mail to registrants is shown first.
    preview = organizer.post(f"/admin/events/{event.id}/edit", data=data)
    assert preview.status_code == 200 and "Check the mail before saving" in preview.text
    data["moving"] = re.search(r'name="moving" value="([^"]+)"', preview.text).group(1)
    response = organizer.post(f"/admin/events/{event.id}/edit", data=data)
    assert response.status_code == 302, response.text
    db.session.expire_all()
    assert event.text("title", "km") == "កិច្ចប្រជុំថ្មី"
    assert [t.label("en") for t in event.themes] == ["Justice", "Free media"]
    assert db.session.get(Idea, idea.id).theme_id is None  # the idea stays, without theme
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "event.edit"))
    assert "texts" in entry.detail["changed"] and "theme.remove" in entry.detail["changed"]


def test_a_theme_without_any_name_or_a_bad_order_is_refused(organizer):
    event = make_event()
    event.themes = [Theme(labels={"en": "Elections"}, position=0)]
    db.session.commit()
    theme = event.themes[0]
    data = valid_form(slug="planning", summary_en="Kept")
    data.update(
        {f"theme-{theme.id}-en": "", "theme-new0-en": "New one", "theme-new0-position": "first"}
    )
    response = organizer.post(f"/admin/events/{event.id}/edit", data=data)
    assert response.status_code == 200
    assert "needs a name in at least one language" in response.text
    assert "A whole number between" in response.text
    assert 'value="New one"' in response.text and "Kept" in response.text
    db.session.expire_all()
    assert [t.label("en") for t in event.themes] == ["Elections"]


def test_duplicate_shifts_dates_copies_texts_themes_and_settings_not_people(organizer):
    event = make_event(slug="planning-2023", capacity=300, registration_closes_at=utcnow())
    event.themes = [Theme(labels={"en": "Elections", "km": "ការបោះឆ្នោត"}, position=0)]
    db.session.add(
        Registration(event=event, email="a@x.org", email_key="a@x.org", status="confirmed")
    )
    db.session.add(Idea(event=event, title="t", body="b", status="approved"))
    db.session.commit()
    page = organizer.get(f"/admin/events/{event.id}/duplicate").text
    assert 'value="planning-2024"' in page  # the next year's address is proposed
    response = organizer.post(
        f"/admin/events/{event.id}/duplicate",
        data={"slug": "planning-2024", "dates": "shift", "shift_days": "364"},
    )
    assert response.status_code == 302
    copy = db.session.scalar(sa.select(Event).where(Event.slug == "planning-2024"))
    assert copy.state == "draft" and copy.capacity == 300
    assert copy.starts_at == event.starts_at + timedelta(days=364)
    assert copy.registration_closes_at == event.registration_closes_at + timedelta(days=364)
    assert copy.texts == event.texts and copy.join_url == ""
    assert [t.labels for t in copy.themes] == [{"en": "Elections", "km": "ការបោះឆ្នោត"}]
    assert copy.themes[0].id != event.themes[0].id
    for model in (Registration, Idea):
        count = sa.select(sa.func.count()).select_from(model).where(model.event_id == copy.id)
        assert db.session.scalar(count) == 0
    assert db.session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.action == "event.duplicate", AuditEntry.target_id == copy.id
        )
    )


def test_duplicate_with_a_new_start_leaves_the_windows_empty(organizer):
    event = make_event(slug="planning", ideas_open_at=utcnow(), registration_closes_at=utcnow())
    organizer.post(
        f"/admin/events/{event.id}/duplicate",
        data={"slug": "planning-next", "dates": "new", "new_start": "2031-02-03T10:00"},
    )
    copy = db.session.scalar(sa.select(Event).where(Event.slug == "planning-next"))
    assert copy.starts_at == datetime(2031, 2, 3, 3, 0)  # Phnom Penh → UTC
    assert copy.registration_closes_at is None and copy.ideas_open_at is None


@pytest.mark.parametrize(
    "data, field_id, words",
    [
        ({"slug": "planning", "dates": "shift", "shift_days": "1"}, "slug", "already uses"),
        ({"slug": "", "dates": "shift", "shift_days": "1"}, "slug", "short address"),
        ({"slug": "ok", "dates": "shift", "shift_days": ""}, "shift_days", "number of days"),
        ({"slug": "ok", "dates": "shift", "shift_days": "9999"}, "shift_days", "3650"),
        ({"slug": "ok", "dates": "new", "new_start": ""}, "new_start", "date and time"),
        ({"slug": "ok", "dates": "new", "new_start": "soon"}, "new_start", "YYYY-MM-DD HH:MM"),
    ],
)
def test_duplicate_refuses_bad_input(organizer, data, field_id, words):
    event = make_event(slug="planning")
    response = organizer.post(f"/admin/events/{event.id}/duplicate", data=data)
    assert response.status_code == 200
    assert words.lower() in (error_for(response.text, field_id) or "").lower()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 1


def test_archive_a_concluded_session_and_read_it_on_the_archive_page(organizer, client):
    live = make_event(slug="live")
    old = make_event(slug="old", state="concluded", starts_at=utcnow() - timedelta(days=30))
    plan = Plan(event=old)
    db.session.add(plan)
    db.session.flush()
    db.session.add(PlanVersion(plan=plan, number=1, snapshot={}))
    db.session.commit()
    refused = organizer.post(f"/admin/events/{live.id}/archive", follow_redirects=True)
    assert "Only a concluded session can be archived" in refused.text
    assert live.state == "published"
    assert "Yes, archive it" in organizer.get(f"/admin/events/{old.id}/archive").text
    organizer.post(f"/admin/events/{old.id}/archive")
    db.session.expire_all()
    assert db.session.get(Event, old.id).state == "archived"
    moves = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "event.state"))
    assert [(m.detail["before"], m.detail["after"]) for m in moves] == [("concluded", "archived")]
    home = client.get("/").text
    assert "/s/old" not in home
    archive = client.get("/archive").text
    assert 'href="/s/old"' in archive and 'href="/s/old/plan"' in archive
    assert "/s/live" not in archive
    archived_page = client.get("/s/old")
    assert archived_page.status_code == 200 and 'href="/s/old/plan"' in archived_page.text
    assert 'href="/archive"' in home  # the footer links the archive


def test_the_archive_lists_concluded_sessions_without_a_plan_link(client, app):
    make_event(slug="ended", state="concluded")
    make_event(slug="hidden", state="draft")
    page = client.get("/archive").text
    assert 'href="/s/ended"' in page and "/s/ended/plan" not in page
    assert "/s/hidden" not in page
