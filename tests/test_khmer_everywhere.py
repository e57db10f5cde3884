"""A Khmer reader never meets an English sentence: every public page, every organizer page
and every mail, rendered in Khmer over a site in use (tests/khmer_world.py), has no run of
three or more Latin-letter words outside names, addresses, links and code. And the
<html lang> attribute is right on every page, in every language."""

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from khmer_world import build, english_in_html, english_runs
from support import PASSWORD, create_user

from app.extensions import db
from app.models import OutboxMessage

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def world(app):
    organizer = create_user("organizer@example.org", "admin")
    built = build(organizer)
    # The password-reset mail, asked for from a page in Khmer.
    app.test_client().post("/login/forgot?lang=km", data={"email": organizer.email})
    return built


def signed_in(app):
    client = app.test_client()
    client.post("/login", data={"email": "organizer@example.org", "password": PASSWORD})
    return client


def pages(app, world):
    """(path, signed in?) of every GET page: each route without arguments, and each route
    with arguments for the world's sessions, registrants, ideas and plan."""
    event, concluded = world.event, world.concluded
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static":
            paths.append(rule.rule)
    paths += [
        f"/s/{event.slug}",
        f"/s/{event.slug}/ideas",
        f"/s/{event.slug}/ideas/new",
        f"/s/{event.slug}/ideas/screen",
        f"/r/manage/{world.feedback_token}",
        f"/r/manage/{world.feedback_token}/feedback",
        f"/s/{concluded.slug}",
        f"/s/{concluded.slug}/ideas",
        f"/s/{concluded.slug}/plan",
        f"/s/{concluded.slug}/plan/v1",
        f"/r/confirm/{world.confirm_token}",
        "/r/confirm/not-a-token",
        f"/ideas/confirm/{world.idea_confirm_token}",
        "/ideas/confirm/not-a-token",
        f"/ideas/status/{world.idea_status_token}",
        "/no-such-page",
    ]
    paths += [f"/r/manage/{raw}" for raw in world.manage_tokens.values()]
    for e in (event, concluded):
        paths += [
            f"/admin/events/{e.id}",
            f"/admin/events/{e.id}/registrants",
            f"/admin/events/{e.id}/announce",
            f"/admin/events/{e.id}/ideas",
            f"/admin/events/{e.id}/feedback",
            f"/admin/events/{e.id}/plan",
            f"/admin/events/{e.id}/plan/preview",
            f"/moderate/{e.id}",
        ]
    paths += [
        f"/admin/events/{concluded.id}/plan/items/{world.plan_item.id}/edit",
        f"/admin/events/{concluded.id}/plan/items/{world.plan_item.id}/ideas?q=x",
        "/admin/outbox?status=sent",
        "/admin/events/999/registrants",
    ]
    return sorted(set(paths))


NOT_HTML = ("/healthz", "/admin/outbox/progress")


def test_every_page_in_khmer_has_no_english_sentence(app, world):
    client = signed_in(app)
    client.get("/?lang=km")  # the choice sticks for every page after it
    leaks, checked = {}, 0
    for path in pages(app, world):
        response = client.get(path, follow_redirects=True)
        if path.startswith(NOT_HTML) or response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        assert '<html lang="km">' in html, path
        checked += 1
        found = english_in_html(html)
        if found:
            leaks[path] = found
    assert checked > 35
    assert leaks == {}


def test_every_page_says_its_language_in_html_lang(app, world):
    """`<html lang>` follows the reader's language on every page, signed in or not."""
    for lang in app.config["LANGUAGES"]:
        client = signed_in(app)
        client.get(f"/?lang={lang}")
        for path in pages(app, world):
            response = client.get(path, follow_redirects=True)
            if response.mimetype == "text/html" and not path.startswith(NOT_HTML):
                html = response.get_data(as_text=True)
                assert f'<html lang="{lang}">' in html, (lang, path, response.status_code)


def mail_kinds():
    found = set()
    for base in (ROOT / "app", ROOT / "plugins"):
        for subject in base.glob("**/templates/mail/*.subject.txt"):
            found.add(subject.name.removesuffix(".subject.txt"))
    return found


def test_every_mail_to_a_khmer_reader_is_in_khmer(app, world):
    messages = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.language == "km")
    ).all()
    kinds = {m.kind for m in messages}
    assert kinds == mail_kinds(), "a kind of mail was not exercised in Khmer"
    leaks = {}
    for message in messages:
        found = english_runs(message.subject) + english_runs(message.body_text)
        found += english_in_html(message.body_html)
        if found:
            leaks[f"{message.kind} #{message.id}"] = found
    assert leaks == {}
    assert all('lang="km"' in m.body_html for m in messages)


def test_forged_choices_are_refused_in_khmer(app, world):
    """A choice that is not offered is refused with our own message, next to its field, in
    the visitor's language (WTForms' own has no Khmer)."""
    client = app.test_client()
    slug = world.event.slug
    idea = {"title": "គំនិត", "body": "អត្ថបទ", "theme": "zz", "language": "xx"}
    idea |= {"display": "weird", "email": "a@example.org"}
    response = client.post(f"/s/{slug}/ideas/new?lang=km", data=idea)
    html = response.get_data(as_text=True)
    assert response.status_code in (200, 422) and 'aria-invalid="true"' in html
    assert "សូមជ្រើសរើសប្រធានបទពីបញ្ជី។" in html  # the theme
    assert "សូមជ្រើសរើសរបៀបដែលអ្នកចង់ឱ្យគេបង្ហាញអ្នក។" in html  # how to be shown
    assert english_in_html(html) == []
    french = client.post(f"/s/{slug}/ideas/new?lang=fr", data=idea).get_data(as_text=True)
    assert "Veuillez choisir un thème dans la liste." in french


# A Khmer letter (or its sign), then an ASCII colon: punctuation glued on after a
# translated string ("ទំព័រកិច្ចប្រជុំ:"), where Khmer writes ៖ inside the message.
KHMER_THEN_COLON = re.compile(r"[\u1780-\u17ff\u19e0-\u19ff][\u200b ]*:(?!//)")
# Babel's long time with seconds and a raw offset ("8:00:00 PM +0700"), and its zone label
# with a zero-width space before a plain one ("ម៉ោង​នៅ​ កម្ពុជា").
CLOCK_NOISE = re.compile(r"\d:\d\d:\d\d|(?<!\w)[+-]\d{4}\b|\u200b ")


def khmer_mails():
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.language == "km"))


def test_no_ascii_colon_follows_khmer_text_in_a_mail(app, world):
    found = {}
    for message in khmer_mails():
        text = "\n".join((message.subject, message.body_text, strip_tags(message.body_html)))
        hits = [text[max(0, m.start() - 20) : m.end()] for m in KHMER_THEN_COLON.finditer(text)]
        if hits:
            found[message.kind] = hits
    assert found == {}


def test_mail_times_have_no_seconds_and_a_readable_zone(app, world):
    found = {}
    for message in khmer_mails():
        text = message.body_text + strip_tags(message.body_html)
        hits = [text[max(0, m.start() - 20) : m.end() + 5] for m in CLOCK_NOISE.finditer(text)]
        if hits:
            found[message.kind] = hits
    assert found == {}
    confirmed = next(m for m in khmer_mails() if m.kind == "registration_confirmed")
    assert "ម៉ោងភ្នំពេញ" in confirmed.body_text  # the footer's zone, as a reader says it


def strip_tags(html):
    return re.sub(r"<[^>]+>", " ", html or "")
