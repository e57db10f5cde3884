"""Helpers for the registration tests: the form, mail reading, links from mail. (Their
session: `make_event()` from world.py.)"""

import re

from support import PASSWORD, ROOT, LiveServer, PageWatch, SmtpSink, create_user  # noqa: F401

from app.mail.worker import run_once

LINK = re.compile(r"(https?://\S+/r/(confirm|manage)/[A-Za-z0-9_\-]+)")


def form(email="dara@example.org", name="Dara", language="en", **extra):
    data = {"email": email, "name": name, "language": language, "consent": "y"}
    data.update(extra)
    return data


def deliver():
    """Run the worker once, as `sala worker --once` would."""
    return run_once()


def links(message, kind):
    return [url for url, k in LINK.findall(SmtpSink.text(message)) if k == kind]


def path_of(url):
    return "/" + url.split("/", 3)[3]


def mails_to(smtp, address, subject_part=""):
    return [m for m in smtp.to(address) if subject_part in m["Subject"]]


def smtp_config(smtp):
    return dict(
        EMAIL_PROVIDER="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_USE_TLS=False,
        MAIL_USE_SSL=False,
        MAIL_SUPPRESS_SEND=False,
    )
