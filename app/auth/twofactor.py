"""Two-factor sign-in with time-based one-time codes (RFC 6238, any authenticator app),
through pyotp; recovery codes for a lost phone; the enrolment QR code as SVG through segno."""

import hashlib
import hmac
import io
import secrets
import time

import pyotp
import segno
from flask import current_app

RECOVERY_CODES = 10
# A code is accepted one 30-second step early or late (a phone's clock is rarely exact).
VALID_WINDOW = 1


def new_secret():
    return pyotp.random_base32()


def grouped(secret):
    """The secret as people type it: groups of four."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret, email):
    return pyotp.TOTP(secret).provisioning_uri(
        name=email, issuer_name=current_app.config["SITE_NAME"]
    )


def qr_svg(uri):
    """The QR code as a standalone SVG document (no style, no script)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=2, title="")
    return out.getvalue()


def _clean(code):
    return "".join((code or "").split()).replace("-", "").lower()


def matching_step(secret, code, now=None):
    """The time step `code` belongs to (within the window), else None."""
    code = _clean(code)
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    step = int(now) // totp.interval
    for candidate in range(step - VALID_WINDOW, step + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def accept_code(user, code):
    """True if `code` is a current code of `user` not used before (and note it as used), or
    one of the recovery codes (and strike it off). The caller commits."""
    step = matching_step(user.totp_secret, code)
    if step is not None:
        if user.totp_last_step is not None and step <= user.totp_last_step:
            return False  # replayed: each code opens one sign-in only
        user.totp_last_step = step
        return True
    return use_recovery_code(user, code)


def new_recovery_codes():
    """(codes to show once, their digests to store)."""
    codes = [f"{secrets.token_hex(5)}-{secrets.token_hex(5)}" for _ in range(RECOVERY_CODES)]
    return codes, [recovery_digest(code) for code in codes]


def recovery_digest(code):
    return hashlib.sha256(_clean(code).encode()).hexdigest()


def use_recovery_code(user, code):
    digest = recovery_digest(code)
    remaining = list(user.recovery_codes or [])
    for stored in remaining:
        if hmac.compare_digest(stored, digest):
            remaining.remove(stored)
            user.recovery_codes = remaining
            return True
    return False
