"""Sessions that can be ended: each session carries the account's session token (User.get_id),
so a new token ends every session of that account at once; and a session unused for
ACCOUNT_IDLE_HOURS ends by itself."""

import hmac
import time

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from ..extensions import db, login_manager
from ..models import User

SEEN_KEY = "seen"
# The last-seen time is written back at most this often, not on every request.
SEEN_RESOLUTION = 60


@login_manager.user_loader
def load_user(session_id):
    user_id, _sep, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None  # also a session from before session tokens: signed out
    user = db.session.get(User, int(user_id))
    if user is None or not hmac.compare_digest(user.session_token, token):
        return None
    return user


def idle_limit_seconds():
    return current_app.config["ACCOUNT_IDLE_HOURS"] * 3600


def end_idle_session():
    """Before each request: sign out a session unused for longer than the idle limit, else
    note that it is in use."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = int(time.time())
    seen = session.get(SEEN_KEY)
    if not isinstance(seen, int) or now - seen > idle_limit_seconds():
        logout_user()
        session.pop(SEEN_KEY, None)
        flash(_("Your session ended after a long time without use. Please sign in again."), "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if now - seen >= SEEN_RESOLUTION:
        session[SEEN_KEY] = now
    return None


def start_session(user):
    """Sign `user` in on this browser (after every check has passed)."""
    from flask_login import login_user

    # What a half-done sign-in or enrolment left behind goes; the language and the form
    # token stay (the session is a signed cookie: there is no server-side id to fix).
    for key in ("2fa", "2fa_pending", SEEN_KEY):
        session.pop(key, None)
    login_user(user)
    session[SEEN_KEY] = int(time.time())


def init_app(app):
    app.before_request(end_idle_session)
