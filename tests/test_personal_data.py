"""Privacy of the people who take part (issue 14): personal pages are never cached, manage
links end and are replaced, no personal data in any log line, files readable by their owner
only. The URL map is walked, so a route added later is covered."""

import logging
import os
import stat
from datetime import timedelta

import pytest
from test_security import PUBLIC
from world import World, login, url_for_rule


def is_static(endpoint):
    return (
        endpoint == "static"
        or endpoint.endswith(".static")
        or endpoint.startswith("branding_assets.")
    )


def get_rules(app):
    return [r for r in app.url_map.iter_rules() if "GET" in r.methods and not is_static(r.endpoint)]


# ---------------------------------------------------------------- Cache-Control: no-store


def test_every_personal_and_organizer_page_is_never_stored_by_a_cache(app):
    world = World()
    anonymous = app.test_client()
    # The public pages stay cacheable for anonymous visitors.
    public = anonymous.get(f"/s/{world.event.slug}")
    assert public.status_code == 200
    assert "no-store" not in public.headers.get("Cache-Control", "")
    personal = []
    for rule in get_rules(app):
        if "token" in rule.arguments:
            url = url_for_rule(app, rule, world)
            response = anonymous.get(url)
            assert response.headers.get("Cache-Control") == "no-store", (url, response.status)
            personal.append(rule.endpoint)
    # A manage link in the query (an idea sent from one's manage page) is personal too.
    response = anonymous.get(f"/s/{world.event.slug}/ideas/new?t={world.manage_token}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert {"registration.manage", "ideas.status", "registration.confirm"} <= set(personal)

    organizer = app.test_client()
    login(organizer, world.organizer.email)
    organizer_pages = []
    for rule in get_rules(app):
        if rule.endpoint not in PUBLIC:
            url = url_for_rule(app, rule, world)
            response = organizer.get(url)
            assert response.status_code < 500, url
            assert response.headers.get("Cache-Control") == "no-store", (url, response.status)
            organizer_pages.append(rule.endpoint)
    assert {
        "registration_admin.registrants",
        "registration_admin.registrants_csv",
        "registration_admin.purge_export",
    } <= set(organizer_pages)
    assert "moderation.index" in organizer_pages


# ---------------------------------------------------------------- manage links


def test_only_the_newest_manage_links_open_and_none_after_the_retention(mail_app, smtp):
    from datetime import timedelta

    from registration_helpers import deliver, form, links, path_of
    from world import make_event

    from app.extensions import db
    from app.models import utcnow

    event = make_event()
    client = mail_app.test_client()
    client.post("/s/planning/register", data=form())
    deliver()
    client.post(path_of(links(smtp.to("dara@example.org")[0], "confirm")[0]))
    for _ in range(3):  # "you are already registered", each with a fresh link
        client.post("/s/planning/register", data=form())
    deliver()
    every = [path_of(url) for m in smtp.to("dara@example.org") for url in links(m, "manage")]
    manage = list(dict.fromkeys(every))  # in the order they were sent, each once
    assert len(manage) == 5  # confirmed, join details, three times "already registered"

    for old in manage[:2]:
        page = client.get(old)
        assert page.status_code == 410
        assert "This link has been replaced" in page.text
        assert "/s/planning" in page.text  # where to ask for a new one
        idea_box = client.get(f"/s/planning/ideas/new?t={old.rsplit('/', 1)[1]}")
        assert idea_box.status_code == 404
    for newest in manage[2:]:
        assert client.get(newest).status_code == 200

    # The session is over and its retention period has passed: no link opens any more.
    event.starts_at = utcnow() - timedelta(days=event.retention_days + 1)
    db.session.commit()
    page = client.get(manage[-1])
    assert page.status_code == 410
    assert "This link has expired" in page.text


# ---------------------------------------------------------------- files for their owner only


@pytest.fixture
def permissive_umask():
    old = os.umask(0)
    yield
    os.umask(old)


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_database_secrets_mail_and_exports_are_readable_by_their_owner_only(
    isolated_instance, permissive_umask
):
    from registration_helpers import deliver, form
    from world import make_event

    from app import create_app
    from app.extensions import db
    from app.registration import purge

    assert not isolated_instance.exists()
    app = create_app({"TESTING": True, "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        db.create_all()
        event = make_event()
        app.test_client().post("/s/planning/register", data=form())
        deliver()  # the file provider writes the mail under instance/mail
        export = purge.write_export(event)
        database = isolated_instance / "sala.sqlite"
        files = [
            database,
            database.with_name("sala.sqlite-wal"),
            database.with_name("sala.sqlite-shm"),
            isolated_instance / "secret_key",
            export,
            *(isolated_instance / "mail").glob("*.eml"),
        ]
        assert len(files) == 6  # one mail
        for path in files:
            assert mode(path) == 0o600, (path.name, oct(mode(path)))
        for folder in (isolated_instance, isolated_instance / "mail", export.parent):
            assert mode(folder) == 0o700, (folder.name, oct(mode(folder)))
        db.session.remove()
        db.engine.dispose()


# ---------------------------------------------------------------- no personal data in logs


def test_a_full_journey_with_a_database_error_logs_no_personal_data(make_app, smtp, caplog):
    import re

    import sqlalchemy as sa
    from registration_helpers import deliver, form, links, path_of, smtp_config
    from support import create_user
    from world import login, make_event

    from app.extensions import db
    from app.models import Idea, OutboxMessage, utcnow

    caplog.set_level(logging.DEBUG)
    # Exceptions are answered with the 500 page and logged, as in production.
    app = make_app(PROPAGATE_EXCEPTIONS=False, **smtp_config(smtp))
    visitor = {"REMOTE_ADDR": "203.0.113.9"}
    email, name = "sokha.private@example.org", "Sokha Privatename"
    idea_title, idea_body = "Secretidea title words", "Secretidea body text about the vote"
    with app.app_context():
        event = make_event()
        event.ideas_open_at = utcnow() - timedelta(days=1)
        db.session.commit()
        client = app.test_client()
        client.post("/s/planning/register", data=form(email=email, name=name), environ_base=visitor)
        deliver()
        confirm = path_of(links(smtp.to(email)[0], "confirm")[0])
        client.post(confirm, environ_base=visitor)
        deliver()
        manage = path_of(links(smtp.to(email)[-1], "manage")[0])
        token = manage.rsplit("/", 1)[1]
        assert client.get(manage, environ_base=visitor).status_code == 200
        idea = dict(title=idea_title, body=idea_body, language="en", display="name", name=name)
        idea["theme"] = ""
        sent = client.post(f"/s/planning/ideas/new?t={token}", data=idea, environ_base=visitor)
        assert sent.status_code == 200
        deliver()

        # Organizers at work: the registrants, their export, a moderation, a resend.
        organizer = app.test_client()
        create_user("org@example.org", "admin")
        db.session.commit()
        login(organizer, "org@example.org")
        assert organizer.get(f"/admin/events/{event.id}/registrants").status_code == 200
        assert organizer.get(f"/admin/events/{event.id}/registrants.csv").status_code == 200
        row = db.session.scalar(sa.select(Idea))
        moderated = organizer.post(
            f"/moderate/{event.id}/ideas/{row.id}/approve", data={"revision": row.revision}
        )
        assert moderated.status_code == 302
        deliver()
        assert len(smtp.to(email)) >= 4

    # The database fails under a request that writes personal data (a mail with a personal
    # link): the outbox table is gone. (The request runs in an app context of its own, as
    # in production.)
    with app.app_context():
        OutboxMessage.__table__.drop(db.engine)
    try:
        failed = client.post(confirm + "/link", environ_base=visitor)
        assert failed.status_code == 503  # the database is away: said, not a bare 500
    finally:
        with app.app_context():
            OutboxMessage.__table__.create(db.engine)
    # A statement failing with personal data in its parameters, logged as a 500 logs it.
    with app.app_context():
        try:
            db.session.execute(sa.text("INSERT INTO no_such_table VALUES (:e)"), {"e": email})
        except sa.exc.DBAPIError:
            app.logger.exception("Exception on a failing statement")
        db.session.rollback()

    ours = [r for r in caplog.records if not r.name.startswith(("mail.log", "asyncio"))]
    logged = "\n".join(caplog.handler.format(r) for r in ours)
    # The operator's own database address (on PostgreSQL, 127.0.0.1) is no visitor's.
    database = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    logged = logged.replace(database.render_as_string(hide_password=True), "<database>")
    # The error was logged, in one line naming the fault (each database words it its way).
    assert re.search(r"cannot be used: .*outbox_message", logged)
    assert "parameters hidden" in logged
    secrets = [email, "sokha", "Privatename", "Secretidea", token, confirm.rsplit("/", 1)[1]]
    secrets += ["203.0.113.9", "127.0.0.1"]
    for secret in secrets:
        found = [line for line in logged.splitlines() if secret.lower() in line.lower()]
        assert not found, (secret, found[:3])
    assert not re.search(r"/r/(manage|confirm)/[A-Za-z0-9_-]{20,}", logged)


def test_gunicorn_access_logs_if_turned_on_hold_no_address_path_or_query():
    import runpy
    from pathlib import Path

    conf = runpy.run_path(str(Path(__file__).resolve().parent.parent / "deploy/gunicorn.conf.py"))
    assert conf["accesslog"] is None
    line = conf["access_log_format"]
    # h: client address; r, U, q: the request line, path, query (tokens); f: referrer;
    # {...}i: any request header (X-Forwarded-For).
    for atom in ("%(h)s", "%(r)s", "%(U)s", "%(q)s", "%(f)s", "}i)s", "%(a)s"):
        assert atom not in line, atom
    assert "%(s)s" in line
