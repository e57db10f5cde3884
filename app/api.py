"""Everything a plugin may use of Sala's core: import it from here, and from nowhere else.

    from app.api import Event, db, hookimpl, moderator_required

The names below are the contract between the core and its plugins (the bundled ones in
plugins/ and a partner's own package alike). The modules behind them may move or change;
these names keep their meaning, and a test (tests/test_plugin_api.py) fails when a plugin
imports anything else of `app`. Hooks themselves are documented in `app/hookspecs.py`, and
docs/plugins.md is the guide. Flask, Flask-Babel, Flask-Login, SQLAlchemy and markupsafe are
used directly, as any Flask code uses them.

A plugin needing something that is not here asks for it to be added here, with a docstring
and type hints, rather than reaching into the core.
"""

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from wtforms import SelectChoice

from . import audit as _audit
from . import create_app as _create_app
from . import errors as _errors
from . import events as _events
from . import i18n as _i18n
from . import whole_numbers as _whole_numbers
from .auth import admin_required as _admin_required
from .auth import moderator_required as _moderator_required
from .extensions import csrf as _csrf
from .extensions import db as _db
from .forms import Form, OneOf
from .forms import choices as _choices
from .ideas import workflow as _workflow
from .mail import mime as _mime
from .mail import outbox as _outbox
from .mail.mime import NO_SMTPUTF8, MalformedMessage
from .mail.outbox import ConnectionLost, PermanentFailure, ProviderRefused, TemporaryFailure
from .models import (
    AuditEntry,
    Event,
    Idea,
    OutboxMessage,
    PlanVersion,
    Registration,
    Theme,
    User,
)
from .models import utcnow as _utcnow
from .plugins import JOIN_PENDING, EventFormField, JoinDetails, NavLink, PersonalDataShare, hookimpl
from .registration import domain as _registration
from .security import OriginCheckingCSRFProtect
from .speakers.models import Speaker

__all__ = [
    # The plugin engine (hooks: app/hookspecs.py)
    "hookimpl",
    "NavLink",
    "JoinDetails",
    "EventFormField",
    "JOIN_PENDING",
    "PersonalDataShare",
    "create_app",
    # The database and the models a plugin may read and change
    "db",
    "utcnow",
    "Event",
    "Registration",
    "Idea",
    "Theme",
    "Speaker",
    "User",
    "PlanVersion",
    "OutboxMessage",
    "PUBLIC_STATES",
    "current_events",
    "speakers_of",
    # Pages: access, errors, input
    "admin_required",
    "moderator_required",
    "csrf",
    "render_error",
    "to_int",
    "int_arg",
    "page_arg",
    "Form",
    "choices",
    "OneOf",
    # Languages
    "languages",
    "current_language",
    "language_name",
    # The audit log
    "record_audit",
    # A moderator's actions on ideas
    "IdeaError",
    "IdeaConflict",
    "REJECT_REASONS",
    "approve_idea",
    "reject_idea",
    "edit_idea",
    "set_idea_theme",
    "set_idea_presenter",
    "merge_idea",
    "discuss_idea",
    "add_live_idea",
    "undo_idea",
    "merged_counts",
    "idea_status_labels",
    # Mail: the outbox, and what an email provider needs
    "enqueue",
    "mail_url",
    "send_personal_join_link",
    "TemporaryFailure",
    "ConnectionLost",
    "PermanentFailure",
    "ProviderRefused",
    "MalformedMessage",
    "NO_SMTPUTF8",
    "deliverable_address",
    "to_mime",
]

View = TypeVar("View", bound=Callable[..., Any])


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """A Sala app built through the factory, with `test_config` over every other setting:
    for a plugin's tests (`{"TESTING": True, "PLUGINS": ["hello"], ...}`)."""
    return _create_app(dict(test_config) if test_config is not None else None)


# ---------------------------------------------------------------- the database

db: SQLAlchemy = _db
"""Sala's Flask-SQLAlchemy extension: `db.session` is the request's transaction (the core
commits it), and `db.Model` the base of a plugin's own models (prefix their table names with
the plugin's name)."""

PUBLIC_STATES: tuple[str, ...] = _events.PUBLIC_STATES
"""The states of a session (`Event.state`) in which the public sees it."""


def utcnow() -> datetime:
    """Now, as every timestamp column stores it: naive UTC."""
    return _utcnow()


def current_events() -> list[Event]:
    """The sessions the public sees on the home page, soonest first."""
    return list(_events.current_events())


def speakers_of(event: Event) -> list[Speaker]:
    """The session's speakers in the organizer's order. Read a speaker's texts with
    `speaker.text("name", lang)` (the usual fallback); `speaker.email` (optional, "" without
    one) and `speaker.mail_language_or_default()` are for mailing them their own links:
    personal data, never to be shown publicly or logged."""
    return list(event.speaker_rows)


# ---------------------------------------------------------------- pages


def admin_required(view: View) -> View:
    """Decorate a view (or a blueprint's `before_request`) for organizers only: anonymous
    visitors are sent to sign in, other signed-in users get 403."""
    return _admin_required(view)


def moderator_required(view: View) -> View:
    """Like `admin_required`, for moderators and organizers."""
    return _moderator_required(view)


csrf: OriginCheckingCSRFProtect = _csrf
"""Sala's CSRF protection (Flask-WTF's, checking the Origin too). Every form posts
`{{ csrf_token() }}`; a webhook another service posts to is the one exception:
`csrf.exempt(view)`, and check the service's signature instead."""


def render_error(code: int, message: str | None = None) -> tuple[str, int]:
    """The site's error page for `code` (or its fragment, for an htmx request), with
    `message` instead of the standard text: return it from a view."""
    return _errors.render_error(code, message)


def to_int(
    raw: str | None, default: int | None = None, low: int = 1, high: int = _whole_numbers.INT_MAX
) -> int | None:
    """`raw` as a whole number between `low` and `high` (ASCII digits only), else `default`."""
    return _whole_numbers.to_int(raw, default, low, high)


def int_arg(
    params: Mapping[str, str],
    name: str,
    default: int | None = None,
    low: int = 1,
    high: int = _whole_numbers.INT_MAX,
) -> int | None:
    """A whole number from `request.args` or `request.form` (an id, a filter): missing, not
    a number or out of range gives `default`, never an error."""
    return _whole_numbers.int_arg(params, name, default, low, high)


def page_arg(params: Mapping[str, str]) -> int:
    """The page asked for with `?page=`; 1 for anything else."""
    return _whole_numbers.page_arg(params)


def choices(pairs: Iterable[tuple[str, Any]]) -> list[SelectChoice]:
    """A select's or radio's options from (value, label) pairs, as WTForms wants them."""
    return _choices(pairs)


# ---------------------------------------------------------------- languages


def languages() -> list[str]:
    """The codes of the languages this site is offered in (the `LANGUAGES` setting)."""
    return list(_i18n.languages())


def current_language() -> str:
    """The code of the language the current page is drawn in."""
    return _i18n.current_language()


def language_name(code: str) -> str:
    """A language's own name for itself: English, ខ្មែរ, Français."""
    return _i18n.language_name(code)


# ---------------------------------------------------------------- the audit log


def record_audit(
    action: str, target: object = None, actor: User | None = None, **detail: Any
) -> AuditEntry:
    """Add an entry to the audit log in the current transaction (the caller commits).
    `action` is named "<plugin>.<what>"; `actor` defaults to the signed-in user; `detail`
    must be JSON and hold no personal data."""
    return _audit.record(action, target, actor, **detail)


# ---------------------------------------------------------------- ideas
#
# Every change of an idea goes through these (as `app.ideas.workflow` does for the core):
# each checks the idea's status, claims the `revision` the moderator saw (IdeaConflict when
# someone else acted first), records the audit entry, queues any mail and fires
# `sala_idea_moderated`. The caller commits, or rolls back on IdeaError.

IdeaError = _workflow.IdeaError
IdeaConflict = _workflow.Conflict

REJECT_REASONS: Mapping[str, Any] = _workflow.REJECT_REASONS
"""The short list of reasons a moderator may give for a rejection: {code: label}."""


def approve_idea(idea: Idea, actor: User, revision: int | None) -> Idea:
    """Put the idea on the public board."""
    return _workflow.approve(idea, actor, revision)


def reject_idea(
    idea: Idea, actor: User, revision: int | None, reason: str = "", note: str = ""
) -> Idea:
    """Reject, with an optional `reason` from REJECT_REASONS and a written note; the author
    is told kindly when the session's organizer turned that on."""
    return _workflow.reject(idea, actor, revision, reason=reason, note=note)


def edit_idea(idea: Idea, actor: User, revision: int | None, title: str, body: str) -> Idea:
    """Fix a typo in the title or text; the original stays in the audit log."""
    return _workflow.edit(idea, actor, revision, title, body)


def set_idea_theme(idea: Idea, actor: User, revision: int | None, theme: Theme | None) -> Idea:
    """File the idea under one of its session's themes, or under none."""
    return _workflow.set_theme(idea, actor, revision, theme)


def set_idea_presenter(
    idea: Idea, actor: User, revision: int | None, speaker: Speaker | None
) -> Idea:
    """Link the idea to the speaker of its session who presented it (`event.speaker_rows`),
    or to nobody; shown as "presented by NAME" on the board."""
    return _workflow.set_presenter(idea, actor, revision, speaker)


def merge_idea(idea: Idea, actor: User, revision: int | None, survivor: Idea | None) -> Idea:
    """Merge a duplicate into `survivor`, which then speaks for both."""
    return _workflow.merge(idea, actor, revision, survivor)


def discuss_idea(idea: Idea, actor: User, revision: int | None, note: str = "") -> Idea:
    """During the session: mark the idea as discussed, with an optional short note."""
    return _workflow.discuss(idea, actor, revision, note=note)


def add_live_idea(
    event: Event,
    actor: User,
    *,
    title: str,
    body: str,
    raised_by: str,
    name: str = "",
    theme: Theme | None = None,
    language: str = "",
    presented_by: Speaker | None = None,
) -> Idea:
    """During the session: write down an idea raised live, approved at once and marked
    `raised_live`. `raised_by` is one of `Idea.RAISED_BY` ("speaker" or "name" with `name`,
    or "attendee"); `language` defaults to the session's; `presented_by` one of the
    session's speakers. Raises IdeaError (its message is for the moderator) on a missing
    title or name, a text too long, or another session's theme or speaker."""
    return _workflow.add_live(
        event,
        actor,
        title=title,
        body=body,
        raised_by=raised_by,
        name=name,
        theme=theme,
        language=language,
        presented_by=presented_by,
    )


def undo_idea(idea: Idea, actor: User, revision: int | None) -> Idea:
    """Take back the last moderation action on the idea (a rejection mail not sent yet is
    not sent at all)."""
    return _workflow.undo(idea, actor, revision)


def merged_counts(ids: list[int]) -> dict[int, int]:
    """{idea id: number of ideas merged into it} for the given ideas, in one query."""
    return _workflow.merged_counts(ids)


def idea_status_labels() -> dict[str, str]:
    """{status: its label} for every idea status (`Idea.STATUSES`), translated into the
    current language once: for a page that shows many ideas, instead of a label per row."""
    return {status: str(_workflow.status_label(status)) for status in Idea.STATUSES}


# ---------------------------------------------------------------- mail


def enqueue(
    template: str,
    *,
    to: str,
    language: str,
    key: str,
    context: dict[str, Any] | None = None,
    event: Event | None = None,
    registration: Registration | None = None,
    due_at: datetime | None = None,
    attachments: list[dict[str, str]] | None = None,
) -> OutboxMessage:
    """Render mail/<template>.{subject.txt,txt,html} in `language` and add the message to
    the outbox in the current transaction, once per idempotency `key`: a rolled-back change
    sends nothing, and the worker sends it later. Returns the (new or earlier) message."""
    return _outbox.enqueue(
        template,
        to=to,
        language=language,
        key=key,
        context=context,
        event=event,
        registration=registration,
        due_at=due_at,
        attachments=attachments,
    )


def mail_url(endpoint: str, **values: Any) -> str:
    """An absolute URL for a link in a mail (mail is rendered outside any request)."""
    return _outbox.mail_url(endpoint, **values)


def send_personal_join_link(registration: Registration) -> OutboxMessage | None:
    """Mail a registrant who already had the session's shared link the personal link that
    `sala_join_details` now answers for them (``personal=True``), with a fresh calendar file:
    once per confirmation, in their language, in the current transaction. Returns the
    message, or None when there is nothing to send (not confirmed, the shared link not sent
    yet, no personal link, the session over)."""
    return _registration.send_personal_link(registration)


def deliverable_address(address: str) -> tuple[str, bool]:
    """(address to hand to a mail server, whether it needs SMTPUTF8): the domain in its
    ASCII (IDNA) form. Raises MalformedMessage for an address that cannot be sent to."""
    return _mime.deliverable_address(address)


def to_mime(message: OutboxMessage, sender: str, recipient: str | None = None) -> tuple[str, bytes]:
    """(Message-ID, bytes) of an outbox message as MIME, for a provider that sends MIME:
    the plain-text part, the HTML alternative and the attachments, CRLF line ends. Addressed
    to `recipient`, by default the message's recipient as `deliverable_address` writes it."""
    return _mime.to_mime(message, sender, recipient=recipient)
