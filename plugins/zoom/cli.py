"""`sala zoom check | sync SESSION | create-meeting SESSION`."""

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from app.api import Event, db

from . import sync
from .client import ZoomError, mask, meeting_number
from .models import ZoomMeeting, meeting_of, set_meeting

zoom_group = click.Group("zoom", help="Zoom: check the setup, sync registrants, create meetings.")

# Scopes Sala needs, each satisfied by a classic or a granular Zoom scope.
NEEDED_SCOPES = {
    "read": {
        "meeting:read:admin",
        "meeting:read",
        "meeting:read:meeting:admin",
        "meeting:read:meeting",
    },
    "registrants": {
        "meeting:write:admin",
        "meeting:write",
        "meeting:write:registrant:admin",
        "meeting:write:registrant",
    },
}


def find_event(slug):
    event = db.session.scalar(sa.select(Event).where(Event.slug == slug))
    if event is None:
        raise click.ClickException(_("No session with the address name %(slug)s.", slug=slug))
    return event


def require_settings():
    settings = sync.settings()
    missing = [
        name
        for name, value in (
            ("ZOOM_ACCOUNT_ID", settings.account_id),
            ("ZOOM_CLIENT_ID", settings.client_id),
            ("ZOOM_CLIENT_SECRET", settings.client_secret),
        )
        if not value
    ]
    if missing:
        raise click.ClickException(
            _(
                "Zoom is not set up: %(names)s missing (instance/config.py or SALA_ variables).",
                names=", ".join(missing),
            )
        )
    return settings


def missing_scopes(scope):
    if not scope:
        return []  # Zoom did not say: the API calls will tell
    granted = set(scope.split())
    labels = {"read": _("read meetings"), "registrants": _("add and cancel registrants")}
    return [labels[need] for need, options in NEEDED_SCOPES.items() if not granted & options]


@zoom_group.command("check")
@click.argument("slug", required=False)
@with_appcontext
def check_command(slug):
    """Fetch a token and the session's meeting; say what is wrong, if anything."""
    settings = require_settings()
    client = sync.make_client()
    click.echo(
        _(
            "Account %(account)s, app %(client)s.",
            account=mask(settings.account_id),
            client=mask(settings.client_id),
        )
    )
    problems = 0
    try:
        client.token(fresh=True)
    except ZoomError as exc:
        raise click.ClickException(exc.describe()) from None
    click.echo(_("Credentials: accepted by Zoom."))
    lacking = missing_scopes(client.scope)
    if lacking:
        problems += 1
        click.echo(
            _(
                "Problem: the Zoom app lacks scopes to %(what)s. Add them in the Zoom "
                "App Marketplace (see docs/zoom.md).",
                what=", ".join(lacking),
            )
        )
    if slug:
        events = [find_event(slug)]
    else:
        events = db.session.scalars(
            sa.select(Event)
            .join(ZoomMeeting, ZoomMeeting.event_id == Event.id)
            .where(ZoomMeeting.meeting_id != "")
            .order_by(Event.starts_at)
        ).all()
    if slug and not meeting_of(events[0]):
        problems += 1
        click.echo(
            _(
                "Problem: the session %(slug)s has no Zoom meeting id. Set it on the "
                "session or run “sala zoom create-meeting %(slug)s”.",
                slug=slug,
            )
        )
        events = []
    for event in events:
        problems += check_meeting(client, event)
    if problems:
        raise click.ClickException(_("Zoom is not ready: see the problems above."))
    click.echo(_("Zoom is ready."))


def check_meeting(client, event):
    meeting_id = meeting_of(event)
    try:
        meeting = client.get_meeting(meeting_id) or {}
    except ZoomError as exc:
        click.echo(
            _(
                "Problem with the meeting %(meeting)s of %(slug)s: %(error)s",
                meeting=meeting_id,
                slug=event.slug,
                error=exc.describe(),
            )
        )
        return 1
    settings = meeting.get("settings") or {}
    approval = settings.get("approval_type", 2)
    if approval == 2:
        click.echo(
            _(
                "Problem with the meeting %(meeting)s of %(slug)s: registration is not "
                "turned on. In Zoom, edit the meeting and tick 'Registration: Required'.",
                meeting=meeting_id,
                slug=event.slug,
            )
        )
        return 1
    click.echo(
        _(
            "Meeting %(meeting)s of %(slug)s: found, registration required.",
            meeting=meeting_id,
            slug=event.slug,
        )
    )
    if meeting.get("type") not in (2, None):
        click.echo(
            _(
                "Note: this is not a scheduled meeting, so Zoom takes its registrants one by "
                "one (no batches of 30)."
            )
        )
    if settings.get("registrants_confirmation_email"):
        click.echo(
            _(
                "Note: Zoom also sends its own confirmation mail to each registrant. "
                "Turn it off in the meeting's registration settings so people do not "
                "get two mails."
            )
        )
    return 0


@zoom_group.command("sync")
@click.argument("slug")
@with_appcontext
def sync_command(slug):
    """Add the session's confirmed registrants to its meeting, 30 at a time. Safe to run
    again: registrants who already have their link are skipped."""
    require_settings()
    event = find_event(slug)
    meeting_id = meeting_of(event)
    if not meeting_id:
        raise click.ClickException(_("The session %(slug)s has no Zoom meeting id.", slug=slug))
    client = sync.make_client(max_inline_wait=float(current_app.config["ZOOM_RETRY_MAX"]))
    todo = len(sync.waiting_registrations(None, event=event, include_failed=True))
    if not todo:
        click.echo(_("Nothing to do: every confirmed registrant has a personal link."))
        return
    try:
        meeting = client.get_meeting(meeting_id) or {}
    except ZoomError as exc:
        raise click.ClickException(exc.describe()) from None
    batches = meeting.get("type", 2) == 2
    if not batches:
        click.echo(_("Not a scheduled meeting: Zoom takes its registrants one by one."))
    click.echo(
        ngettext(
            "%(num)d registrant to add to the meeting %(meeting)s.",
            "%(num)d registrants to add to the meeting %(meeting)s.",
            todo,
            meeting=meeting_id,
        )
    )
    with click.progressbar(length=todo, label=_("Adding to Zoom")) as bar:
        try:
            synced, failed = sync.batch_sync(client, event, progress=bar.update, batches=batches)
        except ZoomError as exc:
            raise click.ClickException(
                _(
                    "Stopped: %(error)s Run the command again later; it resumes where it stopped.",
                    error=exc.describe(),
                )
            ) from None
    click.echo(
        _("Done: %(synced)d added, %(failed)d refused by Zoom.", synced=synced, failed=failed)
    )
    if failed:
        raise click.ClickException(
            _("Some registrants could not be added; the organizer's page lists them and why.")
        )


def meeting_body(event):
    """The create-meeting request: scheduled, registration required and approved
    automatically, Zoom's own registrant mails off (Sala sends its own, in Khmer too)."""
    body = {
        "topic": (event.text("title", event.default_language) or event.slug)[:200],
        "type": 2,
        # In UTC ("Z"); `timezone` is the zone Zoom shows it in.
        "start_time": event.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timezone": event.timezone,
        "duration": event.duration_minutes,
        "settings": {
            "approval_type": 0,
            "registrants_confirmation_email": False,
            "registrants_email_notification": False,
        },
    }
    agenda = event.text("summary", event.default_language)
    if agenda:
        body["agenda"] = agenda[:2000]
    return body


@zoom_group.command("create-meeting")
@click.argument("slug")
@click.option("--host", default="", help="The Zoom user (email or id) who hosts the meeting.")
@click.option("--replace", is_flag=True, help="Create a new meeting even if one is set.")
@with_appcontext
def create_meeting_command(slug, host, replace):
    """Create a scheduled Zoom meeting for the session, with registration required, and
    store its id on the session."""
    require_settings()
    event = find_event(slug)
    if meeting_of(event) and not replace:
        raise click.ClickException(
            _(
                "The session %(slug)s already has the meeting %(meeting)s (use --replace to make "
                "a new one).",
                slug=slug,
                meeting=meeting_of(event),
            )
        )
    host = host or current_app.config.get("ZOOM_HOST_USER") or ""
    if not host:
        raise click.ClickException(
            _("Say who hosts the meeting: --host EMAIL or the ZOOM_HOST_USER setting.")
        )
    try:
        meeting = sync.make_client().create_meeting(host, meeting_body(event)) or {}
    except ZoomError as exc:
        raise click.ClickException(exc.describe()) from None
    set_meeting(event, meeting_number(meeting.get("id")))
    if meeting.get("join_url"):
        event.join_url = meeting["join_url"][:500]  # the shared link, the fallback
    if meeting.get("password"):
        event.join_passcode = str(meeting["password"])[:100]
    db.session.commit()
    click.echo(
        _(
            "Meeting %(meeting)s created for %(slug)s, registration required.",
            meeting=meeting_of(event),
            slug=slug,
        )
    )
