"""The organizer's view of the outbox: counts by status, the recent messages, why failed ones
failed, a retry button, failed mail retried all at once (by bulk send and reason), the
queue's pause (why, until when, and a button that ends it), and the progress of bulk sends
(htmx polling that stops when done).

Organizers only, like every page under /admin."""

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from jinja2_fragments.flask import render_block

from .. import audit
from ..auth import admin_required
from ..extensions import db
from ..models import OutboxMessage
from . import mailout
from .mime import NO_SMTPUTF8
from .outbox import RETRYABLE, failure_reason, mask_address, retry, retry_failed
from .worker import IN_FLIGHT_UNKNOWN, current_pause, lift_pause

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
    # A mail-out still being prepared: total is its audience, written the messages so far.
    preparing: bool = False
    written: int = 0
    error: str = ""

    @property
    def done(self):
        return self.sent + self.failed + self.cancelled

    @property
    def finished(self):
        return not self.preparing and self.done >= self.total

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
    for name, recorded in mailout.preparing(list(found)).items():
        progress = found[name]
        progress.preparing, progress.written = True, progress.total
        progress.total = max(progress.total, recorded.total)
        progress.error = recorded.last_error
    return [p for p in found.values() if p.total or p.preparing]


def active_batches():
    """Bulk sends being prepared or with messages still queued or being sent."""
    sending = db.session.scalars(
        sa.select(OutboxMessage.batch)
        .where(OutboxMessage.batch != "", OutboxMessage.status.in_(("queued", "sending")))
        .group_by(OutboxMessage.batch)
        .order_by(sa.func.min(OutboxMessage.id))
    ).all()
    return list(dict.fromkeys([*sending, *mailout.preparing_batches()]))


def status_label(status):
    return {
        "queued": _("queued"),
        "sending": _("being sent"),
        "sent": _("sent"),
        "failed": _("failed"),
        "unknown": _("unknown: may have been delivered"),
        "cancelled": _("cancelled"),
    }.get(status, status)


def error_text(error):
    if error == IN_FLIGHT_UNKNOWN:
        return _(
            "The worker stopped while handing this message to the mail server: it may have "
            "been delivered. It is not sent again, to avoid a duplicate; retry it if the "
            "recipient did not get it (it keeps its Message-ID, so a mail program that got it "
            "can drop the copy)."
        )
    if error == NO_SMTPUTF8:
        return _(
            "The mail server does not take addresses with non-ASCII letters before the @ "
            "(it does not offer SMTPUTF8). Ask the person for another address, or use a mail "
            "server that offers SMTPUTF8."
        )
    return error


@dataclass
class FailedGroup:
    batch: str
    reason: str
    example: str  # one message's whole error, for the organizer to read
    count: int


def failed_groups():
    """Failed messages grouped by bulk send and reason (`failure_reason`), largest first."""
    counts, examples = Counter(), {}
    rows = db.session.execute(
        sa.select(OutboxMessage.batch, OutboxMessage.last_error).where(
            OutboxMessage.status == "failed"
        )
    )
    for batch, error in rows:
        key = (batch, failure_reason(error))
        counts[key] += 1
        examples.setdefault(key, error)
    return [
        FailedGroup(batch, reason, examples[(batch, reason)], count)
        for (batch, reason), count in counts.most_common()
    ]


@bp.app_context_processor
def outbox_helpers():
    return {
        "outbox_status_label": status_label,
        "outbox_error_text": error_text,
        "outbox_retryable": RETRYABLE,
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
        pause=current_pause(),
        failed=failed_groups(),
    )


@bp.post("/outbox/resume")
def outbox_resume():
    """The organizer fixed the provider's settings: end the pause now."""
    if lift_pause():
        audit.record("outbox.resume")
        db.session.commit()
        flash(_("Mail is no longer paused; the worker sends on its next round."))
    else:
        flash(_("Mail is not paused."))
    return redirect(url_for("mail_admin.outbox"))


@bp.post("/outbox/retry-failed")
def outbox_retry_failed():
    """Every failed message at once, or those of one bulk send and reason (the form says
    which; a field left out means any)."""
    count = retry_failed(batch=request.form.get("batch"), reason=request.form.get("reason"))
    db.session.commit()
    flash(
        ngettext(
            "%(num)d failed mail is queued again.", "%(num)d failed mails are queued again.", count
        )
    )
    return redirect(url_for("mail_admin.outbox"))


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
        flash(
            _("Only a failed message, or one whose delivery is unknown, can be retried."), "error"
        )
    return redirect(url_for("mail_admin.outbox", status=request.form.get("status", "")))
