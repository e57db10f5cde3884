"""The Plan of Action, the public side: the plan page (/s/<slug>/plan) and every published
version (/s/<slug>/plan/v<n>). The organizer's editor is in admin.py."""

from flask import Blueprint, abort, current_app, render_template, url_for

from ..events import get_public_event
from ..i18n import current_language
from . import service

bp = Blueprint("plan", __name__, template_folder="templates")


def idea_link_base(slug):
    """Where a source idea is one click away: the public ideas board, when ideas are shown
    publicly (that takes a plugin reviewing them); otherwise None, and the plan shows the
    idea's title in place."""
    from ..ideas.routes import board_is_public

    if "ideas.board" in current_app.view_functions and board_is_public():
        return url_for("ideas.board", slug=slug)
    return None


def public_context(event, plan, version, snapshot, preview=False):
    versions = list(plan.versions) if plan is not None else []
    previous = None
    if version is not None:
        earlier = [v for v in versions if v.number < version.number]
        previous = max(earlier, key=lambda v: v.number) if earlier else None
    latest = max(versions, key=lambda v: v.number) if versions else None
    return dict(
        event=event,
        version=version,
        latest=latest,
        snapshot=snapshot,
        versions=sorted(versions, key=lambda v: -v.number),
        changes=service.changes_between(previous.snapshot, snapshot) if previous else None,
        preview=preview,
        lang=current_language(),
        ideas_board=idea_link_base(event.slug),
    )


# ---------------------------------------------------------------- the public page


def public_event(slug):
    event = get_public_event(slug)
    if event is None:
        abort(404)
    return event


@bp.get("/s/<slug>/plan")
def public_plan(slug):
    event = public_event(slug)
    plan, version = service.get_version(event)
    if version is None:
        return render_template("plan/not_yet.html", event=event), 404
    return render_template(
        "plan/public.html", **public_context(event, plan, version, version.snapshot)
    )


@bp.get("/s/<slug>/plan/v<int:number>")
def public_version(slug, number):
    event = public_event(slug)
    plan, version = service.get_version(event, number)
    if version is None:
        abort(404)
    return render_template(
        "plan/public.html", **public_context(event, plan, version, version.snapshot)
    )
