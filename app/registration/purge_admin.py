"""Organizer pages to erase a concluded session's personal data: a confirmation page that
says what goes and what stays, offers the export for download, and a POST (CSRF, audited)
that writes the export to the instance folder too and erases. Routes attach to the
registration's organizer blueprint, so they share its admin-only guard."""

import json

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit
from ..extensions import db
from ..models import Event
from . import purge
from .admin import bp


@bp.get("/events/<int:event_id>/purge")
def purge_confirm(event_id):
    event = db.get_or_404(Event, event_id)
    registrations, ideas, messages = purge.pending(event)
    return render_template(
        "registration/admin/purge.html",
        event=event,
        refusal=purge.refusal(event),
        available_at=purge.available_at(event),
        registrations=registrations,
        ideas=ideas,
        messages=messages,
    )


@bp.get("/events/<int:event_id>/purge/export.json")
def purge_export(event_id):
    event = db.get_or_404(Event, event_id)
    data = purge.export_data(event)
    audit.record("registration.export", event, format="json", before_purge=True)
    db.session.commit()
    return Response(
        json.dumps(data, ensure_ascii=False, indent=1),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{event.slug}-personal-data.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/events/<int:event_id>/purge")
def purge_run(event_id):
    event = db.get_or_404(Event, event_id)
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm that the personal data may be erased."), "error")
        return redirect(url_for("registration_admin.purge_confirm", event_id=event.id))
    try:
        result = purge.purge(event, actor=current_user._get_current_object())
    except purge.PurgeRefused as exc:
        flash(str(exc), "error")
        return redirect(url_for("registration_admin.purge_confirm", event_id=event.id))
    db.session.commit()
    if result.nothing_left:
        flash(_("There was no personal data left to erase."), "info")
    else:
        flash(
            _(
                "Erased: %(registrations)d registrations, %(ideas)d idea authors, "
                "%(messages)d mails. A copy was kept on the server as %(file)s.",
                registrations=result.registrations,
                ideas=result.ideas,
                messages=result.messages,
                file=result.export_path.name,
            ),
            "success",
        )
    return redirect(url_for("sessions.event", event_id=event.id))


@bp.app_context_processor
def purge_helpers():
    return {"purge_refusal": purge.refusal, "purge_available_at": purge.available_at}
