"""Accounts: sign-in and sign-out, roles on every organizer route, throttling per address,
audited role changes, and no open redirect. (Sessions, passwords, two-factor sign-in and
throttling by account and address: test_accounts.py.)"""

import pytest
import sqlalchemy as sa
from support import PASSWORD, Auth, create_user

from app.extensions import db
from app.models import AuditEntry, User


def admin_routes(app):
    """(method, url) of every organizer route, with placeholder arguments."""
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith("/admin/"):  # each feature's organizer pages
                continue
            values = {}
            for name in rule.arguments:
                converter = rule._converters[name]
                kind = type(converter).__name__
                values[name] = 1 if "Integer" in kind else "x"
                if kind == "AnyConverter":
                    values[name] = sorted(converter.items)[0]
            url = rule.build(values)[1]
            method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS"})[0]
            routes.append((method, url))
    assert routes, "no organizer routes found"
    return routes


def actions(*names):
    return [
        e.action
        for e in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))
        if e.action in names
    ]


def test_anonymous_visitor_is_sent_to_sign_in_from_every_organizer_route(app, client):
    for method, url in admin_routes(app):
        response = client.open(url, method=method)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next="), url


def test_moderator_gets_403_on_every_organizer_route(app, client, auth, moderator_user):
    auth.login(moderator_user.email)
    for method, url in admin_routes(app):
        response = client.open(url, method=method, data={"role": "admin"})
        assert response.status_code == 403, f"{method} {url}"
        assert "You do not have permission to open this page." in response.text
    assert db.session.get(User, moderator_user.id).role == "moderator"


def test_organizer_signs_in_and_out(client, auth, admin_user):
    response = auth.login(admin_user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert actions("login") == ["login"]

    response = auth.logout()
    assert response.headers["Location"] == "/"
    assert "You are signed out." in client.get("/").text
    assert client.get("/admin/").status_code == 302


def test_wrong_password_is_refused_with_a_message(client, auth, admin_user):
    response = auth.login(admin_user.email, "not the password")
    assert response.status_code == 200
    assert "Wrong email or password." in response.text
    assert client.get("/admin/").status_code == 302
    unknown = auth.login("nobody@example.org", "whatever password")
    assert "Wrong email or password." in unknown.text


def test_sign_in_is_throttled_per_address(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        client = app.test_client()
        for _ in range(3):
            response = client.post("/login", data={"email": "a@b.c", "password": "x"})
            assert response.status_code == 200
        response = client.post("/login", data={"email": "a@b.c", "password": "x"})
        assert response.status_code == 429
        assert "Too many requests" in response.text
        assert "Please wait a minute and try again." in response.text
        assert '<html lang="en">' in response.text  # the friendly page, not a bare error
        # Another address is not held back by the first one's attempts.
        other = client.post(
            "/login",
            data={"email": "a@b.c", "password": "x"},
            environ_base={"REMOTE_ADDR": "192.0.2.7"},
        )
        assert other.status_code == 200
        # Reading the form is never throttled.
        assert client.get("/login").status_code == 200


def test_role_change_by_an_organizer_is_audited(client, auth, admin_user, moderator_user):
    auth.login(admin_user.email)
    response = client.post(f"/admin/users/{moderator_user.id}/role", data={"role": "admin"})
    assert response.status_code == 302
    page = client.get("/admin/users").text
    assert "moderator@example.org is now: organizer." in page
    assert db.session.get(User, moderator_user.id).role == "admin"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.role"))
    assert entry.actor_id == admin_user.id
    assert (entry.target_type, entry.target_id) == ("user", moderator_user.id)
    assert entry.detail == {"before": "moderator", "after": "admin"}


def test_organizer_cannot_remove_their_own_role(client, auth, admin_user):
    auth.login(admin_user.email)
    client.post(f"/admin/users/{admin_user.id}/role", data={"role": "moderator"})
    assert db.session.get(User, admin_user.id).role == "admin"
    assert actions("user.role") == []


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example/",
        "/\t/evil.example/",
        "javascript:alert(1)",
        "http:/evil.example",
    ],
)
def test_next_cannot_send_anyone_to_another_site(client, admin_user, target):
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": admin_user.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"


def test_next_to_a_local_page_is_followed(client, admin_user):
    response = client.post(
        "/login",
        query_string={"next": "/admin/audit?page=2"},
        data={"email": admin_user.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/admin/audit?page=2"


def test_anonymous_visitor_is_sent_back_after_signing_in(client, admin_user):
    location = client.get("/admin/users").headers["Location"]
    response = client.post(location, data={"email": admin_user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/admin/users"


def test_moderator_lands_on_the_home_page_without_a_moderator_home(make_app):
    app = make_app(PLUGINS="smtp")  # without the moderation plugin, nothing sets one
    with app.app_context():
        user = create_user("mod@example.org", "moderator")
        response = Auth(app.test_client()).login(user.email)
    assert response.headers["Location"] == "/"


def test_moderator_lands_on_moderator_home_when_the_app_has_it(make_app):
    app = make_app(MODERATOR_HOME="public.privacy")
    with app.app_context():
        user = create_user("mod@example.org", "moderator")
        client = app.test_client()
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/privacy"


def test_moderator_home_that_does_not_exist_falls_back_to_the_home_page(make_app):
    app = make_app(MODERATOR_HOME="moderation.queue_that_is_not_installed")
    with app.app_context():
        user = create_user("mod@example.org", "moderator")
        response = app.test_client().post(
            "/login", data={"email": user.email, "password": PASSWORD}
        )
    assert response.headers["Location"] == "/"


def test_passwords_are_stored_with_a_strong_kdf(admin_user):
    assert admin_user.password_hash.startswith("scrypt:")
    assert PASSWORD not in admin_user.password_hash
