"""Reading sessions (events): which ones the public sees, and their texts in a language."""

from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from .extensions import db
from .models import Event

PUBLIC_STATES = ("published", "concluded", "plan_published")


class Schedule(NamedTuple):
    """When a session takes place: what `sala_event_rescheduled` passes as ``old``."""

    starts_at: datetime  # naive UTC, as stored
    duration_minutes: int
    timezone: str

    @classmethod
    def of(cls, event):
        return cls(event.starts_at, event.duration_minutes, event.timezone)


def current_events():
    """Published sessions the public sees on the home page, soonest first."""
    return db.session.scalars(
        sa.select(Event).where(Event.state.in_(PUBLIC_STATES)).order_by(Event.starts_at)
    ).all()


def get_public_event(slug):
    """A session whose page the public may read: a public one, an archived one, or one that
    was cancelled (its page says so: people who registered come back to it)."""
    return db.session.scalar(
        sa.select(Event).where(
            Event.slug == slug, Event.state.in_(PUBLIC_STATES + ("archived", "cancelled"))
        )
    )


# ---------------------------------------------------------------- the session's state
#
# Every change of a session's state goes through `transition` (as every change of an idea's
# goes through ideas/workflow.py): the organizer's state buttons, the archive page and
# publishing the Plan of Action alike. Nothing else assigns `Event.state`.

BACK = "back"  # "the state it came from", read from the audit log

# Each action, and the state it leads to from each state it may start from.
ACTIONS = {
    "publish": {"draft": "published"},
    "conclude": {"published": "concluded"},
    # Publishing a new version of the plan leaves an archived session archived.
    "publish_plan": {
        "concluded": "plan_published",
        "plan_published": "plan_published",
        "archived": "archived",
    },
    # Organizers archive a session once it is over, with or without a plan.
    "archive": {"concluded": "archived", "plan_published": "archived"},
    # Back one step, to undo a mistake.
    "unpublish": {"published": "draft"},
    "reopen": {"concluded": "published"},
    "withdraw_plan": {"plan_published": "concluded"},
    "unarchive": {"archived": BACK},
    # Calling the session off before it takes place (app/sessions/service.cancel_event
    # tells everyone and the plugins). Undone to a draft: the meeting may be gone, so the
    # organizer checks the session before publishing it again.
    "cancel": {"draft": "cancelled", "published": "cancelled"},
    "uncancel": {"cancelled": "draft"},
}
# Moves an organizer confirms on a second page before they happen.
NEEDS_CONFIRMATION = ("concluded", "archived", "cancelled")
# Actions that are a step of their own, never a state button: the Plan of Action is
# published (and mailed) from the plan editor, which freezes a version first, so the state
# never says "published" without a plan to read.
OWN_STEP = ("publish_plan",)


class TransitionError(ValueError):
    """The session cannot move from its state to the one asked for."""


def target_of(event, action):
    """The state `action` leads `event` to, or None when it may not start from its state."""
    target = ACTIONS.get(action, {}).get(event.state)
    if target == BACK:
        target = state_before_archive(event)
    return target


def state_before_archive(event):
    """The state the session was archived from (the old default: the plan published)."""
    from .models import AuditEntry

    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(
            AuditEntry.target_type == "event",
            AuditEntry.target_id == event.id,
            AuditEntry.action.in_(("event.state", "event.archive")),
        )
        .order_by(AuditEntry.id.desc())
    )
    for entry in entries:
        detail = entry.detail or {}
        if entry.action == "event.archive" or detail.get("after") == "archived":
            if detail.get("before") in ACTIONS["archive"]:
                return detail["before"]
            break
    return "plan_published"


def allowed_states(event):
    """The states an organizer may move the session to from where it is, forward first,
    and cancelling last (it is not the next step, only a way out). Not the moves that are
    a step of their own (OWN_STEP)."""
    targets = {target_of(event, action) for action in ACTIONS if action not in OWN_STEP}
    targets -= {None, event.state}
    return tuple(
        sorted(
            targets,
            key=lambda state: (state == "cancelled", not is_forward(event, state), state),
        )
    )


def is_forward(event, new_state):
    return Event.STATES.index(new_state) > Event.STATES.index(event.state)


def transition(event, action, actor=None, **detail):
    """Do `action` to the session if its state allows it, and audit the change. The state
    is set by a conditional UPDATE, so of two requests moving the same session at the same
    moment, the second sees the first's state and is refused. The caller commits (the
    change and its audit entry are one transaction). Returns the new state."""
    from . import audit

    before = event.state
    after = target_of(event, action)
    if after is None:
        raise TransitionError(f"{action} from {before}")
    if after == before:
        return after
    moved = db.session.execute(
        sa.update(Event)
        .where(Event.id == event.id, Event.state == before)
        .values(state=after)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        db.session.refresh(event)
        raise TransitionError(f"{action} from {before}: now {event.state}")
    set_committed_value(event, "state", after)
    audit.record(
        "event.state", event, actor=actor, via=action, before=before, after=after, **detail
    )
    db.session.flush()
    return after


def change_state(event, new_state, actor):
    """Move a session to `new_state` (an organizer's state button) through the action that
    leads there from its state (never an OWN_STEP action)."""
    for action in ACTIONS:
        if action in OWN_STEP:
            continue
        if new_state != event.state and target_of(event, action) == new_state:
            transition(event, action, actor)
            return event
    raise TransitionError(f"{event.state} -> {new_state}")
