"""Registration as a set of state changes. Each function here owns one change: it checks
the transition, saves, records the audit entry (organizer actions), queues the mail in the
same transaction and fires the plugin hook. Views call these and commit."""

import dataclasses
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from .. import audit, intake
from ..extensions import db
from ..mail import mailout
from ..mail.outbox import enqueue, mail_url
from ..models import Event, LinkToken, OutboxMessage, Registration, utcnow
from ..plugins import JOIN_PENDING, JoinDetails, hooks
from ..privacy import consent_record
from ..sqlite import take_write_lock
from .ics import ics_attachment

CONFIRM_TTL = timedelta(days=7)
# A personal link still pending this long after it was due falls back to the shared one,
# and never later than this before the start.
JOIN_GRACE = timedelta(minutes=15)
JOIN_LAST_CALL = timedelta(hours=1)


# ---------------------------------------------------------------- the session's state


def event_phase(event, now=None):
    """Where a session stands for a visitor: "soon" (registration opens later), "open",
    "closed" (registration closed, not started), "live", "concluded", "plan", or
    "cancelled"."""
    now = now or utcnow()
    if event.state == "cancelled":
        return "cancelled"
    if event.state == "plan_published":
        return "plan"
    if event.state in ("concluded", "archived") or now >= event.ends_at:
        return "concluded"
    if now >= event.starts_at:
        return "live"
    if event.registration_opens_at and now < event.registration_opens_at:
        return "soon"
    if registration_open(event, now):
        return "open"
    return "closed"


def registration_open(event, now=None):
    now = now or utcnow()
    if event.state != "published":
        return False
    if event.registration_opens_at and now < event.registration_opens_at:
        return False
    closes = event.registration_closes_at or event.ends_at
    return now < closes and now < event.ends_at


def confirmed_count(event):
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Registration)
        .where(Registration.event_id == event.id, Registration.status == "confirmed")
    )


def status_counts(event):
    """{status: number of registrations} for a session; statuses with none are absent."""
    rows = db.session.execute(
        sa.select(Registration.status, sa.func.count())
        .where(Registration.event_id == event.id)
        .group_by(Registration.status)
    ).all()
    return dict(rows)


def status_label(status):
    """A registration's status as organizers read it (the same words as the counts)."""
    return {
        "unconfirmed": _("not confirmed yet"),
        "confirmed": _("registered"),
        "waitlisted": _("on the waitlist"),
        "cancelled": _("cancelled"),
    }.get(status, status)


def seats_left(event):
    if event.capacity is None:
        return None
    return max(event.capacity - confirmed_count(event), 0)


def lock_event(event):
    """Lock the session's row until the transaction ends (PostgreSQL: SELECT ... FOR UPDATE;
    SQLite: the database's write lock), so seats are counted by one confirmation at a time."""
    take_write_lock(db.session)
    db.session.execute(sa.select(Event.id).where(Event.id == event.id).with_for_update())


# ---------------------------------------------------------------- links


REPLACED_MANAGE = "manage-replaced"


def manage_link(registration):
    """A fresh manage link: only the hash is stored, so each mail issues its own. Only the
    newest MANAGE_LINKS_KEPT stay valid: a link in an old mail (in a mailbox someone else
    reads now, on a phone taken at a border) stops working as new mails go out."""
    return mail_url("registration.manage", token=manage_token(registration))


def manage_token(registration):
    """A fresh manage token (see manage_link), for a mail that links pages under it too
    (the feedback form)."""
    _token, raw = LinkToken.issue("manage", registration)
    db.session.flush()
    retire_old_manage_links(registration)
    return raw


def retire_old_manage_links(registration):
    """Mark all but the newest few manage links of a registrant as replaced (kept, so the
    old link can say so kindly instead of "unknown link")."""
    kept = current_app.config["MANAGE_LINKS_KEPT"]
    mine = (
        LinkToken.purpose == "manage",
        LinkToken.subject_type == "registration",
        LinkToken.subject_id == registration.id,
    )
    newest = (
        sa.select(LinkToken.id).where(*mine).order_by(LinkToken.id.desc()).limit(kept)
    ).scalar_subquery()
    db.session.execute(
        sa.update(LinkToken)
        .where(*mine, LinkToken.id.not_in(newest))
        .values(purpose=REPLACED_MANAGE)
        .execution_options(synchronize_session=False)
    )


def manage_links_end(event):
    """Manage links end with the session's retention period, when its purge may run."""
    return event.ends_at + timedelta(days=event.retention_days or 0)


def manage_link_problem(raw):
    """Why a manage link does not open, for a kind page: ("replaced" | "ended", event), or
    (None, None) when it is simply unknown."""
    token = LinkToken.find(raw, REPLACED_MANAGE)
    if token is None:
        token = LinkToken.find(raw, "manage")
        if token is None:
            return None, None
        reason = "ended"
    else:
        reason = "replaced"
    registration = db.session.get(Registration, token.subject_id)
    if registration is None or registration.erased_at is not None:
        return None, None
    return reason, registration.event


def find_manage_registration(raw, now=None):
    """The registration behind a manage link that still works (the newest few, until the
    session's retention ends), or None."""
    token, registration = find_registration(raw, "manage")
    if registration is None:
        return None
    if (now or utcnow()) >= manage_links_end(registration.event):
        return None
    return registration


def find_registration(raw, purpose):
    """(token, registration) for a raw token, or (None, None) if it is unknown, forged or
    its registration was erased."""
    token = LinkToken.find(raw, purpose)
    if token is None or token.subject_type != "registration":
        return None, None
    registration = db.session.get(Registration, token.subject_id)
    if registration is None or registration.erased_at is not None:
        return None, None
    return token, registration


def round_key(registration):
    """Which confirmation this is: someone who cancels and registers again is a new round,
    and gets their mails (once each) again."""
    return f"{registration.id}:{registration.confirmed_at:%Y%m%d%H%M%S%f}"


def _mail(registration, template, key, attachments=None, batch="", **context):
    if "manage_url" not in context:
        context["manage_url"] = manage_link(registration)
    return enqueue(
        template,
        to=registration.email,
        language=registration.language,
        key=key,
        context=context,
        event=registration.event,
        registration=registration,
        attachments=attachments,
        batch=batch,
    )


# ---------------------------------------------------------------- register


def register(event, *, email, name, language, country="", affiliation=""):
    """Register an address, or answer a known one. Returns (registration, created).

    The visitor sees the same answer either way; the mail differs: a confirmation link for
    a new (or not yet confirmed) address, a note with the manage link for a known one."""
    key = Registration.key_for(email)
    registration = db.session.scalar(
        sa.select(Registration).where(
            Registration.event_id == event.id, Registration.email_key == key
        )
    )
    created = registration is None
    if created:
        registration = Registration(
            event=event, email=email.strip(), email_key=key, status="unconfirmed"
        )
        db.session.add(registration)
    if created or registration.status == "cancelled":
        # A new registration, or an old one started again: take what they typed now. A
        # pending one keeps its details (anyone can type its address): only its own link
        # changes them. It gets its confirmation mail again.
        registration.email = email.strip()
        registration.name = name
        registration.language = language
        registration.country = country or ""
        registration.affiliation = affiliation or ""
        registration.consent_text = consent_record(event)
        registration.consented_at = utcnow()
        if registration.status == "cancelled":
            registration.status = "unconfirmed"
            registration.cancelled_at = None
            registration.confirmed_at = None
            registration.join_details_sent_at = None
    if registration.status in ("unconfirmed", "cancelled"):
        db.session.flush()
        token, raw = LinkToken.issue("confirm", registration, CONFIRM_TTL)
        db.session.flush()
        _mail(
            registration,
            "registration_confirm",
            f"confirm:{registration.id}:{token.id}",
            confirm_url=mail_url("registration.confirm", token=raw),
            expires_days=CONFIRM_TTL.days,
            manage_url=None,
        )
    else:
        manage_url = manage_link(registration)
        db.session.flush()
        _mail(
            registration,
            "registration_known",
            f"known:{registration.id}:{utcnow().isoformat()}",
            manage_url=manage_url,
        )
    return registration, created


# ---------------------------------------------------------------- confirm


class ConfirmResult:
    CONFIRMED, WAITLISTED, FULL = "confirmed", "waitlisted", "full"
    ALREADY, EXPIRED, INVALID, CLOSED = "already", "expired", "invalid", "closed"

    def __init__(self, outcome, registration=None):
        self.outcome = outcome
        self.registration = registration


def confirm(raw):
    """Confirm a registration from its link. The session row is locked before seats are
    counted, so two confirmations for the last seat never both get it."""
    token, registration = find_registration(raw, "confirm")
    if registration is None:
        return ConfirmResult(ConfirmResult.INVALID)
    if token.used_at is not None or registration.status in ("confirmed", "waitlisted"):
        return ConfirmResult(ConfirmResult.ALREADY, registration)
    if token.expired or registration.status != "unconfirmed":
        return ConfirmResult(ConfirmResult.EXPIRED, registration)
    event = registration.event
    if event_phase(event) in ("concluded", "plan", "cancelled"):
        return ConfirmResult(ConfirmResult.CLOSED, registration)
    lock_event(event)
    db.session.refresh(registration)  # another request may have confirmed it meanwhile
    if registration.status != "unconfirmed":
        return ConfirmResult(ConfirmResult.ALREADY, registration)
    left = seats_left(event)
    now = utcnow()
    if left is not None and left <= 0:
        if not event.waitlist_enabled:
            return ConfirmResult(ConfirmResult.FULL, registration)
        registration.status = "waitlisted"
    else:
        registration.status = "confirmed"
    registration.confirmed_at = now
    token.used_at = now
    db.session.flush()
    if registration.status == "confirmed":
        _mail(
            registration,
            "registration_confirmed",
            f"confirmed:{round_key(registration)}",
            **timing(event),
        )
    else:
        _mail(registration, "registration_waitlisted", f"waitlisted:{round_key(registration)}")
    hooks().sala_registration_confirmed(registration=registration)
    if registration.status == "confirmed":
        release_join_details(registration)
    return ConfirmResult(registration.status, registration)


def timing(event):
    return {"join_release_at": join_release_at(event), "released": join_released(event)}


# ---------------------------------------------------------------- waitlist


def promote_waitlisted(event):
    """Give free seats to the first on the waitlist (in the order they confirmed); each is
    told by mail. Call with the session row locked. Returns the promoted registrations."""
    promoted = []
    left = seats_left(event)
    while left is None or left > 0:
        first = db.session.scalar(
            sa.select(Registration)
            .where(Registration.event_id == event.id, Registration.status == "waitlisted")
            .order_by(Registration.confirmed_at, Registration.id)
            .limit(1)
        )
        if first is None:
            break
        first.status = "confirmed"
        db.session.flush()
        _mail(first, "registration_promoted", f"promoted:{first.id}:{utcnow().isoformat()}")
        hooks().sala_registration_confirmed(registration=first)
        release_join_details(first)
        promoted.append(first)
        if left is not None:
            left -= 1
    return promoted


# ---------------------------------------------------------------- cancel, change, erase


def cancel(registration, actor=None, notify=True):
    """Cancel a registration; a freed seat goes to the first on the waitlist. The session
    row is locked first and the status read again under the lock: a double click cancels
    (and mails) once, and a waitlisted person promoted meanwhile frees their new seat."""
    event = registration.event
    lock_event(event)
    db.session.refresh(registration)
    if registration.status == "cancelled":
        return []
    was_confirmed = registration.status == "confirmed"
    before = registration.status
    registration.status = "cancelled"
    registration.cancelled_at = utcnow()
    db.session.flush()
    if actor is not None:
        audit.record("registration.cancel", registration, actor=actor, before=before)
    if notify and before != "unconfirmed":
        _mail(
            registration,
            "registration_cancelled",
            f"cancelled:{registration.id}:{registration.cancelled_at.isoformat()}",
        )
    hooks().sala_registration_cancelled(registration=registration)
    # Drop mail for them that is still waiting (reminders, join details).
    db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.registration_id == registration.id,
            OutboxMessage.status == "queued",
            OutboxMessage.kind.in_(("registration_join", "registration_reminder")),
        )
        .values(status="cancelled")
    )
    return promote_waitlisted(event) if was_confirmed else []


def update_details(registration, *, name, language):
    registration.name = name
    registration.language = language
    db.session.flush()


def erase(registration, actor=None, keep_status=False, record=True):
    """Delete a registrant's personal data now: the one path of a registrant's own "delete
    my data" and of an organizer's purge. Every owner of personal data (ideas, mail, the
    audit log, plugins) forgets its part on `sala_registration_erased`, told while the
    registration still holds the address; a confirmed seat is cancelled (and passed on);
    then the registration keeps only what the counts need: status, times, language.

    ``keep_status`` (a concluded session's purge) leaves the status as it was, so the counts
    by status stay true, and passes no seat on. ``record=False`` leaves the audit entry to
    the caller (the purge writes one for the whole session)."""
    if registration.erased_at is not None:
        return
    hooks().sala_registration_erased(registration=registration)
    # What they sent that the worker has not taken yet (a registration, an idea).
    intake.forget(registration.event_id, registration.email)
    if not keep_status and registration.status in ("confirmed", "waitlisted", "unconfirmed"):
        cancel(registration, actor=actor, notify=False)
    placeholder = f"erased-{registration.id}"  # not an address, unique per row
    registration.email = placeholder
    registration.email_key = placeholder
    registration.name = ""
    registration.country = ""
    registration.affiliation = ""
    registration.erased_at = utcnow()
    db.session.execute(
        sa.delete(LinkToken).where(
            LinkToken.subject_type == "registration", LinkToken.subject_id == registration.id
        )
    )
    if record:
        audit.record("registration.erase", registration, actor=actor)
    db.session.flush()


# ---------------------------------------------------------------- join details


def join_release_at(event):
    """When join details go out: None for "on confirmation". An organizer who sent them to
    everyone ahead of the rule (`release_now`) released them from that moment."""
    if event.join_release == "before_start":
        rule = event.starts_at - timedelta(hours=event.join_release_hours or 0)
        if event.join_released_at is not None:
            return min(rule, event.join_released_at)
        return rule
    return None


def join_released(event, now=None):
    release = join_release_at(event)
    return release is None or (now or utcnow()) >= release


def join_fallback_at(registration):
    """When a personal link still pending gives way to the session's shared link."""
    event = registration.event
    base = max([t for t in (join_release_at(event), registration.confirmed_at) if t] or [utcnow()])
    return max(base, min(base + JOIN_GRACE, event.starts_at - JOIN_LAST_CALL))


def shared_join_details(event):
    return JoinDetails(
        url=event.join_url, passcode=event.join_passcode, dial_in=event.join_phone or ""
    )


def join_details_for(registration):
    """What a plugin answers (a personal link, or JOIN_PENDING), else the shared link; the
    session's dial-in line joins a plugin's answer that has none of its own."""
    details = hooks().sala_join_details(registration=registration)
    if details is None:
        return shared_join_details(registration.event)
    if details is not JOIN_PENDING and not details.dial_in and registration.event.join_phone:
        details = dataclasses.replace(details, dial_in=registration.event.join_phone)
    return details


def release_join_details(registration, now=None, resend=False, batch=""):
    """Send the join details if they are due. Each confirmed registrant gets them once
    (key ``join:<id>``); a resend gets a key of its own. Returns the message, or None when
    not due yet or still pending."""
    now = now or utcnow()
    event = registration.event
    if registration.status != "confirmed" or registration.erased_at is not None:
        return None
    if not join_released(event, now):
        return None
    if registration.join_details_sent_at is not None and not resend:
        return None
    details = join_details_for(registration)
    if details is JOIN_PENDING:
        if now < join_fallback_at(registration):
            return None  # the worker asks again on its next round
        # The plugin sees join_details_sent_at set and keeps to the shared link from now.
        details = shared_join_details(event)
    key = f"join:{round_key(registration)}"
    if resend and registration.join_details_sent_at is not None:
        key = f"join:{registration.id}:resend:{now.isoformat()}"
    message = _mail(
        registration,
        "registration_join",
        key,
        join=details,
        batch=batch,
        attachments=[ics_attachment(event, registration.language, details)],
    )
    registration.join_details_sent_at = now
    db.session.flush()
    return message


def waiting_for_join_details(event):
    """The confirmed registrants who have not had the join details yet."""
    return (
        Registration.event_id == event.id,
        Registration.status == "confirmed",
        Registration.erased_at.is_(None),
        Registration.join_details_sent_at.is_(None),
    )


def release_now_count(event):
    """How many would get the join details if an organizer sent them now."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Registration).where(*waiting_for_join_details(event))
    )


def release_now_refusal(event, now=None):
    """Why the join details cannot be sent to everyone now (a sentence), or None."""
    now = now or utcnow()
    if event.state != "published":
        return _("Join details go out only for a published session.")
    if now >= event.ends_at:
        return _("The session is over.")
    if not event.join_url:
        return _("The session has no join link yet: add it in “Edit the session” first.")
    return None


def release_now(event, actor, batch, now=None, limit=500):
    """Organizer: send the join details to everyone confirmed now, ahead of the release
    rule. From now on the details are released (`Event.join_released_at`): who confirms
    later gets them at once. Each registrant gets them once (the same key as the rule's),
    so a double click or a later worker round sends nothing twice. Up to `limit` are queued
    in this transaction; the worker's next rounds queue the rest, and those whose personal
    link is still being made. Returns how many were queued now."""
    now = now or utcnow()
    lock_event(event)
    if not join_released(event, now):
        event.join_released_at = now
    queued = 0
    waiting = db.session.scalars(
        sa.select(Registration)
        .where(*waiting_for_join_details(event))
        .order_by(Registration.confirmed_at, Registration.id)
        .limit(limit)
    ).all()
    for registration in waiting:
        if release_join_details(registration, now, batch=batch) is not None:
            queued += 1
    audit.record("registration.release_join_now", event, actor=actor, batch=batch, count=queued)
    return queued


def send_personal_link(registration, now=None):
    """The registrant had the session's shared link, and a plugin has now made them a link
    of their own: mail it, with a fresh calendar file, once per confirmation (key
    ``join-personal:``). Returns the message, or None when there is nothing new to send."""
    if (
        registration.status != "confirmed"
        or registration.erased_at is not None
        or registration.join_details_sent_at is None
    ):
        return None
    details = join_details_for(registration)
    if details is JOIN_PENDING or not details.personal or not details.url:
        return None
    if (now or utcnow()) >= registration.event.ends_at:
        return None
    event = registration.event
    return _mail(
        registration,
        "registration_join_personal",
        f"join-personal:{round_key(registration)}",
        join=details,
        attachments=[ics_attachment(event, registration.language, details)],
    )


def enqueue_confirm_reminders(event, now=None, limit=500):
    """One reminder to confirm, CONFIRM_REMINDER_HOURS after someone registered an address
    and did not confirm it; never once the session has started, never twice for the same
    registration (the key holds when they registered: registering again after cancelling
    is a new round). The mail carries a fresh confirmation link and nothing anyone typed:
    the address is not confirmed, so a stranger may have entered it."""
    hours = current_app.config["CONFIRM_REMINDER_HOURS"]
    now = now or utcnow()
    if not hours or now >= event.starts_at:
        return 0
    due_before = now - timedelta(hours=hours)
    rows = db.session.scalars(
        sa.select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == "unconfirmed",
            Registration.erased_at.is_(None),
            Registration.consented_at.is_not(None),
            Registration.consented_at <= due_before,
            # Registered once, reminded once: nothing older than a week (the first link's
            # own life) is reminded at all.
            Registration.consented_at > now - CONFIRM_TTL,
        )
        .order_by(Registration.id)
        .limit(limit * 2)
    ).all()
    queued = 0
    for registration in rows:
        key = f"confirm-remind:{registration.id}:{registration.consented_at:%Y%m%d%H%M%S%f}"
        if db.session.scalar(
            sa.select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)
        ):
            continue
        token, raw = LinkToken.issue("confirm", registration, CONFIRM_TTL)
        db.session.flush()
        _mail(
            registration,
            "registration_confirm_reminder",
            key,
            confirm_url=mail_url("registration.confirm", token=raw),
            expires_days=CONFIRM_TTL.days,
            manage_url=None,
        )
        queued += 1
        if queued >= limit:
            break
    return queued


def enqueue_reminders(event, now=None, limit=500):
    """Queue the 24-hour and 1-hour reminders that are due. The key holds the start time,
    so a session moved to another time reminds again for the new one."""
    now = now or utcnow()
    if now >= event.starts_at:
        return 0
    stamp = event.starts_at.strftime("%Y%m%d%H%M")
    due = []
    hour_before, day_before = (event.starts_at - timedelta(hours=h) for h in (1, 24))
    if event.reminder_1h and now >= hour_before:
        due.append(("1h", hour_before))
    elif event.reminder_24h and day_before <= now < hour_before:
        due.append(("24h", day_before))
    queued = 0
    for which, at in due:
        prefix = f"remind{which}:"
        key_expr = sa.literal(prefix) + sa.cast(Registration.id, sa.String) + f":{stamp}"
        already = (
            sa.select(OutboxMessage.id)
            .where(
                OutboxMessage.registration_id == Registration.id,
                OutboxMessage.idempotency_key == key_expr,
            )
            .exists()
        )
        rows = db.session.scalars(
            sa.select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.status == "confirmed",
                Registration.erased_at.is_(None),
                # Someone who confirmed after the reminder time has just had everything.
                Registration.confirmed_at < at,
                ~already,
            )
            .order_by(Registration.id)
            .limit(limit)
        ).all()
        for registration in rows:
            details = None
            if registration.join_details_sent_at is not None:
                details = join_details_for(registration)
                if details is JOIN_PENDING:
                    details = None
            _mail(
                registration,
                "registration_reminder",
                f"{prefix}{registration.id}:{stamp}",
                which=which,
                join=details,
            )
            queued += 1
    return queued


def release_due(now=None, limit=500):
    """The worker's sweep: join details that are due, and reminders. Returns how many mails
    were queued."""
    now = now or utcnow()
    queued = 0
    events = db.session.scalars(
        sa.select(Event).where(
            Event.state == "published", Event.starts_at > now - timedelta(days=1)
        )
    ).all()
    for event in events:
        if now >= event.ends_at:
            continue
        if join_released(event, now):
            waiting = db.session.scalars(
                sa.select(Registration)
                .where(
                    Registration.event_id == event.id,
                    Registration.status == "confirmed",
                    Registration.erased_at.is_(None),
                    Registration.join_details_sent_at.is_(None),
                )
                .order_by(Registration.confirmed_at, Registration.id)
                .limit(limit)
            ).all()
            for registration in waiting:
                if release_join_details(registration, now) is not None:
                    queued += 1
        queued += enqueue_reminders(event, now, limit)
        queued += enqueue_confirm_reminders(event, now, limit)
    return queued


# ---------------------------------------------------------------- announcements


def announce(event, texts, actor, batch):
    """Record an announcement to every registrant (confirmed or waitlisted), in their
    language (else the session's default); the worker queues it in batches
    (app/mail/mailout.py). `texts` is {lang: (subject, body)}. Returns how many
    registrants it goes to."""
    recorded = mailout.record(
        event, "announcement", batch, {"texts": {k: list(v) for k, v in texts.items()}}, actor
    )
    audit.record(
        "registration.announce", event, actor=actor, batch=batch, recipients=recorded.total
    )
    return recorded.total


class AnnouncementMailout(mailout.MailoutKind):
    def load(self, recorded):
        event = db.session.get(Event, recorded.event_id)
        return dict(
            texts=recorded.context["texts"], default=event.default_language, batch=recorded.batch
        )

    def mail(self, loaded, registration):
        texts = loaded["texts"]
        lang = registration.language
        if not (texts.get(lang) and texts[lang][0] and texts[lang][1]):
            lang = loaded["default"]
        subject, body = texts[lang]
        return dict(
            template="registration_announcement",
            language=lang,
            key=f"announce:{loaded['batch']}:{registration.id}",
            context={
                "announcement_subject": subject,
                "announcement_body": body,
                "manage_url": manage_link(registration),
            },
        )


mailout.register_kind("announcement", AnnouncementMailout())


def send_again(event, registrations, actor, batch):
    """Organizer: send the join details again (or for the first time, if released)."""
    sent = 0
    for registration in registrations:
        if release_join_details(registration, resend=True, batch=batch) is not None:
            sent += 1
    audit.record("registration.resend_join", event, actor=actor, batch=batch, count=sent)
    return sent
