"""Sala as deployed, over HTTPS: gunicorn started with deploy/gunicorn.conf.py on the suite's
database, over real TLS with a throwaway certificate, and once more behind a small TLS proxy
that sets the headers deploy/nginx.conf sets (with PROXY_FIX=1). Chromium goes through the
visitor's journey (register, the mail over SMTP, confirm, manage page, an idea) and an
organizer signs in. Browsers send no Referer here (no-referrer), so this is where a
Referer-based CSRF check would refuse every form."""

import http.client
import os
import re
import secrets
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from registration_helpers import LINK, smtp_config
from support import (
    PASSWORD,
    ROOT,
    PageWatch,
    SmtpSink,
    create_user,
    free_port,
    gunicorn_command,
    served,
)
from world import make_event

from app.mail.worker import run_once
from app.models import utcnow

pytestmark = pytest.mark.browser

ORGANIZER = "organizer@example.org"
IDEA_CONFIRM = re.compile(r"https://\S+/ideas/confirm/\S+")


@pytest.fixture
def certificate(tmp_path):
    """A throwaway certificate authority and a certificate for 127.0.0.1 it signed."""
    import trustme

    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1", "localhost")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    issued.private_key_and_cert_chain_pem.write_to_path(str(key))
    issued.cert_chain_pems[0].write_to_path(str(cert))
    for blob in issued.cert_chain_pems[1:]:
        blob.write_to_path(str(cert), append=True)
    return cert, key


HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "server",
    "date",
    "proxy-connection",
}


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a browser closing a connection mid-answer is no failure of the test


class TlsProxy:
    """TLS in front, plain HTTP to gunicorn behind, with the headers of deploy/nginx.conf:
    Host, X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host."""

    def __init__(self, upstream_port, cert, key):
        class Forward(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                forwarded_for = self.headers.get("X-Forwarded-For")
                client = self.client_address[0]
                headers["X-Forwarded-For"] = (
                    f"{forwarded_for}, {client}" if forwarded_for else client
                )
                headers["X-Forwarded-Proto"] = "https"
                headers["X-Forwarded-Host"] = self.headers["Host"]
                upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=300)
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                finally:
                    upstream.close()
                self.send_response(answer.status, answer.reason)
                for name, value in answer.getheaders():
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_POST = do_HEAD = do_GET

            def log_message(self, *args):  # no addresses in the test's output either
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        self.server = QuietServer(("127.0.0.1", 0), Forward)
        # The handshake happens in each connection's own thread, on its first read.
        self.server.socket = context.wrap_socket(
            self.server.socket, server_side=True, do_handshake_on_connect=False
        )
        self.url = f"https://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def gunicorn_env(app, tmp_path, base_url, **settings):
    """Production settings as deploy/env.example gives them, on the test's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALA_")}
    env.update(
        SALA_SECRET_KEY=secrets.token_hex(32),
        SALA_BASE_URL=base_url,
        SALA_SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        SALA_INSTANCE_PATH=str(tmp_path / "gunicorn-instance"),
        WEB_CONCURRENCY="1",
        LANG="C.UTF-8",
        **{f"SALA_{k}": v for k, v in settings.items()},
    )
    return env


@pytest.fixture(params=["tls", "proxy"], ids=["gunicorn-tls", "behind-proxy"])
def deployed(request, make_app, smtp, certificate, tmp_path):
    """The base URL of Sala over HTTPS, and the app (same database, mail over SMTP to the
    test server) that runs the worker as `sala worker --once` would."""
    cert, key = certificate
    app = make_app(**smtp_config(smtp))
    with app.app_context():
        make_event(ideas_open_at=utcnow().replace(microsecond=0))
        create_user(ORGANIZER, "admin")
    log = tmp_path / "gunicorn.log"
    port = free_port()
    if request.param == "tls":
        base = f"https://127.0.0.1:{port}"
        command = gunicorn_command(
            "--bind", f"127.0.0.1:{port}", "--certfile", str(cert), "--keyfile", str(key)
        )
        with served(
            command, f"{base}/healthz", log, cwd=ROOT, env=gunicorn_env(app, tmp_path, base)
        ):
            app.config["BASE_URL"] = base
            yield base, app
    else:
        with TlsProxy(port, cert, key) as proxy:
            env = gunicorn_env(app, tmp_path, proxy.url, PROXY_FIX="1")
            command = gunicorn_command("--bind", f"127.0.0.1:{port}")
            with served(command, f"{proxy.url}/healthz", log, cwd=ROOT, env=env):
                app.config["BASE_URL"] = proxy.url
                yield proxy.url, app


def deliver(app):
    with app.app_context():
        run_once()


def mail_link(smtp, address, kind):
    (message,) = [m for m in smtp.to(address) if f"/r/{kind}/" in SmtpSink.text(m)][-1:]
    return [url for url, k in LINK.findall(SmtpSink.text(message)) if k == kind][0]


def open_page(browser, base):
    context = browser.new_context(base_url=base, ignore_https_errors=True)
    page = context.new_page()
    page.watch = PageWatch(page)
    return context, page


def assert_served_securely(response, context):
    assert response.headers["strict-transport-security"].startswith("max-age=")
    cookies = context.cookies()
    assert cookies, "no session cookie was set"
    assert all(cookie["secure"] for cookie in cookies), cookies


def test_visitor_journey_over_https(browser, deployed, smtp):
    base, app = deployed
    context, page = open_page(browser, base)
    email = "dara@example.org"
    try:
        # Register: the form works over HTTPS, and the visitor is told to check their mail.
        page.goto("/s/planning?lang=en")
        page.fill("#email", email)
        page.fill("#name", "Dara")
        page.check("#consent")
        page.locator("#register button[type=submit]").click()
        page.wait_for_load_state()
        assert "This form has expired" not in page.content()
        assert page.url == f"{base}/s/planning/registered"
        assert "Check your email" in page.locator("h1").inner_text()

        # The confirmation mail arrives over SMTP, its link on the HTTPS site; confirming
        # works (a second form) and the manage page shows the registration.
        deliver(app)
        confirm = mail_link(smtp, email, "confirm")
        assert confirm.startswith(f"{base}/r/confirm/")
        page.goto(confirm)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        assert "You are registered" in page.locator("h1").inner_text()
        deliver(app)
        response = page.goto(mail_link(smtp, email, "manage"))
        assert "Your registration" in page.locator("h1").inner_text()
        assert email in page.content()
        assert_served_securely(response, context)

        # An idea: sent, confirmed from its mail, and the author is told so.
        page.goto("/s/planning/ideas/new?lang=en")
        page.fill("input[name=title]", "Free the journalists")
        page.fill("textarea[name=body]", "Independent media first.")
        page.fill("input[name=email]", "author@example.org")
        page.locator("form.idea-form button[type=submit]").click()
        page.wait_for_load_state()
        assert "Thank you for your idea" in page.locator("h1").inner_text()
        deliver(app)
        (idea_mail,) = smtp.to("author@example.org")
        page.goto(IDEA_CONFIRM.search(SmtpSink.text(idea_mail)).group(0))
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        assert "Idea confirmed" in page.locator("h1").inner_text()
        page.watch.assert_clean()
    finally:
        context.close()


def test_organizer_signs_in_over_https(browser, deployed):
    base, _app = deployed
    context, page = open_page(browser, base)
    try:
        page.goto("/login?lang=en")
        page.fill("#email", ORGANIZER)
        page.fill("#password", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        assert "This form has expired" not in page.content()
        assert page.url == f"{base}/admin/"
        assert "Sessions" in page.locator("h1").inner_text()
        response = page.reload()
        assert "Sessions" in page.locator("h1").inner_text()  # the session cookie holds
        assert_served_securely(response, context)
        page.watch.assert_clean()
    finally:
        context.close()
