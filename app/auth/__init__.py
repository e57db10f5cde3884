"""Organizer and moderator accounts: sign-in (with two-factor codes), sessions that can be
ended, password changes and resets, roles; organizers manage the accounts in `admin`."""

from functools import wraps

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..extensions import login_manager
from . import account, sessions
from .routes import bp


def role_required(role):
    """Only signed-in users with `role` (organizers pass every role check) may enter.
    Anonymous visitors are sent to sign in; a signed-in user without the role gets 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_role = role
        return wrapped

    return decorator


admin_required = role_required("admin")
moderator_required = role_required("moderator")


def init_app(app):
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "info"
    sessions.init_app(app)
    app.before_request(account.require_two_factor)
    app.register_blueprint(bp)
    from . import admin  # after admin_required above, which it uses

    app.register_blueprint(admin.bp)
