"""The privacy notice tells the truth about Zoom: every kind of personal data the fake Zoom
server receives during a sync is named, with Zoom as its recipient, on the notice in every
language; and the registration form says it beside the consent box."""

import re

import pytest
from flask_babel import force_locale
from zoomhelpers import make_registration, zoom_event

import plugins.zoom
from app.extensions import db
from app.mail import worker
from app.models import Registration
from app.plugins import hookimpl, hooks
from app.privacy import PERSONAL_DATA
from plugins.zoom.client import split_name

LANGUAGES = ("en", "km", "fr")


def leaves(node):
    """Every string in a JSON body."""
    if isinstance(node, dict):
        for value in node.values():
            yield from leaves(value)
    elif isinstance(node, list):
        for value in node:
            yield from leaves(value)
    elif isinstance(node, str):
        yield node


def personal_values(registration):
    """Each kind of personal data of a registrant, as the values that would betray it."""
    first, last = split_name(registration.name, registration.email)
    return {
        "email": {registration.email, registration.email.split("@")[0]},
        "name": {registration.name, first, last},
        "language": {registration.language},
        "country": {registration.country},
        "affiliation": {registration.affiliation},
    }


def kinds_seen(fake_zoom, registrations):
    """The kinds of personal data found in any request the fake Zoom received."""
    seen = set()
    for call in fake_zoom.calls:
        found = {s.casefold() for s in leaves(call.body)}
        found |= {part.casefold() for part in call.path.split("/")}
        for registration in registrations:
            for kind, values in personal_values(registration).items():
                if found & {v.casefold() for v in values if v}:
                    seen.add(kind)
    return seen


def share_items(page):
    return re.findall(
        r"<li>(.*?)</li>", page.split('class="data-shares"', 1)[-1].split("</ul>")[0], re.S
    )


def undeclared(app, kinds, recipient="Zoom"):
    """(language, kind) pairs the notice does not name as going to `recipient`."""
    missing = []
    client = app.test_client()
    for lang in LANGUAGES:
        page = client.get(f"/privacy?lang={lang}").text
        about = [item for item in share_items(page) if recipient in item]
        for kind in sorted(kinds):
            with app.test_request_context(), force_locale(lang):
                label = str(PERSONAL_DATA[kind])
            if not any(label in item for item in about):
                missing.append((lang, kind))
    return missing


def sync_some_registrants(fake_zoom):
    meeting = fake_zoom.add_meeting()
    event = zoom_event(meeting)
    people = [
        make_registration(
            event,
            "dara@example.org",
            "Dara Sok",
            language="km",
            country="KH",
            affiliation="Friends of Tonle Sap",
        ),
        make_registration(event, "sophea@example.org", "សុភា", language="fr"),
        make_registration(event, "anon.person@example.org", ""),
    ]
    for registration in people:
        hooks().sala_registration_confirmed(registration=registration)
    db.session.commit()
    worker.run_once()
    assert len(fake_zoom.registrants(meeting)) == 3  # the sync did send them
    return people


def test_every_kind_of_data_zoom_receives_is_on_the_notice(zoom_app, fake_zoom):
    people = sync_some_registrants(fake_zoom)
    seen = kinds_seen(fake_zoom, people)
    assert {"name", "email"} <= seen
    assert undeclared(zoom_app, seen) == []
    english = zoom_app.test_client().get("/privacy?lang=en").text
    assert "We send your name and your email address to Zoom" in english
    assert "https://www.zoom.com/en/trust/privacy/" in english
    assert "No other service receives your data" not in english


@pytest.fixture
def silent_zoom_app(make_app, zoom_config, monkeypatch):
    """The Zoom plugin with its declaration taken out: it still sends, and says nothing."""
    monkeypatch.setattr(plugins.zoom, "sala_personal_data_shared", hookimpl(lambda event: None))
    app = make_app(**zoom_config)
    with app.app_context():
        yield app


def test_a_plugin_that_sends_data_without_declaring_it_is_caught(silent_zoom_app, fake_zoom):
    people = sync_some_registrants(fake_zoom)
    seen = kinds_seen(fake_zoom, people)
    missing = undeclared(silent_zoom_app, seen)
    assert {kind for _lang, kind in missing} == seen
    assert {lang for lang, _kind in missing} == set(LANGUAGES)


def test_the_form_names_zoom_beside_the_consent_box_and_the_consent_keeps_it(zoom_app, fake_zoom):
    from registration_helpers import form

    event = zoom_event(fake_zoom.add_meeting())
    client = zoom_app.test_client()
    khmer = client.get(f"/s/{event.slug}?lang=km").text
    consent_box = khmer.split('id="consent-hint"', 1)[1].split("</p>", 1)[0]
    assert "Zoom" in consent_box and "ឈ្មោះរបស់អ្នក" in consent_box
    english = client.get(f"/s/{event.slug}?lang=en").text
    assert (
        "We send your name and your email address to Zoom to create your personal join link."
        in english
    )

    answer = client.post(f"/s/{event.slug}/register", data=form())
    assert answer.status_code == 302
    registration = db.session.query(Registration).one()
    assert registration.consent_text == "privacy-notice; Zoom: name, email"


def test_a_session_without_a_zoom_meeting_names_no_one(zoom_app, fake_zoom):
    from registration_helpers import form

    event = zoom_event("")  # the session's shared link: nothing goes to Zoom
    client = zoom_app.test_client()
    page = client.get(f"/s/{event.slug}").text
    assert 'id="consent-hint"' not in page and "Zoom" not in page
    client.post(f"/s/{event.slug}/register", data=form())
    assert db.session.query(Registration).one().consent_text == "privacy-notice"
