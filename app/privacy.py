"""The privacy notice, built from what the code does: what Sala keeps about a registrant,
for how long, who can see it, and what the enabled plugins hand to other services (each
declares it through `sala_personal_data_shared`). Nothing here is a fixed paragraph that
could drift from the code."""

from dataclasses import dataclass

import sqlalchemy as sa
from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .events import current_events
from .extensions import db
from .models import User
from .plugins import hooks

CONSENT_NOTICE = "privacy-notice"
CONSENT_MAX = 100  # Registration.consent_text

# The kinds of personal data a plugin may declare it sends, as the notice names them.
PERSONAL_DATA = {
    "email": _l("your email address"),
    "name": _l("your name"),
    "language": _l("your language"),
    "country": _l("your country"),
    "affiliation": _l("your organization"),
    "ideas": _l("your ideas"),
}

# What a registration keeps, by column: tests/test_privacy.py fails when a column of
# Registration is neither here nor in NOT_PERSONAL, so a new field cannot go unmentioned.
STORED = (
    (("email",), _l("your email address")),
    (("name",), _l("the name you give (a pseudonym is fine)")),
    (("language",), _l("the language you want our emails in")),
    (("country", "affiliation"), _l("your country and organization, if you give them")),
    (
        ("consent_text", "consented_at"),
        _l("when you agreed to this notice, and which services it named"),
    ),
    (
        ("status", "confirmed_at", "cancelled_at", "attended", "join_details_sent_at"),
        _l("whether you confirmed, cancelled or took part, and when we sent the join details"),
    ),
    (
        ("bulk_mail_stopped_at",),
        _l("whether you asked us to stop announcements and other mails sent to everyone"),
    ),
    # Kept in the tables of the plugin that makes it (the Zoom plugin's zoom_registrant).
    ((), _l("your personal join link, when a service makes one for you")),
)
NOT_PERSONAL = ("id", "event_id", "email_key", "erased_at", "created_at", "updated_at")
STORED_IDEAS = _l("the ideas you send, with the name and address you give for them")


@dataclass
class Retention:
    event: object
    days: int
    erasable_from: object


def shares(event=None):
    """What the enabled plugins declare they send to other services (for `event`, or for
    any session when None)."""
    found = []
    for answer in hooks().sala_personal_data_shared(event=event):
        found.extend(answer or [])
    return found


def data_names(kinds):
    """'your name and your email address', in the reader's language."""
    return format_list([str(PERSONAL_DATA.get(kind, kind)) for kind in kinds], locale=get_locale())


def share_sentence(share):
    return _(
        "We send %(data)s to %(recipient)s %(purpose)s.",
        data=data_names(share.data),
        recipient=share.recipient,
        purpose=share.purpose,
    )


def sharing_note(event):
    """What the registration form says beside the consent box: every service this session's
    registrants' data goes to, or None."""
    return " ".join(share_sentence(s) for s in shares(event)) or None


def consent_record(event):
    """What a registrant agreed to, as stored with the registration: the notice, and each
    service the form named beside the consent box with the data it gets."""
    parts = [CONSENT_NOTICE] + [f"{s.recipient}: {', '.join(s.data)}" for s in shares(event)]
    return "; ".join(parts)[:CONSENT_MAX]


def retention():
    """How long each public session keeps its registrants' personal data."""
    from .registration.purge import available_at

    return [Retention(e, e.retention_days, available_at(e)) for e in current_events()]


def accounts_by_role():
    """How many active accounts each role has: organizers ("admin") and moderators."""
    rows = db.session.execute(
        sa.select(User.role, sa.func.count()).where(User.active.is_(True)).group_by(User.role)
    ).all()
    counts = dict(rows)
    return {role: counts.get(role, 0) for role in User.ROLES}


def notice():
    """Everything the privacy page says, for its template."""
    return {
        "stored": [label for _columns, label in STORED] + [STORED_IDEAS],
        "retention": retention(),
        "accounts": accounts_by_role(),
        "shares": shares(),
    }


def init_app(app):
    app.jinja_env.globals.update(share_sentence=share_sentence, sharing_note=sharing_note)
