"""One-click unsubscribe from bulk mail (RFC 8058). Every bulk mail (the plan, an
announcement, a follow-up) carries `List-Unsubscribe` with a link of its registration and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click`; a mail provider's POST to that link
stops bulk mail for that registration. Mails about the registration itself (the join
details, a cancellation) still go: the registrant asked for them.

The link is the registration's id signed with the secret key: nothing to store per mail,
valid as long as the registration. The POST carries no cookie, no CSRF token, no Origin:
the signed link is what proves the right to stop the mail, so the view is exempt from CSRF.
A GET only shows a button (link checkers and previews open links; they must stop nothing)."""

from flask import Blueprint, abort, current_app, g, render_template, request
from flask_babel import refresh
from itsdangerous import BadSignature, Signer

from .. import audit, ratelimit
from ..extensions import csrf, db, limiter
from ..models import Registration, utcnow
from .outbox import mail_url, mask_address

bp = Blueprint("unsubscribe", __name__, template_folder="templates")

SALT = "sala.bulk-mail-stop"
ONE_CLICK = "List-Unsubscribe=One-Click"


def _signer():
    return Signer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(registration):
    return _signer().sign(str(registration.id)).decode()


def registration_for(token):
    """The registration a link stops bulk mail for, or None (forged, erased, too long)."""
    if not token or len(token) > 100:
        return None
    try:
        registration_id = int(_signer().unsign(token))
    except (BadSignature, ValueError):
        return None
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.erased_at is not None:
        return None
    return registration


def list_headers(registration, event):
    """The List-* headers of a bulk mail to `registration`."""
    base = mail_url("public.index").split("//", 1)[-1].split("/", 1)[0].split(":")[0]
    return {
        "List-Id": f"<{event.slug}.{base or 'localhost'}>",
        "List-Unsubscribe": f"<{mail_url('unsubscribe.stop', token=token_for(registration))}>",
        "List-Unsubscribe-Post": ONE_CLICK,
    }


def unsubscribe_url(registration):
    return mail_url("unsubscribe.stop", token=token_for(registration))


def stop_bulk_mail(registration):
    """Stop bulk mail for `registration` (once; a second click changes nothing). The
    caller commits. Returns True if it was receiving bulk mail until now."""
    if registration.bulk_mail_stopped_at is not None:
        return False
    registration.bulk_mail_stopped_at = utcnow()
    audit.record("registration.bulk_mail_stopped", registration, actor=None)
    return True


def link_key():
    """Rate limits count per link, not per address: a mail provider posts the one-click
    unsubscribes of all its users from a few addresses of its own."""
    return ratelimit.token_key("unsubscribe", request.view_args.get("token", ""))


def page_for(token):
    registration = registration_for(token)
    if registration is None:
        abort(404)
    g.registrant_language = registration.language
    refresh()
    return registration


@bp.get("/u/<token>")
def stop(token):
    registration = page_for(token)
    return render_template(
        "mail/unsubscribe/stop.html",
        registration=registration,
        event=registration.event,
        address=mask_address(registration.email),
        token=token,
        one_click=ONE_CLICK,
    )


@bp.post("/u/<token>")
@limiter.limit("10 per hour", key_func=link_key)
@csrf.exempt
def stop_now(token):
    registration = page_for(token)
    stop_bulk_mail(registration)
    db.session.commit()
    return render_template(
        "mail/unsubscribe/stopped.html",
        registration=registration,
        event=registration.event,
        address=mask_address(registration.email),
    )
