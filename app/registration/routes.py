"""The public side of registration: the form on the session page, the confirmation link,
the registrant's own manage page, and the session's calendar file."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import refresh
from jinja2_fragments.flask import render_block

from .. import intake, ratelimit
from ..events import get_public_event
from ..extensions import db, limiter
from ..models import utcnow
from ..pagecache import visitor_page
from ..plugins import JOIN_PENDING
from ..templating import time_left
from . import domain
from .forms import ActionForm, EraseForm, ManageForm, RegistrationForm, country_codes
from .ics import build_ics, ics_filename

bp = Blueprint("registration", __name__, template_folder="templates")


def public_post_limit():
    return current_app.config["RATELIMIT_PUBLIC_POST"]


def link_mail_limit():
    return current_app.config["LINK_MAIL_RATE_LIMIT"]


def token_key():
    return ratelimit.token_key("manage", request.view_args.get("token", ""))


def confirm_token_key():
    return ratelimit.token_key("confirm-link", request.view_args.get("token", ""))


# ---------------------------------------------------------------- the session page helpers


def registration_form_for(event):
    from ..i18n import current_language

    form = RegistrationForm(formdata=None)
    form.language.data = current_language()
    return form


def countdown(event, now=None):
    """ "46 days, 3 hours", in the reader's language; empty once it has started, or once the
    organizer has concluded it (even before its date: it is over, nothing is left to wait)."""
    return countdown_and_next_change(event, now)[0]


def countdown_and_next_change(event, now=None):
    """The countdown's words and the seconds until they change (the script asks again then);
    ("", 0) once the session has started or is over."""
    now = now or utcnow()
    if now >= event.starts_at or event.state in (
        "concluded",
        "plan_published",
        "archived",
        "cancelled",
    ):
        return "", 0
    return time_left((event.starts_at - now).total_seconds())


def plan_url(event):
    if "plan.public_plan" in current_app.view_functions:
        return url_for("plan.public_plan", slug=event.slug)
    return None


@bp.app_context_processor
def registration_helpers():
    return {
        "registration_form_for": registration_form_for,
        "event_phase": domain.event_phase,
        "seats_left": domain.seats_left,
        "countdown": countdown,
        "countdown_and_next_change": countdown_and_next_change,
        "plan_url": plan_url,
    }


def public_event_or_404(slug):
    event = get_public_event(slug)
    if event is None:
        abort(404)
    return event


def render_event(event, form, status=200, notice=None):
    return render_template("public/event.html", event=event, form=form, notice=notice), status


# ---------------------------------------------------------------- register


@bp.post("/s/<slug>/register")
@limiter.limit(public_post_limit, methods=["POST"])
def register(slug):
    """Check the form, keep what was sent for the worker (app/intake.py) and answer the
    same "check your mail" page for everyone: the work that differs between a new and a
    known address (and its mail) happens later, out of the visitor's request."""
    facts = intake.facts(slug)
    if facts is None:
        abort(404)
    data = quick_registration(request.form) if domain.registration_open(facts) else None
    if data is None:
        # Closed, or something to say about the form: the page as it always was.
        event = public_event_or_404(slug)
        form = RegistrationForm()
        if not domain.registration_open(event):
            return render_event(event, form, notice=_("Registration for this session is closed."))
        if not form.validate():
            return render_event(event, form)
        data = {
            "email": form.email.data,
            "name": form.name.data.strip(),
            "language": form.language.data,
            "country": form.country.data or "",
            "affiliation": (form.affiliation.data or "").strip(),
            "website": form.website.data or "",
        }
    done = url_for("registration.registered", slug=slug)
    if data.pop("website"):
        # A bot filled the field humans never see: answer as usual, do nothing.
        return redirect(done)
    intake.store("registration", facts.id, data["email"], data)
    return redirect(done)


def quick_registration(form):
    """The registration form's values when they are plainly valid, checked by the form's
    own validators without building it; None otherwise (the view then builds the form)."""
    from ..i18n import current_language

    fields = RegistrationForm
    values = {
        name: intake.text(form, name)
        for name in ("email", "name", "language", "country", "affiliation", "website")
    }
    if None in values.values():
        return None
    consent = form.getlist("consent")
    if len(consent) != 1 or consent[0] in ("", "false"):
        return None
    if values["language"] not in current_app.config["LANGUAGES"]:
        return None
    if values["country"] and values["country"] not in country_codes(current_language()):
        return None
    for name in ("email", "name", "affiliation", "website"):
        if not intake.passes(getattr(fields, name), values[name]):
            return None
    values["name"] = values["name"].strip()
    values["affiliation"] = values["affiliation"].strip()
    return values


@bp.get("/s/<slug>/register")
def register_page(slug):
    event = public_event_or_404(slug)
    return redirect(url_for("public.event", slug=event.slug) + "#register")


@bp.get("/s/<slug>/registered")
@visitor_page
def registered(slug):
    """Where every registration lands: the same page for everyone, so it is cached like
    the session page."""
    event = public_event_or_404(slug)
    return render_template("registration/check_email.html", event=event)


@bp.get("/s/<slug>/calendar.ics")
def calendar(slug):
    from ..i18n import current_language

    event = public_event_or_404(slug)
    body = build_ics(event, current_language())
    return current_app.response_class(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{ics_filename(event)}"'},
    )


# ---------------------------------------------------------------- confirm


@bp.route("/r/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(public_post_limit, methods=["POST"])
def confirm(token):
    found, registration = domain.find_registration(token, "confirm")
    if registration is None:
        return render_template("registration/link_invalid.html"), 404
    g.registrant_language = registration.language
    refresh()
    event = registration.event
    form = ActionForm()
    if found.used_at is not None or registration.status in ("confirmed", "waitlisted"):
        return render_template(
            "registration/confirm.html",
            outcome="already",
            registration=registration,
            event=event,
            form=form,
            token=token,
        )
    if found.expired or registration.status != "unconfirmed":
        return render_template(
            "registration/confirm.html",
            outcome="expired",
            registration=registration,
            event=event,
            form=form,
            token=token,
        )
    if request.method == "POST" and form.validate():
        result = domain.confirm(token)
        db.session.commit()
        return render_template(
            "registration/confirm.html",
            outcome=result.outcome,
            registration=registration,
            event=event,
            form=form,
            token=token,
            timing=domain.timing(event),
        )
    return render_template(
        "registration/confirm.html",
        outcome="ask",
        registration=registration,
        event=event,
        form=form,
        token=token,
    )


@bp.post("/r/confirm/<token>/link")
@limiter.limit(public_post_limit)
@limiter.limit(link_mail_limit, key_func=confirm_token_key)
def send_manage_link(token):
    """A used confirmation link: send the personal link by mail (never shown on the page,
    since a used link may have been forwarded)."""
    found, registration = domain.find_registration(token, "confirm")
    if registration is None or found.used_at is None or not ActionForm().validate():
        return render_template("registration/link_invalid.html"), 404
    if ratelimit.mailbox_may_receive(registration.email):
        domain.register(
            registration.event,
            email=registration.email,
            name=registration.name,
            language=registration.language,
        )
        db.session.commit()
    flash(_("We have sent you an email with your personal link."), "success")
    return redirect(url_for("registration.confirm", token=token))


# ---------------------------------------------------------------- manage


def manage_link_refusal(token):
    """The page for a manage link that does not open: replaced by a newer one, ended with
    the session's retention, or unknown."""
    reason, event = domain.manage_link_problem(token)
    if reason is None:
        return make_response(render_template("registration/link_invalid.html"), 404)
    page = render_template("registration/link_replaced.html", reason=reason, event=event)
    return make_response(page, 410)


def manage_context(token):
    registration = domain.find_manage_registration(token)
    if registration is None:
        abort(manage_link_refusal(token))
    g.registrant_language = registration.language
    refresh()
    return registration


def own_join_details(registration):
    """A confirmed registrant's own join details once they are released (their personal
    link where a plugin made one); JOIN_PENDING while it is being made; None before."""
    if registration.status != "confirmed" or not domain.join_released(registration.event):
        return None
    return domain.join_details_for(registration)


def manage_values(token, registration, form=None, erase_form=None, confirm_cancel=False):
    event = registration.event
    join = own_join_details(registration)
    if form is None:
        form = ManageForm(formdata=None, obj=registration)
    return dict(
        token=token,
        registration=registration,
        event=event,
        form=form,
        action=ActionForm(formdata=None),
        erase_form=erase_form or EraseForm(formdata=None),
        join_released=domain.join_released(event),
        join_release_at=domain.join_release_at(event),
        join=join if join is not JOIN_PENDING and join is not None and join.url else None,
        join_pending=join is JOIN_PENDING,
        confirm_cancel=confirm_cancel,
    )


def render_manage(token, registration, form=None, erase_form=None, status=200):
    values = manage_values(token, registration, form, erase_form)
    return render_template("registration/manage.html", **values), status


@bp.get("/r/manage/<token>")
def manage(token):
    registration = manage_context(token)
    return render_manage(token, registration)


@bp.get("/r/manage/<token>/calendar.ics")
def own_calendar(token):
    """The session for the registrant's calendar, with their own join details once they are
    released (the same file as the join-details mail's attachment)."""
    registration = manage_context(token)
    join = own_join_details(registration)
    if join is JOIN_PENDING or (join is not None and not join.url):
        join = None
    body = build_ics(registration.event, registration.language, join)
    return current_app.response_class(
        body,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": f'attachment; filename="{ics_filename(registration.event)}"'
        },
    )


@bp.post("/r/manage/<token>")
@limiter.limit(public_post_limit)
def update(token):
    registration = manage_context(token)
    form = ManageForm()
    if registration.status == "cancelled" or not form.validate():
        return render_manage(token, registration, form=form)
    domain.update_details(registration, name=form.name.data.strip(), language=form.language.data)
    db.session.commit()
    # The page follows the language they chose for mails, unless they picked one explicitly.
    g.registrant_language = registration.language
    refresh()
    flash(_("Your details are saved."), "success")
    return redirect(url_for("registration.manage", token=token))


@bp.post("/r/manage/<token>/resend")
@limiter.limit(public_post_limit)
@limiter.limit(link_mail_limit, key_func=token_key)
def resend(token):
    registration = manage_context(token)
    if not ActionForm().validate():
        abort(400)
    if registration.status != "confirmed" or not domain.join_released(registration.event):
        flash(_("The join details are not available yet."), "error")
    elif not ratelimit.mailbox_may_receive(registration.email):
        flash(_("The join details are on their way to your inbox."), "success")
    elif domain.release_join_details(registration, resend=True) is None:
        flash(_("Your personal link is still being prepared. It will reach you soon."), "info")
    else:
        db.session.commit()
        flash(_("The join details are on their way to your inbox."), "success")
    return redirect(url_for("registration.manage", token=token))


@bp.post("/r/manage/<token>/cancel")
@limiter.limit(public_post_limit)
def cancel(token):
    registration = manage_context(token)
    if not ActionForm().validate():
        abort(400)
    if registration.status != "cancelled":
        domain.cancel(registration)
        db.session.commit()
        flash(_("Your registration is cancelled. You can register again at any time."), "success")
    return redirect(url_for("registration.manage", token=token))


@bp.get("/r/manage/<token>/cancel")
def cancel_confirm(token):
    """The question before a cancellation: the manage page asking it (without JavaScript), or
    just its cancel block (htmx)."""
    registration = manage_context(token)
    if registration.status == "cancelled":
        return redirect(url_for("registration.manage", token=token))
    values = manage_values(token, registration, confirm_cancel=True)
    if request.headers.get("HX-Request"):
        response = make_response(render_block("registration/manage.html", "cancel", **values))
    else:
        response = make_response(render_template("registration/manage.html", **values))
    response.vary.add("HX-Request")
    return response


@bp.post("/r/manage/<token>/erase")
@limiter.limit(public_post_limit)
def erase(token):
    registration = manage_context(token)
    erase_form = EraseForm()
    if not erase_form.validate():
        return render_manage(token, registration, erase_form=erase_form)
    event = registration.event
    domain.erase(registration)
    db.session.commit()
    return render_template("registration/erased.html", event=event)
