"""Speakers and co-organizing organizations of a session (issue 16 §1): ordered, texts per
language with the usual fallback, optional photo or logo re-encoded by Pillow. Shown on the
session page, in the .ics description, in the join-details and reminder mails and on the
printable Plan of Action. A speaker can be linked to the ideas and plan items they presented
(`presented_by` on Idea and PlanItem), shown as "presented by NAME"."""

import sqlalchemy as sa
from babel.lists import format_list
from flask_babel import gettext as _
from markupsafe import Markup

from .. import pagecache
from ..extensions import db
from ..i18n import current_language, language_in_text
from ..models import Event, Idea, PlanItem
from . import pictures
from .models import Partner, Speaker


def speaker_line(speaker, lang):
    """ "Name, role, affiliation" in `lang` (each part with the usual fallback)."""
    parts = [speaker.text(name, lang) for name in ("name", "role", "affiliation")]
    return ", ".join(part for part in parts if part)


def row_text(row, field, lang, tag="span", class_=""):
    """One text of a speaker or partner for a page: in the fallback language it carries a
    `lang` attribute, so fonts and screen readers get it right."""
    value = row.text(field, lang)
    if not value:
        return Markup("")
    if row.text_is_fallback(field, lang):
        return Markup('<{0} class="{1}" lang="{2}">{3}</{0}>').format(
            Markup(tag), class_, row.event.default_language, value
        )
    return Markup('<{0} class="{1}">{2}</{0}>').format(Markup(tag), class_, value)


def fallback_note(row, lang):
    """The visible "not yet translated" note when any of the row's texts falls back."""
    if not any(row.text_is_fallback(field, lang) for field in row.TEXT_FIELDS):
        return Markup("")
    note = _(
        "Not yet translated; shown in %(language)s.",
        language=language_in_text(row.event.default_language),
    )
    return Markup('<span class="untranslated-note">{}</span>').format(note)


def and_list(items, lang=None):
    """ "A, B and C" in the reader's language."""
    items = list(items)
    if not items:
        return ""
    try:
        return format_list(items, locale=lang or current_language())
    except ValueError:
        return ", ".join(items)


def presenters(event, lang):
    """Plain-text lines for mails and the .ics: one per speaker, moderators marked."""
    lines = []
    for speaker in event.speaker_rows:
        line = speaker_line(speaker, lang)
        if speaker.is_moderator:
            line = _("%(speaker)s (moderator)", speaker=line)
        lines.append(line)
    return lines


def partner_names(event, lang):
    return [name for name in (p.text("name", lang) for p in event.partner_rows) if name]


def calendar_lines(event, lang):
    """The speakers and partners for the .ics description (empty when there are none),
    followed by a blank line. Called inside the recipient's locale."""
    lines = []
    speakers = presenters(event, lang)
    if speakers:
        lines.append(_("Presented by:"))
        lines += [f"- {line}" for line in speakers]
    partners = partner_names(event, lang)
    if partners:
        lines.append(_("Together with: %(organizations)s", organizations=and_list(partners, lang)))
    return lines + [""] if lines else []


def speaker_choices(event, lang, none_label):
    """(value, label) pairs of a select of the session's speakers, "" (nobody) first."""
    pairs = [("", none_label)]
    pairs += [(str(row.id), row.text("name", lang)) for row in event.speaker_rows]
    return pairs


def speaker_of(event, value):
    """The session's speaker a select's value names; None for "" ; ValueError otherwise."""
    if value in (None, ""):
        return None
    for row in event.speaker_rows:
        if str(row.id) == str(value):
            return row
    raise ValueError(value)


def presented_by(speaker, lang):
    """ "presented by NAME" for an idea or a plan item ("" without a speaker)."""
    if speaker is None:
        return ""
    return _("presented by %(name)s", name=speaker.text("name", lang))


def unlink(speaker):
    """A speaker about to be removed: their ideas and plan items stay, without presenter
    (the foreign keys say SET NULL; done here too, so every database agrees)."""
    for model in (Idea, PlanItem):
        db.session.execute(
            sa.update(model).where(model.presented_by_id == speaker.id).values(presented_by_id=None)
        )


def copy_speakers(source, copy):
    """A duplicated session gets the same speakers and partners, each with its own copy of
    its picture (removing one from the copy must not take the original's)."""
    for row in source.speaker_rows:
        copy.speaker_rows.append(
            Speaker(
                position=row.position,
                texts={code: dict(values) for code, values in (row.texts or {}).items()},
                link=row.link,
                is_moderator=row.is_moderator,
                photo=pictures.copy(source.id, copy.id, row.photo),
            )
        )
    for row in source.partner_rows:
        copy.partner_rows.append(
            Partner(
                position=row.position,
                texts={code: dict(values) for code, values in (row.texts or {}).items()},
                link=row.link,
                logo=pictures.copy(source.id, copy.id, row.logo),
            )
        )


def forget_pictures(mapper, connection, event):
    """A session deleted takes its speakers' photos and partners' logos with it."""
    pictures.remove_all(event.id)


def init_app(app):
    from .routes import bp, pictures_bp

    app.register_blueprint(bp)
    app.register_blueprint(pictures_bp)
    app.jinja_env.globals.update(
        speaker_line=speaker_line,
        presenters=presenters,
        partner_names=partner_names,
        speaker_text=row_text,
        fallback_note=fallback_note,
        and_list=and_list,
        calendar_lines=calendar_lines,
        presented_by=presented_by,
    )
    pagecache.also_shown(Speaker, Partner)
    if not sa.event.contains(Event, "after_delete", forget_pictures):
        sa.event.listen(Event, "after_delete", forget_pictures)


__all__ = ["Partner", "Speaker", "init_app"]
