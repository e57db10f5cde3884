"""Email provider "smtp": sends the outbox through an SMTP server with Flask-Mail.

Settings (Flask-Mail's own): MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS (STARTTLS), MAIL_USE_SSL
(TLS from the first byte, usually port 465), MAIL_USERNAME, MAIL_PASSWORD,
MAIL_DEFAULT_SENDER; and MAIL_TIMEOUT (seconds, for every network call). Choose it with
SALA_EMAIL_PROVIDER=smtp.

Flask-Mail 0.10 builds ``smtplib.SMTP(server, port)`` without a timeout (a dead server would
hang the worker for ever), skips sending when TESTING is on, and starts TLS without checking
the server's certificate. So the connection is built here: with the timeout, with a verifying
TLS context, and always sending; Flask-Mail still formats and sends each message.
"""

import smtplib
import ssl

from flask_mail import BadHeaderError
from flask_mail import Connection as FlaskMailConnection

from app.plugins import hookimpl


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
        context = ssl.create_default_context()
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

    def __enter__(self):
        from app.outbox import ConnectionLost, PermanentFailure

        try:
            self.connection.__enter__()
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentFailure(_reply(exc.smtp_code, exc.smtp_error)) from exc
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
        from app.outbox import ConnectionLost, PermanentFailure, TemporaryFailure, to_mail_message

        try:
            mail_message = to_mail_message(message, self.sender)
            self.connection.send(mail_message)
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
        except (BadHeaderError, ValueError, UnicodeError) as exc:  # a malformed address
            raise PermanentFailure(f"malformed message or address: {exc}") from exc
        return mail_message.msgId


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
