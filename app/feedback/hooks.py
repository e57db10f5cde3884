"""Internal plugin: the feedback form on the registrant's personal page, and forgetting.

An erased registrant's named answers lose their free texts and their name (the ratings
and choices stay, as anonymous counts), and the mark that they answered goes; anonymous
answers cannot be told apart, and stay. A purged session does the same for all its
answers: counts stay, free texts and every link to a registrant go."""

import sqlalchemy as sa
from flask import render_template

from ..extensions import db
from ..plugins import hookimpl
from . import service
from .models import FeedbackAnswer, FeedbackResponse, FeedbackSubmission


@hookimpl
def sala_template_slot(slot, context):
    if slot != "registration_manage" or context.get("registration") is None:
        return None
    registration, token = context["registration"], context.get("token")
    if not token or service.open_for(registration) is None:
        return None
    return render_template(
        "feedback/_manage_link.html",
        token=token,
        answered=service.has_answered(registration),
    )


def forget(which):
    """The responses `which` selects lose their free texts (they may name people) and their
    link to a registrant; their ratings and choices stay, as anonymous counts."""
    responses = sa.select(FeedbackResponse.id).where(which)
    db.session.execute(
        sa.update(FeedbackAnswer).where(FeedbackAnswer.response_id.in_(responses)).values(text="")
    )
    db.session.execute(sa.update(FeedbackResponse).where(which).values(registration_id=None))


@hookimpl
def sala_registration_erased(registration):
    if registration.id is None:
        return
    forget(FeedbackResponse.registration_id == registration.id)
    db.session.execute(
        sa.delete(FeedbackSubmission).where(FeedbackSubmission.registration_id == registration.id)
    )


@hookimpl
def sala_event_purged(event):
    if event.id is None:
        return
    forget(FeedbackResponse.event_id == event.id)
    db.session.execute(sa.delete(FeedbackSubmission).where(FeedbackSubmission.event_id == event.id))
