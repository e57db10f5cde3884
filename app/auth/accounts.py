"""Every change to an account, in one place each: audited, and ending the account's
sessions where the change must. The web pages and `sala user` both call these; the caller
commits."""

import sqlalchemy as sa

from .. import audit
from ..extensions import db
from ..models import User


class AccountError(ValueError):
    """A change that is refused; the message says why, in the reader's language."""


def _record(action, user, via, **detail):
    if via != "web":
        detail["via"] = via
    audit.record(action, user, **detail)


def active_organizers():
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.role == "admin", User.active)
    )


def _keep_an_organizer(user):
    from flask_babel import gettext as _

    if user.role == "admin" and user.active and active_organizers() <= 1:
        raise AccountError(_("This is the last active organizer account; it must stay."))


def change_password(user, password, via="web"):
    user.set_password(password)
    user.end_all_sessions()
    _record("user.password", user, via=via)


def end_sessions(user, via="web"):
    user.end_all_sessions()
    _record("user.signout", user, via=via)


def set_active(user, active, via="web"):
    if user.active == active:
        return
    if not active:
        _keep_an_organizer(user)
    user.active = active
    user.end_all_sessions()
    _record("user.enable" if active else "user.disable", user, via=via)


def change_role(user, role, via="web"):
    if role not in User.ROLES or user.role == role:
        return
    if role != "admin":
        _keep_an_organizer(user)
    _record("user.role", user, before=user.role, after=role, via=via)
    user.role = role
    user.end_all_sessions()


def remove(user, via="web"):
    _keep_an_organizer(user)
    _record("user.remove", user, email=user.email, via=via)
    db.session.delete(user)


def reset_two_factor(user, via="web"):
    if not user.has_two_factor:
        return
    user.totp_secret = None
    user.totp_last_step = None
    user.recovery_codes = []
    user.end_all_sessions()
    _record("user.2fa.reset", user, via=via)
