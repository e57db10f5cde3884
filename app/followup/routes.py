"""The organizer's follow-up page: write, preview, then queue (only the texts previewed go)."""

import hashlib
import json

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..auth import admin_required
from ..extensions import db
from ..feedback import service as feedback
from ..mail import mailout
from ..mail.outbox import render_mail
from ..models import Event, utcnow
from . import service
from .forms import GROUPS, followup_form, parse_links

bp = Blueprint("followup", __name__, url_prefix="/admin", template_folder="templates")


@bp.before_request
@admin_required
def require_admin():
    """Organizers only."""


def digest(texts, links):
    payload = json.dumps([texts, links], sort_keys=True).encode()
    return hashlib.sha256(payload).hexdigest()


def texts_from(form, languages, groups):
    return {
        group: {
            code: (
                (form[f"subject_{group}_{code}"].data or "").strip(),
                (form[f"body_{group}_{code}"].data or "").strip(),
            )
            for code in languages
        }
        for group in groups
    }


def missing_default(form, event, texts):
    """Put "write it at least in the default language" next to each group's field that
    lacks it; True if any does."""
    default = event.default_language
    missing = False
    for group, by_lang in texts.items():
        if not all(by_lang.get(default, ("", ""))):
            form[f"subject_{group}_{default}"].errors.append(
                _("Write the subject and the message at least in the session's default language.")
            )
            missing = True
    return missing


def previews_of(event, texts, links, plan_url, counts):
    personal = _("(each registrant's personal link)")
    feedback_open = feedback.is_open(event)
    previews = []
    for group, by_lang in texts.items():
        for code, pair in by_lang.items():
            used = code if all(pair) else event.default_language
            subject, text, _html = render_mail(
                "followup",
                used,
                registration=None,
                manage_url=personal,
                unsubscribe_url=personal,
                feedback_url=personal if feedback_open else "",
                **service.mail_context(
                    event, *by_lang[used], links["recording_url"], links["links"], plan_url
                ),
            )
            previews.append(
                dict(
                    group=group,
                    code=code,
                    used=used,
                    subject=subject,
                    text=text,
                    body=by_lang[used][1],
                )
            )
    return previews


@bp.route("/events/<int:event_id>/follow-up", methods=["GET", "POST"])
def followup(event_id):
    event = db.get_or_404(Event, event_id)
    languages = current_app.config["LANGUAGES"]
    split_possible = service.attendance_known(event)
    form = followup_form(languages, request.form if request.method == "POST" else None)
    if not split_possible:
        form.audience.data = "everyone"
    counts = mailout.audience_counts(event)
    counts.update(
        attended=mailout.audience_size(event, "attended"),
        absent=mailout.audience_size(event, "absent"),
    )
    previews, previewed = None, ""
    if request.method == "POST" and form.validate():
        groups = GROUPS if split_possible and form.audience.data == "split" else GROUPS[:1]
        texts = texts_from(form, languages, groups)
        links = {
            "recording_url": (form.recording_url.data or "").strip(),
            "links": parse_links(form.links.data),
        }
        if missing_default(form, event, texts):
            pass
        elif request.form.get("action") == "send" and request.form.get("previewed") == digest(
            texts, links
        ):
            batch = f"followup-{event.id}-{utcnow():%Y%m%d%H%M%S}"
            count = service.send_followup(event, texts, links, current_user, batch)
            db.session.commit()
            flash(
                ngettext(
                    "The follow-up goes to %(num)d registrant; its progress is on the outbox page.",
                    "The follow-up goes to %(num)d registrants; its progress is on the outbox "
                    "page.",
                    count,
                ),
                "success",
            )
            return redirect(url_for("registration_admin.registrants", event_id=event.id))
        else:
            previewed = digest(texts, links)
            previews = previews_of(event, texts, links, service.plan_link(event), counts)
    return render_template(
        "followup/admin.html",
        event=event,
        form=form,
        language_codes=languages,
        split_possible=split_possible,
        previews=previews,
        previewed=previewed,
        audience=counts,
        plan_url=service.plan_link(event),
    )
