"""The database's connections killed under load (`pg_terminate_backend`, as a failover or a
restarted server does) while visitors register through gunicorn: no visitor sees a 500 or
gunicorn's bare "Internal Server Error"; a lost connection is retried once where nothing of
the request was stored yet, and what cannot be served is a 503 page in the visitor's own
language. An error answer always means "not registered", so trying again sends exactly one
confirmation mail. And while the database refuses every connection, every page is that 503.
Then each rule on its own, in process, with the request's connection ended at one chosen
moment: before the COMMIT (run again), during it (not run again), after the page (no error).
"""

import http.client
import os
import random
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po
from registration_helpers import form
from support import (
    PASSWORD,
    ROOT,
    create_user,
    free_port,
    gunicorn_command,
    scratch_postgres_database,
    served,
)
from world import make_event

from app import create_app, intake
from app.extensions import db
from app.models import OutboxMessage, Registration

pytestmark = pytest.mark.postgres

VISITORS = 200
CLIENTS = 8
SLUG = "faults"
ORGANIZER = "organizer@example.org"


def khmer(msgid):
    with (ROOT / "translations" / "km" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale="km")[msgid].string


@pytest.fixture
def database():
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL not set")
    with scratch_postgres_database(base, prefix="sala_faults") as url:
        yield base, url


@pytest.fixture
def seeded(database):
    _, url = database
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-of-at-least-32-bytes",
            "SQLALCHEMY_DATABASE_URI": url,
        }
    )
    with app.app_context():
        db.create_all()
        make_event(slug=SLUG)
        create_user(ORGANIZER, "admin")
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def site(seeded, database, tmp_path):
    """gunicorn as deployed (two workers of four threads) on the scratch database."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALA_")}
    env.update(
        SALA_SECRET_KEY=secrets.token_hex(32),
        SALA_BASE_URL=f"http://127.0.0.1:{port}",
        SALA_SQLALCHEMY_DATABASE_URI=database[1],
        SALA_INSTANCE_PATH=str(tmp_path / "instance"),
        # Each visitor posts once, from a script: no token to fetch, no limit to meet, and
        # every page read from the database rather than from the page cache.
        SALA_WTF_CSRF_ENABLED="false",
        SALA_RATELIMIT_ENABLED="false",
        SALA_PAGE_CACHE_SECONDS="0",
        WEB_CONCURRENCY="2",
        LANG="C.UTF-8",
    )
    log = tmp_path / "gunicorn.log"
    command = gunicorn_command("--bind", f"127.0.0.1:{port}")
    with served(command, f"http://127.0.0.1:{port}/healthz", log, cwd=ROOT, env=env):
        yield port, log


class Killer:
    """Terminates every connection to the database every few tens of milliseconds, from a
    connection to another database of the same server."""

    def __init__(self, base_url, database_url):
        self.server = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
        self.name = sa.engine.make_url(database_url).database
        self.stop = threading.Event()
        self.killed = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def terminate_all(self):
        with self.server.connect() as conn:
            self.killed += conn.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": self.name},
            ).scalar()

    def run(self):
        while not self.stop.wait(random.uniform(0.2, 0.6)):
            self.terminate_all()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.server.dispose()


def ask(port, method, path, language, body=None, cookie=None):
    """One request as a browser sends it; the status and the page, redirects not followed."""
    headers = {"Accept-Language": language}
    if cookie:
        headers["Cookie"] = cookie
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace"), response
    finally:
        conn.close()


def visit(port, number):
    """A visitor registers and reads the page the form leads to."""
    language = "km" if number % 2 else "en"
    email = f"visitor{number}@example.org"
    data = urlencode(form(email=email, name=f"Visitor {number}", language=language))
    answers = [ask(port, "POST", f"/s/{SLUG}/register", language, data)]
    status, _, response = answers[0]
    if status in (302, 303):
        answers.append(ask(port, "GET", urlsplit(response.getheader("Location")).path, language))
    answers.append(ask(port, "GET", f"/s/{SLUG}", language))
    return email, language, [(status, page) for status, page, _ in answers]


def assert_a_page_for_people(status, page, language):
    assert status != 500, page[:300]
    assert status in (200, 302, 303, 503), (status, page[:300])
    assert "<html" in page or status in (302, 303), page[:300]  # never a bare text answer
    if status == 503:
        assert f'<html lang="{language}">' in page
        title = khmer("Temporarily unavailable") if language == "km" else "Temporarily unavailable"
        assert title in page


def test_killed_connections_never_give_a_500_nor_a_false_error(site, database, seeded):
    port, log = site
    with Killer(*database) as killer, ThreadPoolExecutor(CLIENTS) as pool:
        visits = list(pool.map(lambda n: visit(port, n), range(VISITORS)))
    assert killer.killed > 50, "the fault was hardly injected"

    refused = []
    for email, language, answers in visits:
        for status, page in answers:
            assert_a_page_for_people(status, page, language)
        if answers[0][0] == 503:
            refused.append((email, language))

    intake.drain()  # the worker takes what the visitors sent (app/intake.py)
    registered = set(db.session.scalars(sa.select(Registration.email)))
    told_registered = {email for email, _, answers in visits if answers[0][0] in (302, 303)}
    assert registered == told_registered  # an error answer means: not registered

    # Those who saw the error page try again, with the database back.
    for email, language in refused:
        data = urlencode(form(email=email, language=language))
        assert ask(port, "POST", f"/s/{SLUG}/register", language, data)[0] in (302, 303)
    intake.drain()
    db.session.expire_all()
    mails = db.session.execute(
        sa.select(OutboxMessage.recipient, sa.func.count()).group_by(OutboxMessage.recipient)
    ).all()
    assert len(mails) == VISITORS
    assert {count for _, count in mails} == {1}, "someone got two confirmation mails"
    # No exception escaped to gunicorn or fell through to the 500 page.
    assert "Traceback" not in log.read_text(errors="replace")


def test_a_database_that_refuses_connections_answers_503_in_the_visitors_language(
    site, database, seeded
):
    port, _ = site
    signed_in = urlencode({"email": ORGANIZER, "password": PASSWORD})
    status, _, response = ask(port, "POST", "/login", "km", signed_in)
    assert status in (302, 303)
    organizer = response.getheader("Set-Cookie").split(";")[0]
    name = sa.engine.make_url(database[1]).database
    server = sa.create_engine(database[0], isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
        for language in ("km", "en"):
            for method, path, body in (
                ("GET", f"/s/{SLUG}", None),
                ("GET", "/", None),
                ("POST", f"/s/{SLUG}/register", urlencode(form(language=language))),
            ):
                for cookie in (None, organizer):
                    status, page, _ = ask(port, method, path, language, body, cookie)
                    assert status == 503, (method, path, status, page[:300])
                    assert_a_page_for_people(status, page, language)
    finally:
        with server.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
        server.dispose()
    assert ask(port, "GET", f"/s/{SLUG}", "km")[0] == 200  # and back once it is


# ---------------------------------------------------------------- one connection, one moment
# In process, on the suite's PostgreSQL database: the request's own connection is ended at
# one chosen moment, so each rule is checked every time, not by chance.


@contextmanager
def connection_ended_when(engine, event, wanted=lambda *args: True):
    """Ends the connection an `event` of `engine` fires on (once, when `wanted`), from
    another connection, and waits until it is gone before the statement goes out."""
    server = sa.create_engine(os.environ["TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")
    ended = []

    def end(conn, *args):
        if ended or not wanted(*args):
            return
        pid = conn.connection.dbapi_connection.info.backend_pid
        with server.connect() as admin:
            admin.execute(sa.text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pid})
        ended.append(pid)

    sa.event.listen(engine, event, end)
    try:
        yield ended
    finally:
        sa.event.remove(engine, event, end)
        server.dispose()


def reads_registrations(cursor, statement, *args):
    return "FROM registration" in statement


@pytest.fixture
def live(make_app):
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL not set")
    app = make_app(PAGE_CACHE_SECONDS=0)
    with app.app_context():
        make_event(slug=SLUG)
        engine = db.engine
    return app, engine


def stored(app, email):
    with app.app_context():
        registrations = db.session.scalar(
            sa.select(sa.func.count()).where(Registration.email == email)
        )
        mails = db.session.scalar(
            sa.select(sa.func.count()).where(OutboxMessage.recipient == email)
        )
        return registrations, mails


def test_a_connection_lost_before_the_commit_is_retried_and_the_visitor_registered(live):
    app, engine = live
    with connection_ended_when(engine, "before_cursor_execute", reads_registrations) as ended:
        response = app.test_client().post(
            f"/s/{SLUG}/register", data=form(email="sreymom@example.org")
        )
    assert ended, "the connection was never ended"
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert stored(app, "sreymom@example.org") == (1, 1)  # registered once, one mail


def test_a_connection_lost_during_the_commit_is_not_run_again(live):
    """The COMMIT may have gone through (here it did not): the visitor is told to try again,
    and the request is not run a second time behind their back."""
    app, engine = live
    with connection_ended_when(engine, "commit") as ended:
        response = app.test_client().post(
            f"/s/{SLUG}/register",
            data=form(email="vanna@example.org", language="km"),
            headers={"Accept-Language": "km"},
        )
    assert ended, "the connection was never ended"
    assert response.status_code == 503
    assert_a_page_for_people(503, response.get_data(as_text=True), "km")
    assert stored(app, "vanna@example.org") == (0, 0)


def test_a_connection_lost_after_the_page_was_made_still_gives_the_page(live):
    """The rollback at the end of the request meets a dead connection: the visitor still
    gets their page (it used to escape Flask: gunicorn's bare 500)."""
    app, _ = live

    @app.after_request
    def end_the_connection(response):
        pid = db.session.connection().connection.dbapi_connection.info.backend_pid
        server = sa.create_engine(os.environ["TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")
        with server.connect() as admin:
            admin.execute(sa.text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pid})
        server.dispose()
        return response

    response = app.test_client().get(f"/s/{SLUG}", headers={"Accept-Language": "km"})
    assert response.status_code == 200
    assert '<html lang="km">' in response.get_data(as_text=True)
