"""Recording a follow-up (one or two mail-outs) and what each registrant's mail holds."""

import sqlalchemy as sa

from .. import audit
from ..extensions import db
from ..feedback import service as feedback
from ..mail import mailout
from ..mail.outbox import mail_url
from ..models import Event, Plan, PlanVersion
from ..plugins import hooks
from ..registration.domain import manage_token


def attendance_known(event):
    """Whether a plugin records who attended `event` (the Zoom plugin, from the meeting's
    join events): only then can the follow-up tell attendees from the others."""
    return bool(hooks().sala_attendance_known(event=event))


def plan_link(event):
    """The public plan's address once a version is published, else ""."""
    published = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(PlanVersion)
        .join(Plan, PlanVersion.plan_id == Plan.id)
        .where(Plan.event_id == event.id)
    )
    return mail_url("plan.public_plan", slug=event.slug) if published else ""


def send_followup(event, texts, links, actor, batch):
    """Record the follow-up: `texts` is {group: {lang: (subject, body)}}, the group "all"
    (everyone registered, or, with an "absent" group beside it, those who attended) and
    "absent" (registered but did not attend); `links` is {"recording_url", "links"}. The
    worker prepares each mail-out in batches. Returns how many registrants it goes to."""
    if "absent" in texts:
        groups = [("attended", texts["all"]), ("absent", texts["absent"])]
    else:
        groups = [("registered", texts["all"])]
    total = 0
    for number, (audience, group_texts) in enumerate(groups, start=1):
        context = {
            "texts": {code: list(pair) for code, pair in group_texts.items()},
            "recording_url": links["recording_url"],
            "links": [list(link) for link in links["links"]],
        }
        recorded = mailout.record(
            event, "followup", f"{batch}.{number}", context, actor, audience=audience
        )
        total += recorded.total
    audit.record(
        "followup.send", event, actor=actor, batch=batch, recipients=total, split="absent" in texts
    )
    return total


def mail_context(event, subject, body, recording_url, links, plan_url):
    return dict(
        followup_subject=subject,
        followup_body=body,
        recording_url=recording_url,
        links=links,
        plan_url=plan_url,
        event=event,
    )


def personal_feedback_links(registration):
    """The registrant's "manage" link and their feedback form's, under one fresh manage
    token (the form is a page of their personal page)."""
    token = manage_token(registration)
    return dict(
        manage_url=mail_url("registration.manage", token=token),
        feedback_url=mail_url("feedback.answer", token=token),
    )


class FollowupMailout(mailout.MailoutKind):
    def load(self, recorded):
        event = db.session.get(Event, recorded.event_id)
        return dict(
            event=event,
            context=recorded.context,
            batch=recorded.batch,
            plan_url=plan_link(event),  # the plan published since is linked too
            feedback_open=feedback.is_open(event),  # as it is when the mail is prepared
        )

    def mail(self, loaded, registration):
        texts = loaded["context"]["texts"]
        event = loaded["event"]
        lang = registration.language
        if not (texts.get(lang) and all(texts[lang])):
            lang = event.default_language
        subject, body = texts[lang]
        context = mail_context(
            event,
            subject,
            body,
            loaded["context"]["recording_url"],
            loaded["context"]["links"],
            loaded["plan_url"],
        )
        if loaded["feedback_open"]:
            context.update(personal_feedback_links(registration))
        return dict(
            template="followup",
            language=lang,
            key=f"followup:{loaded['batch']}:{registration.id}",
            context=context,
        )


mailout.register_kind("followup", FollowupMailout())
