"""Checking passwords without telling who has an account, and password-reset links."""

import functools
import hashlib

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import User

MIN_LENGTH = 10


@functools.cache
def dummy_hash():
    """A hash made like every stored one (same algorithm and cost), for unknown addresses."""
    return generate_password_hash("no account has this password")


def find_user(email):
    email = (email or "").strip().lower()
    return db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))


def authenticate(email, password):
    """The active user with this email and password, else None. An unknown address, a
    disabled account and a wrong password cost the same: one hash check each, so the time
    an answer takes does not tell whether an account exists."""
    user = find_user(email)
    stored = user.password_hash if user is not None else dummy_hash()
    matches = check_password_hash(stored, password)
    if user is None or not user.active or not matches:
        return None
    return user


def _reset_serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="sala.password-reset")


def _fingerprint(user):
    # Changes with the password and with every "end all sessions": a used link (the
    # password changed) or an older one (sessions ended since) no longer works.
    material = f"{user.password_hash}\0{user.session_token}".encode()
    return hashlib.sha256(material).hexdigest()[:24]


def reset_token(user):
    return _reset_serializer().dumps({"u": user.id, "f": _fingerprint(user)})


def user_for_reset_token(token):
    """The user a reset link is for, while it is unused and not older than
    PASSWORD_RESET_HOURS; else None."""
    max_age = current_app.config["PASSWORD_RESET_HOURS"] * 3600
    try:
        data = _reset_serializer().loads(token, max_age=max_age)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = db.session.get(User, data["u"])
    if user is None or not user.active or data.get("f") != _fingerprint(user):
        return None
    return user
