"""The visitor's own time and the countdown, written by the server in the page's language
(issue 18.1 and 18.5): the fragment session.js asks for, and the words of the countdown."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from registration_helpers import form
from world import make_event

from app.extensions import db
from app.models import OutboxMessage, utcnow
from app.templating import time_left

SECONDS = re.compile(r"\d:\d\d:\d\d")
HTMX = {"HX-Request": "true"}


@pytest.mark.parametrize(
    ("lang", "zone", "words"),
    [
        ("en", "America/New_York", "New York time"),
        ("fr", "America/New_York", "heure de New York"),
        ("km", "America/New_York", "ម៉ោងញូវយ៉ក"),
    ],
)
def test_your_time_is_written_in_the_page_language_with_a_named_zone(client, lang, zone, words):
    make_event()
    reply = client.get(f"/s/planning/when?tz={zone}&lang={lang}", headers=HTMX)
    assert reply.status_code == 200
    assert reply.headers["Cache-Control"] == "no-store"
    yours = re.search(r'class="your-time">(.*?)</p>', reply.text, re.S).group(1)
    assert words in yours
    assert not SECONDS.search(yours) and not re.search(r"[+-]\d{4}", yours)
    left = re.search(r'class="countdown">.*?<strong>(.*?)</strong>', reply.text, re.S).group(1)
    expected = {"en": "9 days", "fr": "9 jours", "km": "9 ថ្ងៃ"}[lang]
    assert left.replace("\xa0", " ").startswith(expected)


@pytest.mark.parametrize("zone", ["", "Not/AZone", "../../etc/passwd", "x" * 300, "UTC"])
def test_an_unknown_zone_gives_the_countdown_without_your_time(client, zone):
    make_event()
    reply = client.get("/s/planning/when", query_string={"tz": zone, "lang": "en"}, headers=HTMX)
    assert reply.status_code == 200
    assert ("Your time:" in reply.text) == (zone == "UTC")
    assert "Time left until the start:" in reply.text


def test_an_unknown_session_has_no_time(client):
    assert client.get("/s/nowhere/when?tz=UTC").status_code == 404


def test_once_it_started_there_is_no_countdown_and_no_next_change(client):
    make_event(starts_at=utcnow() - timedelta(minutes=5))
    reply = client.get("/s/planning/when?tz=Asia/Phnom_Penh&lang=km", headers=HTMX)
    assert "countdown" not in reply.text and "data-next-change" not in reply.text


@pytest.mark.parametrize(
    ("seconds", "lang", "words", "changes_in"),
    [
        (46 * 86400 + 3 * 3600 + 50, "en", "46 days, 3 hours", 51),
        (46 * 86400, "en", "46 days", 1),
        (46 * 86400 + 3 * 3600, "fr", "46 jours et 3 heures", 1),
        (46 * 86400 + 3 * 3600, "km", "46 ថ្ងៃ 3 ម៉ោង", 1),
        (4 * 3600 + 12 * 60 + 5, "en", "4 hours, 12 minutes", 6),
        (12 * 60 + 59, "en", "12 minutes", 60),
        (20, "en", "1 minute", 21),
    ],
)
def test_the_countdown_says_what_a_person_expects(app, seconds, lang, words, changes_in):
    with app.test_request_context():
        said, changes = time_left(seconds, locale=lang)
    assert (said.replace("\xa0", " "), changes) == (words, changes_in)


def test_the_session_page_counts_46_days_as_46_days(client):
    make_event(starts_at=utcnow() + timedelta(days=46, hours=3, minutes=30))
    page = client.get("/s/planning?lang=en").text
    assert "46 days, 3 hours" in page and "month" not in page


def test_without_a_script_the_address_is_the_session_page_in_that_zone(client):
    make_event()
    reply = client.get("/s/planning/when?tz=Asia/Tokyo&lang=fr")
    assert reply.status_code == 200 and "<h1" in reply.text
    assert "heure de Tokyo" in reply.text and "HX-Request" in reply.headers["Vary"]


# ---------------------------------------------------------------- every time says its zone


def test_the_opening_time_of_registration_says_its_zone(client):
    make_event(registration_opens_at=utcnow() + timedelta(days=2))
    page = client.get("/s/planning?lang=en").text
    said = re.search(r"You can register from ([^<]*)\.</p>", page).group(1)
    assert said.endswith("(Phnom Penh time)") and not SECONDS.search(said)
    khmer = client.get("/s/planning?lang=km").text
    assert "(ម៉ោងភ្នំពេញ)" in khmer


def test_the_join_mail_says_the_zone_of_the_start(client):
    make_event()
    client.post("/s/planning/register", data=form(language="fr"))
    confirm = re.search(r"/r/confirm/[\w-]+", outbox("registration_confirm").body_text).group(0)
    client.get(confirm)
    client.post(confirm)
    text = outbox("registration_join").body_text
    line = next(line for line in text.splitlines() if "rejoindre la séance" in line)
    assert "(heure de Phnom Penh)" in line and not SECONDS.search(line), line


def outbox(kind):
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == kind)).one()
