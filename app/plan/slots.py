"""The plan on the session's public page: an internal plugin on the same template slot a
partner's plugin would use, so the public event page needs no change of its own."""

import sqlalchemy as sa
from flask import render_template

from ..extensions import db
from ..models import Plan, PlanVersion
from ..plugins import hookimpl


@hookimpl
def sala_template_slot(slot, context):
    if slot != "event_after_summary" or context.get("event") is None:
        return None
    event = context["event"]
    latest = db.session.scalar(
        sa.select(PlanVersion)
        .join(Plan, Plan.id == PlanVersion.plan_id)
        .where(Plan.event_id == event.id)
        .order_by(PlanVersion.number.desc())
        .limit(1)
    )
    if latest is None:
        return None
    return render_template("plan/_event_link.html", event=event, version=latest)
