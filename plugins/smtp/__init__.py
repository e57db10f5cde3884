"""Email provider "smtp": sends the outbox through an SMTP server with Flask-Mail.

Settings (Flask-Mail's own): MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS (STARTTLS), MAIL_USE_SSL,
MAIL_USERNAME, MAIL_PASSWORD, MAIL_DEFAULT_SENDER, MAIL_TIMEOUT. Choose it with
SALA_EMAIL_PROVIDER=smtp."""

import contextlib
import smtplib

from app.plugins import hookimpl


class SmtpConnection:
    """One SMTP connection for a batch of messages."""

    def __init__(self, mail, sender):
        self.mail = mail
        self.sender = sender
        self.connection = None

    def __enter__(self):
        from app.outbox import TemporaryFailure

        try:
            self.connection = self.mail.connect().__enter__()
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(f"cannot reach the SMTP server: {exc}") from exc
        return self

    def __exit__(self, *exc):
        with contextlib.suppress(OSError, smtplib.SMTPException):
            self.connection.__exit__(None, None, None)
        return False

    def send(self, message):
        from app.outbox import PermanentFailure, TemporaryFailure, to_mail_message

        mail_message = to_mail_message(message, self.sender)
        try:
            self.connection.send(mail_message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            error = f"{code} {reply.decode(errors='replace')}"
            if 500 <= code < 600:
                raise PermanentFailure(error) from exc
            raise TemporaryFailure(error) from exc
        except smtplib.SMTPResponseException as exc:
            error = f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace')}"
            if 500 <= exc.smtp_code < 600:
                raise PermanentFailure(error) from exc
            raise TemporaryFailure(error) from exc
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(str(exc) or type(exc).__name__) from exc
        return mail_message.msgId


class SmtpProvider:
    name = "smtp"

    def __init__(self, app):
        self.mail = app.extensions["mail"]
        self.sender = app.config["MAIL_DEFAULT_SENDER"]

    def open(self):
        return SmtpConnection(self.mail, self.sender)


@hookimpl
def sala_email_provider(name, app):
    if name == "smtp":
        return SmtpProvider(app)


@hookimpl
def sala_config_defaults():
    return {"MAIL_TIMEOUT": 30}
