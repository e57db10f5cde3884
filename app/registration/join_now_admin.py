"""Organizer pages to send the join details to everyone confirmed now, ahead of the release
rule: the question says how many will get them and shows the mail each language receives;
the POST (CSRF, audited) queues them once each. Without JavaScript the button opens the
question on a page of its own; with htmx the question replaces the section in place. Routes
attach to the registration's organizer blueprint, so they share its admin-only guard."""

from types import SimpleNamespace

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from jinja2_fragments.flask import render_block

from ..extensions import db
from ..mail.outbox import render_mail
from ..models import Event, Registration, utcnow
from . import domain
from .admin import bp
from .forms import ActionForm

# Mails queued in the request itself (about 30 ms each, with their calendar files, on a
# busy 2-CPU machine): the worker's next rounds queue the rest, as the release is recorded.
IN_REQUEST = 50


def join_now_info(event):
    """What the session's organizer page says about its join details."""
    sent = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == "confirmed",
            Registration.join_details_sent_at.is_not(None),
        )
    )
    return {
        "count": domain.release_now_count(event),
        "sent": sent,
        "refusal": domain.release_now_refusal(event),
        "released": domain.join_released(event),
        "release_at": domain.join_release_at(event),
    }


def previews(event):
    """The join-details mail as the waiting registrants will read it, one per language
    (with how many read it in that language)."""
    by_language = dict(
        db.session.execute(
            sa.select(Registration.language, sa.func.count())
            .where(*domain.waiting_for_join_details(event))
            .group_by(Registration.language)
            .order_by(Registration.language)
        ).all()
    )
    join = domain.shared_join_details(event)
    shown = []
    for code, count in by_language.items():
        subject, text, _html = render_mail(
            "registration_join",
            code,
            event=event,
            registration=SimpleNamespace(name=_("(their name)")),
            join=join,
            manage_url=_("(each registrant's personal link)"),
        )
        shown.append({"code": code, "count": count, "subject": subject, "text": text})
    return shown


@bp.get("/events/<int:event_id>/join-now")
def join_now_confirm(event_id):
    event = db.get_or_404(Event, event_id)
    values = dict(
        event=event,
        info=join_now_info(event),
        previews=previews(event),
        action=ActionForm(formdata=None),
        asking=True,
    )
    if request.htmx:
        return render_block("registration/admin/_join_now_section.html", "join_now", **values)
    return render_template("registration/admin/join_now.html", **values)


@bp.post("/events/<int:event_id>/join-now")
def join_now(event_id):
    event = db.get_or_404(Event, event_id)
    back = redirect(url_for("sessions.event", event_id=event.id) + "#join-now")
    if not ActionForm().validate():
        flash(_("Something in the request was not right. Please go back and try again."), "error")
        return back
    refusal = domain.release_now_refusal(event)
    if refusal:
        flash(refusal, "error")
        return back
    batch = f"join-now-{event.id}-{utcnow():%Y%m%d%H%M%S}"
    queued = domain.release_now(event, current_user, batch, limit=IN_REQUEST)
    db.session.commit()
    left = domain.release_now_count(event)
    if queued:
        flash(
            ngettext(
                "The join details are on their way to %(num)d registrant.",
                "The join details are on their way to %(num)d registrants.",
                queued,
            ),
            "success",
        )
    else:
        flash(_("Everyone confirmed already has the join details: nothing was sent."), "info")
    if left:
        flash(
            ngettext(
                "%(num)d more will get them within minutes (their personal link is being "
                "made, or there were many).",
                "%(num)d more will get them within minutes (their personal links are being "
                "made, or there were many).",
                left,
            ),
            "info",
        )
    return back


@bp.app_context_processor
def join_now_helpers():
    return {"join_now_info": join_now_info}
