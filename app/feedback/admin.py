"""The feedback form, the organizer's side: its questions, whether it is open and
anonymous, and the results (counts, a chart per question, the free texts, a CSV)."""

import csv
import io

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import charts
from ..auth import admin_required
from ..extensions import db
from ..i18n import current_language, language_name, languages
from ..models import Event
from ..spreadsheet import safe_cell
from . import service
from .forms import SettingsForm, question_form
from .models import FeedbackQuestion

bp = Blueprint("feedback_admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.before_request
@admin_required
def require_admin():
    """Organizers only."""


def page_url(event):
    return url_for("feedback_admin.overview", event_id=event.id)


def chart_for(item, lang):
    question = item["question"]
    if question.kind == "text" or not item["answered"]:
        return None
    return charts.hbar_chart(item["counts"], question.text(lang))


def render_overview(event, settings=None, new_question=None, status=200):
    lang = current_language()
    survey = service.survey_for(event)
    if settings is None:
        settings = SettingsForm(formdata=None, obj=survey)
        if survey is None:
            settings.anonymous.data = True
    results = service.results(event, lang)
    for item in results:
        item["chart"] = chart_for(item, lang)
    return render_template(
        "feedback/admin.html",
        event=event,
        lang=lang,
        survey=survey,
        settings=settings,
        form=new_question or question_form(event),
        language_fields=[(code, language_name(code)) for code in languages()],
        results=results,
        responses=service.response_count(event),
    ), status


@bp.get("/events/<int:event_id>/feedback")
def overview(event_id):
    return render_overview(db.get_or_404(Event, event_id))


@bp.post("/events/<int:event_id>/feedback/settings")
def settings(event_id):
    event = db.get_or_404(Event, event_id)
    form = SettingsForm()
    if not form.validate():
        return render_overview(event, settings=form, status=422)
    try:
        service.set_survey(
            event,
            is_open=form.is_open.data,
            anonymous=form.anonymous.data,
            actor=current_user._get_current_object(),
        )
    except service.FeedbackError as exc:
        db.session.rollback()
        form.anonymous.errors = [str(exc)]
        return render_overview(event, settings=form, status=422)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(page_url(event))


@bp.post("/events/<int:event_id>/feedback/questions")
def add_question(event_id):
    event = db.get_or_404(Event, event_id)
    form = question_form(event, formdata=request.form)
    if not form.validate():
        return render_overview(event, new_question=form, status=422)
    service.add_question(
        event,
        form.kind.data,
        form.prompts(),
        form.options(),
        actor=current_user._get_current_object(),
    )
    db.session.commit()
    flash(_("Question added."), "success")
    return redirect(page_url(event))


@bp.post("/events/<int:event_id>/feedback/questions/<int:question_id>/delete")
def delete_question(event_id, question_id):
    event = db.get_or_404(Event, event_id)
    question = db.session.get(FeedbackQuestion, question_id)
    if question is None or question.event_id != event.id:
        flash(_("This question does not exist (the page may be old)."), "error")
        return redirect(page_url(event))
    service.delete_question(question, actor=current_user._get_current_object())
    db.session.commit()
    flash(_("Question deleted, with its answers."), "success")
    return redirect(page_url(event))


@bp.get("/events/<int:event_id>/feedback.csv")
def export_csv(event_id):
    event = db.get_or_404(Event, event_id)
    header, rows = service.export_rows(event, current_language())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{event.slug}-feedback.csv"'},
    )
