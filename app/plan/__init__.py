"""The Plan of Action: written from the ideas, published in versions, sent to registrants."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ..i18n import language_in_text
from ..models import localized
from .admin import bp as admin_bp
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


def plan_tx(texts, lang, fallback, md=False, tag="div", class_=""):
    """A per-language text in the reader's language, or visibly in the fallback language:
    marked with a note and a `lang` attribute, so screen readers and fonts get it right.
    (A Python function rather than a macro: a plan of 500 items calls it thousands of times.)"""
    value, used = localized(texts, lang, fallback)
    if not value:
        return Markup("")
    body = render_markdown(value) if md else value
    if used == lang:
        return Markup('<{0} class="{1}">{2}</{0}>').format(Markup(tag), class_, body)
    note = _("Not yet translated; shown in %(language)s.", language=language_in_text(used))
    return Markup(
        '<{0} class="{1} plan-fallback" lang="{2}">{3}</{0}>'
        '<span class="untranslated-note" lang="{4}">{5}</span>'
    ).format(Markup(tag), class_, used, body, lang, note)


def plan_status(status):
    return STATUS_LABELS.get(status, status)


def init_app(app):
    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    app.jinja_env.globals.update(plan_text=plan_text, plan_status=plan_status, plan_tx=plan_tx)
    app.jinja_env.filters.update(markdown=render_markdown, markdown_text=plain_text)
