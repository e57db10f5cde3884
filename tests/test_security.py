"""Security, across every feature: the URL map is walked, so a route added later is covered
without touching this file. CSRF on every state-changing route, roles on every organizer and
moderator route, XSS payloads in every free-text field (pages and mails), secret links,
security headers, rate limits, no account enumeration, and arbitrary input never a 500."""

import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plan_helpers import PUBLISH_AND_MAIL
from world import World, login, url_for_rule

from app.extensions import db
from app.ideas import workflow
from app.mail import mailout
from app.models import (
    Idea,
    LinkToken,
    OutboxMessage,
    Registration,
    utcnow,
)

# Routes that take a POST without Flask-WTF's token, by design. Each verifies its caller
# otherwise (the Zoom webhook checks Zoom's signature; one-click unsubscribe, posted by mail
# providers without cookies (RFC 8058), checks its signed link).
CSRF_EXEMPT = {"zoom.webhook", "unsubscribe.stop_now"}

# Endpoints anyone may open. Every other endpoint must be refused to anonymous visitors, so
# a new organizer route that forgets its decorator fails here.
PUBLIC = {
    "static",
    "vendor.static",
    "moderation.static",
    "public.index",
    "public.event",
    "public.privacy",
    "public.healthz",
    "public.when",
    "auth.login",
    "auth.login_code",
    "auth.forgot_password",
    "auth.reset_password",
    "auth.logout",
    "ideas.board",
    "ideas.screen",
    "feedback.answer",
    "ideas.new",
    "ideas.confirm",
    "ideas.status",
    "ideas.withdraw",
    "ideas.sent",
    "plan.public_plan",
    "plan.public_version",
    "registration.register",
    "registration.register_page",
    "registration.registered",
    "registration.calendar",
    "registration.confirm",
    "registration.send_manage_link",
    "registration.manage",
    "registration.update",
    "registration.resend",
    "registration.cancel",
    "registration.cancel_confirm",
    "registration.own_calendar",
    "registration.erase",
    "zoom.webhook",
    "unsubscribe.stop",
    "unsubscribe.stop_now",
    "archive.archive",
    "branding_assets.logo",
    "branding_assets.stylesheet",
    "speaker_pictures.picture",
}
# Pages every signed-in account opens (its own "My account"), and the moderators' own.
MODERATOR_PREFIXES = ("moderation.", "auth.")
ORGANIZER_PREFIXES = (
    "sessions.",
    "registration_admin.",
    "ideas_admin.",
    "plan_admin.",
    "auth_admin.",
    "audit_admin.",
    "mail_admin.",
    "speakers.",
    "followup.",
    "zoom_admin.",
)

XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "'><svg onload=alert(1)>",
    "{{7*7}}<b>bold</b>",
]
# What must never come out of a page or a mail as markup.
DANGEROUS = re.compile(
    r"<script>alert|<img src=x|<svg onload|<b>bold</b>"
    r"|<[^>]*\s(?:href|src|action)=[\"']?\s*javascript:",
    re.I,
)

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


# ---------------------------------------------------------------- a world to point URLs at


def database_snapshot():
    """Every row of every table, to tell whether a request changed anything."""
    db.session.expire_all()
    rows = {}
    for table in db.metadata.sorted_tables:
        rows[table.name] = sorted(
            repr(tuple(row)) for row in db.session.execute(sa.select(table)).all()
        )
    return rows


def rules_with(app, methods):
    return [r for r in app.url_map.iter_rules() if r.methods & methods]


# ---------------------------------------------------------------- (a) CSRF


@pytest.mark.parametrize("who", ["anonymous", "organizer"])
def test_every_state_changing_route_refuses_a_post_without_its_csrf_token(make_app, who):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        world = World()
        client = app.test_client()
        if who == "organizer":
            login(client, world.organizer.email)
        exempt = set()
        checked = []
        before = database_snapshot()
        for rule in rules_with(app, STATE_CHANGING):
            url = url_for_rule(app, rule, world)
            for method in sorted(rule.methods & STATE_CHANGING):
                if app.view_functions[rule.endpoint] and (
                    f"{app.view_functions[rule.endpoint].__module__}."
                    f"{app.view_functions[rule.endpoint].__name__}"
                    in app.extensions["csrf"]._exempt_views
                ):
                    exempt.add(rule.endpoint)
                    continue
                response = client.open(url, method=method, data={"name": "x", "title": "x"})
                where = f"{who} {method} {url} -> {response.status_code}"
                assert response.status_code in (400, 302), where
                if response.status_code == 400:
                    assert "This form has expired or was sent from another page." in (
                        response.text
                    ), where
                else:
                    assert "/login" in response.headers["Location"], where
                    assert who == "anonymous", where
                checked.append(rule.endpoint)
        assert exempt == CSRF_EXEMPT
        assert database_snapshot() == before
        # The walk really went through the routes that matter.
        assert {
            "registration.register",
            "registration.update",
            "ideas.new",
            "moderation.act",
            "plan_admin.publish",
            "sessions.event_state",
            "auth.login",
        } <= set(checked)


def test_the_zoom_webhook_refuses_an_unsigned_post(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        response = app.test_client().post(
            "/zoom/webhook", json={"event": "meeting.started", "payload": {}}
        )
        assert response.status_code in (400, 401, 403, 404)


# ---------------------------------------------------------------- (b) roles


def protected_rules(app):
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        out.append(rule)
    return out


def test_the_public_list_is_only_public_pages(app):
    """Nothing under /admin or /moderate is in the public list, and the walked endpoints
    include each role's blueprints."""
    endpoints = {r.endpoint: r.rule for r in app.url_map.iter_rules()}
    for endpoint in PUBLIC & set(endpoints):
        rule = endpoints[endpoint]
        assert not rule.startswith("/admin"), endpoint
        assert not rule.startswith("/moderate/") or endpoint == "moderation.static", endpoint
    protected = {r.endpoint for r in protected_rules(app)}
    for prefix in MODERATOR_PREFIXES + ORGANIZER_PREFIXES:
        assert any(e.startswith(prefix) for e in protected), prefix


def test_every_organizer_and_moderator_route_refuses_anonymous_visitors(app, client):
    world = World()
    before = database_snapshot()
    checked = 0
    for rule in protected_rules(app):
        url = url_for_rule(app, rule, world)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            where = f"{method} {url} -> {response.status_code}"
            assert response.status_code == 302, where
            assert response.headers["Location"].startswith("/login"), where
            checked += 1
    assert checked > 30
    assert database_snapshot() == before


def test_every_organizer_route_refuses_a_moderator(app, client):
    world = World()
    login(client, world.moderator.email)
    before = database_snapshot()
    organizer_routes = [
        r for r in protected_rules(app) if not r.endpoint.startswith(MODERATOR_PREFIXES)
    ]
    assert len(organizer_routes) > 20
    for rule in organizer_routes:
        url = url_for_rule(app, rule, world)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 403, f"{method} {url} -> {response.status_code}"
            assert "Not allowed" in response.text
    assert database_snapshot() == before
    # ... while the moderation queue is theirs.
    assert client.get(f"/moderate/{world.event.id}").status_code == 200


def test_a_registrant_link_opens_no_organizer_page(app, client):
    """A visitor holding a manage link is still anonymous everywhere else."""
    world = World()
    assert client.get(f"/r/manage/{world.manage_token}").status_code == 200
    assert client.get("/admin/").status_code == 302
    assert client.get(f"/moderate/{world.event.id}").status_code == 302


# ---------------------------------------------------------------- (c) XSS


def assert_escaped(html, where):
    found = DANGEROUS.search(html)
    assert found is None, (
        f"unescaped payload in {where}: ...{html[found.start() - 80 : found.end() + 40]}"
    )


@pytest.mark.parametrize("payload", XSS)
def test_payloads_in_public_forms_come_out_escaped_in_pages_and_mails(app, client, payload):
    world = World()
    slug = world.event.slug
    response = client.post(
        f"/s/{slug}/register",
        data={
            "email": "x@example.org",
            "name": payload,
            "affiliation": payload,
            "language": "en",
            "consent": "y",
        },
    )
    assert response.status_code == 302
    registration = db.session.scalar(
        sa.select(Registration).where(Registration.email_key == "x@example.org")
    )
    assert registration.name == payload  # kept as typed: escaped on output, not mangled
    response = client.post(
        f"/s/{slug}/ideas/new",
        data={
            "title": payload,
            "body": payload + "\n\n" + payload,
            "name": payload + " Name",
            "display": "name",
            "language": "en",
            "theme": "",
            "email": "y@example.org",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    idea = db.session.scalar(sa.select(Idea).where(Idea.author_email == "y@example.org"))
    workflow.confirm(idea)
    workflow.approve(idea, world.organizer, idea.revision)
    db.session.commit()
    # A form re-rendered with the payload (a bad address) shows it escaped too.
    bad = client.post(
        f"/s/{slug}/register",
        data={"email": "nope", "name": payload, "affiliation": payload, "language": "en"},
    )
    assert bad.status_code == 200
    assert_escaped(bad.text, "the registration form with an error")
    bad = client.post(
        f"/s/{slug}/ideas/new",
        data={"title": payload, "body": payload, "name": payload, "email": "nope"},
    )
    assert_escaped(bad.text, "the idea form with an error")

    _row, manage = LinkToken.issue("manage", registration)
    db.session.commit()
    pages = [f"/s/{slug}", f"/s/{slug}/ideas", f"/r/manage/{manage}"]
    for path in pages:
        assert_escaped(client.get(path).text, path)
    login(client, world.organizer.email)
    event_id = world.event.id
    for path in (
        f"/moderate/{event_id}",
        f"/admin/events/{event_id}/registrants",
        f"/admin/events/{event_id}/ideas",
        f"/admin/events/{event_id}",
        "/admin/outbox",
        f"/admin/events/{event_id}/plan",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_escaped(response.text, path)
    mails = db.session.scalars(sa.select(OutboxMessage)).all()
    assert any(payload in m.body_text for m in mails)  # the payload did reach the mails
    for message in mails:
        assert_escaped(message.body_html, f"mail {message.kind}")


@pytest.mark.parametrize("payload", XSS)
def test_payloads_in_organizer_texts_come_out_escaped(app, client, payload):
    world = World()
    event = world.event
    event.set_text(
        "en",
        title=payload,
        summary=payload,
        convener=payload,
        agenda=payload,
        speakers=payload,
    )
    world.event.themes[0].labels = {"en": payload}
    world.speaker.texts = {"en": dict.fromkeys(("name", "role", "affiliation", "bio"), payload)}
    world.partner.texts = {"en": {"name": payload}}
    db.session.commit()
    login(client, world.organizer.email)
    plan = f"/admin/events/{event.id}/plan"
    item = world.item
    assert item is not None
    # The plan is written in Markdown: raw HTML and javascript: links are not let through.
    markdown = f"{payload}\n\n[click](javascript:alert(1)) <a href='javascript:alert(1)'>x</a>"
    client.post(plan + "/intro", data={"intro-intro_en": markdown, "intro-intro_km": markdown})
    client.post(
        plan + f"/sections/{world.section.id}",
        data={
            f"section-{world.section.id}-title_en": payload,
            f"section-{world.section.id}-title_km": payload,
        },
    )
    key = f"item-{item.id}"
    client.post(
        plan + f"/items/{item.id}",
        data={
            f"{key}-what_en": markdown,
            f"{key}-what_km": markdown,
            f"{key}-who_en": payload,
            f"{key}-who_km": payload,
            f"{key}-status": "agreed",
            f"{key}-due": payload[:100],
        },
    )
    event.state = "concluded"
    db.session.commit()
    response = client.post(
        plan + "/publish",
        data={"publish-note_en": payload, "publish-note_km": payload, **PUBLISH_AND_MAIL},
    )
    assert response.status_code == 302, response.text
    while mailout.advance_all():  # the worker's step: the plan's mail-out is prepared
        pass
    for path in (
        "/",
        f"/s/{event.slug}",
        f"/s/{event.slug}/ideas",
        f"/s/{event.slug}/plan",
        f"/admin/events/{event.id}",
        plan,
        f"/moderate/{event.id}",
        f"/r/manage/{world.manage_token}",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_escaped(response.text, path)
    mails = db.session.scalars(sa.select(OutboxMessage)).all()
    assert any(m.kind.startswith("plan") for m in mails), [m.kind for m in mails]
    for message in mails:
        assert_escaped(message.body_html, f"mail {message.kind}")


# ---------------------------------------------------------------- (d) secret links


def test_link_tokens_are_long_random_and_stored_only_as_hashes(app):
    world = World()
    raws = [world.manage_token, world.confirm_token, world.idea_status_token]
    raws += [LinkToken.issue("manage", world.registration)[1] for _ in range(200)]
    db.session.commit()
    assert len(set(raws)) == len(raws)
    for raw in raws:
        assert len(raw) >= 43 and re.fullmatch(r"[A-Za-z0-9_\-]+", raw)  # 256 bits
    # Each position uses the whole alphabet, across tokens: no fixed or counting part.
    alphabet = set("".join(raws))
    assert len(alphabet) >= 60
    for position in (0, 10, 20, 30, 41):  # the 43rd holds only 4 bits
        assert len({raw[position] for raw in raws}) > 40, position
    stored = db.session.execute(sa.select(LinkToken.token_hash)).scalars().all()
    for raw in raws:
        assert raw not in stored
        assert LinkToken.hash(raw) in stored
    # Nowhere else in the database either (only the mails carry them, by design).
    snapshot = database_snapshot()
    del snapshot["outbox_message"]
    flat = repr(snapshot)
    assert not any(raw in flat for raw in raws)


def test_an_expired_confirmation_link_confirms_nothing(app, client):
    world = World()
    row = LinkToken.find(world.confirm_token, "confirm")
    row.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    path = f"/r/confirm/{world.confirm_token}"
    client.post(path)
    db.session.expire_all()
    assert db.session.get(Registration, world.pending.id).status == "unconfirmed"
    assert client.get(path).status_code == 200  # a kind page saying it expired


def test_a_used_confirmation_link_is_not_a_way_in(app, client):
    world = World()
    path = f"/r/confirm/{world.confirm_token}"
    client.post(path)
    db.session.expire_all()
    assert db.session.get(Registration, world.pending.id).status == "confirmed"
    again = client.get(path).text
    # A used link may have been forwarded: it does not show the manage link or join details.
    assert "/r/manage/" not in again
    assert "zoom.example.invalid" not in again


def test_an_erased_registrations_link_stops_working(app, client):
    world = World()
    path = f"/r/manage/{world.manage_token}"
    assert client.post(path + "/erase", data={"sure": "y"}).status_code in (200, 302)
    assert client.get(path).status_code == 404
    assert client.get("/r/manage/" + "A" * 43).status_code == 404


def test_token_pages_send_no_referrer_and_link_nowhere_else(app, client):
    world = World()
    for path in (
        f"/r/manage/{world.manage_token}",
        f"/r/confirm/{world.confirm_token}",
        f"/ideas/status/{world.idea_status_token}",
        f"/s/{world.event.slug}/ideas/new?t={world.manage_token}",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Referrer-Policy"] == "no-referrer", path
        external = re.findall(r'(?:src|href|action)="((?:https?:)?//[^"]+)"', response.text)
        # The only way off the site from a manage page is the meeting itself, once released.
        assert all("zoom.example.invalid" in url for url in external), (path, external)
        assert "no-referrer" in response.headers["Referrer-Policy"]


# ---------------------------------------------------------------- (e) headers everywhere


def test_every_route_with_arguments_carries_the_security_headers(app, client):
    from test_pages import assert_security_headers

    world = World()
    login(client, world.organizer.email)
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.arguments or "GET" not in rule.methods:
            continue
        url = url_for_rule(app, rule, world)
        response = client.get(url)
        assert_security_headers(response, f"GET {url} ({response.status_code})")
        checked += 1
    assert checked > 15


# ---------------------------------------------------------------- (f) rate limits


def test_registration_is_limited_per_address_and_per_ip(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_PUBLIC_POST="8 per minute",
        RATELIMIT_STORAGE_URI="memory://",
    )
    with app.app_context():
        world = World()
        client = app.test_client()
        url = f"/s/{world.event.slug}/register"

        def register(email, ip="10.0.0.1"):
            data = {"email": email, "name": "N", "language": "en", "consent": "y"}
            return client.post(url, data=data, environ_base={"REMOTE_ADDR": ip})

        answers = [register("same@example.org").status_code for _ in range(6)]
        # Past the address's share of mail: the same answer (nothing is sent), and the
        # address's owner, from anywhere, is not refused either.
        assert answers == [302] * 6
        assert register("same@example.org", ip="10.0.0.2").status_code == 302
        mails = db.session.scalar(
            sa.select(sa.func.count(OutboxMessage.id)).where(
                OutboxMessage.recipient == "same@example.org"
            )
        )
        assert mails == 5
        # Per IP: new addresses from one place, until the public limit.
        answers = [register(f"p{i}@example.org", ip="10.0.0.3").status_code for i in range(9)]
        assert answers[:8] == [302] * 8 and answers[8] == 429
        assert register("fresh@example.org", ip="10.0.0.4").status_code == 302


def test_login_and_idea_submission_are_limited(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT="5 per minute",
        RATELIMIT_PUBLIC_POST="50 per minute",
        IDEAS_RATE_LIMIT_PER_ADDRESS="3 per hour",
    )
    with app.app_context():
        world = World()
        client = app.test_client()
        answers = [
            client.post("/login", data={"email": "x@example.org", "password": "wrong"})
            for _ in range(6)
        ]
        assert [a.status_code for a in answers[:5]] == [200] * 5
        assert answers[5].status_code == 429 and "Too many requests" in answers[5].text
        idea = {
            "title": "T",
            "body": "B",
            "language": "en",
            "display": "anonymous",
            "email": "author@example.org",
            "theme": "",
        }
        url = f"/s/{world.event.slug}/ideas/new"
        codes = [client.post(url, data=idea).status_code for _ in range(7)]
        assert codes == [303] * 7  # no 429 naming the address: the mailbox cap is silent
        ideas = db.session.scalar(
            sa.select(sa.func.count(Idea.id)).where(Idea.author_email == "author@example.org")
        )
        assert ideas == 5
        url += f"?t={world.manage_token}"
        codes = [client.post(url, data=idea).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]


# ---------------------------------------------------------------- (g) no enumeration


def test_registration_answers_the_same_for_a_new_and_a_known_address(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        world = World()
        slug = world.event.slug

        def register(email):
            return register_in_new_context(app, slug, email)

        def register_in_new_context(app, slug, email):
            with app.app_context():  # `g` (which holds the CSRF token) is per visitor
                return register_once(app.test_client(), slug, email)

        def register_once(client, slug, email):
            page = client.get(f"/s/{slug}")
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
            response = client.post(
                f"/s/{slug}/register",
                data={
                    "csrf_token": token.group(1),
                    "email": email,
                    "name": "Someone",
                    "language": "en",
                    "consent": "y",
                },
            )
            assert response.status_code == 302
            followed = client.get(response.headers["Location"])
            # The CSRF token differs, nothing else.
            strip = re.compile(r"[\w\-]{20,}\.[\w\-]+\.[\w\-]+")
            return (
                response.status_code,
                response.headers["Location"],
                sorted(k for k, _v in response.headers if k != "Set-Cookie"),
                strip.sub("", followed.text),
            )

        new = register("brand-new@example.org")
        known = register(world.registration.email)
        pending = register(world.pending.email)
        assert new == known == pending
        assert new[0] == 302


# ---------------------------------------------------------------- (h) arbitrary input

TEXT = st.one_of(
    st.text(max_size=50),
    st.text(min_size=190, max_size=260),
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=()), min_size=0, max_size=4100
    ),
    st.sampled_from(XSS + ["", " ", "\x00", "\ufeff", "ក" * 300, "a@b", "@", "\r\n" * 50]),
)
MAYBE = st.one_of(st.none(), TEXT)


def drop_none(data):
    return {k: v for k, v in data.items() if v is not None}


FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def fuzz_world(app):
    return World()


def assert_no_500(response, data):
    assert response.status_code < 500, (response.status_code, data)


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "email": TEXT,
            "name": TEXT,
            "affiliation": TEXT,
            "language": TEXT,
            "country": TEXT,
            "consent": MAYBE,
            "website": MAYBE,
        },
    )
)
def test_registration_form_never_fails(client, fuzz_world, data):
    response = client.post(f"/s/{fuzz_world.event.slug}/register", data=drop_none(data))
    assert_no_500(response, data)
    db.session.rollback()


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "title": TEXT,
            "body": TEXT,
            "name": TEXT,
            "email": TEXT,
            "language": TEXT,
            "theme": TEXT,
            "display": TEXT,
            "website": MAYBE,
        },
    ),
    token=st.sampled_from(["", "known", "junk"]),
)
def test_idea_form_never_fails(client, fuzz_world, data, token):
    query = {"": "", "known": f"?t={fuzz_world.manage_token}", "junk": "?t=%00x"}[token]
    response = client.post(f"/s/{fuzz_world.event.slug}/ideas/new{query}", data=drop_none(data))
    assert_no_500(response, data)
    db.session.rollback()


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {}, optional={"name": TEXT, "language": TEXT, "sure": MAYBE, "csrf_token": MAYBE}
    ),
    action=st.sampled_from(["", "/resend", "/cancel", "/erase"]),
)
def test_manage_forms_never_fail(client, fuzz_world, data, action):
    # A registration of its own for each example: cancel and erase end it.
    registration = Registration(
        event=fuzz_world.event,
        email="fuzz@example.org",
        email_key=f"fuzz-{uuid.uuid4().hex}@example.org",
        name="Fuzz",
        language="en",
        status="confirmed",
        confirmed_at=utcnow(),
    )
    db.session.add(registration)
    db.session.flush()
    _row, token = LinkToken.issue("manage", registration)
    db.session.commit()
    response = client.post(f"/r/manage/{token}{action}", data=drop_none(data))
    assert_no_500(response, data)
    db.session.rollback()


@FUZZ
@given(
    data=st.fixed_dictionaries({}, optional={"email": TEXT, "password": TEXT, "next": MAYBE}),
    next_arg=st.one_of(st.just(""), st.text(max_size=80)),
)
def test_login_form_never_fails(client, fuzz_world, data, next_arg):
    from urllib.parse import quote

    url = "/login" + (f"?next={quote(next_arg)}" if next_arg else "")
    response = client.post(url, data=drop_none(data))
    assert_no_500(response, data)
    if response.status_code == 302:
        location = response.headers["Location"]
        assert not location.startswith(("//", "http:", "https:", "javascript:")), location
    db.session.rollback()


@FUZZ
@given(path=st.text(max_size=120))
def test_arbitrary_token_links_never_fail(client, fuzz_world, path):
    from urllib.parse import quote

    segment = quote(path, safe="")
    if not segment:
        return
    for prefix in ("/r/manage/", "/r/confirm/", "/ideas/status/", "/ideas/confirm/"):
        response = client.get(prefix + segment)
        assert_no_500(response, path)


@pytest.mark.parametrize(
    "method, path, data",
    [
        ("POST", "/login", {"email": "\x00", "password": "x"}),
        ("POST", "/login", {"email": "organizer\x00@example.org", "password": "x\x00"}),
        ("GET", "/s/open%00", None),
        ("GET", "/s/%00/ideas", None),
        ("GET", "/s/open/ideas?theme=%00&sort=%00", None),
        ("POST", "/s/open/register", "nul-register"),
        ("POST", "/s/open/ideas/new", "nul-idea"),
    ],
)
def test_a_nul_character_is_never_a_500(app, client, method, path, data):
    """PostgreSQL refuses NUL in text: found by the property tests above on PostgreSQL."""
    World()
    if data == "nul-register":
        data = {"email": "n@example.org", "name": "A\x00B", "language": "en", "consent": "y"}
    if data == "nul-idea":
        data = {"title": "T\x00", "body": "B\x00", "email": "n@example.org", "language": "en"}
        data.update(display="anonymous", theme="")
    response = client.open(path, method=method, data=data)
    assert response.status_code < 500
    if path.endswith("/register"):
        assert response.status_code == 302
        name = db.session.scalar(
            sa.select(Registration.name).where(Registration.email_key == "n@example.org")
        )
        assert name == "AB"
