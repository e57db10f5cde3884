"""Error pages in the visitor's language. htmx requests get a short fragment instead."""

import functools
import logging

import sqlalchemy as sa
from flask import current_app, g, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

MESSAGES = {
    400: (
        _l("Bad request"),
        _l("Something in the request was not right. Please go back and try again."),
    ),
    403: (_l("Not allowed"), _l("You do not have permission to open this page.")),
    404: (
        _l("Page not found"),
        _l("We could not find this page. The link may be old or mistyped."),
    ),
    405: (_l("Not allowed"), _l("This page cannot be used this way.")),
    413: (_l("Too large"), _l("What you sent is too large. Please shorten it and try again.")),
    429: (
        _l("Too many requests"),
        _l("You have tried too often. Please wait a minute and try again."),
    ),
    503: (
        _l("Temporarily unavailable"),
        _l("The site cannot reach its database right now. Please try again in a few minutes."),
    ),
    500: (
        _l("Something went wrong"),
        _l("An error on our side stopped this page. Please try again later."),
    ),
}
CSRF_MESSAGE = _l(
    "This form has expired or was sent from another page. Please go back, reload the page "
    "and send it again."
)


def render_error(code, message=None):
    title, default_message = MESSAGES.get(code, MESSAGES[500])
    template = "errors/fragment.html" if request.htmx else "errors/error.html"
    return render_template(
        template, code=code, title=title, message=message or default_message
    ), code


def handle_http_error(error):
    code = error.code or 500
    if code not in MESSAGES:
        return error
    return render_error(code)


def handle_csrf_error(error):
    return render_error(400, CSRF_MESSAGE)


def handle_internal_error(error):
    # Unhandled exceptions arrive here wrapped (Flask logs them first); in debug and testing
    # they propagate instead, so a failing test shows the real traceback.
    return render_error(500)


log = logging.getLogger("sala.errors")


def database_problem(exc):
    """A database Sala cannot use (a damaged or foreign file, a missing folder or table, a
    server that does not answer), said in one line with what to do. The driver's first
    line names the fault; it holds no values."""
    from .extensions import db

    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return _(
        "The database %(url)s cannot be used: %(reason)s. Check SQLALCHEMY_DATABASE_URI; "
        "if the file is damaged, restore it from a backup, or move it away and run "
        "'sala init' to create a new one.",
        url=db.engine.url.render_as_string(hide_password=True),
        reason=reason,
    )


def signed_out_if_unknown():
    """Who is signed in is read from the database: while it is away, the error page shows
    an organizer as signed out instead of failing in its turn (gunicorn's bare 500)."""
    try:
        current_user.is_authenticated  # noqa: B018 (loads the user, from the database)
    except sa.exc.SQLAlchemyError:
        g._login_user = current_app.login_manager.anonymous_user()  # Flask-Login's slot


def handle_database_error(error):
    """The database cannot be used at all: one line in the log for the operator (in the
    site's default language), a 503 page in the visitor's, never a traceback per request."""
    if isinstance(error, (sa.exc.IntegrityError, sa.exc.DataError)):
        raise error  # a bug or a race in a view, not a database that is away
    signed_out_if_unknown()
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        log.error("%s", database_problem(error))
    return render_error(503)


def log_exception_without_path(app, exc_info):
    """Flask's own line names the request's path, which holds a personal link's token
    (/r/manage/<token>): name the route's pattern instead."""
    rule = request.url_rule.rule if request.url_rule is not None else "(no route)"
    app.logger.error("Exception on %s [%s]", rule, request.method, exc_info=exc_info)


def keep_sql_out_of_logs(app):
    """SQLAlchemy logs statements' parameters and result rows (addresses, names) as soon as
    a DEBUG or INFO level reaches its logger: keep it at WARNING unless echo is asked for."""
    if not app.config.get("SQLALCHEMY_ECHO"):
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)


def init_app(app):
    app.log_exception = functools.partial(log_exception_without_path, app)
    keep_sql_out_of_logs(app)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_internal_error)
    app.register_error_handler(sa.exc.DatabaseError, handle_database_error)
