"""The organizer's pages for a session's speakers and co-organizing organizations: a list
with up/down and remove (plain forms; htmx swaps the list in place when present), and an
add/edit form each. Plus the one public route, the pictures."""

import re

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from jinja2_fragments.flask import render_block

from .. import audit, review
from ..auth import admin_required
from ..extensions import db
from ..models import Event
from . import pictures, unlink
from .forms import PartnerForm, SpeakerForm, per_language_form
from .models import Partner, Speaker

bp = Blueprint("speakers", __name__, url_prefix="/admin", template_folder="templates")
pictures_bp = Blueprint("speaker_pictures", __name__)

LIST = "speakers/admin_list.html"
# kind in the URL → (model, form, picture column)
KINDS = {
    "speaker": (Speaker, SpeakerForm, "photo"),
    "partner": (Partner, PartnerForm, "logo"),
}
PICTURE_NAME = re.compile(r"^(photo|logo)-[0-9a-f]{16}\.(jpg|png)$")


@bp.before_request
@admin_required
def require_admin():
    """Organizers only; their uploads may be phone photos, larger than the site's usual
    request limit, so that a picture just over 5 MB still gets its message by the field."""
    request.max_content_length = pictures.UPLOAD_MAX + 1024 * 1024


def form_languages(event):
    """The session's default language first, then the other configured ones."""
    langs = [event.default_language]
    langs += [code for code in current_app.config["LANGUAGES"] if code != event.default_language]
    return langs


def rows_of(event, kind):
    return event.speaker_rows if kind == "speaker" else event.partner_rows


def row_of(event, kind, row_id):
    model = KINDS[kind][0]
    row = db.session.get(model, row_id)
    if row is None or row.event_id != event.id:
        abort(404)
    return row


def is_htmx():
    return request.headers.get("HX-Request") == "true"


def list_page(event):
    context = {"event": event, "langs": form_languages(event)}
    if is_htmx():
        response = make_response(render_block(LIST, "lists", **context))
    else:
        response = make_response(render_template(LIST, **context))
    response.vary.add("HX-Request")
    return response


@bp.get("/events/<int:event_id>/speakers")
def index(event_id):
    return list_page(db.get_or_404(Event, event_id))


@bp.route("/events/<int:event_id>/<any(speaker, partner):kind>/new", methods=["GET", "POST"])
@bp.route(
    "/events/<int:event_id>/<any(speaker, partner):kind>/<int:row_id>", methods=["GET", "POST"]
)
def edit(event_id, kind, row_id=None):
    event = db.get_or_404(Event, event_id)
    base_form = KINDS[kind][1]
    row = row_of(event, kind, row_id) if row_id is not None else None
    langs = form_languages(event)
    form = per_language_form(base_form, langs)
    if request.method == "GET" and row is not None:
        form.fill(row.texts)
        form.link.data = row.link
        if kind == "speaker":
            form.is_moderator.data = row.is_moderator
            form.email.data = row.email
            form.mail_language.data = row.mail_language
    if request.method == "GET" or not form.validate_on_submit() or not save(event, kind, row, form):
        stale = review.stale(kind, row) if row is not None else set()
        return render_template(
            "speakers/admin_form.html",
            event=event,
            kind=kind,
            row=row,
            form=form,
            langs=langs,
            stale=stale,
        )
    flash(_("Speaker saved.") if kind == "speaker" else _("Organization saved."), "success")
    return redirect(url_for("speakers.index", event_id=event.id))


def save(event, kind, row, form):
    """Store the form in `row` (a new one when None); False, with the reason next to the
    picture field, when the picture is refused."""
    model, _, picture = KINDS[kind]
    field = form[picture]
    try:
        data = pictures.read_upload(field.data)
        new_picture = pictures.store(event.id, picture, data) if data else None
    except pictures.PictureError as problem:
        field.errors = [str(problem)]
        return False
    before = review.texts_of(kind, row) if row is not None else {}
    if row is None:
        row = model(event=event, position=len(rows_of(event, kind)))
        db.session.add(row)
    row.texts = form.texts()
    row.link = form.link.data or ""
    if kind == "speaker":
        row.is_moderator = bool(form.is_moderator.data)
        row.email = (form.email.data or "").strip()
        row.mail_language = form.mail_language.data or ""
    old_picture = getattr(row, picture)
    if new_picture or form[f"remove_{picture}"].data:
        setattr(row, picture, new_picture or "")
    db.session.flush()
    review.record(kind, row, before, review.reviewed_in(request.form))
    audit.record(f"{kind}.save", target=event, row=row.id)
    db.session.commit()
    if old_picture and old_picture != getattr(row, picture):
        pictures.remove(event.id, old_picture)
    return True


@bp.post("/events/<int:event_id>/<any(speaker, partner):kind>/<int:row_id>/move")
def move(event_id, kind, row_id):
    event = db.get_or_404(Event, event_id)
    row = row_of(event, kind, row_id)
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    rows = list(rows_of(event, kind))
    i = rows.index(row)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(rows):
        rows[i], rows[j] = rows[j], rows[i]
        for position, each in enumerate(rows):
            each.position = position
        db.session.commit()
        db.session.refresh(event)
    if is_htmx():
        return list_page(event)
    return redirect(url_for("speakers.index", event_id=event.id) + f"#{kind}-{row.id}")


@bp.post("/events/<int:event_id>/<any(speaker, partner):kind>/<int:row_id>/remove")
def remove(event_id, kind, row_id):
    event = db.get_or_404(Event, event_id)
    row = row_of(event, kind, row_id)
    picture = getattr(row, KINDS[kind][2])
    rows = [each for each in rows_of(event, kind) if each is not row]
    if kind == "speaker":
        unlink(row)
    review.forget(kind, row.id)
    db.session.delete(row)
    for position, each in enumerate(rows):
        each.position = position
    audit.record(f"{kind}.remove", target=event, row=row_id)
    db.session.commit()
    pictures.remove(event.id, picture)
    db.session.refresh(event)
    if is_htmx():
        return list_page(event)
    flash(_("Removed."), "info")
    return redirect(url_for("speakers.index", event_id=event.id))


@pictures_bp.get("/speakers/<int:event_id>/<name>")
def picture(event_id, name):
    """A speaker's photo or a partner's logo: a file we wrote ourselves (pictures.py)."""
    if not PICTURE_NAME.match(name):
        abort(404)
    return send_from_directory(pictures.folder(event_id), name, max_age=86400)
