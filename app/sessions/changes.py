"""Changes of plan that reach everyone: a session moved to another time, or cancelled.

Each function saves, audits, records the mail-out to every registrant and waitlisted person
(those who never confirmed their address get nothing, as with every mail-out) and fires the
plugin hook, in the caller's transaction. The worker turns the mail-out into one mail per
person, in their language, with the session's calendar entry under the same UID and a
higher SEQUENCE (app/registration/ics.py), so calendars replace or remove the entry."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import force_locale

from .. import audit, events
from ..events import Schedule
from ..extensions import db
from ..mail import mailout
from ..mail.outbox import mail_url, render_mail
from ..models import Event, OutboxMessage, utcnow
from ..plugins import JOIN_PENDING, hooks
from ..registration.ics import ics_attachment

AUDIENCE = "registered"  # confirmed and waitlisted


def moved(old, new):
    """Whether people need to hear of it: another start or another length (a new zone
    alone, for the same moment, changes nothing for them). The form writes whole minutes,
    so a stored start with seconds, saved unchanged, has not moved."""
    return (
        to_the_minute(old.starts_at) != to_the_minute(new.starts_at)
        or old.duration_minutes != new.duration_minutes
    )


def to_the_minute(moment):
    return moment.replace(second=0, microsecond=0)


def recipients(event):
    """How many people a change of plan is mailed to now."""
    return mailout.audience_size(event, AUDIENCE, service=True)


def bump_calendar(event):
    """A new version of the session's calendar entry (RFC 5545 SEQUENCE, LAST-MODIFIED)."""
    event.ics_sequence = (event.ics_sequence or 0) + 1
    event.ics_modified_at = utcnow().replace(microsecond=0)


def drop_queued(event, kinds):
    """Mail of `kinds` for this session still waiting in the outbox is not sent: it was
    written for the old plan (the reminders' sweep writes new ones for the new time)."""
    db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.event_id == event.id,
            OutboxMessage.status == "queued",
            OutboxMessage.kind.in_(kinds),
        )
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )


def reschedule(event, old, actor=None):
    """`event` now holds its new time (the session form was applied); `old` is a Schedule
    of the time before. Registrants of a published session are mailed what changed;
    reminders queued for the old time are dropped; the plugins are told
    (`sala_event_rescheduled`). Returns how many people the mail goes to."""
    total = 0
    bump_calendar(event)
    drop_queued(event, ("registration_reminder",))
    if event.state == "published":
        recorded = mailout.record(
            event,
            "event_moved",
            f"event-moved-{event.id}-{event.ics_sequence}",
            {"old": schedule_json(old), "new": schedule_json(Schedule.of(event))},
            actor,
            audience=AUDIENCE,
        )
        total = recorded.total
    audit.record(
        "event.reschedule",
        event,
        actor=actor,
        before=schedule_json(old),
        after=schedule_json(Schedule.of(event)),
        recipients=total,
    )
    db.session.flush()
    hooks().sala_event_rescheduled(event=event, old=old)
    return total


def cancel_event(event, actor=None):
    """Cancel the session (from draft or published): registration closes, its pages say
    so, everyone registered is mailed with a calendar file that removes the entry, mail
    still waiting for the old plan is dropped, and the plugins are told
    (`sala_event_cancelled`). Returns how many people the mail goes to."""
    events.transition(event, "cancel", actor)
    bump_calendar(event)
    drop_queued(event, ("registration_reminder", "registration_join"))
    recorded = mailout.record(
        event,
        "event_cancelled",
        f"event-cancelled-{event.id}-{event.ics_sequence}",
        {},
        actor,
        audience=AUDIENCE,
    )
    db.session.flush()
    hooks().sala_event_cancelled(event=event)
    return recorded.total


# ---------------------------------------------------------------- the mails


def schedule_json(schedule):
    return {
        "starts_at": schedule.starts_at.isoformat(),
        "duration_minutes": schedule.duration_minutes,
        "timezone": schedule.timezone,
    }


def schedule_from(data):
    return Schedule(
        datetime.fromisoformat(data["starts_at"]), int(data["duration_minutes"]), data["timezone"]
    )


def zones_of(event):
    """The zones a change is said in: the session's own, then the others its page shows."""
    zones = [event.timezone]
    zones += [zone for zone in event.extra_timezones or [] if zone not in zones]
    return zones


def calendar_join(registration):
    """The join details for the registrant's calendar entry, if they already have them."""
    from ..registration.domain import join_details_for

    if registration.status != "confirmed" or registration.join_details_sent_at is None:
        return None
    details = join_details_for(registration)
    return None if details is JOIN_PENDING else details


def moved_context(event, old, new):
    return {"old": old, "new": new, "zones": zones_of(event), "page_url": page_url(event)}


def page_url(event):
    return mail_url("public.event", slug=event.slug)


class MovedMailout(mailout.MailoutKind):
    service = True

    def load(self, recorded):
        return {
            "event": db.session.get(Event, recorded.event_id),
            "old": schedule_from(recorded.context["old"]),
            "new": schedule_from(recorded.context["new"]),
            "batch": recorded.batch,
        }

    def mail(self, loaded, registration):
        event = loaded["event"]
        language = registration.language
        join = calendar_join(registration)
        return dict(
            template="event_moved",
            language=language,
            key=f"moved:{loaded['batch']}:{registration.id}",
            context={
                **moved_context(event, loaded["old"], loaded["new"]),
                "waitlisted": registration.status == "waitlisted",
            },
            attachments=[ics_attachment(event, language, join)],
        )


class CancelledMailout(mailout.MailoutKind):
    service = True

    def load(self, recorded):
        return {"event": db.session.get(Event, recorded.event_id), "batch": recorded.batch}

    def mail(self, loaded, registration):
        event = loaded["event"]
        language = registration.language
        return dict(
            template="event_cancelled",
            language=language,
            key=f"cancelled:{loaded['batch']}:{registration.id}",
            context={"page_url": page_url(event)},
            attachments=[ics_attachment(event, language, None, method="CANCEL")],
        )


mailout.register_kind("event_moved", MovedMailout())
mailout.register_kind("event_cancelled", CancelledMailout())


# ---------------------------------------------------------------- previews for the organizer


class _Reader:
    """Stands in for a registrant in a preview."""

    name = ""
    status = "confirmed"


def preview(template, event, language, **context):
    """(subject, text) of `template` as a registrant reading `language` gets it."""
    context.setdefault("page_url", page_url(event))
    with force_locale(language):
        subject, text, _html = render_mail(
            template,
            language,
            event=event,
            registration=_Reader(),
            manage_url=mail_url("public.event", slug=event.slug),
            **context,
        )
    return subject, text.strip()


def preview_move(event, old, new, language):
    """What registrants would be told if `event` moved from `old` to `new`, read in
    `language`, and how many would be told. Nothing is saved: the session's time is set for
    the rendering only."""
    saved = Schedule.of(event)
    with db.session.no_autoflush:
        event.starts_at, event.duration_minutes = new.starts_at, new.duration_minutes
        try:
            subject, text = preview(
                "event_moved", event, language, **moved_context(event, old, new), waitlisted=False
            )
        finally:
            event.starts_at, event.duration_minutes = saved.starts_at, saved.duration_minutes
    return {"subject": subject, "text": text, "count": recipients(event), "key": move_key(new)}


def move_key(new):
    """Names the time a preview was shown for: saving sends the mail only for that time."""
    return f"{new.starts_at:%Y%m%d%H%M}-{new.duration_minutes}"


def preview_cancel(event, language):
    subject, text = preview("event_cancelled", event, language)
    return {"subject": subject, "text": text, "count": recipients(event)}
