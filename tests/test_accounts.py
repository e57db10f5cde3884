"""Organizer and moderator accounts that can be secured: sessions that end (sign-out,
password change, disabling, role change, "sign out everywhere", a day without use),
password change and reset by mail, account management in the browser and on the command
line (audited), two-factor sign-in, sign-in throttling that cannot lock anyone out, and no
account enumeration by the work a sign-in does."""

import re
import time

import pyotp
import pytest
import sqlalchemy as sa
from flask import g, request_started
from support import PASSWORD, Auth, SmtpSink, create_user

from app.auth import passwords, throttle
from app.extensions import db
from app.mail.worker import Worker
from app.models import AuditEntry, OutboxMessage, User

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture(autouse=True)
def each_request_loads_its_own_user():
    """The tests' app context outlives a request, and Flask-Login keeps the user it loaded in
    `g`: drop it when a request starts, as a new context in production would, so that a
    request is judged by its own cookie only (a thief's request must not borrow the user an
    earlier request of another client loaded)."""

    def forget(sender, **extra):
        g.pop("_login_user", None)

    request_started.connect(forget)
    yield
    request_started.disconnect(forget)


def actions(*names):
    db.session.expire_all()
    return [
        e.action
        for e in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))
        if e.action in names
    ]


def signed_in(app, email, password=PASSWORD):
    client = app.test_client()
    response = Auth(client).login(email, password)
    assert response.status_code == 302, response.text
    return client


def stolen_copy(app, client):
    """A second browser holding a copy of `client`'s session cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def opens_admin(client):
    return client.get("/admin/").status_code == 200


# ---------------------------------------------------------------- sessions that end


def test_a_cookie_captured_before_sign_out_no_longer_opens_the_organizer_pages(app, admin_user):
    client = signed_in(app, admin_user.email)
    thief = stolen_copy(app, client)
    assert opens_admin(thief)

    Auth(client).logout()

    response = thief.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert actions("logout") == ["logout"]


def change_password_via_account_page(app, user, client):
    response = client.post(
        "/account/password",
        data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302


def disable_via_users_page(app, user, client):
    other = create_user("second.organizer@example.org", "admin")
    organizer = signed_in(app, other.email)
    assert organizer.post(f"/admin/users/{user.id}/disable").status_code == 302


def demote_via_users_page(app, user, client):
    other = create_user("second.organizer@example.org", "admin")
    organizer = signed_in(app, other.email)
    organizer.post(f"/admin/users/{user.id}/role", data={"role": "moderator"})


def sign_out_everywhere_else(app, user, client):
    assert client.post("/account/signout-everywhere").status_code == 302


@pytest.mark.parametrize(
    "change",
    [
        change_password_via_account_page,
        disable_via_users_page,
        demote_via_users_page,
        sign_out_everywhere_else,
    ],
)
def test_account_changes_end_every_other_session(app, admin_user, change):
    client = signed_in(app, admin_user.email)
    thief = stolen_copy(app, signed_in(app, admin_user.email))
    assert opens_admin(thief)

    change(app, admin_user, client)

    assert thief.get("/admin/").status_code == 302
    assert thief.get("/account").status_code == 302


def test_the_session_that_changed_the_password_goes_on(app, admin_user):
    client = signed_in(app, admin_user.email)
    change_password_via_account_page(app, admin_user, client)
    assert "Your password is changed." in client.get("/account").text
    assert opens_admin(client)
    # The old password no longer opens the account; the new one does.
    assert "Wrong email or password." in Auth(app.test_client()).login(admin_user.email).text
    signed_in(app, admin_user.email, NEW_PASSWORD)
    assert actions("user.password") == ["user.password"]


def test_a_session_ends_after_a_working_day_without_use(app, admin_user):
    client = signed_in(app, admin_user.email)
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 9 * 3600
    assert opens_admin(client)  # nine hours: still open, and now seen again

    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 10 * 3600 - 60
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/admin/users"
    page = client.get(response.headers["Location"]).text
    assert "Your session ended after a long time without use." in page
    assert client.get("/admin/").status_code == 302


def test_the_idle_limit_is_a_setting(make_app):
    app = make_app(ACCOUNT_IDLE_HOURS=1)
    with app.app_context():
        user = create_user("organizer@example.org", "admin")
        client = signed_in(app, user.email)
        with client.session_transaction() as session:
            session["seen"] = int(time.time()) - 2 * 3600
        assert client.get("/admin/").status_code == 302


# ---------------------------------------------------------------- throttling, not lock-out


def login_from(client, address, email, password=PASSWORD):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_wrong_passwords_from_one_address_never_lock_the_owner_out(app, client, admin_user):
    attacker = "192.0.2.66"
    for _ in range(5):
        page = login_from(client, attacker, admin_user.email, "wrong").text
        assert "Wrong email or password." in page
    for _ in range(20):
        page = login_from(client, attacker, admin_user.email, "wrong").text
        assert "Too many attempts. Please wait 1 minute and try again." in page

    # The attacker's address waits, even with the right password...
    refused = login_from(client, attacker, admin_user.email)
    assert refused.status_code == 200
    assert "Too many attempts." in refused.text
    # ... and the owner, from their own address, signs in at once.
    owner = app.test_client()
    response = login_from(owner, "198.51.100.5", admin_user.email)
    assert response.status_code == 302
    assert owner.get("/admin/").status_code == 200


def test_the_wait_doubles_with_each_further_failure(app, client, admin_user):
    attacker = "192.0.2.66"
    for _ in range(5):
        login_from(client, attacker, admin_user.email, "wrong")
    with app.test_request_context(environ_base={"REMOTE_ADDR": attacker}):
        assert throttle.minutes_to_wait(admin_user.email) == 1
        # The minute passes (the wait's key expires in the rate-limit storage).
        throttle.storage().clear(throttle.pair_key(admin_user.email) + ":wait")
    page = login_from(client, attacker, admin_user.email, "wrong").text
    assert "Wrong email or password." in page
    page = login_from(client, attacker, admin_user.email, "wrong").text
    assert "Please wait 2 minutes and try again." in page


def test_the_wait_is_said_in_the_visitors_language(app, client, admin_user):
    client.get("/?lang=fr")
    for _ in range(6):
        page = login_from(client, "192.0.2.66", admin_user.email, "wrong").text
    assert "Trop de tentatives" in page


def test_throttle_keys_hold_neither_the_address_nor_the_email(app, admin_user):
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.66"}):
        key = throttle.pair_key(admin_user.email)
    assert "192.0.2.66" not in key and "organizer" not in key
    assert re.fullmatch(r"sala-login:[0-9a-f]{40}", key)
    # Nothing about failed sign-ins is written to the database.
    client = app.test_client()
    for _ in range(6):
        login_from(client, "192.0.2.66", admin_user.email, "wrong")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


# ---------------------------------------------------------------- no enumeration by timing


@pytest.fixture
def hash_checks(monkeypatch):
    """Counts the real password-hash checks a sign-in does (the real function still runs)."""
    calls = []
    real = passwords.check_password_hash

    def counting(stored, password):
        calls.append(stored.split("$", 1)[0])
        return real(stored, password)

    monkeypatch.setattr(passwords, "check_password_hash", counting)
    return calls


def test_unknown_address_and_wrong_password_do_the_same_hash_work(
    app, client, admin_user, hash_checks
):
    create_user("disabled@example.org", "moderator").active = False
    db.session.commit()
    for email, password in [
        (admin_user.email, "wrong password"),
        ("nobody@example.org", "wrong password"),
        ("disabled@example.org", PASSWORD),
    ]:
        hash_checks.clear()
        page = client.post("/login", data={"email": email, "password": password}).text
        assert "Wrong email or password." in page
        # One check each, with the same algorithm and cost as a real account's hash.
        assert hash_checks == [admin_user.password_hash.split("$", 1)[0]], email


# ---------------------------------------------------------------- my password


def test_changing_my_password_needs_the_current_one(app, admin_user):
    client = signed_in(app, admin_user.email)
    response = client.post(
        "/account/password",
        data={"current": "not it", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert "This is not your current password." in response.text
    short = client.post(
        "/account/password", data={"current": PASSWORD, "password": "short", "confirm": "short"}
    )
    assert "The password must have 10 to 200 characters." in short.text
    different = client.post(
        "/account/password",
        data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"},
    )
    assert "The two passwords are not the same." in different.text
    db.session.refresh(admin_user)
    assert admin_user.check_password(PASSWORD)


def test_my_account_page_in_khmer_and_french(app, moderator_user):
    client = signed_in(app, moderator_user.email)
    assert "Changer mon mot de passe" in client.get("/account?lang=fr").text
    page = client.get("/account?lang=km").text
    assert '<html lang="km">' in page and "Change my password" not in page


# ---------------------------------------------------------------- password reset by mail


@pytest.fixture
def reset_app(make_app):
    sink = SmtpSink().start()
    app = make_app(
        EMAIL_PROVIDER="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=sink.port,
        MAIL_USE_TLS=False,
        MAIL_USE_SSL=False,
        MAIL_SUPPRESS_SEND=False,
    )
    with app.app_context():
        yield app, sink
    sink.stop()


def deliver():
    Worker().run(once=True)
    db.session.expire_all()


def test_a_forgotten_password_is_reset_through_a_single_use_link(reset_app):
    app, smtp = reset_app
    user = create_user("moderator@example.org", "moderator")
    client = app.test_client()
    client.get("/?lang=fr")
    answer = client.post("/login/forgot", data={"email": "Moderator@Example.org"})
    assert answer.status_code == 302
    deliver()
    (mail,) = smtp.to("moderator@example.org")
    assert mail["Content-Language"] == "fr"
    link = re.search(r"http://sala\.test(/login/reset/\S+)", SmtpSink.text(mail)).group(1)

    form = client.get(link)
    assert form.status_code == 200
    done = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    signed_in(app, user.email, NEW_PASSWORD)
    # Used once, the link is spent.
    assert client.get(link).status_code == 410
    assert (
        client.post(link, data={"password": "another one!", "confirm": "another one!"}).status_code
        == 410
    )
    assert actions("user.password_reset_requested", "user.password") == [
        "user.password_reset_requested",
        "user.password",
    ]


def test_the_reset_request_answers_the_same_for_an_unknown_address(reset_app):
    app, smtp = reset_app
    create_user("moderator@example.org", "moderator")
    client = app.test_client()
    known = client.post(
        "/login/forgot", data={"email": "moderator@example.org"}, follow_redirects=True
    )
    unknown = client.post(
        "/login/forgot", data={"email": "nobody@example.org"}, follow_redirects=True
    )
    assert known.text.replace("moderator@example.org", "") == unknown.text.replace(
        "nobody@example.org", ""
    )
    assert "If this address belongs to an account" in unknown.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 1
    deliver()
    assert smtp.to("nobody@example.org") == []


def test_a_reset_link_with_a_wrong_or_old_signature_does_not_work(reset_app):
    app, _smtp = reset_app
    user = create_user("moderator@example.org", "moderator")
    with app.test_request_context():
        token = passwords.reset_token(user)
    client = app.test_client()
    assert client.get(f"/login/reset/{token}x").status_code == 410
    # Ending the account's sessions also ends the links sent before.
    user.end_all_sessions()
    db.session.commit()
    page = client.get(f"/login/reset/{token}")
    assert page.status_code == 410
    assert "This link no longer works" in page.text


# ---------------------------------------------------------------- organizers manage accounts


def test_an_organizer_disables_enables_and_removes_an_account(app, admin_user, moderator_user):
    moderator_id = moderator_user.id
    client = signed_in(app, admin_user.email)
    client.post(f"/admin/users/{moderator_user.id}/disable")
    assert "moderator@example.org is disabled and signed out." in client.get("/admin/users").text
    assert "Wrong email or password." in Auth(app.test_client()).login(moderator_user.email).text

    client.post(f"/admin/users/{moderator_user.id}/enable")
    signed_in(app, moderator_user.email)

    client.post(f"/admin/users/{moderator_user.id}/remove")
    assert db.session.get(User, moderator_id) is None
    assert actions("user.disable", "user.enable", "user.remove") == [
        "user.disable",
        "user.enable",
        "user.remove",
    ]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.remove"))
    assert entry.actor_id == admin_user.id and entry.detail == {"email": "moderator@example.org"}


def test_an_organizer_cannot_disable_or_remove_their_own_account(app, admin_user):
    client = signed_in(app, admin_user.email)
    for action in ("disable", "remove", "signout"):
        client.post(f"/admin/users/{admin_user.id}/{action}")
    assert "You cannot change your own account here" in client.get("/admin/users").text
    db.session.expire_all()
    assert db.session.get(User, admin_user.id).active
    assert opens_admin(client)


def test_the_last_organizer_cannot_be_disabled_demoted_or_removed(app, admin_user, runner):
    email = admin_user.email
    for command in (
        ["user", "disable", email],
        ["user", "role", email, "moderator"],
        ["user", "remove", "--yes", email],
    ):
        result = runner.invoke(args=command)
        assert result.exit_code == 1, command
        assert "This is the last active organizer account" in result.output
    db.session.expire_all()
    user = db.session.get(User, admin_user.id)
    assert user.active and user.is_admin


def test_accounts_are_managed_on_the_command_line(app, admin_user, moderator_user, runner):
    email = moderator_user.email
    client = signed_in(app, email)

    result = runner.invoke(args=["user", "passwd", email], input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "The password of moderator@example.org is changed." in result.output
    assert client.get("/account").status_code == 302  # its sessions ended
    signed_in(app, email, NEW_PASSWORD)

    assert runner.invoke(args=["user", "role", email, "admin"]).exit_code == 0
    assert runner.invoke(args=["user", "disable", email]).exit_code == 0
    listing = runner.invoke(args=["user", "list"]).output
    assert re.search(r"moderator@example\.org\s+admin\s+disabled\s+two-factor off", listing)
    assert runner.invoke(args=["user", "enable", email]).exit_code == 0
    assert runner.invoke(args=["user", "signout", email]).exit_code == 0
    assert runner.invoke(args=["user", "remove", "--yes", email]).exit_code == 0
    assert db.session.scalar(sa.select(User).where(User.email == email)) is None
    unknown = runner.invoke(args=["user", "disable", "nobody@example.org"])
    assert unknown.exit_code == 1 and "There is no user" in unknown.output

    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action.like("user.%")).order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.detail.get("via")) for e in entries] == [
        ("user.password", "cli"),
        ("user.role", "cli"),
        ("user.disable", "cli"),
        ("user.enable", "cli"),
        ("user.signout", "cli"),
        ("user.remove", "cli"),
    ]


# ---------------------------------------------------------------- two-factor sign-in


def enrol(client):
    """Set up two-factor sign-in as a person would: read the key, type the app's code."""
    page = client.get("/account/two-factor").text
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1)
    totp = pyotp.TOTP(secret.replace(" ", ""))
    done = client.post("/account/two-factor", data={"code": totp.now()})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-f]{10}-[0-9a-f]{10})</code></li>", done.text)
    return totp, codes


def test_two_factor_enrolment_shows_a_qr_code_and_ten_recovery_codes_once(app, moderator_user):
    client = signed_in(app, moderator_user.email)
    page = client.get("/account/two-factor")
    assert '<img src="/account/two-factor/qr.svg"' in page.text
    qr = client.get("/account/two-factor/qr.svg")
    assert qr.mimetype == "image/svg+xml"
    assert qr.data.lstrip().startswith(b"<?xml") or b"<svg" in qr.data[:200]
    assert b"<script" not in qr.data and b"style=" not in qr.data

    wrong = client.post("/account/two-factor", data={"code": "000000"})
    assert "This code is not right." in wrong.text

    _totp, codes = enrol(client)
    assert len(set(codes)) == 10
    db.session.refresh(moderator_user)
    assert moderator_user.has_two_factor
    assert not any(code in str(moderator_user.recovery_codes) for code in codes)
    # Shown once: the set-up page now leads back to the account page.
    assert client.get("/account/two-factor").status_code == 302
    assert "10 recovery codes left." in client.get("/account").text
    assert actions("user.2fa.enable") == ["user.2fa.enable"]


def test_sign_in_asks_for_the_code_and_never_takes_one_twice(app, moderator_user):
    client = signed_in(app, moderator_user.email)
    totp, codes = enrol(client)
    enrolment_code = totp.now()

    browser = app.test_client()
    response = Auth(browser).login(moderator_user.email)
    assert response.headers["Location"].startswith("/login/code")
    assert browser.get("/account").status_code == 302  # not signed in yet

    # The code used to enrol was used already.
    replay = browser.post("/login/code", data={"code": enrolment_code})
    assert "This code is not right, or was used already." in replay.text
    # The next step's code (the app shows it within 30 seconds) works, once.
    next_code = totp.at(time.time() + 30)
    assert browser.post("/login/code", data={"code": next_code}).status_code == 302
    assert browser.get("/account").status_code == 200

    again = app.test_client()
    Auth(again).login(moderator_user.email)
    assert "was used already" in again.post("/login/code", data={"code": next_code}).text


def test_a_recovery_code_opens_the_account_once(app, moderator_user):
    _totp, codes = enrol(signed_in(app, moderator_user.email))
    for expected in (302, 200):
        browser = app.test_client()
        Auth(browser).login(moderator_user.email)
        response = browser.post("/login/code", data={"code": codes[0].upper()})
        assert response.status_code == expected
    # Another code still works; two are spent.
    browser = signed_in_with_code(app, moderator_user, codes[1])
    assert "8 recovery codes left." in browser.get("/account").text


def signed_in_with_code(app, user, code):
    browser = app.test_client()
    Auth(browser).login(user.email)
    assert browser.post("/login/code", data={"code": code}).status_code == 302
    return browser


def test_wrong_codes_are_throttled_too(app, moderator_user):
    _totp, _codes = enrol(signed_in(app, moderator_user.email))
    browser = app.test_client()
    Auth(browser).login(moderator_user.email)
    for _ in range(6):
        page = browser.post("/login/code", data={"code": "123456"}).text
    assert "Too many attempts." in page


def test_require_two_factor_sends_everyone_to_enrol_first(make_app):
    app = make_app(REQUIRE_TWO_FACTOR=True)
    with app.app_context():
        user = create_user("organizer@example.org", "admin")
        client = signed_in(app, user.email)
        for url in ("/admin/", "/account", "/admin/users"):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response.headers["Location"] == "/account/two-factor"
        assert "This site requires two-factor sign-in" in client.get("/account/two-factor").text
        enrol(client)
        assert opens_admin(client)
        # Required: it cannot be turned off.
        assert "Turn two-factor sign-in off" not in client.get("/account").text


def test_turning_two_factor_off_needs_password_and_code(app, moderator_user):
    client = signed_in(app, moderator_user.email)
    totp, _codes = enrol(client)
    refused = client.post(
        "/account/two-factor/disable", data={"password": "wrong", "code": totp.at(time.time() + 30)}
    )
    assert "This is not your current password." in refused.text
    client.post(
        "/account/two-factor/disable",
        data={"password": PASSWORD, "code": totp.at(time.time() + 30)},
    )
    db.session.refresh(moderator_user)
    assert not moderator_user.has_two_factor
    assert actions("user.2fa.disable") == ["user.2fa.disable"]


def test_an_organizer_resets_the_two_factor_of_someone_who_lost_their_phone(
    app, admin_user, moderator_user
):
    moderator = signed_in(app, moderator_user.email)
    enrol(moderator)
    organizer = signed_in(app, admin_user.email)
    assert "Reset two-factor" in organizer.get("/admin/users").text
    organizer.post(f"/admin/users/{moderator_user.id}/two-factor-reset")
    db.session.refresh(moderator_user)
    assert not moderator_user.has_two_factor
    assert moderator.get("/account").status_code == 302  # their sessions ended
    signed_in(app, moderator_user.email)  # the password alone opens it again
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.2fa.reset"))
    assert entry.actor_id == admin_user.id and entry.target_id == moderator_user.id
