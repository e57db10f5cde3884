from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from werkzeug.routing import BuildError

from .. import audit
from ..extensions import db, limiter
from ..models import User, utcnow
from .forms import LoginForm

bp = Blueprint("auth", __name__, template_folder="templates")


def login_rate_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def is_locked(user):
    return user.locked_until is not None and user.locked_until > utcnow()


def note_failed_login(user):
    """Count a wrong password; after LOGIN_MAX_FAILURES in a row, lock the account a while."""
    user.failed_logins += 1
    audit.record("login.failed", user, actor=user, failures=user.failed_logins)
    if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
        minutes = current_app.config["LOGIN_LOCK_MINUTES"]
        user.locked_until = utcnow() + timedelta(minutes=minutes)
        user.failed_logins = 0
        audit.record("login.locked", user, actor=user, minutes=minutes)


def safe_next(target):
    """Only local paths: a sign-in link must not send anyone to another site. Browsers read
    a backslash as a slash and drop tabs and newlines, so "/\\evil" and "/\t/evil" are
    refused like "//evil"."""
    if not target or not target.startswith("/") or "//" in target or "\\" in target:
        return None
    if any(ch.isspace() or ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def home_for(user):
    """Where a user lands after signing in: organizers on their dashboard; moderators on
    MODERATOR_HOME (an endpoint, for example the moderation queue) if the app has it, else
    the home page."""
    if user.is_admin:
        return url_for("admin.index")
    endpoint = current_app.config.get("MODERATOR_HOME")
    if endpoint and endpoint in current_app.view_functions:
        try:
            return url_for(endpoint)
        except BuildError:
            pass
    return url_for("public.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))
        if user is not None and is_locked(user):
            form.password.errors.append(
                _("Too many wrong passwords. This account is locked for a while; try again later.")
            )
        elif user is None or not user.active or not user.check_password(form.password.data):
            if user is not None and user.active:
                note_failed_login(user)
                db.session.commit()
            form.password.errors.append(_("Wrong email or password."))
        else:
            user.failed_logins = 0
            user.last_login_at = utcnow()
            audit.record("login", user, actor=user)
            db.session.commit()
            login_user(user)
            return redirect(safe_next(request.args.get("next")) or home_for(user))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("public.index"))
