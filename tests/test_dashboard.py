"""The organizer's dashboard: numbers from known data, charts drawn as SVG on the server."""

import re
from datetime import timedelta

import pytest
from support import Auth
from world import make_event

from app.extensions import db
from app.models import Idea, OutboxMessage, Registration, Theme, utcnow

# Runs in tests/test_core_alone.py too: these need no bundled plugin.
pytestmark = pytest.mark.core_alone


@pytest.fixture
def organizer(client, admin_user):
    Auth(client).login(admin_user.email)
    return client


def register(event, n, status, language="en", country="KH", days_ago=0, attended=False):
    for i in range(n):
        email = f"p{i}-{status}-{language}-{country}-{days_ago}@example.org"
        db.session.add(
            Registration(
                event=event,
                email=email,
                email_key=email,
                status=status,
                language=language,
                country=country,
                attended=attended,
                created_at=utcnow() - timedelta(days=days_ago),
            )
        )


def mail(event, n, status):
    for i in range(n):
        db.session.add(
            OutboxMessage(
                idempotency_key=f"{status}-{i}",
                recipient="x@example.org",
                language="en",
                subject="s",
                body_text="b",
                status=status,
                event_id=event.id,
            )
        )


def count(html, key):
    match = re.search(rf'data-count="{key}">(\d+)<', html)
    return int(match.group(1)) if match else None


def test_dashboard_numbers_match_known_data(organizer):
    event = make_event(capacity=50)
    other = make_event(slug="other")
    event.themes = [Theme(labels={"en": "Elections"}, position=0)]
    db.session.commit()
    register(event, 4, "confirmed", "km", "KH", days_ago=2, attended=True)
    register(event, 2, "confirmed", "en", "FR", days_ago=1)
    register(event, 3, "waitlisted", "km", "US")
    register(event, 1, "cancelled")
    register(other, 7, "confirmed")  # another session's: not counted
    mail(event, 5, "sent")
    mail(event, 2, "failed")
    theme = event.themes[0]
    for status, theme_id in (("approved", theme.id), ("approved", None), ("pending", theme.id)):
        db.session.add(Idea(event=event, title="t", body="b", status=status, theme_id=theme_id))
    db.session.commit()

    page = organizer.get(f"/admin/events/{event.id}/dashboard").text
    assert count(page, "confirmed") == 6
    assert count(page, "waitlisted") == 3
    assert count(page, "cancelled") == 1
    assert count(page, "mails-sent") == 5 and count(page, "mails-failed") == 2
    assert count(page, "attended") == 4
    assert "4 of 6 registered people joined" in page
    # Charts drawn on the server: three days of registrations, and category charts whose
    # rows carry their label and number as text (HTML, not drawn inside the SVG).
    assert page.count("<svg") >= 6
    per_day = page.split('aria-label="Registrations per day"')[1].split("</svg>")[0]
    assert per_day.count('class="bar"') == 3
    assert "<text" not in page

    def rows(chart):
        found = page.split(f'aria-label="{chart}"')[1].split("</dl>")[0]
        return dict(re.findall(r'<dt>([^<]*)</dt><dd>.*?<span class="count">(\d+)</span>', found))

    assert rows("Registrations by language") == {"ខ្មែរ": "7", "English": "2"}
    assert rows("Registrations by country") == {
        "Cambodia": "4",
        "France": "2",
        "United States": "3",
    }
    assert rows("Ideas by theme") == {"Elections": "2", "No theme": "1"}
    assert "<script" not in page


def test_the_current_dashboard_is_one_click_from_the_organizer_home(organizer):
    draft = make_event(slug="draft", state="draft")
    make_event(slug="old", state="concluded", starts_at=utcnow() - timedelta(days=100))
    current = make_event(slug="current")
    home = organizer.get("/admin/").text
    assert 'href="/admin/dashboard"' in home
    response = organizer.get("/admin/dashboard")
    assert response.headers["Location"].endswith(f"/admin/events/{current.id}/dashboard")
    assert f"/admin/events/{draft.id}/dashboard" in organizer.get(f"/admin/events/{draft.id}").text


def test_an_empty_session_shows_no_chart_of_nothing(organizer):
    event = make_event()
    page = organizer.get(f"/admin/events/{event.id}/dashboard")
    assert page.status_code == 200
    assert "No registration yet." in page.text and count(page.text, "attended") is None


def test_a_mail_being_sent_is_called_the_same_on_the_dashboard_and_the_outbox(organizer):
    event = make_event()
    mail(event, 1, "sending")
    db.session.commit()
    dashboard = organizer.get(f"/admin/events/{event.id}/dashboard").text
    outbox = organizer.get("/admin/outbox").text
    assert re.search(r"<dt>being sent</dt><dd>.*?<span class=\"count\">1</span>", dashboard)
    assert "being sent" in outbox
