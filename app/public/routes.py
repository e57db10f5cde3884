from pathlib import Path

import js_lib_htmx
import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, render_template

from .. import privacy as privacy_notice
from ..events import current_events, get_public_event
from ..extensions import db
from ..pagecache import visitor_page

bp = Blueprint("public", __name__, template_folder="templates")

# htmx comes from a registry package at install time and is served from our own origin.
vendor = Blueprint(
    "vendor",
    __name__,
    static_folder=str(Path(js_lib_htmx.__file__).parent / "static" / "htmx"),
    static_url_path="/static/vendor/htmx",
)


@bp.get("/")
@visitor_page
def index():
    events = current_events()
    return render_template("public/index.html", events=events)


@bp.get("/privacy")
def privacy():
    return render_template("public/privacy.html", notice=privacy_notice.notice())


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
        database = "ok"
    except sa.exc.SQLAlchemyError as exc:
        database = f"error: {type(exc).__name__}"
    ok = database == "ok"
    return jsonify(status="ok" if ok else "error", database=database), 200 if ok else 503


@bp.get("/s/<slug>")
@visitor_page
def event(slug):
    found = get_public_event(slug)
    if found is None:
        abort(404)
    return render_template("public/event.html", event=found)
