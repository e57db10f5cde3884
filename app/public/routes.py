from pathlib import Path

import js_lib_htmx
import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, make_response, render_template, request

from .. import privacy as privacy_notice
from ..events import current_events, get_public_event
from ..extensions import db
from ..models import Event, Idea, OutboxMessage, Registration, User
from ..pagecache import visitor_page
from ..templating import known_zone

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


# A row of each table every page or the worker reads: `SELECT 1` alone answers from a
# corrupt file, or from a database whose tables are gone.
HEALTH_TABLES = (Event, Registration, OutboxMessage, Idea, User)


def check_database():
    """Say "ok", or what is wrong with the database, from a real read of the tables the app
    needs (and, on SQLite, the file's own integrity check)."""
    for model in HEALTH_TABLES:
        db.session.execute(sa.select(sa.literal(1)).select_from(model).limit(1))
    if db.engine.dialect.name == "sqlite":
        # quick_check reads every page but skips the index cross-checks of integrity_check.
        problems = db.session.execute(sa.text("PRAGMA quick_check")).scalars().all()
        if problems != ["ok"]:
            return "error: corrupt database file"
    return "ok"


@bp.get("/healthz")
def healthz():
    try:
        database = check_database()
    except sa.exc.SQLAlchemyError as exc:
        database = f"error: {type(exc).__name__}"
    finally:
        db.session.rollback()
    ok = database == "ok"
    return jsonify(status="ok" if ok else "error", database=database), 200 if ok else 503


@bp.get("/s/<slug>")
@visitor_page
def event(slug):
    found = get_public_event(slug)
    if found is None:
        abort(404)
    return render_template("public/event.html", event=found)


@bp.get("/s/<slug>/when")
def when(slug):
    """The session's start in the visitor's own time zone (?tz=, from their browser) and the
    countdown, in the page's language (?lang=): the fragment for session.js, or the whole
    session page for a person who opens the address."""
    found = get_public_event(slug)
    if found is None:
        abort(404)
    zone = known_zone(request.args.get("tz"))
    if request.headers.get("HX-Request"):
        html = render_template("public/_when.html", event=found, visitor_zone=zone)
    else:
        html = render_template("public/event.html", event=found, visitor_zone=zone)
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("HX-Request")
    return response
