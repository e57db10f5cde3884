"""Sala's mail must not carry an attacker's words, flood a mailbox, or lock a person out;
and nothing keeps a visitor's IP address (issue 14). Mail goes over real SMTP; the rate-limit
keys are read back from a real Redis."""

import uuid

import pytest
import sqlalchemy as sa
from registration_helpers import deliver, form, links, path_of, smtp_config
from world import make_event

from app.extensions import db
from app.models import AuditEntry, Idea, Registration
from app.ratelimit import normalized_mailbox

REDIS_URL = "redis://127.0.0.1:6379"
HOSTILE = "Security notice: re-verify your account at https://evil.example/login now"
# Pieces of the hostile text that must appear nowhere in a mail (decoded or not).
HOSTILE_PIECES = ("evil.example", "Security notice", "re-verify")

IDEA = {
    "title": HOSTILE[:150],
    "body": HOSTILE + "\n\nMore at https://evil.example/more",
    "language": "en",
    "display": "name",
    "name": HOSTILE[:150],
    "theme": "",
}


@pytest.fixture
def mail_app(make_app, smtp):
    app = make_app(**smtp_config(smtp))
    with app.app_context():
        yield app


def everything_in(message):
    """Every header and every part of a mail, decoded, as one text."""
    pieces = [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            pieces.append(part.get_content())
    pieces.append(message.as_string())
    return "\n".join(pieces)


def assert_no_hostile_text(message):
    whole = everything_in(message)
    for piece in HOSTILE_PIECES:
        assert piece not in whole, (piece, message["Subject"])


def open_for_ideas(event):
    from datetime import timedelta

    from app.models import utcnow

    event.ideas_open_at = utcnow() - timedelta(days=1)
    db.session.commit()


# ---------------------------------------------------------------- before confirmation


def test_mails_to_an_unconfirmed_address_carry_nothing_the_visitor_typed(mail_app, smtp):
    event = make_event()
    open_for_ideas(event)
    client = mail_app.test_client()
    victim = "victim@example.org"
    hostile = form(email=victim, name=HOSTILE[:200], country="KH", affiliation=HOSTILE[:200])
    assert client.post("/s/planning/register", data=hostile).status_code == 302
    # Registering the pending address again sends its confirmation mail again.
    assert client.post("/s/planning/register", data=hostile).status_code == 302
    sent = client.post("/s/planning/ideas/new", data=dict(IDEA, email=victim))
    assert sent.status_code == 303 and sent.location.endswith("/s/planning/ideas/sent")
    deliver()

    mails = smtp.to(victim)
    assert len(mails) == 3
    subjects = sorted(m["Subject"] for m in mails)
    assert subjects[0].startswith("Confirm your registration")
    assert subjects[-1].startswith("Please confirm your idea")
    for message in mails:
        assert_no_hostile_text(message)
    assert "Hello," in smtp.text(mails[0])

    # Once the address is confirmed, mails may greet them by the name they confirmed.
    confirm_url = links(mails[0], "confirm")[0]
    client.post(path_of(confirm_url))
    deliver()
    confirmed = [m for m in smtp.to(victim) if "You are registered" in m["Subject"]]
    assert confirmed and "Security notice" in smtp.text(confirmed[0])


# ---------------------------------------------------------------- a pending registration


def test_registering_a_pending_address_again_changes_none_of_its_details(mail_app, smtp):
    make_event()
    client = mail_app.test_client()
    first = form(
        email="dara@example.org", name="Dara", language="km", country="KH", affiliation="CSO"
    )
    client.post("/s/planning/register", data=first)
    attacker = form(
        email="DARA@example.org",
        name="Mallory",
        language="en",
        country="FR",
        affiliation="Evil Inc",
    )
    assert client.post("/s/planning/register", data=attacker).status_code == 302
    deliver()

    registration = db.session.scalar(sa.select(Registration))
    assert (registration.name, registration.language) == ("Dara", "km")
    assert (registration.country, registration.affiliation) == ("KH", "CSO")
    assert registration.email == "dara@example.org"
    # Both mails are the confirmation, in the language the registrant chose.
    mails = smtp.to("dara@example.org")
    assert len(mails) == 2
    assert all(links(m, "confirm") for m in mails)
    assert all(m["Content-Language"] in (None, "km") for m in mails)
    assert "Mallory" not in everything_in(mails[1])


# ---------------------------------------------------------------- one mailbox, many spellings


def test_the_mailbox_is_normalized_before_it_is_limited():
    assert normalized_mailbox(" Victim+1@Example.ORG ") == "victim@example.org"
    assert normalized_mailbox("v.i.c.t.i.m+x@googlemail.com") == "victim@gmail.com"
    assert normalized_mailbox("V.ictim@gmail.com") == "victim@gmail.com"
    # Elsewhere a dot may well make another mailbox.
    assert normalized_mailbox("jo.hn@example.org") == "jo.hn@example.org"


def test_one_mailbox_gets_a_few_mails_an_hour_whatever_the_form_and_spelling(make_app, smtp):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_PUBLIC_POST="1000 per minute",
        MAILBOX_MAIL_LIMIT="4 per hour",
        **smtp_config(smtp),
    )
    with app.app_context():
        event = make_event()
        open_for_ideas(event)
        client = app.test_client()
        attacker = {"REMOTE_ADDR": "192.0.2.66"}
        spellings = [f"victim+{n}@gmail.com" for n in range(6)] + [
            "v.i.c.t.i.m@googlemail.com",
            "VICTIM+x@GMAIL.COM",
        ]
        for address in spellings:
            response = client.post(
                "/s/planning/register", data=form(email=address), environ_base=attacker
            )
            assert response.status_code == 302
            assert response.location.endswith("/s/planning/registered")
        for number in range(4):
            response = client.post(
                "/s/planning/ideas/new",
                data=dict(IDEA, email=f"vic.tim+idea{number}@gmail.com"),
                environ_base=attacker,
                follow_redirects=True,
            )
            assert response.status_code == 200
            assert "we sent you an email" in response.text
        deliver()
        assert len(smtp.messages) == 4

        # The victim, from their own address, is answered as usual (no 429) and nothing
        # more reaches their inbox this hour.
        own = client.post(
            "/s/planning/register",
            data=form(email="victim@gmail.com"),
            environ_base={"REMOTE_ADDR": "198.51.100.7"},
        )
        assert own.status_code == 302
        assert own.location.endswith("/s/planning/registered")
        deliver()
        assert len(smtp.messages) == 4
        # Another mailbox is not held back.
        client.post("/s/planning/register", data=form(email="someone@example.org"))
        deliver()
        assert len(smtp.messages) == 5


def test_rate_limit_keys_in_redis_hold_no_address_and_no_ip(make_app, smtp):
    redis = pytest.importorskip("redis").Redis.from_url(REDIS_URL)
    try:
        redis.ping()
    except Exception:  # noqa: BLE001 - any failure to reach it
        pytest.skip("no Redis on 127.0.0.1:6379")
    marker = uuid.uuid4().hex
    prefix = f"sala-test-{marker[:12]}"
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=prefix,
        **smtp_config(smtp),
    )
    address = f"person-{marker}@example.org"
    visitor_ip = "198.51.100.213"
    try:
        with app.app_context():
            event = make_event()
            open_for_ideas(event)
            client = app.test_client()
            environ = {"REMOTE_ADDR": visitor_ip}
            client.post("/s/planning/register", data=form(email=address), environ_base=environ)
            client.post(
                "/s/planning/ideas/new", data=dict(IDEA, email=address), environ_base=environ
            )
            client.post(
                "/login", data={"email": address, "password": "wrong"}, environ_base=environ
            )
            deliver()
            assert len(smtp.to(address)) == 2
        keys = [k.decode() for k in redis.scan_iter(match=f"*{prefix}*")]
        assert any("mailbox" in k for k in keys), keys
        everything = [k.decode() for k in redis.scan_iter(match="*")]
        for secret in (marker, visitor_ip, address, "example.org"):
            assert not [k for k in everything if secret in k], secret
    finally:
        for key in redis.scan_iter(match=f"*{prefix}*"):
            redis.delete(key)


# ---------------------------------------------------------------- no IP address kept


def test_no_visitor_ip_address_is_stored_anywhere(mail_app, smtp):
    event = make_event()
    open_for_ideas(event)
    client = mail_app.test_client()
    environ = {"REMOTE_ADDR": "203.0.113.77"}
    client.post("/s/planning/register", data=form(), environ_base=environ)
    deliver()
    confirm_url = links(smtp.to("dara@example.org")[0], "confirm")[0]
    client.post(path_of(confirm_url), environ_base=environ)
    client.post(
        "/s/planning/ideas/new",
        data=dict(IDEA, email="anonymous@example.org", display="anonymous"),
        environ_base=environ,
    )
    deliver()
    assert db.session.scalar(sa.select(sa.func.count(Idea.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) >= 1
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)).all():
            assert "203.0.113.77" not in repr(tuple(row)), table.name
    assert "ip" not in AuditEntry.__table__.columns
