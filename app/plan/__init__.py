"""The Plan of Action: written from the ideas, published in versions, sent to registrants."""

from flask_babel import lazy_gettext as _l

from ..models import localized
from .markdown import plain_text, render_markdown
from .routes import bp

STATUS_LABELS = {
    "proposed": _l("Proposed"),
    "agreed": _l("Agreed"),
    "under_way": _l("Under way"),
    "done": _l("Done"),
}


def plan_text(texts, lang, fallback):
    """(text, language it is in) of a per-language text: the wanted one, else the fallback."""
    return localized(texts, lang, fallback)


def plan_status(status):
    return STATUS_LABELS.get(status, status)


def init_app(app):
    app.register_blueprint(bp)
    app.jinja_env.globals.update(plan_text=plan_text, plan_status=plan_status)
    app.jinja_env.filters.update(markdown=render_markdown, markdown_text=plain_text)
