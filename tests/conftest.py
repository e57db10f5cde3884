"""Shared fixtures: an app built through the factory on a fresh database (SQLite, or
PostgreSQL when TEST_DATABASE_URL is set), a client, a CLI runner, signed-in users."""

import os
import socket
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from app import create_app
from app.extensions import db
from app.models import User

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"


def compile_catalogs():
    """Compile .po to .mo when stale, so a bare `pytest` sees the same strings as `make test`."""
    for po in (ROOT / "translations").glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as f:
                catalog = read_po(f)
            with mo.open("wb") as f:
                write_mo(f, catalog)


compile_catalogs()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database for this test run. On PostgreSQL, a new database of its own, dropped at
    the end, so that parallel runs on one server do not meet."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield None  # each app gets its own SQLite file
        return
    name = f"sala_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build apps with config overrides; every app here shares the test's database."""
    url = database_url or f"sqlite:///{tmp_path / 'sala.sqlite'}"
    built = []

    def factory(**overrides):
        config = {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "BASE_URL": "http://sala.test",
            "MAIL_FILE_DIR": str(tmp_path / "mail"),
            "SERVER_NAME": None,
        }
        config.update(overrides)
        app = create_app(config)
        built.append(app)
        with app.app_context():
            db.create_all()
        return app

    yield factory
    if built:
        with built[0].app_context():
            reset_database()
            db.engine.dispose()


def reset_database():
    if db.engine.dialect.name == "postgresql":
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
    else:
        db.session.remove()
        db.drop_all()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def create_user(email, role, password=PASSWORD):
    user = User(email=email, role=role, name=email.split("@")[0])
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, email, password=PASSWORD):
        return self.client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def admin_user(app):
    return create_user("organizer@example.org", "admin")


@pytest.fixture
def moderator_user(app):
    return create_user("moderator@example.org", "moderator")


# ---------------------------------------------------------------- a real SMTP server


class SmtpSink:
    """An aiosmtpd server on loopback that keeps what it receives, parsed."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages = []
        self.refuse = {}  # address -> (code, text): RCPT refusals to simulate
        # aiosmtpd's start() connects to the port it was given to check the server is up, so
        # port 0 fails: take a free port from the OS first.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            free_port = probe.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            code, text = self.refuse[address]
            return f"{code} {text}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(parsed)
        return "250 Message accepted"

    def start(self):
        self.controller.start()
        self.port = self.controller.port
        return self

    def stop(self):
        self.controller.stop()

    def to(self, address):
        return [m for m in self.messages if address in m["To"]]

    @staticmethod
    def text(message):
        return message.get_body(("plain",)).get_content()

    @staticmethod
    def html(message):
        return message.get_body(("html",)).get_content()


@pytest.fixture
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def mail_app(make_app, smtp):
    """An app whose mail goes over SMTP to the test server."""
    app = make_app(
        EMAIL_PROVIDER="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_USE_TLS=False,
        MAIL_USE_SSL=False,
        # Flask-Mail suppresses sending when TESTING is on, unless told otherwise.
        MAIL_SUPPRESS_SEND=False,
    )
    with app.app_context():
        yield app


# ---------------------------------------------------------------- a real browser

CHROMIUM = os.environ.get("SALA_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class LiveServer:
    """The app served over real HTTP on loopback, in a thread."""

    def __init__(self, app):
        import threading

        from werkzeug.serving import make_server

        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()


@pytest.fixture
def live_server(app):
    server = LiveServer(app).start()
    app.config["BASE_URL"] = server.url
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from the system (Debian's package), driven by Playwright. Skipped
    with a reason where there is none, except in CI, where a missing browser fails the run."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but Chromium is missing at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM} (set SALA_TEST_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageWatch:
    """What a page did that a visitor would not want: requests leaving loopback, console
    errors, uncaught script errors."""

    def __init__(self, page):
        self.outside = []
        self.console_errors = []
        page.on("request", self._request)
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))

    def _request(self, request):
        url = request.url
        if not (url.startswith("http://127.0.0.1") or url.startswith(("data:", "about:"))):
            self.outside.append(url)

    def assert_clean(self):
        assert self.outside == [], f"requests left 127.0.0.1: {self.outside}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context and page; fails the test if anything left loopback."""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.watch = PageWatch(page)
    yield page
    context.close()
