import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import review
from ..auth import admin_required
from ..events import Schedule, allowed_states
from ..extensions import db
from ..i18n import current_language
from ..models import Event, Plan, PlanVersion, utcnow
from . import changes, service
from .forms import (
    TEXTS,
    ConfirmForm,
    DuplicateForm,
    event_form,
    event_languages,
    fill_from_event,
    local_to_utc,
    text_field_name,
)

bp = Blueprint("sessions", __name__, url_prefix="/admin", template_folder="templates")
public_bp = Blueprint("archive", __name__, template_folder="templates")


@bp.before_request
@admin_required
def require_admin():
    """Organizers only: anonymous visitors sign in first, moderators get 403."""


def actor():
    return current_user._get_current_object()


def render_form(
    form,
    languages,
    event=None,
    theme_rows=None,
    theme_errors=None,
    status=200,
    moving=None,
    previews=None,
):
    missing = {}
    for lang in languages:
        missing[lang] = [
            field for field in TEXTS if not (form[text_field_name(field, lang)].data or "").strip()
        ]
    stale, theme_stale = set(), {}
    if event is not None:
        stale = review.stale("event", event)
        theme_stale = {f"theme-{t.id}": review.stale("theme", t) for t in event.themes}
    return (
        render_template(
            "sessions/form.html",
            stale=stale,
            theme_stale=theme_stale,
            form=form,
            event=event,
            form_languages=languages,
            texts=TEXTS,
            text_field_name=text_field_name,
            missing=missing,
            theme_rows=service.theme_rows(event, languages) if theme_rows is None else theme_rows,
            theme_errors=theme_errors or {},
            next_states=allowed_states(event) if event is not None else (),
            moving=moving,
            previews=previews,
            markdown_hint=_(
                "Markdown, as in the Plan of Action: **bold**, *italic*, lists, links. "
                "“Preview the texts” shows them as readers will see them."
            ),
        ),
        status,
    )


def text_previews(form, languages):
    """Each Markdown text of the form as readers will see it ("Preview the texts"): rendered
    and sanitized as on the public page; nothing is saved."""
    from ..plan.markdown import render_markdown

    return {
        text_field_name(name, lang): render_markdown(form[text_field_name(name, lang)].data)
        for name, (_label, _limit, area) in TEXTS.items()
        if area
        for lang in languages
    }


def preview(form, languages, event=None):
    rows = service.parse_themes(request.form, event, languages)[2]
    return render_form(
        form, languages, event, theme_rows=rows, previews=text_previews(form, languages)
    )


def check_slug(form, event=None):
    if form.slug.data and service.slug_taken(form.slug.data, event.id if event else None):
        form.slug.errors.append(_("Another session already uses this address."))
        return False
    return True


def warn_if_past(form):
    start = form.utc("starts_at")
    if start is not None and start < utcnow():
        flash(_("Note: the start you entered is in the past."), "warning")


@bp.route("/events/new", methods=["GET", "POST"])
def new_event():
    languages = event_languages()
    form = event_form(languages)
    if request.method == "GET":
        form.default_language.data = current_app.config["BABEL_DEFAULT_LOCALE"]
        form.waitlist_enabled.data = True
        form.reminder_24h.data = form.reminder_1h.data = True
        form.notify_rejected_authors.data = True
        return render_form(form, languages)[0]
    if request.form.get("preview"):
        return preview(form, languages)
    if not (form.validate_on_submit() & check_slug(form)):
        return render_form(form, languages, status=200)
    changes, errors, rows = service.parse_themes(request.form, None, languages)
    if errors:
        return render_form(form, languages, theme_rows=rows, theme_errors=errors, status=200)
    event = service.create_event(form, languages, actor())
    service.apply_themes(event, changes)
    db.session.commit()
    warn_if_past(form)
    flash(_("The session was created as a draft. Publish it when it is ready."), "info")
    return redirect(url_for("sessions.event", event_id=event.id))


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def edit_event(event_id):
    event = db.get_or_404(Event, event_id)
    languages = event_languages(event)
    form = event_form(languages, event)
    if request.method == "GET":
        fill_from_event(form, event, languages)
        return render_form(form, languages, event)[0]
    if request.form.get("preview"):
        return preview(form, languages, event)
    valid = form.validate_on_submit() & check_slug(form, event)
    changes, errors, rows = service.parse_themes(request.form, event, languages)
    if not valid or errors:
        return render_form(form, languages, event, rows, errors, status=200)
    moving = move_to_preview(event, form)
    if moving is not None:
        return render_form(form, languages, event, rows, errors, moving=moving)
    reviewed = {("event", event.id): review.reviewed_in(request.form)}
    for theme in event.themes:
        reviewed[("theme", theme.id)] = review.reviewed_in(
            request.form, f"theme-{theme.id}-reviewed"
        )
    changed = service.update_event(event, form, languages, changes, actor(), reviewed)
    db.session.commit()
    told = [entry for entry in changed if entry == "told"]
    if told:
        flash(_("The new date and time are being mailed to everyone registered."), "info")
    if changed:
        flash(_("The session was saved."), "info")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for("sessions.event", event_id=event.id))


def move_to_preview(event, form):
    """A published session moved to another time is saved only once the organizer has seen
    the mail registrants will get and how many will get it, for exactly this time: the
    preview (a dict for the template), or None when the form may be saved."""
    if event.state != "published":
        return None
    new = Schedule(form.utc("starts_at"), form.duration_minutes.data, form.zone())
    if not changes.moved(Schedule.of(event), new):
        return None
    shown = changes.preview_move(event, Schedule.of(event), new, current_language())
    if request.form.get("moving") == shown["key"]:
        return None
    return shown


@bp.route("/events/<int:event_id>/duplicate", methods=["GET", "POST"])
def duplicate_event(event_id):
    source = db.get_or_404(Event, event_id)
    form = DuplicateForm()
    if request.method == "GET":
        form.slug.data = next_slug(source.slug)
        return render_template("sessions/duplicate.html", form=form, event=source)
    if not (form.validate_on_submit() & check_slug(form)):
        return render_template("sessions/duplicate.html", form=form, event=source), 200
    if form.dates.data == "new":
        copy = service.duplicate_event(
            source,
            form.slug.data,
            new_start=local_to_utc(form.new_start.data, source.timezone),
            actor=actor(),
        )
    else:
        copy = service.duplicate_event(
            source, form.slug.data, shift_days=form.shift_days.data, actor=actor()
        )
    db.session.commit()
    if copy.starts_at < utcnow():
        flash(_("Note: the start of the new session is in the past."), "warning")
    flash(_("A draft copy was made. Check its texts and dates, then publish it."), "info")
    return redirect(url_for("sessions.edit_event", event_id=copy.id))


def next_slug(slug):
    """planning-2023 → planning-2024; otherwise slug-2, slug-3… whichever is free."""
    head, _sep, tail = slug.rpartition("-")
    if head and tail.isdigit() and len(tail) == 4:
        candidate = f"{head}-{int(tail) + 1}"
        if not service.slug_taken(candidate):
            return candidate
    n = 2
    while service.slug_taken(f"{slug}-{n}"[:80]):
        n += 1
    return f"{slug}-{n}"[:80]


@bp.route("/events/<int:event_id>/archive", methods=["GET", "POST"])
def archive_event(event_id):
    event = db.get_or_404(Event, event_id)
    form = ConfirmForm()
    if not service.can_archive(event):
        flash(
            _("Only a concluded session can be archived. Conclude it first."),
            "error",
        )
        return redirect(url_for("sessions.event", event_id=event.id))
    if request.method == "POST" and form.validate_on_submit():
        service.archive_event(event, actor())
        db.session.commit()
        flash(_("The session is archived. Its page stays readable on the archive page."), "info")
        return redirect(url_for("sessions.event", event_id=event.id))
    return render_template("sessions/archive_confirm.html", event=event, form=form)


# ---------------------------------------------------------------- the public archive


@public_bp.get("/archive")
def archive():
    rows = db.session.scalars(
        sa.select(Event)
        .where(Event.state.in_(("concluded", "plan_published", "archived")))
        .order_by(Event.starts_at.desc())
    ).all()
    with_plan = set(
        db.session.scalars(
            sa.select(Plan.event_id).join(PlanVersion, PlanVersion.plan_id == Plan.id).distinct()
        )
    )
    return render_template("sessions/archive.html", events=rows, with_plan=with_plan)
