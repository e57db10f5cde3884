"""Speakers and co-organizing organizations of a session: ordered rows with texts per
language (read with the same fallback as the session's own texts) and an optional picture
kept in the instance folder (app/speakers/pictures.py)."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..extensions import db
from ..models import Event, localized


class PerLanguageTexts:
    """Rows whose `texts` are {lang: {field: value}}, read like Event.text."""

    def text(self, field, lang):
        return localized(self._per_lang(field), lang, self.event.default_language)[0]

    def text_is_fallback(self, field, lang):
        texts = self._per_lang(field)
        return bool(localized(texts, lang, self.event.default_language)[0]) and not texts.get(lang)

    def _per_lang(self, field):
        return {code: values.get(field, "") for code, values in (self.texts or {}).items()}


class Speaker(PerLanguageTexts, db.Model):
    """An expert presenting at a session, or its moderator/host. A public figure the
    organizer enters, not a registrant."""

    TEXT_FIELDS = ("name", "role", "affiliation", "bio")

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    event: Mapped[Event] = relationship(
        backref=backref("speaker_rows", order_by="Speaker.position", cascade="all, delete-orphan")
    )
    position: Mapped[int] = mapped_column(default=0)
    # {"en": {"name": ..., "role": ..., "affiliation": ..., "bio": ...}, "km": {...}}
    texts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    link: Mapped[str] = mapped_column(sa.String(500), default="")
    is_moderator: Mapped[bool] = mapped_column(default=False)
    # File name of the re-encoded photo in the instance folder, "" without one.
    photo: Mapped[str] = mapped_column(sa.String(80), default="")
    # Optional, seen by organizers only: where a plugin may mail the speaker their own
    # links (the Zoom plugin's panelist link), in `mail_language` ("" for the session's
    # default language). Personal data: never shown publicly nor logged, and blanked when
    # the session's personal data is purged (app/speakers/erasure.py).
    email: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")
    mail_language: Mapped[str] = mapped_column(sa.String(10), default="", server_default="")

    def mail_language_or_default(self) -> str:
        """The language to write to this speaker in."""
        return self.mail_language or self.event.default_language


class Partner(PerLanguageTexts, db.Model):
    """An organization that co-organizes a session ("convened by … with …")."""

    TEXT_FIELDS = ("name",)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    event: Mapped[Event] = relationship(
        backref=backref("partner_rows", order_by="Partner.position", cascade="all, delete-orphan")
    )
    position: Mapped[int] = mapped_column(default=0)
    texts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    link: Mapped[str] = mapped_column(sa.String(500), default="")
    logo: Mapped[str] = mapped_column(sa.String(80), default="")
