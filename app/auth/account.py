"""My account: change my password, sign out everywhere, turn two-factor sign-in on or off."""

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import audit
from ..extensions import db
from . import accounts, twofactor
from .forms import ChangePasswordForm, CodeForm, DisableTwoFactorForm
from .routes import bp
from .sessions import start_session

# The secret being enrolled waits in the (signed) session until a code confirms it: only
# then is it stored on the account.
PENDING_SECRET = "2fa_pending"


def render_account(password_form=None, disable_form=None, status=200):
    return render_template(
        "auth/account.html",
        password_form=password_form or ChangePasswordForm(formdata=None),
        disable_form=disable_form or DisableTwoFactorForm(formdata=None),
    ), status


@bp.get("/account")
@login_required
def account():
    return render_account()


@bp.post("/account/password")
@login_required
def change_password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return render_account(password_form=form, status=400)
    user = current_user._get_current_object()
    if not user.check_password(form.current.data):
        form.current.errors.append(_("This is not your current password."))
        return render_account(password_form=form, status=400)
    accounts.change_password(user, form.password.data)
    db.session.commit()
    start_session(user)  # every other session has ended; this one goes on
    flash(_("Your password is changed. Every other session of your account has ended."), "info")
    return redirect(url_for("auth.account"))


@bp.post("/account/signout-everywhere")
@login_required
def sign_out_everywhere():
    user = current_user._get_current_object()
    accounts.end_sessions(user)
    db.session.commit()
    start_session(user)
    flash(_("Every other session of your account has ended."), "info")
    return redirect(url_for("auth.account"))


def pending_secret():
    secret = session.get(PENDING_SECRET)
    if not isinstance(secret, str) or len(secret) != 32:
        secret = session[PENDING_SECRET] = twofactor.new_secret()
    return secret


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    user = current_user._get_current_object()
    if user.has_two_factor:
        return redirect(url_for("auth.account"))
    secret = pending_secret()
    form = CodeForm()
    if form.validate_on_submit():
        step = twofactor.matching_step(secret, form.code.data)
        if step is None:
            form.code.errors.append(
                _("This code is not right. Check the clock of your phone and try the next one.")
            )
        else:
            codes, digests = twofactor.new_recovery_codes()
            user.totp_secret = secret
            user.totp_last_step = step
            user.recovery_codes = digests
            audit.record("user.2fa.enable", user)
            db.session.commit()
            session.pop(PENDING_SECRET, None)
            return render_template("auth/recovery_codes.html", codes=codes)
    return render_template(
        "auth/two_factor_setup.html",
        form=form,
        secret=twofactor.grouped(secret),
        required=current_app.config["REQUIRE_TWO_FACTOR"],
    )


@bp.get("/account/two-factor/qr.svg")
@login_required
def two_factor_qr():
    uri = twofactor.provisioning_uri(pending_secret(), current_user.email)
    response = Response(twofactor.qr_svg(uri), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/two-factor/disable")
@login_required
def two_factor_disable():
    user = current_user._get_current_object()
    form = DisableTwoFactorForm()
    if not user.has_two_factor:
        return redirect(url_for("auth.account"))
    if current_app.config["REQUIRE_TWO_FACTOR"]:
        flash(_("Two-factor sign-in is required on this site."), "error")
        return redirect(url_for("auth.account"))
    if not form.validate_on_submit():
        return render_account(disable_form=form, status=400)
    if not user.check_password(form.password.data):
        form.password.errors.append(_("This is not your current password."))
        return render_account(disable_form=form, status=400)
    if not twofactor.accept_code(user, form.code.data):
        form.code.errors.append(_("This code is not right, or was used already."))
        db.session.commit()
        return render_account(disable_form=form, status=400)
    user.totp_secret = None
    user.totp_last_step = None
    user.recovery_codes = []
    audit.record("user.2fa.disable", user)
    db.session.commit()
    flash(_("Two-factor sign-in is off."), "info")
    return redirect(url_for("auth.account"))


# Where an account that must still enrol in two-factor sign-in may go.
ENROLMENT_ENDPOINTS = {
    "auth.two_factor_setup",
    "auth.two_factor_qr",
    "auth.logout",
    "static",
}


def require_two_factor():
    """With REQUIRE_TWO_FACTOR, an organizer or moderator without it enrols before anything."""
    if not current_app.config["REQUIRE_TWO_FACTOR"] or request.endpoint in ENROLMENT_ENDPOINTS:
        return None
    if request.endpoint is None or request.endpoint.endswith(".static"):
        return None
    if current_user.is_authenticated and not current_user.has_two_factor:
        flash(_("This site requires two-factor sign-in. Please set it up now."), "info")
        return redirect(url_for("auth.two_factor_setup"))
    return None
