"""Shared fixtures: an app built through the factory on a fresh database (SQLite, or
PostgreSQL when TEST_DATABASE_URL is set), a client, a CLI runner, signed-in users."""

import os

import pytest
import sqlalchemy as sa
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    Auth,
    Client,
    LiveServer,
    PageWatch,
    SmtpSink,
    create_user,
    require_chromium,
    scratch_postgres_database,
)

from app import create_app
from app.extensions import db


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

# Every app a test builds, through make_app or not, serves each request of its test client in
# an app context of its own (see support.Client).
Flask.test_client_class = Client


@pytest.fixture(autouse=True)
def isolated_instance(tmp_path, monkeypatch):
    """Every app a test builds keeps its instance files (secret key, demo passwords, mail) in
    a temporary directory, never in the developer's instance/."""
    path = tmp_path / "instance"
    monkeypatch.setenv("SALA_INSTANCE_PATH", str(path))
    return path


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database for this test run. On PostgreSQL, a new database of its own, dropped at
    the end, so that parallel runs on one server do not meet."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield None  # each app gets its own SQLite file
        return
    with scratch_postgres_database(base) as url:
        yield url


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build apps with config overrides; every app here shares the test's database."""
    url = database_url or f"sqlite:///{tmp_path / 'sala.sqlite'}"
    built = []

    def factory(**overrides):
        config = {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-of-at-least-32-bytes",
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
    require_chromium(CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context and page; fails the test if anything left loopback."""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.watch = PageWatch(page)
    yield page
    context.close()
