"""The organizer's view of the outbox: counts by status, the recent messages, why failed ones
failed, a retry button, and the progress of bulk sends (htmx polling that stops when done).

Organizers only, like every page under /admin."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from jinja2_fragments.flask import render_block

from ..auth import admin_required
from ..extensions import db
from ..models import OutboxMessage
from .mime import NO_SMTPUTF8
from .outbox import mask_address, retry
from .worker import HANDED_THEN_STOPPED

bp = Blueprint("mail_admin", __name__, url_prefix="/admin", template_folder="templates")

RECENT = 100
TEMPLATE = "mail/admin/outbox.html"


@bp.before_request
@admin_required
def require_admin():
    """Organizers only."""


@dataclass
class BatchProgress:
    name: str
    total: int = 0
    sent: int = 0
    failed: int = 0
    cancelled: int = 0

    @property
    def done(self):
        return self.sent + self.failed + self.cancelled

    @property
    def finished(self):
        return self.done >= self.total

    @property
    def percent(self):
        return 100 * self.done // self.total if self.total else 100


def batch_progress(names):
    """Progress of the named bulk sends, in the order given."""
    found = {name: BatchProgress(name) for name in names}
    if not found:
        return []
    rows = db.session.execute(
        sa.select(OutboxMessage.batch, OutboxMessage.status, sa.func.count())
        .where(OutboxMessage.batch.in_(found))
        .group_by(OutboxMessage.batch, OutboxMessage.status)
    )
    for name, status, count in rows:
        progress = found[name]
        progress.total += count
        if status in ("sent", "failed", "cancelled"):
            setattr(progress, status, count)
    return [p for p in found.values() if p.total]


def active_batches():
    """Bulk sends with messages still queued or being sent."""
    return db.session.scalars(
        sa.select(OutboxMessage.batch)
        .where(OutboxMessage.batch != "", OutboxMessage.status.in_(("queued", "sending")))
        .group_by(OutboxMessage.batch)
        .order_by(sa.func.min(OutboxMessage.id))
    ).all()


def status_label(status):
    return {
        "queued": _("queued"),
        "sending": _("being sent"),
        "sent": _("sent"),
        "failed": _("failed"),
        "cancelled": _("cancelled"),
    }.get(status, status)


def error_text(error):
    if error == HANDED_THEN_STOPPED:
        return _(
            "The worker stopped after handing this message to the mail server, so it was not "
            "sent again, to avoid a duplicate. Retry it if the recipient did not get it."
        )
    if error == NO_SMTPUTF8:
        return _(
            "The mail server does not take addresses with non-ASCII letters before the @ "
            "(it does not offer SMTPUTF8). Ask the person for another address, or use a mail "
            "server that offers SMTPUTF8."
        )
    return error


@bp.app_context_processor
def outbox_helpers():
    return {
        "outbox_status_label": status_label,
        "outbox_error_text": error_text,
        "mask_address": mask_address,
    }


@bp.get("/outbox")
def outbox():
    status = request.args.get("status", "")
    if status not in OutboxMessage.STATUSES:
        status = ""
    counts = dict(
        db.session.execute(
            sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    recent = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(RECENT)
    if status:
        recent = recent.where(OutboxMessage.status == status)
    return render_template(
        TEMPLATE,
        counts=counts,
        statuses=OutboxMessage.STATUSES,
        status=status,
        messages=db.session.scalars(recent).all(),
        batches=batch_progress(active_batches()),
    )


@bp.get("/outbox/progress")
def outbox_progress():
    """One bulk send's progress bar. For htmx polling, 286 once it is finished: htmx then
    shows the final state and stops asking."""
    found = batch_progress([request.args.get("batch", "")])
    if not request.htmx:
        return redirect(url_for("mail_admin.outbox"))
    if not found:
        return "", 286
    progress = found[0]
    html = render_block(TEMPLATE, "batch_progress", batch=progress)
    return make_response(html, 286 if progress.finished else 200)


@bp.post("/outbox/<int:message_id>/retry")
def outbox_retry(message_id):
    message = db.get_or_404(OutboxMessage, message_id)
    retried = retry(message)
    if retried:
        db.session.commit()
    if request.htmx:
        return render_block(TEMPLATE, "message_row", message=message)
    if retried:
        flash(_("The message to %(to)s is queued again.", to=mask_address(message.recipient)))
    else:
        flash(_("Only a failed message can be retried."), "error")
    return redirect(url_for("mail_admin.outbox", status=request.form.get("status", "")))
