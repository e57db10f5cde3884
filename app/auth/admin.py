"""Organizer and moderator accounts, as organizers manage them: role, disable or enable,
remove, end sessions, reset two-factor sign-in. Each change goes through app.auth.accounts
(audited, and ending the account's sessions). Organizers only."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..models import User
from . import accounts, admin_required

bp = Blueprint("auth_admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.before_request
@admin_required
def require_admin():
    """Organizers only."""


def role_label(role):
    return {"admin": _("organizer"), "moderator": _("moderator")}.get(role, role)


@bp.app_context_processor
def role_labels():
    return {"role_label": role_label}


@bp.get("/users")
def users():
    rows = db.session.scalars(sa.select(User).order_by(User.email)).all()
    return render_template("auth/admin/users.html", users=rows, roles=User.ROLES)


def change(user_id, do, done_message):
    """Apply `do(user)` to another account; one's own account is changed on My account."""
    user = db.get_or_404(User, user_id)
    if user.id == current_user.id:
        flash(_("You cannot change your own account here; use “My account”."), "error")
        return redirect(url_for("auth_admin.users"))
    try:
        do(user)
    except accounts.AccountError as error:
        flash(str(error), "error")
        return redirect(url_for("auth_admin.users"))
    message = done_message(user)
    db.session.commit()
    flash(message, "info")
    return redirect(url_for("auth_admin.users"))


@bp.post("/users/<int:user_id>/role")
def change_role(user_id):
    role = request.form.get("role")
    if role not in User.ROLES:
        abort(400)
    return change(
        user_id,
        lambda user: accounts.change_role(user, role),
        lambda user: _("%(email)s is now: %(role)s.", email=user.email, role=role_label(role)),
    )


@bp.post("/users/<int:user_id>/disable")
def disable(user_id):
    return change(
        user_id,
        lambda user: accounts.set_active(user, False),
        lambda user: _("%(email)s is disabled and signed out.", email=user.email),
    )


@bp.post("/users/<int:user_id>/enable")
def enable(user_id):
    return change(
        user_id,
        lambda user: accounts.set_active(user, True),
        lambda user: _("%(email)s can sign in again.", email=user.email),
    )


@bp.post("/users/<int:user_id>/signout")
def sign_out(user_id):
    return change(
        user_id,
        accounts.end_sessions,
        lambda user: _("Every session of %(email)s has ended.", email=user.email),
    )


@bp.post("/users/<int:user_id>/two-factor-reset")
def reset_two_factor(user_id):
    return change(
        user_id,
        accounts.reset_two_factor,
        lambda user: _(
            "Two-factor sign-in of %(email)s is reset; they set it up again at their next "
            "sign-in if the site requires it.",
            email=user.email,
        ),
    )


@bp.post("/users/<int:user_id>/remove")
def remove(user_id):
    return change(
        user_id,
        accounts.remove,
        lambda user: _("%(email)s is removed.", email=user.email),
    )
