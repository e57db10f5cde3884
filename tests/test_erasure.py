"""Erasure, end to end: after a registrant deletes their own data, and after an organizer
purges a concluded session, no column of any table (the plugins' included) and no key or
value the app wrote to Redis holds the person's address or name.

A person leaves their address in many places on the way: their registration and its
mails, an idea from their manage link and another from the public form, a mail their
mailbox refused (the server's reply quotes the address) that an organizer retried, and an
organizer's search of the registrants that was exported. The search is found by looking,
not by listing: every text and JSON column of db.metadata with every plugin loaded, and
every Redis key under the prefixes of the rate limits and the page cache."""

import json
import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from registration_helpers import deliver, form, links, path_of, smtp_config
from support import Auth, create_user
from world import make_event

from app.extensions import db
from app.models import AuditEntry, Event, OutboxMessage, utcnow

REDIS_URL = "redis://127.0.0.1:6379"
IDEA_CONFIRM = re.compile(r"https?://\S+?/ideas/confirm/[A-Za-z0-9_\-]+")
ORGANIZER = "organizer@example.org"


def person(tag, marker):
    """An address typed with capitals (stored as typed) and a name found nowhere else."""
    return f"{tag.capitalize()}.Person-{marker}@Example.org", f"{tag.capitalize()} Erasable{marker}"


@pytest.fixture
def redis_client():
    """The Redis on 127.0.0.1:6379, or None: without it the database is still searched."""
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        client.ping()
    except Exception:  # noqa: BLE001 - no client library, or no server to reach
        return None
    return client


@pytest.fixture
def world(make_app, smtp, redis_client):
    """An app that keeps its rate limits and its page cache in Redis (when there is one),
    under prefixes of this test's own; the keys are deleted at the end."""
    marker = uuid.uuid4().hex[:12]
    prefixes = (f"sala-erasure-{marker}", f"sala-erasure-page-{marker}:")
    shared = {}
    if redis_client is not None:
        shared = dict(
            RATELIMIT_STORAGE_URI=REDIS_URL,
            PAGE_CACHE_TYPE="RedisCache",
            PAGE_CACHE_REDIS_URL=REDIS_URL,
        )
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_KEY_PREFIX=prefixes[0],
        PAGE_CACHE_KEY_PREFIX=prefixes[1],
        **shared,
        **smtp_config(smtp),
    )
    try:
        with app.app_context():
            yield app, marker, prefixes
    finally:
        for prefix in prefixes if redis_client is not None else ():
            for key in redis_client.scan_iter(match=f"*{prefix}*"):
                redis_client.delete(key)


def idea(email, name, title):
    data = {"title": title, "body": f"{title}, in a few words.", "language": "en"}
    data.update(display="name", name=name, theme="")
    if email:
        data["email"] = email
    return data


def leave_traces(app, smtp, email, name, registers=True):
    """Everything a person does that leaves their address or name somewhere."""
    client = app.test_client()
    assert client.get("/s/planning").status_code == 200  # a page kept in the page cache
    manage = None
    if registers:
        data = form(email=email, name=name, country="KH", affiliation=f"Group of {name}")
        assert client.post("/s/planning/register", data=data).status_code == 302
        deliver()
        [confirm] = links(smtp.to(email)[-1], "confirm")
        client.post(path_of(confirm))
        deliver()
        manage = path_of(links(smtp.to(email)[-1], "manage")[0])
        token = manage.rsplit("/", 1)[1]
        sent = client.post(f"/s/planning/ideas/new?t={token}", data=idea("", name, "From my link"))
        assert sent.status_code == 200
    # The public form, with the same address (written in small letters this time).
    sent = client.post("/s/planning/ideas/new", data=idea(email.lower(), name, "From the form"))
    assert sent.status_code == 303
    deliver()
    [confirm_idea] = IDEA_CONFIRM.findall(smtp.text(smtp.to(email.lower())[-1]))
    client.post(path_of(confirm_idea))
    deliver()
    return client, manage


def refused_and_retried(client, manage, smtp, email):
    """Their mailbox refuses a mail, quoting the address; an organizer retries it, in vain."""
    smtp.refuse[email] = (550, f"5.1.1 <{email}>: Recipient address rejected: no such user")
    client.post(manage + "/resend")
    deliver()
    failed = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.status == "failed"))
    assert email in failed.last_error
    Auth(client).login(create_user(ORGANIZER, "admin").email)
    assert client.post(f"/admin/outbox/{failed.id}/retry").status_code == 302
    deliver()


def searched_and_exported(client, event, *words):
    """An organizer finds the person among the registrants by address and by name and
    exports what they found (the audit log notes each export with its search)."""
    for word in words:
        response = client.get(f"/admin/events/{event.id}/registrants.csv", query_string={"q": word})
        assert response.status_code == 200 and word.lower() in response.text.lower()


def database_leaks(secrets):
    """(table.column, secret) for every secret still in a text or JSON column of any table."""
    found = []
    lowered = [s.lower() for s in secrets]
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, sa.String | sa.Text | sa.JSON)]
        if not columns:
            continue
        for row in db.session.execute(sa.select(*columns)).all():
            for column, value in zip(columns, row, strict=True):
                text = json.dumps(value, ensure_ascii=False) if value is not None else ""
                found += [(f"{table.name}.{column.name}", s) for s in lowered if s in text.lower()]
    return sorted(set(found))


def redis_values(redis, key):
    kind = redis.type(key).decode()
    if kind == "string":
        return [redis.get(key) or b""]
    if kind == "list":
        return redis.lrange(key, 0, -1)
    if kind == "hash":
        return [part for pair in redis.hgetall(key).items() for part in pair]
    if kind == "set":
        return list(redis.smembers(key))
    if kind == "zset":
        return redis.zrange(key, 0, -1)
    return []


def redis_leaks(redis, prefixes, secrets):
    """(key, secret) for every secret in a key the app wrote, or in its value; and the keys."""
    keys = [k for p in prefixes for k in redis.scan_iter(match=f"*{p}*")]
    found = []
    for key in keys:
        blob = b"\n".join([key, *redis_values(redis, key)]).decode("utf-8", "replace").lower()
        found += [(key.decode(), s) for s in secrets if s.lower() in blob]
    return keys, found


def plugin_tables():
    return {
        mapper.local_table.name
        for mapper in db.Model.registry.mappers
        if mapper.class_.__module__.startswith("plugins.")
    }


def assert_not_in_database(secrets):
    assert plugin_tables() <= set(db.metadata.tables)  # the plugins' tables are searched too
    assert plugin_tables()
    db.session.expire_all()
    leaks = database_leaks(secrets)
    assert leaks == [], "\n".join(map(str, leaks))


def assert_not_in_redis(redis, prefixes, secrets):
    if redis is None:
        pytest.skip("no Redis on 127.0.0.1:6379: the database was searched, Redis was not")
    keys, found = redis_leaks(redis, prefixes, secrets)
    assert found == []
    assert any(b"mailbox" in k for k in keys)  # the search did look where the limits are


def test_a_registrant_who_deletes_their_data_leaves_no_trace(world, smtp, redis_client):
    app, marker, prefixes = world
    event = make_event()
    event.ideas_open_at = utcnow() - timedelta(days=1)
    db.session.commit()
    email, name = person("sokha", marker)
    other_email, other_name = person("dara", marker)  # someone else: stays
    leave_traces(app, smtp, other_email, other_name)
    client, manage = leave_traces(app, smtp, email, name)
    refused_and_retried(client, manage, smtp, email)
    searched_and_exported(client, event, email, name)
    db.session.expire_all()
    assert {s for _, s in database_leaks([email, name])} == {email.lower(), name.lower()}

    Auth(client).logout()
    done = client.post(manage + "/erase", data={"sure": "y"})
    assert "Your data is deleted" in done.text
    deliver()

    assert_not_in_database([email, name])
    # Only theirs: the other registrant, their ideas and mails are all still there.
    assert {s for _, s in database_leaks([other_email, other_name])} == {
        other_email.lower(),
        other_name.lower(),
    }
    assert_not_in_redis(redis_client, prefixes, [email, name])


def test_a_purged_session_leaves_no_trace_of_registrants_or_authors(world, smtp, redis_client):
    app, marker, prefixes = world
    event = make_event(retention_days=0)
    event.ideas_open_at = utcnow() - timedelta(days=1)
    db.session.commit()
    email, name = person("sokha", marker)
    visitor_email, visitor_name = person("vibol", marker)  # sent an idea, never registered
    leave_traces(app, smtp, visitor_email, visitor_name, registers=False)
    client, manage = leave_traces(app, smtp, email, name)
    refused_and_retried(client, manage, smtp, email)
    searched_and_exported(client, event, email, name)
    secrets = [email, name, visitor_email, visitor_name]

    event = db.session.get(Event, event.id)
    event.state = "concluded"
    event.starts_at = utcnow() - timedelta(days=2)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["purge", event.slug, "--yes"])
    assert result.exit_code == 0, result.output
    deliver()

    assert_not_in_database(secrets)
    purge = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "event.purge"))
    assert purge.detail["registrations"] == 1
    assert_not_in_redis(redis_client, prefixes, secrets)
