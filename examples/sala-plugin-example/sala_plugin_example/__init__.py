"""An example Sala plugin: a page, a nav link, a template slot, a setting and a translation.

Sala finds this module through the `sala.plugins` entry point in pyproject.toml and
registers the functions marked with `@hookimpl`; each function's name says which hook it
implements (see Sala's docs/plugins.md).
"""

from flask import Blueprint, current_app, render_template, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.api import NavLink, current_events, hookimpl

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
        return Markup(render_template("example/sidebar.html", event=context["event"]))
    return None
