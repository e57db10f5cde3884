"""The privacy notice is written from what the code does: what a registration keeps, for how
long (each session's retention), who can see it (the accounts of each role), and which
services get data (what the enabled plugins declare; see tests/zoom/test_zoom_privacy.py)."""

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from world import make_event

from app.extensions import db
from app.models import Registration, User
from app.privacy import NOT_PERSONAL, STORED

# Runs in tests/test_core_alone.py too: these need no bundled plugin.
pytestmark = pytest.mark.core_alone


def add_user(email, role, active=True):
    user = User(email=email, role=role, active=active)
    user.set_password("correct horse battery staple")
    db.session.add(user)
    db.session.commit()


def test_without_zoom_the_notice_names_no_other_service(make_app):
    for plugins in (["moderation", "smtp"], None):  # zoom off; zoom on without credentials
        app = make_app(PLUGINS=plugins)
        with app.app_context():
            for lang, nobody in (
                ("en", "No other service receives your data"),
                ("km", "គ្មានសេវាផ្សេងទៀតទទួលបានទិន្នន័យរបស់អ្នក"),
                ("fr", "Aucun autre service ne reçoit vos données"),
            ):
                page = app.test_client().get(f"/privacy?lang={lang}").text
                assert nobody in page
                assert "Zoom" not in page and 'class="data-shares"' not in page


def test_every_column_of_a_registration_is_on_the_notice():
    named = {column for columns, _label in STORED for column in columns}
    columns = set(sa.inspect(Registration).columns.keys())
    assert columns - named - set(NOT_PERSONAL) == set()


def test_the_notice_says_how_long_each_session_keeps_data_and_who_sees_it(app, client):
    event = make_event(retention_days=30)
    make_event(slug="draft-one", state="draft", retention_days=7)
    add_user("one@example.org", "admin")
    add_user("two@example.org", "moderator")
    add_user("three@example.org", "moderator")
    add_user("gone@example.org", "moderator", active=False)

    ends = event.starts_at + timedelta(minutes=event.duration_minutes)
    until = (ends + timedelta(days=30)).replace(tzinfo=UTC).astimezone(ZoneInfo(event.timezone))
    english = client.get("/privacy?lang=en").text
    assert f"Planning session: kept until {until:%B} {until.day}, {until.year}, " in english
    assert "30 days after the session ends" in english
    assert "7 days" not in english  # a draft is nobody's session yet
    assert "Organizers (1 account) see the registrants" in english
    assert "Moderators (2 accounts) see the ideas" in english
    khmer = client.get("/privacy?lang=km").text
    assert "កិច្ចប្រជុំរៀបចំផែនការ" in khmer and "30 ថ្ងៃ" in khmer
