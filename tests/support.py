"""Helpers the tests share (fixtures are in conftest.py): users, a real SMTP server, the app
served over HTTP, and what a browser page did. Imported as `from support import ...`."""

import contextvars
import os
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app, has_app_context
from flask.testing import FlaskClient

from app.extensions import db
from app.models import User

ROOT = Path(__file__).resolve().parent.parent

PASSWORD = "correct horse battery staple"


def create_user(email, role, password=PASSWORD):
    user = User(email=email, role=role, name=email.split("@")[0])
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


class Client(FlaskClient):
    """The test client, each request in an app context of its own, as a server runs it, even
    while the test holds one open for its own database work: `g`, the chosen language, the
    signed-in user and the database session of a request never reach the next one."""

    def open(self, *args, **kwargs):
        if has_app_context() and current_app._get_current_object() is self.application:
            # What the test wrote is there for the request, as it would be for a server, and
            # what the test reads afterwards is what the request wrote.
            db.session.commit()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        take_submissions(self.application)
        return response


def take_submissions(app):
    """What the worker does after a registration or idea is sent (app/intake.py), run right
    after the request that sent it, so a test reads the registration (and finds its mail)
    as it did when the request made them itself. Costs nothing when nothing was sent."""
    from app import intake

    if intake.arrived.is_set():

        def drain():
            with app.app_context():
                intake.drain()

        contextvars.Context().run(drain)


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, email, password=PASSWORD):
        return self.client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self.client.post("/logout")


class SmtpSink:
    """An aiosmtpd server on loopback that keeps what it receives, parsed."""

    def __init__(self, smtputf8=False):
        import socket

        self.smtputf8 = smtputf8  # offer SMTPUTF8 (addresses with non-ASCII local parts)
        self.envelopes = []  # (recipients, whether the client asked for SMTPUTF8)
        self.messages = []
        self.refuse = {}  # address -> (code, text): RCPT refusals to simulate
        self.refuse_sender = None  # (code, text): a MAIL FROM refusal to simulate
        self.auth_required = False  # answer 530 to MAIL FROM until the client logs in
        # aiosmtpd's Controller cannot start on port 0 (it probes the port it was given), so
        # take a free port from the system first.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.refuse_sender:
            code, text = self.refuse_sender
            return f"{code} {text}"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            code, text = self.refuse[address]
            return f"{code} {text}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.envelopes.append((list(envelope.rcpt_tos), envelope.smtp_utf8))
        self.messages.append(parsed)
        return "250 Message accepted"

    def start(self):
        """Start (or start again, after `stop`) on the same port, keeping what arrived."""
        from aiosmtpd.controller import Controller

        options = {}
        if self.auth_required:  # aiosmtpd's own "530 5.7.0 Authentication required"
            options = dict(
                auth_required=True, auth_require_tls=False, authenticator=lambda *args: None
            )
        self.controller = Controller(
            self, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=self.smtputf8, **options
        )
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address):
        return [m for m in self.messages if address in m["To"]]

    @staticmethod
    def text(message):
        return message.get_body(("plain",)).get_content()

    @staticmethod
    def html(message):
        return message.get_body(("html",)).get_content()


CHROMIUM = os.environ.get("SALA_TEST_CHROMIUM", "/usr/bin/chromium")

# The widths every browser test of a visitor's or an organizer's screen is run at: a cheap
# phone and a laptop. `viewport(width)` is the window a context opens with.
PHONE, DESKTOP = 360, 1280
WIDTHS = (PHONE, DESKTOP)


def viewport(width):
    return {"width": width, "height": 740 if width < 768 else 800}


def artifact_path(*parts):
    """Where a test keeps what a person looks at after a run (screenshots): under
    test-artifacts/ at the top of the checkout (git-ignored), or under SALA_TEST_ARTIFACTS.
    The folders are made; each test writes names of its own (its parameters in them), so
    parallel workers never write the same file."""
    root = Path(os.environ.get("SALA_TEST_ARTIFACTS") or ROOT / "test-artifacts")
    path = root.joinpath(*(str(part) for part in parts))
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


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

        def serve(environ, start_response):
            body = list(app(environ, start_response))
            take_submissions(app)
            return body

        self.server = make_server("127.0.0.1", 0, serve, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()


def require_chromium(path, ci=None):
    """The Chromium at `path`, or skip the test with the reason; where `CI` is set (or `ci`
    is true), a missing browser fails instead, so CI never passes without browser tests."""
    if Path(path).exists():
        return path
    if ci is None:
        ci = bool(os.environ.get("CI"))
    if ci:
        pytest.fail(f"CI is set but Chromium is missing at {path}")
    pytest.skip(f"no Chromium at {path} (set SALA_TEST_CHROMIUM)")


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
        if not url.startswith(("http://127.0.0.1", "https://127.0.0.1", "data:", "about:")):
            self.outside.append(url)

    def assert_clean(self):
        assert self.outside == [], f"requests left 127.0.0.1: {self.outside}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"


@contextmanager
def scratch_postgres_database(base_url, prefix="sala_test"):
    """A new PostgreSQL database on the server of `base_url`, dropped on exit (connections
    still open to it included), so that parallel runs on one server never meet."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    server = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


# ---------------------------------------------------------------- servers in a subprocess

# How long a started server may take to answer on a busy machine. Generous on purpose: a
# slow machine must never fail a test; a server that exits fails it at once.
READY_CEILING = 600


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def log_tail(path, lines=40):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_until_ready(url, process, log_path, ceiling=READY_CEILING):
    """Wait until `url` (a health check) answers 200, for as long as `process` runs, at most
    `ceiling` seconds; fail with the end of its log (`log_path`) if it exits or never
    answers. HTTPS certificates are not checked here (a test's own throwaway ones)."""
    unverified = ssl._create_unverified_context()
    deadline = time.monotonic() + ceiling
    while True:
        if process.poll() is not None:
            pytest.fail(
                f"{process.args[0]} exited ({process.returncode}) before {url} answered:\n"
                + log_tail(log_path)
            )
        try:
            with urllib.request.urlopen(url, timeout=30, context=unverified) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{url} did not answer within {ceiling} s:\n" + log_tail(log_path))
        time.sleep(0.25)


@contextmanager
def served(command, health_url, log_path, **popen):
    """Start a server `command` with its output in the file `log_path` (never an unread
    pipe, which would block it once full), wait until `health_url` answers, yield the
    process, and stop it on the way out."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, **popen)
    try:
        wait_until_ready(health_url, process, log_path)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def gunicorn_command(*args):
    """gunicorn with the deployed settings (deploy/gunicorn.conf.py), one worker."""
    import sys

    return [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", *args, "wsgi:app"]
