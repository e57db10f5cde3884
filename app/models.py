"""The data model. Timestamps are stored in UTC; texts per language are JSON objects keyed
by language code, read through `localized` with a fallback to the event's default language."""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db


def utcnow():
    """Naive UTC, as stored: SQLite keeps no offsets, so every column holds UTC without one."""
    return datetime.now(UTC).replace(tzinfo=None)


def localized(texts, lang, fallback):
    """(text, language_used) from a {lang: text} dict: the wanted language, else the fallback."""
    texts = texts or {}
    if texts.get(lang):
        return texts[lang], lang
    if texts.get(fallback):
        return texts[fallback], fallback
    return "", lang


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# ---------------------------------------------------------------- people


def new_session_token():
    return secrets.token_urlsafe(32)


class User(UserMixin, TimestampMixin, db.Model):
    """An organizer (role "admin") or a moderator."""

    ROLES = ("admin", "moderator")

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20), default="moderator")
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]
    # Part of every session cookie of this account (see get_id): a new token ends them all.
    session_token: Mapped[str] = mapped_column(sa.String(64), default=lambda: new_session_token())
    # Two-factor sign-in: the TOTP secret (base32), the last time step accepted (a code is
    # never accepted twice) and the recovery codes, each kept as a SHA-256 digest.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    recovery_codes: Mapped[list] = mapped_column(sa.JSON, default=list)

    def set_password(self, password):
        # Werkzeug's default is scrypt, a memory-hard KDF.
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    def get_id(self):
        # Flask-Login keeps this in the session; the user loader accepts it only while the
        # token is still the account's own (app/auth/sessions.py).
        return f"{self.id}:{self.session_token}"

    def end_all_sessions(self):
        self.session_token = new_session_token()

    @property
    def has_two_factor(self):
        return bool(self.totp_secret)

    @property
    def is_active(self):
        return self.active

    @property
    def is_admin(self):
        return self.role == "admin"

    def has_role(self, role):
        # An organizer can do everything a moderator can.
        return self.role == role or self.role == "admin"


class AuditEntry(db.Model):
    """Who did what to what, when. Written by `app.audit.record`. Not from where: no
    visitor's (or organizer's) IP address is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    actor: Mapped[User | None] = relationship()
    actor_label: Mapped[str] = mapped_column(sa.String(254), default="")
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    target_type: Mapped[str] = mapped_column(sa.String(40), default="")
    target_id: Mapped[int | None]
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)


# ---------------------------------------------------------------- sessions


class Event(TimestampMixin, db.Model):
    """A session. Called "event" in code to keep it apart from Flask's session."""

    # "cancelled": called off before it took place (from draft or published); its page
    # stays at its address and says so.
    STATES = ("draft", "published", "concluded", "plan_published", "archived", "cancelled")
    TEXT_FIELDS = ("title", "summary", "convener", "agenda", "speakers", "privacy_notice")

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    state: Mapped[str] = mapped_column(sa.String(20), default="draft")
    is_demo: Mapped[bool] = mapped_column(default=False)
    default_language: Mapped[str] = mapped_column(sa.String(10), default="en")
    # {"en": {"title": ..., "summary": ..., ...}, "km": {...}}
    texts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(default=120)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Phnom_Penh")
    extra_timezones: Mapped[list] = mapped_column(sa.JSON, default=list)
    registration_opens_at: Mapped[datetime | None]
    registration_closes_at: Mapped[datetime | None]
    capacity: Mapped[int | None]
    waitlist_enabled: Mapped[bool] = mapped_column(default=True)
    ideas_open_at: Mapped[datetime | None]
    ideas_close_at: Mapped[datetime | None]
    # "on_confirmation", or "before_start" with join_release_hours
    join_release: Mapped[str] = mapped_column(sa.String(20), default="on_confirmation")
    join_release_hours: Mapped[int] = mapped_column(default=24)
    join_url: Mapped[str] = mapped_column(sa.String(500), default="")
    join_passcode: Mapped[str] = mapped_column(sa.String(100), default="")
    # How to join by telephone (numbers and the meeting id), shown with the join details.
    join_phone: Mapped[str] = mapped_column(sa.String(500), default="")
    # Set when an organizer sent the join details to everyone confirmed ahead of the rule:
    # from then on the details are released, whatever join_release says.
    join_released_at: Mapped[datetime | None]
    reminder_24h: Mapped[bool] = mapped_column(default=True)
    reminder_1h: Mapped[bool] = mapped_column(default=True)
    notify_rejected_authors: Mapped[bool] = mapped_column(default=True)
    retention_days: Mapped[int] = mapped_column(default=90)
    purged_at: Mapped[datetime | None]
    # The calendar entry's SEQUENCE (RFC 5545): raised each time registrants are told of a
    # new date or time, or of the cancellation, so their calendars replace the old entry.
    ics_sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    # When the calendar entry last changed that way (its LAST-MODIFIED).
    ics_modified_at: Mapped[datetime | None]

    themes: Mapped[list["Theme"]] = relationship(
        back_populates="event", order_by="Theme.position", cascade="all, delete-orphan"
    )

    def text(self, field, lang):
        """One text field in `lang`, falling back to the event's default language."""
        per_lang = {code: values.get(field, "") for code, values in (self.texts or {}).items()}
        return localized(per_lang, lang, self.default_language)[0]

    def text_is_fallback(self, field, lang):
        per_lang = {code: values.get(field, "") for code, values in (self.texts or {}).items()}
        return localized(per_lang, lang, self.default_language)[1] != lang

    def set_text(self, lang, **fields):
        texts = {code: dict(values) for code, values in (self.texts or {}).items()}
        texts.setdefault(lang, {}).update(fields)
        self.texts = texts  # reassign: JSON columns do not track in-place changes

    @property
    def ends_at(self):
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class Theme(db.Model):
    """A theme for ideas, from the organizer's list for one event."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    event: Mapped[Event] = relationship(back_populates="themes")
    position: Mapped[int] = mapped_column(default=0)
    labels: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    def label(self, lang):
        return localized(self.labels, lang, self.event.default_language)[0]


class Registration(TimestampMixin, db.Model):
    """One person's place in a session: their address, language and status (STATUSES)."""

    STATUSES = ("unconfirmed", "confirmed", "waitlisted", "cancelled")

    __table_args__ = (sa.UniqueConstraint("event_id", "email_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    event: Mapped[Event] = relationship()
    email: Mapped[str] = mapped_column(sa.String(254))
    # The address lowercased: one registration per address and event, whatever its case.
    email_key: Mapped[str] = mapped_column(sa.String(254))
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    language: Mapped[str] = mapped_column(sa.String(10), default="en")
    country: Mapped[str] = mapped_column(sa.String(2), default="")
    affiliation: Mapped[str] = mapped_column(sa.String(200), default="")
    consent_text: Mapped[str] = mapped_column(sa.String(100), default="")
    consented_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(sa.String(20), default="unconfirmed", index=True)
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]
    # A personal join link, and where a plugin stands in making one, are the plugin's own
    # (the Zoom plugin's zoom_registrant table): the core knows only when it sent them.
    join_details_sent_at: Mapped[datetime | None]
    attended: Mapped[bool] = mapped_column(default=False)
    # Set by the one-click unsubscribe of a bulk mail (plan, announcements, follow-ups):
    # those stop; mails about the registration itself (join details) still go.
    bulk_mail_stopped_at: Mapped[datetime | None]

    @staticmethod
    def key_for(email):
        return email.strip().lower()


class LinkToken(db.Model):
    """A secret link (confirm, manage, idea status). Only the SHA-256 of the token is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    purpose: Mapped[str] = mapped_column(sa.String(30))
    subject_type: Mapped[str] = mapped_column(sa.String(30))
    subject_id: Mapped[int] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    used_at: Mapped[datetime | None]

    @staticmethod
    def hash(raw):
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def issue(cls, purpose, subject, ttl=None):
        """Create a token for `subject`; returns (row, raw token for the link)."""
        raw = secrets.token_urlsafe(32)
        row = cls(
            token_hash=cls.hash(raw),
            purpose=purpose,
            subject_type=type(subject).__name__.lower(),
            subject_id=subject.id,
            expires_at=utcnow() + ttl if ttl else None,
        )
        db.session.add(row)
        return row, raw

    @classmethod
    def find(cls, raw, purpose):
        """The token row for a raw token and purpose, or None. Expiry and use are the
        caller's to judge, so it can say kindly which one it is."""
        if not raw or len(raw) > 100:
            return None
        return db.session.scalar(
            sa.select(cls).where(cls.token_hash == cls.hash(raw), cls.purpose == purpose)
        )

    @property
    def expired(self):
        return self.expires_at is not None and self.expires_at < utcnow()


# ---------------------------------------------------------------- ideas


class Idea(TimestampMixin, db.Model):
    """An idea sent for a session; every change of its status goes through the workflow."""

    STATUSES = (
        "unconfirmed",  # sent by a visitor whose email is not confirmed yet
        "received",  # confirmed, no moderation plugin: organizers only
        "pending",
        "approved",
        "rejected",
        "merged",
        "discussed",
        "withdrawn",
    )
    PUBLIC_STATUSES = ("approved", "discussed")
    DISPLAY = ("name", "initials", "anonymous")
    RAISED_BY = ("speaker", "attendee", "name")

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    event: Mapped[Event] = relationship()
    registration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="SET NULL")
    )
    registration: Mapped[Registration | None] = relationship()
    # A visitor who is not registered gives an address; it is never shown.
    author_email: Mapped[str] = mapped_column(sa.String(254), default="")
    author_name: Mapped[str] = mapped_column(sa.String(200), default="")
    display: Mapped[str] = mapped_column(sa.String(12), default="anonymous")
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    theme_id: Mapped[int | None] = mapped_column(sa.ForeignKey("theme.id", ondelete="SET NULL"))
    theme: Mapped[Theme | None] = relationship()
    language: Mapped[str] = mapped_column(sa.String(10), default="en")
    status: Mapped[str] = mapped_column(sa.String(20), default="unconfirmed", index=True)
    moderation_note: Mapped[str] = mapped_column(sa.String(1000), default="")
    moderated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    moderated_by: Mapped[User | None] = relationship()
    moderated_at: Mapped[datetime | None]
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("idea.id"))
    merged_into: Mapped["Idea | None"] = relationship(remote_side="Idea.id")
    discussed_at: Mapped[datetime | None]
    discussion_note: Mapped[str] = mapped_column(sa.String(1000), default="")
    confirmed_at: Mapped[datetime | None]
    # Raised during the session (aloud or in the meeting's chat) and written down by a
    # moderator, rather than sent in advance; `raised_by` says who raised it (RAISED_BY).
    raised_live: Mapped[bool] = mapped_column(default=False)
    raised_by: Mapped[str] = mapped_column(sa.String(12), default="")
    # Bumped on every moderation so two moderators cannot overwrite each other's decision.
    revision: Mapped[int] = mapped_column(default=1)
    # The session's speaker who presented it (app/speakers), shown as "presented by"; one
    # per idea: an idea is raised by one voice. Removing the speaker clears it.
    presented_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("speaker.id", ondelete="SET NULL")
    )
    presented_by: Mapped["Speaker | None"] = relationship()  # noqa: F821 (app/speakers)


# ---------------------------------------------------------------- the Plan of Action


class Plan(TimestampMixin, db.Model):
    """The Plan of Action of one event: the draft being edited, and its published versions."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("event.id", ondelete="CASCADE"), unique=True
    )
    event: Mapped[Event] = relationship()
    intro: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # "draft" while unpublished edits exist, "published" when the draft equals the last version.
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    sections: Mapped[list["PlanSection"]] = relationship(
        back_populates="plan", order_by="PlanSection.position", cascade="all, delete-orphan"
    )
    versions: Mapped[list["PlanVersion"]] = relationship(
        back_populates="plan", order_by="PlanVersion.number", cascade="all, delete-orphan"
    )


class PlanSection(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id", ondelete="CASCADE"))
    plan: Mapped[Plan] = relationship(back_populates="sections")
    position: Mapped[int] = mapped_column(default=0)
    theme_id: Mapped[int | None] = mapped_column(sa.ForeignKey("theme.id", ondelete="SET NULL"))
    title: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    body: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    items: Mapped[list["PlanItem"]] = relationship(
        back_populates="section", order_by="PlanItem.position", cascade="all, delete-orphan"
    )


plan_item_ideas = sa.Table(
    "plan_item_idea",
    db.metadata,
    sa.Column("item_id", sa.ForeignKey("plan_item.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("idea_id", sa.ForeignKey("idea.id", ondelete="CASCADE"), primary_key=True),
)


class PlanItem(db.Model):
    STATUSES = ("proposed", "agreed", "under_way", "done")

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_section.id", ondelete="CASCADE"))
    section: Mapped[PlanSection] = relationship(back_populates="items")
    position: Mapped[int] = mapped_column(default=0)
    what: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    who: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    due: Mapped[str] = mapped_column(sa.String(100), default="")
    status: Mapped[str] = mapped_column(sa.String(20), default="proposed")
    ideas: Mapped[list[Idea]] = relationship(secondary=plan_item_ideas)
    # The speaker who presented this item during the session, as on ideas.
    presented_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("speaker.id", ondelete="SET NULL")
    )
    presented_by: Mapped["Speaker | None"] = relationship()  # noqa: F821 (app/speakers)


class PlanVersion(db.Model):
    """A published version: a frozen snapshot of the plan, so old versions stay readable."""

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id", ondelete="CASCADE"))
    plan: Mapped[Plan] = relationship(back_populates="versions")
    number: Mapped[int]
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    snapshot: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    change_note: Mapped[dict] = mapped_column(sa.JSON, default=dict)


# ---------------------------------------------------------------- mail


class OutboxMessage(db.Model):
    """A mail rendered at enqueue time, written in the transaction of the change that
    caused it, and sent later by the worker."""

    # "unknown": handed to the provider by a worker that died before it heard the answer;
    # it may have been delivered, so it is not sent again unless an organizer says so.
    STATUSES = ("queued", "sending", "sent", "failed", "unknown", "cancelled")

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    language: Mapped[str] = mapped_column(sa.String(10))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    # [{"filename", "content_type", "data"}], data as text (an .ics) or base64
    attachments: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Extra headers to send ({"Reply-To": ..., "List-Unsubscribe": ...}), decided at enqueue.
    headers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    kind: Mapped[str] = mapped_column(sa.String(40), default="")
    batch: Mapped[str] = mapped_column(sa.String(80), default="", index=True)
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("event.id", ondelete="SET NULL"))
    registration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registration.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(sa.String(20), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str] = mapped_column(sa.String(100), default="")
    claimed_until: Mapped[datetime | None]
    # Set just before the message is handed to the provider: a claim that expires after this
    # is not retried, so a dead worker never causes a second copy.
    handed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(sa.String(1000), default="")
    provider_id: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.Index("ix_outbox_due", "status", "due_at"),)


class Mailout(db.Model):
    """An organizer's "send this to that audience" (a plan version to its registrants, an
    announcement), recorded by the request; the worker turns it into outbox messages a
    bounded batch at a time (app/mail/mailout.py). `batch` names the outbox batch and makes
    a second record of the same mail-out a no-op."""

    STATUSES = ("preparing", "done")

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    batch: Mapped[str] = mapped_column(sa.String(80), unique=True)
    # What to send (a plan version's id, an announcement's texts): the kind reads it.
    context: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    audience: Mapped[str] = mapped_column(sa.String(40), default="confirmed")
    # Registrations with an id up to `upto_id` (those there when it was recorded), taken in
    # order of id; `cursor` is the last one handled.
    upto_id: Mapped[int] = mapped_column(default=0)
    cursor: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)  # the audience when recorded
    handled: Mapped[int] = mapped_column(default=0)  # registrants turned into outbox rows
    status: Mapped[str] = mapped_column(sa.String(20), default="preparing", index=True)
    last_error: Mapped[str] = mapped_column(sa.String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class MailPause(db.Model):
    """The outbox is paused: the email provider refused the sender, the login or the
    connection (its settings or an outage, not a recipient). At most one row (id 1). The
    worker sends nothing until `until`, then tries again; the first mail that goes through,
    or an organizer, deletes the row."""

    id: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(sa.String(1000))
    since: Mapped[datetime] = mapped_column(default=utcnow)
    until: Mapped[datetime]
    tries: Mapped[int] = mapped_column(default=1)  # failed tries in a row: the backoff grows


# ---------------------------------------------------------------- translations to review


class TextReview(db.Model):
    """What one translation was made from: for one text (`field`) of one row (`kind`,
    `row_id`) in one language, the digest of the session's default-language text when the
    translation was last saved or marked reviewed. When that text changes, the translation
    needs review (app/review.py)."""

    __table_args__ = (sa.UniqueConstraint("kind", "row_id", "field", "lang"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    row_id: Mapped[int]
    field: Mapped[str] = mapped_column(sa.String(40))
    lang: Mapped[str] = mapped_column(sa.String(10))
    source_digest: Mapped[str] = mapped_column(sa.String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# ---------------------------------------------------------------- instance settings


class Setting(db.Model):
    """One instance-wide setting an organizer changes in the browser (branding and texts):
    a key and a JSON value. A key with no row takes its default from config."""

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    value: Mapped[dict | list | str | None] = mapped_column(sa.JSON, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# ---------------------------------------------------------------- intake


class Submission(db.Model):
    """A registration or an idea as the visitor sent it, waiting for the worker to turn it
    into rows and mail (app/intake.py). It holds personal data: the worker deletes it once
    processed, and erasure and the purge delete the ones still waiting."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))  # "registration" | "idea"
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    # Registration.key_for(the address): what erasure finds a waiting submission by.
    email_key: Mapped[str] = mapped_column(sa.String(254), default="")
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
