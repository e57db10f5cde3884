"""Ideas, the organizer's side: counts by status and theme, ideas per day, the list of
ideas (without the moderation plugin, "received" ideas are read here only), and an export
of the approved ideas for the Plan of Action."""

import csv
import io
import json

import sqlalchemy as sa
from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from .. import charts
from ..auth import admin_required
from ..extensions import db
from ..i18n import current_language
from ..models import Event, Idea
from ..spreadsheet import safe_cell
from ..whole_numbers import page_arg
from .text import author_label
from .workflow import status_label

bp = Blueprint("ideas_admin", __name__, url_prefix="/admin", template_folder="templates")

EXPORT_STATUSES = ("approved", "discussed")


@bp.before_request
@admin_required
def require_admin():
    """Organizers only."""


def per_day(event):
    """[(local date, count)] of confirmed ideas, in the session's time zone, no gaps."""
    stamps = db.session.scalars(
        sa.select(Idea.created_at).where(Idea.event_id == event.id, Idea.status != "unconfirmed")
    )
    return charts.per_day(stamps, event.timezone)


@bp.get("/events/<int:event_id>/ideas")
def overview(event_id):
    event = db.get_or_404(Event, event_id)
    lang = current_language()
    by_status = dict(
        db.session.execute(
            sa.select(Idea.status, sa.func.count())
            .where(Idea.event_id == event.id)
            .group_by(Idea.status)
        ).all()
    )
    by_theme = dict(
        db.session.execute(
            sa.select(Idea.theme_id, sa.func.count())
            .where(Idea.event_id == event.id, Idea.status != "unconfirmed")
            .group_by(Idea.theme_id)
        ).all()
    )
    status = request.args.get("status") if request.args.get("status") in Idea.STATUSES else None
    query = (
        sa.select(Idea)
        .where(Idea.event_id == event.id)
        .options(joinedload(Idea.theme))
        .order_by(Idea.created_at.desc(), Idea.id.desc())
    )
    if status:
        query = query.where(Idea.status == status)
    page = db.paginate(query, page=page_arg(request.args), per_page=50, error_out=False)
    days = per_day(event)
    return render_template(
        "ideas/admin_overview.html",
        event=event,
        lang=lang,
        by_status=by_status,
        by_theme=by_theme,
        statuses=Idea.STATUSES,
        status=status,
        status_label=status_label,
        page=page,
        chart=charts.bar_chart(days, _("Ideas per day")),
        days=days,
    )


def approved_ideas(event):
    return db.session.scalars(
        sa.select(Idea)
        .where(Idea.event_id == event.id, Idea.status.in_(EXPORT_STATUSES))
        .options(joinedload(Idea.theme))
        .order_by(Idea.created_at, Idea.id)
    ).all()


def export_rows(event):
    lang = current_language()
    ideas = approved_ideas(event)
    ids = [i.id for i in ideas]
    merged = {}
    if ids:
        merged = dict(
            db.session.execute(
                sa.select(Idea.merged_into_id, sa.func.count())
                .where(Idea.merged_into_id.in_(ids), Idea.status == "merged")
                .group_by(Idea.merged_into_id)
            ).all()
        )
    for idea in ideas:
        yield {
            "id": idea.id,
            "title": idea.title,
            "body": idea.body,
            "theme": idea.theme.label(lang) if idea.theme else "",
            "language": idea.language,
            "author": author_label(idea),
            "status": idea.status,
            "speaks_for": 1 + merged.get(idea.id, 0),
            "discussion_note": idea.discussion_note,
            "submitted_at": idea.created_at.isoformat() + "Z",
        }


FIELDS = (
    "id",
    "title",
    "body",
    "theme",
    "language",
    "author",
    "status",
    "speaks_for",
    "discussion_note",
    "submitted_at",
)


@bp.get("/events/<int:event_id>/ideas.csv")
def export_csv(event_id):
    event = db.get_or_404(Event, event_id)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS)
    writer.writeheader()
    for row in export_rows(event):
        writer.writerow({k: safe_cell(v) for k, v in row.items()})
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{event.slug}-ideas.csv"'},
    )


@bp.get("/events/<int:event_id>/ideas.json")
def export_json(event_id):
    event = db.get_or_404(Event, event_id)
    data = {"event": event.slug, "ideas": list(export_rows(event))}
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{event.slug}-ideas.json"'},
    )
