"""The organizer's list of sessions, the page of one session, and moving a session through
its states. Routes attach to the sessions blueprint, so they share its admin-only guard."""

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_login import current_user

from .. import events, review
from ..extensions import db
from ..i18n import current_language
from ..models import Event, Idea, Registration, utcnow
from . import changes
from .routes import bp


@bp.get("/")
def index():
    events = db.session.scalars(sa.select(Event).order_by(Event.starts_at.desc())).all()
    registrations = dict(
        db.session.execute(
            sa.select(Registration.event_id, sa.func.count())
            .where(Registration.status.in_(("confirmed", "waitlisted")))
            .group_by(Registration.event_id)
        ).all()
    )
    ideas = dict(
        db.session.execute(sa.select(Idea.event_id, sa.func.count()).group_by(Idea.event_id)).all()
    )
    return render_template(
        "sessions/index.html", events=events, registrations=registrations, ideas=ideas
    )


def state_label(state):
    return {
        "draft": _("Draft"),
        "published": _("Published"),
        "concluded": _("Concluded"),
        "plan_published": _("Plan of Action published"),
        "archived": _("Archived"),
        # Not a registration's "Cancelled": a session is called off (km លុបចោល).
        "cancelled": pgettext("session state", "Cancelled"),
    }.get(state, state)


def state_action(event, state):
    """The words on the button that moves `event` to `state`."""
    if not events.is_forward(event, state):
        return _("Undo: back to “%(state)s”", state=state_label(state))
    return {
        "published": _("Publish the session"),
        "concluded": _("Conclude the session"),
        "archived": _("Archive the session"),
        "cancelled": _("Cancel the session"),
    }[state]


@bp.app_context_processor
def state_helpers():
    return {
        "state_label": state_label,
        "state_action": state_action,
    }


@bp.get("/events/<int:event_id>")
def event(event_id):
    found = db.get_or_404(Event, event_id)
    return render_template(
        "sessions/event.html",
        event=found,
        next_states=events.allowed_states(found),
        to_review=review.summary(found, current_language()),
    )


@bp.post("/events/<int:event_id>/state")
def event_state(event_id):
    """Move a session through its life. Concluding and archiving are confirmed first, on a
    page of their own (no script needed)."""
    found = db.get_or_404(Event, event_id)
    new_state = request.form.get("state", "")
    if new_state not in events.allowed_states(found):
        flash(_("This change is not possible from the session's current state."), "error")
        return redirect(url_for("sessions.event", event_id=found.id))
    confirming = new_state in events.NEEDS_CONFIRMATION and events.is_forward(found, new_state)
    if confirming and request.form.get("confirm") != "yes":
        return render_template(
            "sessions/event_state_confirm.html",
            event=found,
            state=new_state,
            not_happened_yet=new_state == "concluded" and utcnow() < found.starts_at,
            cancelling=(
                changes.preview_cancel(found, current_language())
                if new_state == "cancelled"
                else None
            ),
        )
    try:
        if new_state == "cancelled":
            changes.cancel_event(found, current_user._get_current_object())
        else:
            events.change_state(found, new_state, current_user._get_current_object())
    except events.TransitionError:  # another organizer moved it meanwhile
        db.session.rollback()
        flash(_("This change is not possible from the session's current state."), "error")
        return redirect(url_for("sessions.event", event_id=found.id))
    db.session.commit()
    flash(_("The session is now: %(state)s.", state=state_label(new_state)), "info")
    return redirect(url_for("sessions.event", event_id=found.id))
