"""Internal plugin: on every worker round, queue the join details that are due (including
those whose personal link was pending) and the 24-hour and 1-hour reminders.

A sweep rather than mails queued ahead with a due time: when the organizer moves the
session, the next round follows the new time."""

from ..extensions import db
from ..plugins import hookimpl


@hookimpl(trylast=True)
def sala_worker_tick(app):
    from .domain import release_due

    queued = release_due()
    db.session.commit()
    return queued
