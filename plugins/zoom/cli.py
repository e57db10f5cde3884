"""`sala zoom check | sync SESSION | create-meeting SESSION [--webinar] | panelists SESSION`."""

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from app.api import Event, db

from . import panelists, sync
from .client import MEETING, WEBINAR, ZoomError, mask, meeting_number
from .models import ZoomMeeting, meeting_of, set_kind, set_meeting

zoom_group = click.Group(
    "zoom", help="Zoom: check the setup, sync registrants, create meetings and webinars."
)

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


# The same, for webinars (asked only when a session's number is a webinar).
WEBINAR_SCOPES = {
    "webinar_read": {
        "webinar:read:admin",
        "webinar:read",
        "webinar:read:webinar:admin",
        "webinar:read:webinar",
    },
    "webinar_write": {
        "webinar:write:admin",
        "webinar:write",
        "webinar:write:registrant:admin",
        "webinar:write:registrant",
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


def missing_scopes(scope, needed=None):
    if not scope:
        return []  # Zoom did not say: the API calls will tell
    granted = set(scope.split())
    labels = {
        "read": _("read meetings"),
        "registrants": _("add and cancel registrants"),
        "webinar_read": _("read webinars"),
        "webinar_write": _("add webinar registrants and panelists"),
    }
    needed = NEEDED_SCOPES if needed is None else needed
    return [labels[need] for need, options in needed.items() if not granted & options]


def report_missing_scopes(lacking):
    """Say which scopes the Zoom app lacks; the number of problems found (0 or 1)."""
    if not lacking:
        return 0
    click.echo(
        _(
            "Problem: the Zoom app lacks scopes to %(what)s. Add them in the Zoom "
            "App Marketplace (see docs/zoom.md).",
            what=", ".join(lacking),
        )
    )
    return 1


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
    problems += report_missing_scopes(missing_scopes(client.scope))
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
    """Say which kind the session's Zoom number is and what is wrong with its settings;
    the number of problems found."""
    meeting_id = meeting_of(event)
    try:
        kind, meeting = client.find_kind(meeting_id)
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
    set_kind(event, kind)
    db.session.commit()
    if kind == WEBINAR:
        return check_webinar(client, event, meeting)
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


def check_webinar(client, event, webinar):
    """A webinar gives personal links only when registration is required and approved
    automatically (its registrant create has no auto_approve)."""
    webinar_id, slug = meeting_of(event), event.slug
    settings = webinar.get("settings") or {}
    problems = 0
    click.echo(
        _("The Zoom number %(meeting)s of %(slug)s is a webinar.", meeting=webinar_id, slug=slug)
    )
    problems += report_missing_scopes(missing_scopes(client.scope, WEBINAR_SCOPES))
    approval = settings.get("approval_type", 2)
    if approval == 2:
        problems += 1
        click.echo(
            _(
                "Problem with the webinar %(meeting)s of %(slug)s: registration is not "
                "turned on. In Zoom, edit the webinar and tick 'Registration: Required'.",
                meeting=webinar_id,
                slug=slug,
            )
        )
    elif approval == 1:
        problems += 1
        click.echo(
            _(
                "Problem with the webinar %(meeting)s of %(slug)s: registrants are approved "
                "by hand, so Zoom gives them no personal link. In Zoom, set the webinar's "
                "registration to approve automatically.",
                meeting=webinar_id,
                slug=slug,
            )
        )
    if webinar.get("type") == 6:
        problems += 1
        click.echo(
            _(
                "Problem with the webinar %(meeting)s of %(slug)s: a recurring webinar with no "
                "fixed time takes no registrations. Schedule it for the session's date.",
                meeting=webinar_id,
                slug=slug,
            )
        )
    elif webinar.get("type") not in (5, None):
        click.echo(
            _(
                "Note: this is a recurring webinar, so Zoom takes its registrants one by one "
                "(no batches of 30)."
            )
        )
    if not problems:
        click.echo(
            _(
                "Webinar %(meeting)s of %(slug)s: found, registration required and approved "
                "automatically.",
                meeting=webinar_id,
                slug=slug,
            )
        )
    if settings.get("registrants_confirmation_email") or settings.get(
        "registrants_email_notification"
    ):
        click.echo(
            _(
                "Note: Zoom also mails each registrant of the webinar itself. Turn its "
                "registrant emails off in the webinar's settings so people do not get two mails."
            )
        )
    if settings.get("panelists_invitation_email_notification"):
        click.echo(
            _(
                "Note: Zoom also mails its own invitation to each panelist, while Sala mails "
                "each speaker their panelist link (“sala zoom panelists %(slug)s”). Turn "
                "Zoom's panelist invitation off in the webinar's settings.",
                slug=slug,
            )
        )
    return problems


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
        kind, meeting = client.find_kind(meeting_id)
    except ZoomError as exc:
        raise click.ClickException(exc.describe()) from None
    set_kind(event, kind)
    db.session.commit()
    if kind == WEBINAR:
        batches = meeting.get("type", 5) == 5
        if not batches:
            click.echo(_("Not a scheduled webinar: Zoom takes its registrants one by one."))
        click.echo(
            ngettext(
                "%(num)d registrant to add to the webinar %(meeting)s.",
                "%(num)d registrants to add to the webinar %(meeting)s.",
                todo,
                meeting=meeting_id,
            )
        )
    else:
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
            synced, failed = sync.batch_sync(
                client, event, progress=bar.update, batches=batches, kind=kind
            )
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


def webinar_body(event):
    """The create-webinar request: scheduled (type 5), registration required and approved
    automatically (a webinar's registrant create cannot ask for it), Zoom's own registrant
    mails and panelist invitations off (Sala mails registrants and speakers itself)."""
    body = meeting_body(event)
    body["type"] = 5
    body["settings"] = {
        "approval_type": 0,
        "registrants_email_notification": False,
        "panelists_invitation_email_notification": False,
    }
    return body


@zoom_group.command("create-meeting")
@click.argument("slug")
@click.option("--host", default="", help="The Zoom user (email or id) who hosts the meeting.")
@click.option("--replace", is_flag=True, help="Create a new meeting even if one is set.")
@click.option(
    "--webinar",
    is_flag=True,
    help="Create a Zoom webinar (panelists speak, attendees watch) instead of a meeting.",
)
@with_appcontext
def create_meeting_command(slug, host, replace, webinar):
    """Create a scheduled Zoom meeting (or, with --webinar, a webinar) for the session, with
    registration required, and store its id on the session."""
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
    kind = WEBINAR if webinar else MEETING
    body = webinar_body(event) if webinar else meeting_body(event)
    try:
        meeting = sync.make_client().create_meeting(host, body, kind=kind) or {}
    except ZoomError as exc:
        raise click.ClickException(exc.describe()) from None
    set_meeting(event, meeting_number(meeting.get("id")), kind=kind)
    if meeting.get("join_url"):
        event.join_url = meeting["join_url"][:500]  # the shared link, the fallback
    if meeting.get("password"):
        event.join_passcode = str(meeting["password"])[:100]
    db.session.commit()
    if webinar:
        click.echo(
            _(
                "Webinar %(meeting)s created for %(slug)s, registration required. Send the "
                "speakers their panelist links with “sala zoom panelists %(slug)s”.",
                meeting=meeting_of(event),
                slug=slug,
            )
        )
        return
    click.echo(
        _(
            "Meeting %(meeting)s created for %(slug)s, registration required.",
            meeting=meeting_of(event),
            slug=slug,
        )
    )


@zoom_group.command("panelists")
@click.argument("slug")
@with_appcontext
def panelists_command(slug):
    """Send the session's speakers to its Zoom webinar as panelists and mail each speaker
    their own panelist link. Safe to run again: only new speakers and new links are sent."""
    require_settings()
    event = find_event(slug)
    webinar_id = meeting_of(event)
    if not webinar_id:
        raise click.ClickException(_("The session %(slug)s has no Zoom meeting id.", slug=slug))
    client = sync.make_client(max_inline_wait=float(current_app.config["ZOOM_RETRY_MAX"]))
    try:
        kind, _found = client.find_kind(webinar_id)
    except ZoomError as exc:
        raise click.ClickException(exc.describe()) from None
    set_kind(event, kind)
    db.session.commit()
    if kind != WEBINAR:
        raise click.ClickException(
            _(
                "The Zoom number %(meeting)s of %(slug)s is a meeting: only webinars have "
                "panelists. Speakers join a meeting with the attendees' link.",
                meeting=webinar_id,
                slug=slug,
            )
        )
    try:
        outcomes = panelists.sync_panelists(client, event)
    except ZoomError as exc:
        raise click.ClickException(
            _(
                "Stopped: %(error)s Run the command again later; it resumes where it stopped.",
                error=exc.describe(),
            )
        ) from None
    lang = event.default_language
    failed = 0
    for outcome in outcomes:
        name = outcome.speaker.text("name", lang)
        if outcome.status == "mailed":
            line = _("%(name)s: panelist on Zoom; their own link is being mailed.", name=name)
        elif outcome.status == "unchanged":
            line = _("%(name)s: panelist on Zoom; already has their link.", name=name)
        elif outcome.status == "no_email":
            line = _(
                "%(name)s: no email address, so not sent to Zoom. Add one on the speaker's "
                "page to send them a panelist link.",
                name=name,
            )
        else:
            failed += 1
            line = _("%(name)s: %(error)s", name=name, error=outcome.error)
        click.echo(line)
    if not outcomes:
        click.echo(_("The session has no speakers yet."))
    if failed:
        raise click.ClickException(_("Some speakers could not be made panelists; see above."))
