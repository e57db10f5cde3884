import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from werkzeug.routing import BuildError

from .. import audit
from ..extensions import db, limiter
from ..mail import outbox
from ..models import utcnow
from . import accounts, passwords, throttle, twofactor
from .forms import CodeForm, ForgotPasswordForm, LoginForm, ResetPasswordForm
from .sessions import load_user, start_session

bp = Blueprint("auth", __name__, template_folder="templates")

# How long the second step of a sign-in (the code) may take after the password.
CODE_STEP_SECONDS = 300


def login_rate_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def public_post_limit():
    return current_app.config["RATELIMIT_PUBLIC_POST"]


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
        return url_for("sessions.index")
    endpoint = current_app.config.get("MODERATOR_HOME")
    if endpoint and endpoint in current_app.view_functions:
        try:
            return url_for(endpoint)
        except BuildError:
            pass
    return url_for("public.index")


def too_many_attempts(minutes):
    return ngettext(
        "Too many attempts. Please wait %(num)d minute and try again.",
        "Too many attempts. Please wait %(num)d minutes and try again.",
        minutes,
    )


def finish_sign_in(user, next_url):
    start_session(user)
    user.last_login_at = utcnow()
    audit.record("login", user, actor=user)
    db.session.commit()
    return redirect(safe_next(next_url) or home_for(user))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        account = form.email.data
        wait = throttle.minutes_to_wait(account)
        user = None if wait else passwords.authenticate(account, form.password.data)
        if wait:
            form.password.errors.append(too_many_attempts(wait))
        elif user is None:
            throttle.note_failure(account)
            form.password.errors.append(_("Wrong email or password."))
        else:
            throttle.forget_failures(account)
            next_url = request.args.get("next")
            if not user.has_two_factor:
                return finish_sign_in(user, next_url)
            session["2fa"] = {"user": user.get_id(), "at": int(time.time())}
            return redirect(url_for("auth.login_code", next=safe_next(next_url)))
    return render_template("auth/login.html", form=form)


def user_awaiting_code():
    pending = session.get("2fa")
    if not isinstance(pending, dict) or not isinstance(pending.get("at"), int):
        return None
    if time.time() - pending["at"] > CODE_STEP_SECONDS:
        return None
    return load_user(str(pending.get("user", "")))


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def login_code():
    user = user_awaiting_code()
    if user is None or not user.has_two_factor:
        session.pop("2fa", None)
        flash(_("Please sign in again."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        account = f"2fa:{user.id}"
        wait = throttle.minutes_to_wait(account)
        if wait:
            form.code.errors.append(too_many_attempts(wait))
        elif twofactor.accept_code(user, form.code.data):
            throttle.forget_failures(account)
            session.pop("2fa", None)
            return finish_sign_in(user, request.args.get("next"))
        else:
            throttle.note_failure(account)
            form.code.errors.append(
                _("This code is not right, or was used already. Please try the next one.")
            )
    return render_template("auth/code.html", form=form)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        # Ends this account's sessions on every browser: a copied cookie dies with it.
        current_user.end_all_sessions()
        audit.record("logout", current_user._get_current_object())
        db.session.commit()
    logout_user()
    session.pop("seen", None)
    flash(_("You are signed out."), "info")
    return redirect(url_for("public.index"))


@bp.route("/login/forgot", methods=["GET", "POST"])
@limiter.limit(public_post_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = passwords.find_user(form.email.data)
        if user is not None and user.active:
            send_reset_mail(user)
            db.session.commit()
        # The same answer whether or not the address has an account.
        flash(
            _(
                "If this address belongs to an account, a message with a link to choose a "
                "new password is on its way. The link works for %(hours)d hours.",
                hours=current_app.config["PASSWORD_RESET_HOURS"],
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


def send_reset_mail(user):
    """Queue the reset mail, at most one every ten minutes per account (a visitor cannot
    flood an organizer's mailbox)."""
    token = passwords.reset_token(user)
    window = int(time.time()) // 600
    language = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    outbox.enqueue(
        "password_reset",
        to=user.email,
        language=language,
        key=f"password-reset:{user.id}:{user.session_token[:8]}:{window}",
        context={
            "reset_url": outbox.mail_url("auth.reset_password", token=token),
            "hours": current_app.config["PASSWORD_RESET_HOURS"],
        },
    )
    audit.record("user.password_reset_requested", user, actor=user)


@bp.route("/login/reset/<token>", methods=["GET", "POST"])
@limiter.limit(public_post_limit, methods=["POST"])
def reset_password(token):
    user = passwords.user_for_reset_token(token)
    if user is None:
        return render_template("auth/reset_expired.html"), 410
    form = ResetPasswordForm()
    if form.validate_on_submit():
        accounts.change_password(user, form.password.data, via="reset")
        db.session.commit()
        flash(_("Your new password is saved. Please sign in with it."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)
