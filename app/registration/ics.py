"""The session as an iCalendar file (RFC 5545), in the session's time zone with its
VTIMEZONE. The public download never carries join details; a registrant's own copy, attached
to their join-details mail, does."""

from datetime import UTC
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Timezone
from icalendar import Event as VEvent

from ..mail.outbox import mail_url
from ..models import utcnow
from ..speakers import calendar_lines


def build_ics(event, language, join=None, method="PUBLISH"):
    """The .ics bytes for `event`, texts in `language`; `join` (JoinDetails) only for the
    registrant's own attachment. Every copy of one session has the same UID; its SEQUENCE
    (``event.ics_sequence``) grows each time registrants are told of a new time or of the
    cancellation, so a calendar replaces the entry it has. ``method="CANCEL"`` (with a
    cancelled session's STATUS:CANCELLED) removes it."""
    tz = ZoneInfo(event.timezone)
    with force_locale(language):
        title = event.text("title", language)
        page = mail_url("public.event", slug=event.slug)
        lines = []
        if join is not None and join.url:
            lines.append(_("Join link: %(url)s", url=join.url))
            if join.meeting_id:
                lines.append(_("Meeting ID: %(id)s", id=join.meeting_id))
            if join.passcode:
                lines.append(_("Passcode: %(code)s", code=join.passcode))
            if join.dial_in:
                lines.append(_("By telephone: %(numbers)s", numbers=join.dial_in))
            lines.append("")
        lines += [event.text("summary", language).split("\n\n")[0], ""]
        lines += calendar_lines(event, language)
        lines.append(page)
        location = join.url if join is not None and join.url else _("Online")
    cal = Calendar()
    cal.add("prodid", f"-//{current_app.config['SITE_NAME']}//Sala//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    if event.timezone not in ("UTC", "Etc/UTC"):
        cal.add_component(vtimezone(event.timezone))
    vevent = VEvent()
    host = page.split("/")[2]
    vevent.add("uid", f"event-{event.id}-{event.slug}@{host}")
    vevent.add("dtstamp", utcnow().replace(tzinfo=UTC))
    vevent.add("sequence", event.ics_sequence or 0)
    if event.ics_modified_at is not None:
        vevent.add("last-modified", event.ics_modified_at.replace(tzinfo=UTC))
    vevent.add("status", "CANCELLED" if event.state == "cancelled" else "CONFIRMED")
    vevent.add("dtstart", event.starts_at.replace(tzinfo=UTC).astimezone(tz))
    vevent.add("dtend", event.ends_at.replace(tzinfo=UTC).astimezone(tz))
    vevent.add("summary", title)
    vevent.add("description", "\n".join(lines).strip())
    vevent.add("location", location)
    vevent.add("url", page)
    cal.add_component(vevent)
    return cal.to_ical()


@lru_cache(maxsize=64)
def vtimezone(tz_name):
    """The VTIMEZONE of a zone. Computing one walks decades of offsets (about 0.1 s), and
    the sweep attaches an .ics to every join-details mail: compute each zone once."""
    return Timezone.from_tzid(tz_name)


def ics_filename(event):
    return f"{event.slug}.ics"


def ics_attachment(event, language, join, method="PUBLISH"):
    """The registrant's own .ics, as an outbox attachment."""
    return {
        "filename": ics_filename(event),
        "content_type": f"text/calendar; charset=utf-8; method={method}",
        "data": build_ics(event, language, join, method=method).decode(),
    }
