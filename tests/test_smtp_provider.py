"""The smtp provider's connection settings against real servers on loopback: STARTTLS with
login, TLS from the first byte, a certificate that is not trusted, and a server that never
answers (every network call has a timeout)."""

import socket
import ssl
import subprocess
import threading

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from mailtools import add_test_templates, queue_note
from support import SmtpSink
from world import MAIL_TEST, make_event

from app.extensions import db
from app.mail.worker import Worker


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


class TlsSink(SmtpSink):
    """The test SMTP server, with TLS (STARTTLS or implicit) and a login it checks."""

    def __init__(self, certificate, implicit=False):
        super().__init__()
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(*certificate)
        self.implicit = implicit
        self.sessions = []

    def check_login(self, server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login, auth_data.password) == (b"sala", b"s3cret")
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)

    async def handle_DATA(self, server, session, envelope):
        tls = session.ssl is not None or self.implicit
        self.sessions.append({"tls": tls, "login": session.auth_data})
        return await super().handle_DATA(server, session, envelope)

    def start(self):
        options = {
            "authenticator": self.check_login,
            "auth_required": True,
        }
        if self.implicit:
            # The whole connection is TLS; aiosmtpd only counts STARTTLS as TLS for AUTH.
            options.update(ssl_context=self.context, auth_require_tls=False)
        else:
            options.update(tls_context=self.context, require_starttls=True)
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)
        self.controller.start()
        return self


def send_one(make_app, port, **settings):
    app = make_app(EMAIL_PROVIDER="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, **settings)
    with app.app_context():
        add_test_templates(app)
        queue_note(make_event(MAIL_TEST), "reader@example.org")
        db.session.commit()
        result = {}
        thread = threading.Thread(
            target=lambda: result.update(stats=run_in(app)), name="worker", daemon=True
        )
        thread.start()
        thread.join(60)
        assert not thread.is_alive(), "the worker hung on the SMTP server"
        db.session.expire_all()
        from app.models import OutboxMessage

        return result["stats"], db.session.scalars(db.select(OutboxMessage)).one()


def run_in(app):
    with app.app_context():
        return Worker(app).run(once=True)


LOGIN = {"MAIL_USERNAME": "sala", "MAIL_PASSWORD": "s3cret"}


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # TLS throughout
@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "tls"])
def test_tls_and_login(make_app, certificate, monkeypatch, implicit):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # trust the test certificate
    sink = TlsSink(certificate, implicit=implicit).start()
    try:
        tls = {"MAIL_USE_SSL": True} if implicit else {"MAIL_USE_TLS": True}
        stats, message = send_one(make_app, sink.port, **tls, **LOGIN)
    finally:
        sink.stop()
    assert stats.sent == 1 and message.status == "sent"
    assert sink.sessions == [{"tls": True, "login": b"sala"}]
    assert sink.to("reader@example.org")


def test_an_untrusted_certificate_is_refused_and_the_mail_waits(make_app, certificate):
    sink = TlsSink(certificate).start()  # SSL_CERT_FILE not set: the certificate is unknown
    try:
        stats, message = send_one(make_app, sink.port, MAIL_USE_TLS=True, **LOGIN)
    finally:
        sink.stop()
    assert stats.sent == 0 and sink.messages == []
    assert message.status == "queued" and message.attempts == 0
    assert "certificate" in stats.provider_error.lower()  # why the queue is paused


def test_a_server_that_never_answers_times_out(make_app):
    with socket.socket() as silent:  # accepts connections (the backlog), never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        stats, message = send_one(make_app, silent.getsockname()[1], MAIL_TIMEOUT=1)
    assert stats.provider_error
    assert message.status == "queued" and "timed out" in stats.provider_error


def test_a_refused_login_keeps_the_mail_queued_with_the_reason(make_app, certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    sink = TlsSink(certificate).start()
    try:
        wrong = {"MAIL_USERNAME": "sala", "MAIL_PASSWORD": "wrong"}
        stats, message = send_one(make_app, sink.port, MAIL_USE_TLS=True, MAIL_TIMEOUT=5, **wrong)
    finally:
        sink.stop()
    assert stats.sent == 0 and sink.messages == []
    assert message.status == "queued" and "535" in stats.provider_error
