"""Every page and every mail is valid HTML: the W3C Nu HTML checker (vnu.jar) finds no error
in any page of the URL map, seen by a visitor, a registrant on their personal pages, a
moderator and an organizer, in English and in Khmer, nor in the HTML part of any kind of
mail. The pages come from a site in use (tests/khmer_world.py: registrants in every status,
ideas in every status, a published plan with sections and items, mail of every kind), so
tables and lists are really rendered.

The URL map is walked, not listed: a new GET route is checked without anyone remembering.
A route whose arguments the walk cannot fill fails with a message saying what to teach it."""

import hashlib

import pytest
import sqlalchemy as sa
from khmer_world import build
from nuchecker import NuChecker, report, require_java
from support import PASSWORD, create_user
from test_khmer_everywhere import mail_kinds

from app.auth.passwords import reset_token
from app.extensions import db
from app.mail import unsubscribe
from app.models import Idea, LinkToken, OutboxMessage, Registration

LANGUAGES = ("en", "km")
NOT_PAGES = {"static", "public.healthz"}


@pytest.fixture(scope="session")
def nu_checker(tmp_path_factory):
    java = require_java()
    checker = NuChecker(tmp_path_factory.mktemp("vnu") / "vnu.log").start(java)
    yield checker
    checker.stop()


@pytest.fixture
def world(app):
    organizer = create_user("organizer@example.org", "admin")
    create_user("moderator@example.org", "moderator")
    world = build(organizer)
    world.reset_token = reset_token(organizer)
    registrant = db.session.scalar(
        sa.select(Registration).where(Registration.status == "confirmed").limit(1)
    )
    world.unsubscribe_token = unsubscribe.token_for(registrant)
    # The password-reset mail, asked for from a page in Khmer.
    app.test_client().post("/login/forgot?lang=km", data={"email": organizer.email})
    # A status link for an idea in each status, so every status page is seen.
    world.idea_status_tokens = []
    for status in ("pending", "approved", "discussed", "rejected"):
        idea = db.session.scalar(
            sa.select(Idea).where(Idea.event_id == world.event.id, Idea.status == status)
        )
        _row, raw = LinkToken.issue("idea", idea)
        world.idea_status_tokens.append(raw)
    db.session.commit()
    return world


def contexts(world):
    """The values a URL can take, one set per session: the open session (registration and
    ideas open) and the concluded one with its published plan (two versions)."""
    plan = world.plan_item.section.plan
    open_session = {"slug": world.event.slug, "event_id": world.event.id}
    concluded = {
        "slug": world.concluded.slug,
        "event_id": world.concluded.id,
        "section_id": world.plan_item.section.id,
        "item_id": world.plan_item.id,
        "idea_id": world.plan_item.ideas[0].id,
        "number": [version.number for version in plan.versions],
    }
    common = {
        "user_id": world.organizer.id,
        "message_id": db.session.scalar(sa.select(OutboxMessage.id).limit(1)),
        "registration_id": db.session.scalar(sa.select(Registration.id).limit(1)),
        "idea_id": world.idea.id,
        "filename": "sala.css",
        # The demo session's first speaker and partner (their edit pages; a mismatched
        # pair answers the 404 page), and a picture name that is not there.
        "kind": ["speaker", "partner"],
        "row_id": [world.event.speaker_rows[0].id, world.event.partner_rows[0].id],
        "name": "photo-0123456789abcdef.jpg",
    }
    return [common | open_session, common | concluded]


def tokens(world, endpoint):
    """The personal links a registrant or an idea's author has, by the page they open."""
    return {
        "registration.confirm": [world.confirm_token, "not-a-token"],
        "registration.manage": list(world.manage_tokens.values()),
        "registration.cancel_confirm": list(world.manage_tokens.values()),
        "registration.own_calendar": list(world.manage_tokens.values()),
        "ideas.confirm": [world.idea_confirm_token, "not-a-token"],
        "ideas.status": world.idea_status_tokens,
        "auth.reset_password": [world.reset_token, "not-a-token"],
        "feedback.answer": [world.feedback_token, *world.manage_tokens.values(), "not-a-token"],
        "unsubscribe.stop": [world.unsubscribe_token, "not-a-token"],
    }.get(endpoint, [])


def urls(app, world, rule):
    """Every URL of one GET rule that the world can fill."""
    from flask import url_for

    found = set()
    for context in contexts(world):
        values = {}
        for name in rule.arguments:
            if name == "token":
                values[name] = tokens(world, rule.endpoint)
            elif name in context:
                value = context[name]
                values[name] = value if isinstance(value, list) else [value]
        if set(rule.arguments) - {n for n, v in values.items() if v}:
            continue  # this session cannot fill the rule; the other may
        combinations = [{}]
        for name, choices in values.items():
            combinations = [c | {name: choice} for c in combinations for choice in choices]
        with app.test_request_context():
            found.update(url_for(rule.endpoint, **c) for c in combinations)
    assert found, f"{rule.endpoint}: teach test_valid_html values for {rule.arguments}"
    return found


def page_rules(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and rule.endpoint not in NOT_PAGES
        and not rule.endpoint.endswith(".static")
    ]


# Pages the URL map alone does not reach: filters, a search, an unknown address.
EXTRA = [
    "/admin/outbox?status=sent",
    "/admin/outbox?status=failed",
    "/admin/events/{event}/registrants?status=confirmed",
    "/admin/events/{event}/registrants?q=khmer",
    "/admin/events/{concluded}/plan/items/{item}/ideas?q=x",
    "/s/{slug}/ideas?theme=1",
    "/no-such-page",
]


def extra_urls(world):
    values = {
        "event": world.event.id,
        "concluded": world.concluded.id,
        "item": world.plan_item.id,
        "slug": world.event.slug,
    }
    return {path.format(**values) for path in EXTRA}


def personal(app, world):
    """The registrant's own pages: what their links open."""
    found = set()
    for rule in page_rules(app):
        if "token" in rule.arguments:
            found |= urls(app, world, rule)
    return found


def every_page(app, world):
    found = extra_urls(world)
    for rule in page_rules(app):
        found |= urls(app, world, rule)
    return found


def client_for(app, role, lang):
    client = app.test_client()
    if role in ("moderator", "organizer"):
        email = {"moderator": "moderator@example.org", "organizer": "organizer@example.org"}
        response = client.post("/login", data={"email": email[role], "password": PASSWORD})
        assert response.status_code == 302, f"could not sign in as {role}"
    client.get(f"/?lang={lang}")  # the choice sticks for every page after it
    return client


# Forms sent empty: the page again, with a message next to each field.
BAD_FORMS = ["/s/{slug}/register", "/s/{slug}/ideas/new", "/login"]


def collect(client, paths, lang, post=()):
    """(name, html) of each HTML answer; the same document once."""
    documents, seen = [], set()
    answers = [(path, client.get(path)) for path in sorted(paths)]
    answers += [(f"POST {path}", client.post(path, data={})) for path in post]
    failed = [name for name, response in answers if response.status_code >= 500]
    assert not failed, f"pages that failed (5xx): {failed}"
    for name, response in answers:
        if response.mimetype != "text/html" or 300 <= response.status_code < 400:
            continue
        html = response.get_data(as_text=True)
        digest = hashlib.sha256(html.encode()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        documents.append((f"{lang} {name} ({response.status_code})", html))
    return documents


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("role", ["visitor", "registrant", "moderator", "organizer"])
def test_every_page_is_valid_html(app, world, nu_checker, role, lang):
    client = client_for(app, role, lang)
    if role == "registrant":
        paths = personal(app, world)
        post = ()
    else:
        paths = every_page(app, world)
        post = [path.format(slug=world.event.slug) for path in BAD_FORMS]
    documents = collect(client, paths, f"[{role} {lang}]", post)
    assert len(documents) >= (5 if role == "registrant" else 10), "too few pages were seen"
    problems = []
    for name, html in documents:
        problems += nu_checker.check(html, name)
    assert not problems, report(problems)


def test_every_mail_is_valid_html(app, world, nu_checker):
    messages = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert {m.kind for m in messages} >= mail_kinds(), "a kind of mail was not exercised"
    problems, seen = [], set()
    for message in messages:
        key = (message.kind, message.language)
        if key in seen:
            continue
        seen.add(key)
        problems += nu_checker.check(message.body_html, f"mail {message.kind} ({message.language})")
    assert not problems, report(problems)


def test_the_checker_finds_errors(nu_checker):
    """The checker really checks: an attribute HTML does not know is an error."""
    html = '<!DOCTYPE html><html lang="en"><title>t</title><p hx-get="/x">x</p></html>'
    problems = nu_checker.check(html, "sample")
    assert [p.line for p in problems] == [1]
    assert "hx-get" in problems[0].message


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_outbox_page_with_a_pause_and_failed_mail_is_valid_html(app, world, nu_checker, lang):
    from datetime import timedelta

    from app.models import MailPause, utcnow

    message = db.session.scalars(sa.select(OutboxMessage)).first()
    message.status, message.last_error = "failed", "550 5.1.1 no such user"
    now = utcnow()
    db.session.add(MailPause(id=1, reason="530 5.7.0 Authentication required", since=now,
                             until=now + timedelta(minutes=1)))  # fmt: skip
    db.session.commit()
    html = client_for(app, "organizer", lang).get("/admin/outbox").text
    assert "outbox-pause" in html and "outbox-failed" in html
    problems = nu_checker.check(html, f"outbox ({lang})")
    assert not problems, report(problems)
