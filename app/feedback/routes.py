"""The feedback form, the participant's side: reached from their personal page (its link
is their manage link), answered once."""

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import ratelimit
from ..errors import render_error
from ..extensions import db, limiter
from ..i18n import current_language
from ..registration.domain import find_manage_registration
from . import service
from .models import RATING_SCALE, TEXT_MAX

bp = Blueprint("feedback", __name__, template_folder="templates")


def public_post_limit():
    return current_app.config["RATELIMIT_PUBLIC_POST"]


def token_key():
    return ratelimit.token_key("feedback", request.view_args.get("token", ""))


def render_form(token, registration, survey, questions, values=None, errors=None, status=200):
    return render_template(
        "feedback/answer.html",
        token=token,
        event=registration.event,
        survey=survey,
        questions=questions,
        values=values or {},
        errors=errors or {},
        scale=RATING_SCALE,
        text_max=TEXT_MAX,
    ), status


@bp.route("/r/manage/<token>/feedback", methods=["GET", "POST"])
@limiter.limit(public_post_limit, methods=["POST"])
@limiter.limit("10 per hour", key_func=token_key, methods=["POST"])
def answer(token):
    registration = find_manage_registration(token)
    if registration is None:
        return render_error(404)
    opened = service.open_for(registration)
    if opened is None:
        return render_template("feedback/closed.html", event=registration.event, token=token)
    survey, questions = opened
    if service.has_answered(registration):
        return render_template("feedback/thanks.html", event=registration.event, token=token)
    if request.method == "GET":
        return render_form(token, registration, survey, questions)
    values, errors = service.check_answers(questions, request.form)
    if not values and not errors:
        errors = {"form": _("Answer at least one question, or leave the form as it is.")}
    if errors:
        posted = {q.id: request.form.get(f"q{q.id}", "") for q in questions}
        return render_form(token, registration, survey, questions, posted, errors, status=422)
    service.submit(registration, survey, questions, values, current_language())
    db.session.commit()
    return redirect(url_for("feedback.answer", token=token))
