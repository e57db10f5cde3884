"""The organizer's Zoom action on a session's page: send the speakers to the webinar as
panelists. The request only records the wish (a zoom_task the worker runs, like `sala zoom
panelists`): no web request ever waits on Zoom."""

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _

from app.api import Event, admin_required, db, record_audit

from .panelists import queue

bp = Blueprint("zoom_admin", __name__, url_prefix="/admin/zoom")


@bp.before_request
@admin_required
def require_admin():
    """Organizers only."""


@bp.post("/events/<int:event_id>/panelists")
def send_panelists(event_id):
    event = db.get_or_404(Event, event_id)
    if queue(event):
        record_audit("zoom.panelists_queued", event)
        flash(
            _(
                "The speakers will be sent to Zoom as panelists in a moment; each one with an "
                "email address gets their own link by mail."
            ),
            "success",
        )
    else:
        flash(_("This session's Zoom number is not a webinar: only webinars have panelists."))
    db.session.commit()
    return redirect(url_for("sessions.event", event_id=event.id) + "#zoom-status-title")
