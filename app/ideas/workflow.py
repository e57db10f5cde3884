"""Every change of an idea's state, one function each (pretalx's `set_submission_state`).

Each function checks the transition, saves, bumps `idea.revision`, records the audit entry,
queues the mail and fires the plugin hook, all in the caller's transaction; the view commits.
Moderation actions take the revision the moderator saw: when another moderator acted in the
meantime, nothing is overwritten and `Conflict` says what happened instead.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.attributes import set_committed_value

from .. import audit
from ..extensions import db
from ..mail.outbox import enqueue, mail_url
from ..models import AuditEntry, Idea, LinkToken, OutboxMessage, utcnow
from ..plugins import hooks

CONFIRM_TTL = timedelta(days=7)
# Moderation actions, as the `sala_idea_moderated` hook names them.
ACTIONS = ("approve", "reject", "edit", "theme", "presenter", "merge", "discuss", "undo")
UNDOABLE = tuple(f"idea.{a}" for a in ACTIONS if a != "undo")

# Which statuses each action may start from.
ALLOWED_FROM = {
    "approve": ("received", "pending", "rejected"),
    "reject": ("received", "pending", "approved"),
    "discuss": ("received", "pending", "approved", "discussed"),
    "merge": ("received", "pending", "approved", "rejected", "discussed"),
    "edit": ("received", "pending", "approved", "rejected", "discussed", "merged"),
    "theme": ("received", "pending", "approved", "rejected", "discussed", "merged"),
    "presenter": ("received", "pending", "approved", "rejected", "discussed", "merged"),
    "withdraw": ("received", "pending", "approved"),
}

# Reasons a moderator may pick when rejecting; the author reads them in their language.
REJECT_REASONS = {
    "duplicate": _l("A very similar idea was already sent."),
    "off_topic": _l("It is not about the subject of this session."),
    "unclear": _l("We could not understand it well enough to present it."),
    "personal": _l("It names or exposes private persons."),
    "abusive": _l("It is insulting or hateful."),
}

# The fields a moderation action may change, and an undo restores.
SNAPSHOT = (
    "status",
    "title",
    "body",
    "theme_id",
    "presented_by_id",
    "merged_into_id",
    "moderation_note",
    "discussion_note",
    "discussed_at",
    "moderated_by_id",
    "moderated_at",
)


class IdeaError(Exception):
    """An action that cannot be done; the message is for the moderator or author."""


class Conflict(IdeaError):
    """Someone else changed the idea since the form was shown."""


def snapshot(idea):
    values = {}
    for name in SNAPSHOT:
        value = getattr(idea, name)
        values[name] = value.isoformat() if isinstance(value, datetime) else value
    return values


def restore(idea, values):
    for name in SNAPSHOT:
        value = values.get(name)
        if name in ("discussed_at", "moderated_at") and value:
            value = datetime.fromisoformat(value)
        setattr(idea, name, value)


def status_label(status):
    return {
        "unconfirmed": _l("waiting for email confirmation"),
        "received": _l("received"),
        "pending": _l("pending review"),
        "approved": _l("approved"),
        "rejected": _l("rejected"),
        "merged": _l("merged"),
        "discussed": _l("discussed"),
        "withdrawn": _l("withdrawn"),
    }.get(status, status)


def author_language(idea):
    if idea.registration is not None and idea.registration.language:
        return idea.registration.language
    return idea.language


def author_address(idea):
    if idea.registration is not None and not idea.registration.erased_at:
        return idea.registration.email
    return idea.author_email


# ---------------------------------------------------------------- the author's side


def submit(idea, registration=None, receipt=True):
    """A new idea. From a registrant's manage link it counts at once; from anyone else it
    waits for their address to be confirmed by a link. Returns the raw token of the link
    that was mailed (confirmation or status). ``receipt=False``: a registrant's idea is
    taken without its receipt mail (their mailbox had its share this hour)."""
    idea.status = "unconfirmed"
    if registration is not None:
        idea.registration = registration
        idea.author_email = registration.email
    db.session.add(idea)
    db.session.flush()
    audit.record("idea.submit", idea, event_id=idea.event_id, registrant=registration is not None)
    if registration is not None:
        return confirm(idea, receipt=receipt)
    _token, raw = LinkToken.issue("idea_confirm", idea, ttl=CONFIRM_TTL)
    enqueue(
        "idea_confirm",
        to=idea.author_email,
        language=author_language(idea),
        key=f"idea-confirm-{idea.id}",
        context={"idea": idea, "confirm_url": mail_url("ideas.confirm", token=raw)},
        event=idea.event,
    )
    return raw


def confirm(idea, receipt=True):
    """The author's address is confirmed: the idea counts. Its status is whatever a plugin
    says (the moderation plugin: "pending"); without one, "received" (organizers only)."""
    if idea.status != "unconfirmed":
        raise IdeaError(_l("This idea was already confirmed."))
    idea.status = hooks().sala_initial_idea_status(idea=idea) or "received"
    if idea.status not in Idea.STATUSES:
        idea.status = "received"
    idea.confirmed_at = utcnow()
    idea.revision += 1
    db.session.flush()
    audit.record("idea.confirm", idea, status=idea.status)
    _token, raw = LinkToken.issue("idea", idea)
    if receipt:
        _send_receipt(idea, raw)
    hooks().sala_idea_submitted(idea=idea)
    return raw


def _send_receipt(idea, raw):
    enqueue(
        "idea_receipt",
        to=author_address(idea),
        language=author_language(idea),
        key=f"idea-receipt-{idea.id}",
        context={"idea": idea, "status_url": mail_url("ideas.status", token=raw)},
        event=idea.event,
        registration=idea.registration,
    )


def withdraw(idea):
    """The author takes the idea back; it leaves the queue and the public board."""
    if idea.status not in ALLOWED_FROM["withdraw"]:
        raise IdeaError(_l("This idea can no longer be withdrawn."))
    before = snapshot(idea)
    idea.status = "withdrawn"
    idea.revision += 1
    db.session.flush()
    audit.record("idea.withdraw", idea, before=before)


def add_live(
    event, actor, *, title, body, raised_by, name="", theme=None, language="", presented_by=None
):
    """An idea raised during the session (by a speaker, an attendee, or someone named),
    written down by a moderator: approved at once, and marked as raised live so the board
    and the plan can tell it from the ideas sent in advance. No mail: nobody to write to."""
    title, body, name = (title or "").strip(), (body or "").strip(), (name or "").strip()
    if raised_by not in Idea.RAISED_BY:
        raise IdeaError(_l("Choose who raised the idea."))
    if raised_by != "attendee" and not name:
        raise IdeaError(_l("Give the name of the person who raised it."))
    if not title:
        raise IdeaError(_l("The title cannot be empty."))
    if len(title) > TITLE_MAX or len(body) > BODY_MAX or len(name) > 200:
        raise IdeaError(
            _l(
                "The title can have at most %(title)d characters and the text %(body)d.",
                title=TITLE_MAX,
                body=BODY_MAX,
            )
        )
    if theme is not None and theme.event_id != event.id:
        raise IdeaError(_l("This theme belongs to another session."))
    if presented_by is not None and presented_by.event_id != event.id:
        raise IdeaError(_l("This speaker belongs to another session."))
    now = utcnow()
    idea = Idea(
        event=event,
        title=title,
        body=body,
        theme=theme,
        language=language or event.default_language,
        status="approved",
        raised_live=True,
        raised_by=raised_by,
        presented_by=presented_by,
        author_name="" if raised_by == "attendee" else name,
        display="anonymous" if raised_by == "attendee" else "name",
        confirmed_at=now,
        moderated_by=actor,
        moderated_at=now,
    )
    db.session.add(idea)
    db.session.flush()
    audit.record("idea.live", idea, actor=actor, event_id=event.id, raised_by=raised_by)
    hooks().sala_idea_submitted(idea=idea)
    return idea


# ---------------------------------------------------------------- moderation


def _claim(idea, expected_revision):
    """Bump the revision only if it is still the one the moderator saw. The conditional
    UPDATE makes this hold between two requests at the same moment, too."""
    if expected_revision is None or int(expected_revision) != idea.revision:
        raise Conflict(conflict_message(idea))
    result = db.session.execute(
        sa.update(Idea)
        .where(Idea.id == idea.id, Idea.revision == idea.revision)
        .values(revision=idea.revision + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.refresh(idea)
        raise Conflict(conflict_message(idea))
    set_committed_value(idea, "revision", idea.revision + 1)


def conflict_message(idea):
    from ..templating import local_time

    who = ""
    if idea.moderated_by is not None:
        who = idea.moderated_by.name or idea.moderated_by.email
    when = local_time(idea.moderated_at, idea.event.timezone, "HH:mm") if idea.moderated_at else ""
    if who:
        return _l(
            "Already %(status)s by %(who)s at %(when)s. Nothing was overwritten; "
            "look again before you act.",
            status=status_label(idea.status),
            who=who,
            when=when,
        )
    return _l(
        "This idea changed since you opened the page (now: %(status)s). Nothing was "
        "overwritten; look again before you act.",
        status=status_label(idea.status),
    )


def _moderate(idea, action, actor, revision, change, **detail):
    if action in ALLOWED_FROM and idea.status not in ALLOWED_FROM[action]:
        raise IdeaError(
            _l(
                "This idea is %(status)s: it cannot be changed this way.",
                status=status_label(idea.status),
            )
        )
    _claim(idea, revision)
    before = snapshot(idea)
    change()
    idea.moderated_by = actor
    idea.moderated_by_id = actor.id if actor is not None else None
    idea.moderated_at = utcnow()
    # No flush here: the commit writes the idea and its audit entry in one flush (a query
    # made by a hook meanwhile still flushes first).
    audit.record(
        f"idea.{action}",
        idea,
        actor=actor,
        event_id=idea.event_id,
        before=before,
        after=snapshot(idea),
        revision=idea.revision,
        **detail,
    )
    hooks().sala_idea_moderated(idea=idea, action=action, actor=actor)
    return idea


def approve(idea, actor, revision):
    def change():
        idea.status = "approved"

    return _moderate(idea, "approve", actor, revision, change)


def reject(idea, actor, revision, reason="", note=""):
    """Reject, with an optional reason from the short list and/or a written note. The author
    is told kindly, in their language, when the organizer turned that on."""
    if reason and reason not in REJECT_REASONS:
        raise IdeaError(_l("Choose a reason from the list, or none."))
    note = (note or "").strip()[:1000]

    def change():
        idea.status = "rejected"
        idea.moderation_note = note

    _moderate(idea, "reject", actor, revision, change, reason=reason)
    address = author_address(idea)
    if idea.event.notify_rejected_authors and address:
        enqueue(
            "idea_rejected",
            to=address,
            language=author_language(idea),
            key=f"idea-rejected-{idea.id}-{idea.revision}",
            context={"idea": idea, "reason": reason, "note": note},
            event=idea.event,
            registration=idea.registration,
        )
    return idea


def edit(idea, actor, revision, title, body):
    """Fix a typo. The original text stays in the audit log (`before`)."""
    title, body = (title or "").strip(), body or ""
    if not title:
        raise IdeaError(_l("The title and the text cannot be empty."))
    # An idea raised live may be only a title: what was said, written down in a hurry.
    if not body.strip() and not idea.raised_live:
        raise IdeaError(_l("The title and the text cannot be empty."))
    if len(title) > TITLE_MAX or len(body) > BODY_MAX:
        raise IdeaError(
            _l(
                "The title can have at most %(title)d characters and the text %(body)d.",
                title=TITLE_MAX,
                body=BODY_MAX,
            )
        )
    if title == idea.title and body == idea.body:
        raise IdeaError(_l("Nothing was changed."))

    def change():
        idea.title, idea.body = title, body

    return _moderate(idea, "edit", actor, revision, change)


def set_theme(idea, actor, revision, theme):
    if theme is not None and theme.event_id != idea.event_id:
        raise IdeaError(_l("This theme belongs to another session."))

    def change():
        idea.theme = theme
        idea.theme_id = theme.id if theme is not None else None

    return _moderate(idea, "theme", actor, revision, change)


def set_presenter(idea, actor, revision, speaker):
    """Link the idea to the session's speaker who presented it (None: nobody)."""
    if speaker is not None and speaker.event_id != idea.event_id:
        raise IdeaError(_l("This speaker belongs to another session."))

    def change():
        idea.presented_by = speaker
        idea.presented_by_id = speaker.id if speaker is not None else None

    return _moderate(idea, "presenter", actor, revision, change)


def merge(idea, actor, revision, survivor):
    """Merge `idea` into `survivor`: it points to the survivor, which speaks for both.
    Ideas merged into `idea` before follow it to the survivor."""
    if survivor is None or survivor.event_id != idea.event_id:
        raise IdeaError(_l("There is no idea with this number in this session."))
    if survivor.id == idea.id:
        raise IdeaError(_l("An idea cannot be merged into itself."))
    if survivor.status in ("merged", "withdrawn", "unconfirmed"):
        raise IdeaError(
            _l(
                "Idea %(id)d is %(status)s: choose another.",
                id=survivor.id,
                status=status_label(survivor.status),
            )
        )
    followers = db.session.scalars(sa.select(Idea).where(Idea.merged_into_id == idea.id)).all()

    def change():
        idea.status = "merged"
        idea.merged_into = survivor
        idea.merged_into_id = survivor.id
        for follower in followers:
            follower.merged_into_id = survivor.id

    return _moderate(
        idea, "merge", actor, revision, change, into=survivor.id, moved=[f.id for f in followers]
    )


def discuss(idea, actor, revision, note=""):
    """During the session: this idea was discussed, with an optional short note."""
    note = (note or "").strip()[:1000]

    def change():
        idea.status = "discussed"
        idea.discussed_at = idea.discussed_at or utcnow()
        idea.discussion_note = note

    return _moderate(idea, "discuss", actor, revision, change)


def last_undoable(idea):
    """The latest moderation entry of this idea that no undo has taken back yet."""
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.target_type == "idea", AuditEntry.target_id == idea.id)
        .where(AuditEntry.action.in_(UNDOABLE + ("idea.undo",)))
        .order_by(AuditEntry.id.desc())
    ).all()
    undone = {e.detail.get("undid") for e in entries if e.action == "idea.undo"}
    for entry in entries:
        if entry.action != "idea.undo" and entry.id not in undone:
            return entry
    return None


def undo(idea, actor, revision):
    """Take back the last moderation action on this idea, from the audit log."""
    entry = last_undoable(idea)
    if entry is None:
        raise IdeaError(_l("There is nothing to undo on this idea."))
    before = entry.detail.get("before") or {}

    def change():
        restore(idea, before)
        for follower_id in entry.detail.get("moved") or []:
            follower = db.session.get(Idea, follower_id)
            if follower is not None and follower.merged_into_id == entry.detail.get("into"):
                follower.merged_into_id = idea.id
        if entry.action == "idea.reject":
            # A rejection mail not sent yet is not sent at all.
            db.session.execute(
                sa.update(OutboxMessage)
                .where(
                    OutboxMessage.idempotency_key
                    == f"idea-rejected-{idea.id}-{entry.detail.get('revision')}",
                    OutboxMessage.status == "queued",
                )
                .values(status="cancelled")
            )

    return _moderate(
        idea, "undo", actor, revision, change, undid=entry.id, undid_action=entry.action
    )


TITLE_MAX = 150
BODY_MAX = 4000


def merged_counts(ids):
    """{survivor id: number of ideas merged into it}, in one query."""
    if not ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(Idea.merged_into_id, sa.func.count())
            .where(Idea.merged_into_id.in_(ids), Idea.status == "merged")
            .group_by(Idea.merged_into_id)
        ).all()
    )
