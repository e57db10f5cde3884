"""An example Sala plugin: a page, a nav link, a template slot, a setting, a translation, and
a table of its own (with its migration) filled from a field it adds to the session form.

Sala finds this module through the `sala.plugins` entry point in pyproject.toml and
registers the functions marked with `@hookimpl`; each function's name says which hook it
implements (see Sala's docs/plugins.md).
"""

from pathlib import Path

from flask import Blueprint, current_app, render_template, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import StringField
from wtforms.validators import Length

from app.api import EventFormField, NavLink, current_events, hookimpl

from .models import note_of, set_note
from .translations import catalog_dir

# The blueprint's templates live in this package, namespaced under templates/example/ so
# they never clash with Sala's own or another plugin's.
bp = Blueprint(
    "example",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/example",
)


@bp.get("/partner")
def page():
    return render_template(
        "example/page.html",
        motto=current_app.config["EXAMPLE_MOTTO"],
        events=current_events(),
    )


@hookimpl
def sala_config_defaults():
    # Under everything else: SALA_EXAMPLE_MOTTO or instance/config.py win.
    return {"EXAMPLE_MOTTO": "Every voice counts."}


@hookimpl
def sala_translation_dirs():
    return [catalog_dir()]


@hookimpl
def sala_migration_dirs():
    # The plugin's own Alembic branch: `sala init` creates and upgrades its table.
    return [Path(__file__).resolve().parent / "migrations"]


@hookimpl
def sala_event_form_fields(event):
    note = StringField(
        _l("Partner note"),
        validators=[
            Length(max=200, message=_l("The partner note can have at most %(max)d characters."))
        ],
    )
    hint = _l("A line the partner box shows beside the session.")
    return [EventFormField("example_note", note, value=note_of(event), hint=hint)]


@hookimpl
def sala_event_form_saved(event, data):
    text = (data.get("example_note") or "").strip()
    if text == note_of(event):
        return []
    set_note(event, text)
    return ["example_note"]


@hookimpl
def sala_blueprints():
    return [bp]


@hookimpl
def sala_nav_links(user):
    return [NavLink(_l("Partner corner"), "example.page")]


@hookimpl
def sala_template_slot(slot, context):
    if slot == "head":
        href = url_for("example.static", filename="example.css")
        return Markup('<link rel="stylesheet" href="{}">').format(href)
    if slot == "event_sidebar" and context.get("event") is not None:
        event = context["event"]
        return Markup(render_template("example/sidebar.html", event=event, note=note_of(event)))
    return None
