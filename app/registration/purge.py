"""Personal data over time: after a concluded session's retention period, its registrants'
personal data is erased, while the counts, the approved ideas (without names) and the
published plan remain. First an export the organizer can keep is written; then each
registrant is erased by `domain.erase` (the same path as a registrant's own "delete my
data"), and `sala_event_purged` tells every owner of personal data to forget what the
session holds beyond its registrations (ideas from visitors who never registered, their
mails)."""

import json
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import audit, intake
from ..extensions import db
from ..mail import erasure as mail_erasure
from ..models import Idea, Registration, utcnow
from ..plugins import hooks
from ..private_files import private_dir
from ..templating import local_time
from . import domain

PURGEABLE_STATES = ("concluded", "plan_published", "archived")
EXPORT_FIELDS = (
    "id",
    "email",
    "name",
    "language",
    "country",
    "affiliation",
    "status",
    "consent_text",
    "consented_at",
    "created_at",
    "confirmed_at",
    "cancelled_at",
    "attended",
)
IDEA_FIELDS = ("id", "registration_id", "author_email", "author_name", "display", "status")


class PurgeRefused(Exception):
    """The session's personal data cannot be purged (yet): the message says why."""


@dataclass
class PurgeResult:
    export_path: Path | None = None
    registrations: int = 0
    ideas: int = 0
    messages: int = 0
    nothing_left: bool = False
    counts: dict = field(default_factory=dict)


def available_at(event):
    """When the purge becomes possible: the session's end plus its retention period."""
    return event.ends_at + timedelta(days=event.retention_days or 0)


def refusal(event, now=None, force=False):
    """Why the purge cannot run now (a translated message), or None. `force` skips only the
    retention period, never the state: a session still running keeps its registrants."""
    if event.state not in PURGEABLE_STATES:
        return _l("Personal data can only be erased once the session is concluded.")
    if not force and (now or utcnow()) < available_at(event):
        return _l(
            "The retention period has not passed yet: personal data can be erased from %(date)s.",
            date=local_time(available_at(event), event.timezone, "medium", zone=True),
        )
    return None


def _registrations(event, only_left=True):
    query = sa.select(Registration).where(Registration.event_id == event.id)
    if only_left:
        query = query.where(Registration.erased_at.is_(None))
    return db.session.scalars(query.order_by(Registration.id)).all()


def _ideas_with_authors(event):
    return db.session.scalars(
        sa.select(Idea)
        .where(Idea.event_id == event.id, sa.or_(Idea.author_email != "", Idea.author_name != ""))
        .order_by(Idea.id)
    ).all()


def _speaker_addresses(event):
    """Speakers' email addresses an organizer gave (app/speakers/erasure.py forgets them)."""
    from ..speakers.models import Speaker

    return db.session.scalar(
        sa.select(sa.func.count()).where(Speaker.event_id == event.id, Speaker.email != "")
    )


def pending(event):
    """(registrations, ideas, mails) that still hold personal data."""
    return (
        len(_registrations(event)),
        len(_ideas_with_authors(event)),
        mail_erasure.count_personal(event),
    )


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def export_data(event, now=None):
    """What is about to be erased, as data the organizer can keep."""
    registrations = _registrations(event)
    return {
        "session": event.slug,
        "exported_at": _iso(now or utcnow()),
        "registrations": [{f: _iso(getattr(r, f)) for f in EXPORT_FIELDS} for r in registrations],
        "idea_authors": [
            {f: getattr(i, f) for f in IDEA_FIELDS} for i in _ideas_with_authors(event)
        ],
    }


def write_export(event, now=None):
    """Write the export to instance/exports/<slug>-<time>.json, readable by its owner only."""
    now = now or utcnow()
    folder = Path(current_app.instance_path) / "exports"
    private_dir(folder)
    path = folder / f"{event.slug}-{now:%Y%m%dT%H%M%S}.json"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{event.slug}-{now:%Y%m%dT%H%M%S}-{n}.json"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as f:
        json.dump(export_data(event, now), f, ensure_ascii=False, indent=1)
    return path


def purge(event, actor=None, now=None, force=False, export_path=None):
    """Erase the personal data of every registrant of a concluded session, after writing an
    export (unless the caller wrote one already: `export_path`). Running it again finds
    nothing left and changes nothing. The caller commits."""
    now = now or utcnow()
    reason = refusal(event, now, force)
    if reason is not None:
        raise PurgeRefused(str(reason))
    intake.forget(event.id)  # forms sent that the worker never took: personal data too
    registrations, ideas, messages = pending(event)
    result = PurgeResult()
    if not (registrations or ideas or messages or _speaker_addresses(event)):
        result.nothing_left = True
        result.counts = domain.status_counts(event)
        return result
    result.export_path = export_path or write_export(event, now)
    for registration in _registrations(event):
        domain.erase(registration, actor=actor, keep_status=True, record=False)
        result.registrations += 1
    hooks().sala_event_purged(event=event)
    result.ideas, result.messages = ideas, messages
    event.purged_at = now
    result.counts = domain.status_counts(event)
    audit.record(
        "event.purge",
        event,
        actor=actor,
        registrations=result.registrations,
        ideas=result.ideas,
        messages=result.messages,
        forced=bool(force and now < available_at(event)),
        export=result.export_path.name,
    )
    db.session.flush()
    return result
