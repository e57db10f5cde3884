"""The plan on the session's public page: an internal plugin on the same template slot a
partner's plugin would use, so the public event page needs no change of its own."""

import functools

import sqlalchemy as sa
from flask import render_template

from ..extensions import db
from ..models import Plan, PlanVersion
from ..plugins import hookimpl


@functools.cache
def latest_number():
    """The number of a session's latest published version, if any. Built once: the session
    page asks it on every request, and building the statement cost as much as running it;
    only the number, not the version's snapshot."""
    return (
        sa.select(PlanVersion.number)
        .join(Plan, Plan.id == PlanVersion.plan_id)
        .where(Plan.event_id == sa.bindparam("event_id"))
        .order_by(PlanVersion.number.desc())
        .limit(1)
    )


@hookimpl
def sala_template_slot(slot, context):
    if slot != "event_after_summary" or context.get("event") is None:
        return None
    event = context["event"]
    number = db.session.scalar(latest_number(), {"event_id": event.id})
    if number is None:
        return None
    return render_template("plan/_event_link.html", event=event, number=number)
