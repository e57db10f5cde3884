"""Email provider "smtp": sends the outbox through an SMTP server with Flask-Mail.

Settings (Flask-Mail's own): MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS (STARTTLS), MAIL_USE_SSL
(TLS from the first byte, usually port 465), MAIL_USERNAME, MAIL_PASSWORD,
MAIL_DEFAULT_SENDER; and MAIL_TIMEOUT (seconds, for every network call). Choose it with
SALA_EMAIL_PROVIDER=smtp.

Internationalized addresses: a domain with non-ASCII letters is sent to in its ASCII (IDNA)
form; a local part with them (ü@…) needs SMTPUTF8, used when the server offers it; a server
that does not fails that one message, with a reason on the organizer's outbox page.

Flask-Mail 0.10 builds ``smtplib.SMTP(server, port)`` without a timeout (a dead server would
hang the worker for ever), skips sending when TESTING is on, and starts TLS without checking
the server's certificate. So the connection is built here: with the timeout, with a verifying
TLS context, and always sending. Messages are serialized by `app.mail.mime.to_mime` (Flask-Mail's
serializer took longer per message than the SMTP exchange itself).
"""

import smtplib
import ssl
from email.utils import parseaddr

from flask_mail import Connection as FlaskMailConnection

from app.api import hookimpl


class _Connection(FlaskMailConnection):
    def __init__(self, mail, timeout):
        super().__init__(mail)
        self.timeout = timeout

    def __enter__(self):
        self.host = self.configure_host()
        self.num_emails = 0
        return self

    def configure_host(self):
        state = self.mail
        # Loading the system's certificates takes a noticeable time: only when TLS is used.
        context = ssl.create_default_context() if state.use_ssl or state.use_tls else None
        if state.use_ssl:
            host = smtplib.SMTP_SSL(state.server, state.port, timeout=self.timeout, context=context)
        else:
            host = smtplib.SMTP(state.server, state.port, timeout=self.timeout)
        try:
            if state.use_tls:
                host.starttls(context=context)
            if state.username and state.password:
                host.login(state.username, state.password)
        except BaseException:
            host.close()
            raise
        return host


def _reply(code, text):
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return f"{code} {text}"


class SmtpConnection:
    """One SMTP connection for a batch of messages."""

    def __init__(self, mail, sender, timeout):
        self.connection = _Connection(mail, timeout)
        self.sender = sender
        self.envelope_from = parseaddr(sender)[1]

    def __enter__(self):
        from app.api import ConnectionLost

        try:
            self.connection.__enter__()
        except smtplib.SMTPAuthenticationError as exc:  # the settings, not the messages
            reply = _reply(exc.smtp_code, exc.smtp_error)
            raise ConnectionLost(f"the SMTP server refused the login: {reply}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise ConnectionLost(f"cannot reach the SMTP server: {exc}") from exc
        return self

    def __exit__(self, *exc):
        host, self.connection.host = self.connection.host, None
        if host is not None:
            try:
                host.quit()
            except (OSError, smtplib.SMTPException):
                host.close()
        return False

    def send(self, message):
        from app.api import (
            NO_SMTPUTF8,
            ConnectionLost,
            MalformedMessage,
            PermanentFailure,
            TemporaryFailure,
            deliverable_address,
            to_mime,
        )

        host = self.connection.host
        try:
            recipient, smtputf8 = deliverable_address(message.recipient)
            if smtputf8:
                host.ehlo_or_helo_if_needed()
                if not host.has_extn("smtputf8"):
                    raise PermanentFailure(NO_SMTPUTF8)
            message_id, data = to_mime(message, self.sender, recipient=recipient)
            options = ["SMTPUTF8"] if smtputf8 else []
            host.sendmail(self.envelope_from, [recipient], data, mail_options=options)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            failure = PermanentFailure if 500 <= code < 600 else TemporaryFailure
            raise failure(_reply(code, reply)) from exc
        except smtplib.SMTPNotSupportedError as exc:  # e.g. a non-ASCII address, no SMTPUTF8
            raise PermanentFailure(f"the SMTP server cannot take this address: {exc}") from exc
        except smtplib.SMTPServerDisconnected as exc:
            raise ConnectionLost(str(exc) or "the SMTP server closed the connection") from exc
        except smtplib.SMTPResponseException as exc:
            failure = PermanentFailure if 500 <= exc.smtp_code < 600 else TemporaryFailure
            raise failure(_reply(exc.smtp_code, exc.smtp_error)) from exc
        except (OSError, smtplib.SMTPException) as exc:  # timeouts, resets
            raise ConnectionLost(str(exc) or type(exc).__name__) from exc
        except (MalformedMessage, UnicodeError) as exc:  # a malformed address or header
            raise PermanentFailure(f"malformed message or address: {exc}") from exc
        return message_id


class SmtpProvider:
    name = "smtp"

    def __init__(self, app):
        self.mail = app.extensions["mail"]
        self.sender = app.config["MAIL_DEFAULT_SENDER"]
        self.timeout = float(app.config.get("MAIL_TIMEOUT") or 30)

    def open(self):
        return SmtpConnection(self.mail, self.sender, self.timeout)


@hookimpl
def sala_email_provider(name, app):
    if name == "smtp":
        return SmtpProvider(app)


@hookimpl
def sala_config_defaults():
    return {"MAIL_TIMEOUT": 30}
