"""Language choice and translations.

Order: an explicit choice (the switcher or ``?lang=``, remembered in the session), then a
registrant's saved language on their own pages (``g.registrant_language``), then the
browser's Accept-Language, then the site default.
"""

import functools
import os

from babel import Locale
from flask import current_app, g, has_request_context, request, session
from flask_babel import Babel, get_babel, get_locale, get_translations
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from .plugins import hooks
from .resources import TRANSLATIONS


def languages():
    return current_app.config["LANGUAGES"]


def cli_language():
    """Outside a request (the CLI, the worker): the organizer's LANG, if we have it."""
    lang = os.environ.get("LANG", "").split(".")[0].split("_")[0]
    return lang if lang in languages() else current_app.config["BABEL_DEFAULT_LOCALE"]


def select_locale():
    if not has_request_context():
        return cli_language()
    offered = languages()
    wanted = request.args.get("lang")
    if wanted in offered:
        session["lang"] = wanted
        return wanted
    if session.get("lang") in offered:
        return session["lang"]
    if getattr(g, "registrant_language", None) in offered:
        return g.registrant_language
    return (
        browser_language(request.environ.get("HTTP_ACCEPT_LANGUAGE", ""), tuple(offered))
        or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


@functools.lru_cache(maxsize=512)
def browser_language(accept_language, offered):
    """The best of `offered` for a browser's Accept-Language header: parsed once per
    distinct header (a crowd's browsers send a handful of them), not on every request."""
    return LanguageAccept(parse_accept_header(accept_language)).best_match(offered)


@functools.lru_cache(maxsize=64)
def locale_of(code):
    """Babel's Locale for a language code, built once (Flask-Babel parses it per request)."""
    return Locale.parse(code)


def select_locale_once():
    """The request's locale, as Flask-Babel asks for it (once a request)."""
    return locale_of(select_locale())


def remember_choice():
    """An explicit ?lang= is remembered even by a page that only redirects (the choice must
    survive to the page it redirects to)."""
    wanted = request.args.get("lang")
    if wanted in languages() and session.get("lang") != wanted:
        session["lang"] = wanted


def current_language():
    locale = get_locale()
    return str(locale) if locale else current_app.config["BABEL_DEFAULT_LOCALE"]


@functools.lru_cache(maxsize=64)
def language_name(code):
    """A language's own name for itself: English, ខ្មែរ, Français. The same whoever reads it,
    so worked out once per code (a queue of 50 ideas asked 50 times)."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def language_in_text(code):
    """A language's name inside a sentence, in the reader's language: "missing in Khmer",
    « affiché en anglais », "បង្ហាញជាភាសាអង់គ្លេស". (The switcher and pickers use the
    language's own name instead, so a reader finds theirs whatever the page's language.)"""
    try:
        return Locale.parse(code).get_display_name(current_language()) or code
    except (ValueError, TypeError):
        return code


# WTForms' own messages that a visitor can meet (a forged choice, a number that is not one).
# WTForms ships no Khmer, so our catalog carries them; listed here for extraction.
def gettext_before_app(message, **variables):
    """For what is said before there is an app (a configuration Sala cannot start with):
    the catalog of the organizer's LANG, read directly."""
    from babel import support

    lang = os.environ.get("LANG", "").split(".")[0].split("_")[0]
    catalog = support.Translations.load(str(TRANSLATIONS), [lang]) if lang else None
    text = catalog.gettext(message) if catalog else message
    return text % variables if variables else text


WTFORMS_MESSAGES = (
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Not a valid integer value."),
    _l("This field is required."),
    _l("Invalid input."),
)


@functools.cache
def _wtforms_catalog(locale):
    from babel import support
    from wtforms.i18n import messages_path

    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class FormTranslations:
    """What Flask-WTF uses for WTForms' built-in messages: our catalog first, then the one
    WTForms ships, in the language chosen for this request (looked up at each call, since a
    view may settle the language after the form is built)."""

    def ugettext(self, string):
        ours = get_translations().ugettext(string)
        if ours != string:
            return ours
        return _wtforms_catalog(str(get_locale())).ugettext(string)

    def ungettext(self, singular, plural, n):
        ours = get_translations().ungettext(singular, plural, n)
        if ours not in (singular, plural):
            return ours
        return _wtforms_catalog(str(get_locale())).ungettext(singular, plural, n)


def use_form_translations():
    request.wtforms_translations = FormTranslations()


def init_app(app, babel):
    dirs = [str(TRANSLATIONS)]
    for extra in hooks(app).sala_translation_dirs():
        dirs.extend(str(d) for d in extra or [])
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(dirs)
    babel.init_app(app, locale_selector=select_locale_once)
    # Flask-Babel caches loaded catalogs on the Babel object, which every app in the process
    # shares: apps with different plugins (different catalogs) need a cache of their own.
    get_babel(app).instance = Babel(date_formats=babel.date_formats, configure_jinja=False)
    app.before_request(remember_choice)
    app.before_request(use_form_translations)
    app.jinja_env.globals.update(
        current_language=current_language,
        languages=languages,
        language_name=language_name,
        language_in_text=language_in_text,
    )
    app.jinja_env.add_extension("jinja2.ext.i18n")
