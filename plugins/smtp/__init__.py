"""Email provider "smtp": sends the outbox through an SMTP server with the standard
library's smtplib.

Settings: MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS (STARTTLS), MAIL_USE_SSL (TLS from the first
byte, usually port 465), MAIL_USERNAME, MAIL_PASSWORD (the names Flask-Mail reads, so an
existing configuration keeps working), MAIL_DEFAULT_SENDER; and MAIL_TIMEOUT (seconds, for
every network call). Choose it with SALA_EMAIL_PROVIDER=smtp.

The connection is built here, with smtplib's public API only: with the timeout (a dead
server must not hang the worker), with a TLS context that checks the server's certificate,
and always sending (also under TESTING). Messages are serialized by `app.mail.mime.to_mime`.

Who is refused decides what happens: a refused connection, login or sender (MAIL FROM: a
530 "authentication required", a 550 for a sender the server does not relay for) is the
server's settings, not the message's, and pauses the queue (`ProviderRefused`); a refused
recipient (RCPT TO) fails or postpones that one message.

Internationalized addresses: a domain with non-ASCII letters is sent to in its ASCII (IDNA)
form; a local part with them (ü@…) needs SMTPUTF8, used when the server offers it; a server
that does not fails that one message, with a reason on the organizer's outbox page.
"""

import re
import smtplib
import ssl
from dataclasses import dataclass
from email.utils import parseaddr

from app.api import hookimpl

# Replies that mean "log in first" or "your login is refused", wherever they come.
AUTHENTICATION_CODES = (530, 534, 535, 538)
CLOSING = 421  # "service not available, closing the channel": the server, not the message


# An envelope address smtplib would write as "<address>" after parsing it: letters, digits,
# _%+- in dot-separated runs, @, a dotted domain. Nearly every address is one.
PLAIN_ENVELOPE_ADDRESS = re.compile(
    r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*", re.ASCII
)


class PlainAddresses:
    """MAIL FROM and RCPT TO without smtplib's `quoteaddr`, which parses every address with
    `email.utils.parseaddr`: a third of the client's CPU a message. An address of the plain
    form is written as smtplib would write it; any other (or SMTPUTF8) goes the usual way."""

    def mail(self, sender, options=()):
        if not PLAIN_ENVELOPE_ADDRESS.fullmatch(sender) or any(
            option.lower() == "smtputf8" for option in options
        ):
            return super().mail(sender, options)
        optionlist = " " + " ".join(options) if options and self.does_esmtp else ""
        self.putcmd("mail", f"from:<{sender}>{optionlist}")
        return self.getreply()

    def rcpt(self, recip, options=()):
        if not PLAIN_ENVELOPE_ADDRESS.fullmatch(recip):
            return super().rcpt(recip, options)
        optionlist = " " + " ".join(options) if options and self.does_esmtp else ""
        self.putcmd("rcpt", f"to:<{recip}>{optionlist}")
        return self.getreply()


class SMTP(PlainAddresses, smtplib.SMTP):
    pass


class SMTP_SSL(PlainAddresses, smtplib.SMTP_SSL):  # noqa: N801 (smtplib's name)
    pass


@dataclass(frozen=True)
class SmtpSettings:
    server: str
    port: int
    use_tls: bool
    use_ssl: bool
    username: str | None
    password: str | None
    timeout: float

    @classmethod
    def from_config(cls, config):
        return cls(
            server=config.get("MAIL_SERVER") or "127.0.0.1",  # Flask-Mail's defaults
            port=int(config.get("MAIL_PORT") or 25),
            use_tls=bool(config.get("MAIL_USE_TLS")),
            use_ssl=bool(config.get("MAIL_USE_SSL")),
            username=config.get("MAIL_USERNAME") or None,
            password=config.get("MAIL_PASSWORD") or None,
            timeout=float(config.get("MAIL_TIMEOUT") or 30),
        )

    def connect(self):
        """An SMTP session, logged in if a login is set; closed again if that fails."""
        # Loading the system's certificates takes a noticeable time: only when TLS is used.
        context = ssl.create_default_context() if self.use_ssl or self.use_tls else None
        if self.use_ssl:
            host = SMTP_SSL(self.server, self.port, timeout=self.timeout, context=context)
        else:
            host = SMTP(self.server, self.port, timeout=self.timeout)
        try:
            if self.use_tls:
                host.starttls(context=context)
            if self.username and self.password:
                host.login(self.username, self.password)
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

    def __init__(self, settings, sender):
        self.settings = settings
        self.sender = sender
        self.envelope_from = parseaddr(sender)[1]
        self.host = None

    def __enter__(self):
        from app.api import ProviderRefused

        try:
            self.host = self.settings.connect()
        except smtplib.SMTPAuthenticationError as exc:  # the settings, not the messages
            reply = _reply(exc.smtp_code, exc.smtp_error)
            raise ProviderRefused(f"the SMTP server refused the login: {reply}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise ProviderRefused(f"cannot reach the SMTP server: {exc}") from exc
        return self

    def __exit__(self, *exc):
        host, self.host = self.host, None
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
            ProviderRefused,
            TemporaryFailure,
            deliverable_address,
            to_mime,
        )

        host = self.host
        try:
            recipient, smtputf8 = deliverable_address(message.recipient)
            if smtputf8:
                host.ehlo_or_helo_if_needed()
                if not host.has_extn("smtputf8"):
                    raise PermanentFailure(NO_SMTPUTF8)
            message_id, data = to_mime(message, self.sender, recipient=recipient)
            options = ["SMTPUTF8"] if smtputf8 else []
            host.sendmail(self.envelope_from, [recipient], data, mail_options=options)
        except smtplib.SMTPSenderRefused as exc:  # MAIL FROM: the server's settings
            reply = _reply(exc.smtp_code, exc.smtp_error)
            raise ProviderRefused(
                f"the SMTP server refused the sender {self.envelope_from}: {reply}"
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            if code in AUTHENTICATION_CODES:  # "log in first", said at RCPT TO
                reply = _reply(code, reply)
                raise ProviderRefused(f"the SMTP server wants a login: {reply}") from exc
            if code == CLOSING:
                raise ConnectionLost(_reply(code, reply)) from exc
            failure = PermanentFailure if 500 <= code < 600 else TemporaryFailure
            raise failure(_reply(code, reply)) from exc
        except smtplib.SMTPNotSupportedError as exc:  # e.g. a non-ASCII address, no SMTPUTF8
            raise PermanentFailure(f"the SMTP server cannot take this address: {exc}") from exc
        except smtplib.SMTPServerDisconnected as exc:
            raise ConnectionLost(str(exc) or "the SMTP server closed the connection") from exc
        except smtplib.SMTPResponseException as exc:
            reply = _reply(exc.smtp_code, exc.smtp_error)
            if exc.smtp_code in AUTHENTICATION_CODES:
                raise ProviderRefused(f"the SMTP server wants a login: {reply}") from exc
            if exc.smtp_code == CLOSING:
                raise ConnectionLost(reply) from exc
            failure = PermanentFailure if 500 <= exc.smtp_code < 600 else TemporaryFailure
            raise failure(reply) from exc
        except (OSError, smtplib.SMTPException) as exc:  # timeouts, resets
            raise ConnectionLost(str(exc) or type(exc).__name__) from exc
        except (MalformedMessage, UnicodeError) as exc:  # a malformed address or header
            raise PermanentFailure(f"malformed message or address: {exc}") from exc
        return message_id


class SmtpProvider:
    name = "smtp"

    def __init__(self, app):
        self.settings = SmtpSettings.from_config(app.config)
        self.sender = app.config["MAIL_DEFAULT_SENDER"]

    def open(self):
        return SmtpConnection(self.settings, self.sender)


@hookimpl
def sala_email_provider(name, app):
    if name == "smtp":
        return SmtpProvider(app)


@hookimpl
def sala_config_defaults():
    return {"MAIL_TIMEOUT": 30}
