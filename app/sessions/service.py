"""Creating, changing, duplicating and archiving sessions: one function each, which saves,
records the audit entry and leaves the commit to the caller (one transaction)."""

from datetime import timedelta

import sqlalchemy as sa

from .. import audit, events, review
from ..events import Schedule
from ..extensions import db
from ..models import Event, Idea, Theme
from ..plugins import event_form_fields, save_event_form
from ..speakers import copy_speakers
from .forms import DATES, SIMPLE, TEXTS, split_zones

# The settings a duplicate copies as they are (the slug, texts, themes and dates are
# handled apart). Not the join link and passcode: they open the first session's meeting.
NOT_COPIED = ("slug", "join_url", "join_passcode", "join_phone")
COPIED = [name for name in SIMPLE if name not in NOT_COPIED] + ["timezone", "extra_timezones"]


def slug_taken(slug, except_id=None):
    query = sa.select(Event.id).where(Event.slug == slug)
    if except_id is not None:
        query = query.where(Event.id != except_id)
    return db.session.scalar(query) is not None


def apply_form(event, form, languages):
    """Copy a valid form into a session; returns the names of the fields that changed."""
    before = snapshot(event)
    for name in SIMPLE:
        value = form[name].data
        if isinstance(value, str):
            value = value.strip()
        setattr(event, name, value)
    if event.join_release_hours is None:
        event.join_release_hours = 24
    event.timezone = form.zone()
    event.extra_timezones = split_zones(form.extra_timezones.data)
    for name in DATES:
        setattr(event, name, form.utc(name))
    texts = {code: dict(values) for code, values in (event.texts or {}).items()}
    texts.update(form.texts(languages))
    for code in languages:
        if code not in form.texts(languages):
            texts.pop(code, None)
    event.texts = texts
    after = snapshot(event)
    return sorted(key for key in after if after[key] != before.get(key))


def snapshot(event):
    values = {name: getattr(event, name, None) for name in SIMPLE + DATES}
    values.update(timezone=event.timezone, extra_timezones=list(event.extra_timezones or []))
    values["texts"] = {code: dict(v) for code, v in (event.texts or {}).items()}
    return values


def create_event(form, languages, actor=None):
    event = Event(state="draft", texts={}, extra_timezones=[])
    apply_form(event, form, languages)
    db.session.add(event)
    db.session.flush()
    review.record("event", event, {})
    save_plugin_fields(event, form)
    audit.record("event.create", event, actor=actor, slug=event.slug)
    return event


def update_event(event, form, languages, theme_changes, actor=None, reviewed=None):
    """Save the session form. A new start or length is a change of plan
    (app/sessions/changes.py): registrants are told and the plugins move what they keep;
    then "told" is among the names returned. `reviewed` maps ("event", id) and
    ("theme", id) to the translations the organizer marked reviewed (app/review.py)."""
    from .changes import moved, reschedule

    reviewed = reviewed or {}
    before = Schedule.of(event)
    texts_before = review.texts_of("event", event)
    themes_before = {theme.id: review.texts_of("theme", theme) for theme in event.themes}
    changed = apply_form(event, form, languages)
    changed += apply_themes(event, theme_changes)
    db.session.flush()
    review.record("event", event, texts_before, reviewed.get(("event", event.id), ()))
    for theme in event.themes:
        pairs = reviewed.get(("theme", theme.id), ())
        review.record("theme", theme, themes_before.get(theme.id, {}), pairs)
    for theme_id in themes_before.keys() - {theme.id for theme in event.themes}:
        review.forget("theme", theme_id)
    changed += save_plugin_fields(event, form)
    if changed:
        audit.record("event.edit", event, actor=actor, changed=changed)
    if event.state in ("draft", "published") and moved(before, Schedule.of(event)):
        reschedule(event, before, actor)
        if event.state == "published":
            changed.append("told")
    return changed


def save_plugin_fields(event, form):
    """The plugins' own fields of the form go to the plugins (`sala_event_form_saved`)."""
    return save_event_form(event, {name: form[name].data for name, _hint in form.plugin_fields})


def apply_themes(event, changes):
    """Rename, reorder, remove and add themes. A removed theme's ideas stay, without theme
    (the foreign key says SET NULL; we clear them here too, so every database agrees)."""
    done = []
    by_id = {theme.id: theme for theme in event.themes}
    for theme_id in changes["remove"]:
        theme = by_id.pop(theme_id, None)
        if theme is None:
            continue
        db.session.execute(sa.update(Idea).where(Idea.theme_id == theme.id).values(theme_id=None))
        event.themes.remove(theme)
        done.append("theme.remove")
    for theme_id, (labels, position) in changes["edit"].items():
        theme = by_id.get(theme_id)
        if theme is None:
            continue
        if labels != (theme.labels or {}) or position != theme.position:
            theme.labels = labels
            theme.position = position
            done.append("theme.edit")
    for labels, position in changes["add"]:
        event.themes.append(Theme(labels=labels, position=position))
        done.append("theme.add")
    return sorted(set(done))


def parse_themes(formdata, event, languages):
    """The theme rows of the form: (changes, errors keyed by input name, rows to show)."""
    changes = {"remove": [], "edit": {}, "add": []}
    errors = {}
    rows = []

    def read(prefix, fallback_position):
        labels = {}
        for lang in languages:
            name = f"{prefix}-{lang}"
            value = (formdata.get(name) or "").strip()
            if len(value) > 120:
                errors[name] = True
            if value:
                labels[lang] = value[:120]
        raw = (formdata.get(f"{prefix}-position") or "").strip()
        try:
            position = int(raw) if raw else fallback_position
            if not -1000 <= position <= 1000:
                raise ValueError
        except ValueError:
            errors[f"{prefix}-position"] = True
            position = fallback_position
        return labels, position

    for i, theme in enumerate(event.themes if event is not None else []):
        prefix = f"theme-{theme.id}"
        labels, position = read(prefix, theme.position if theme.position is not None else i)
        remove = bool(formdata.get(f"{prefix}-remove"))
        rows.append({"prefix": prefix, "labels": labels, "position": position, "remove": remove})
        if remove:
            changes["remove"].append(theme.id)
        elif not labels:
            errors[f"{prefix}-{languages[0]}"] = "empty"
        else:
            changes["edit"][theme.id] = (labels, position)
    for n in range(3):
        prefix = f"theme-new{n}"
        labels, position = read(prefix, 100 + n)
        rows.append({"prefix": prefix, "labels": labels, "position": position, "new": True})
        if labels:
            changes["add"].append((labels, position))
    return changes, errors, rows


def theme_rows(event, languages):
    rows = [
        {"prefix": f"theme-{t.id}", "labels": dict(t.labels or {}), "position": t.position}
        for t in (event.themes if event is not None else [])
    ]
    rows += [
        {"prefix": f"theme-new{n}", "labels": {}, "position": "", "new": True} for n in range(3)
    ]
    return rows


def duplicate_event(source, slug, shift_days=None, new_start=None, actor=None):
    """A new draft for next time: texts, themes, speakers, partners and settings copied; no
    registrations, ideas or plan, and no join link, passcode or plugin value marked
    `duplicated=False` (the Zoom meeting ID): those belong to the first session. Dates move
    by `shift_days`, or the start is `new_start` (naive UTC) and the registration and ideas
    windows stay empty."""
    copy = Event(slug=slug, state="draft", is_demo=False)
    for name in COPIED:
        value = getattr(source, name)
        setattr(copy, name, list(value) if isinstance(value, list) else value)
    copy.texts = {code: dict(values) for code, values in (source.texts or {}).items()}
    if new_start is not None:
        copy.starts_at = new_start
        for name in DATES[1:]:
            setattr(copy, name, None)
    else:
        delta = timedelta(days=shift_days or 0)
        for name in DATES:
            value = getattr(source, name)
            setattr(copy, name, value + delta if value is not None else None)
    copy.themes = [
        Theme(labels=dict(theme.labels or {}), position=theme.position) for theme in source.themes
    ]
    db.session.add(copy)
    db.session.flush()
    save_event_form(copy, {f.name: f.value for f in event_form_fields(source) if f.duplicated})
    copy_speakers(source, copy)
    db.session.flush()
    # What each translation was made from comes along: one that needed review still does.
    pairs = [("event", source.id, copy.id)]
    pairs += [("theme", a.id, b.id) for a, b in zip(source.themes, copy.themes, strict=True)]
    for kind, rows in (("speaker", "speaker_rows"), ("partner", "partner_rows")):
        originals, copies = getattr(source, rows), getattr(copy, rows)
        pairs += [(kind, a.id, b.id) for a, b in zip(originals, copies, strict=True)]
    review.copy(pairs, copy)
    audit.record("event.duplicate", copy, actor=actor, source=source.slug, shift_days=shift_days)
    return copy


def can_archive(event):
    return events.target_of(event, "archive") is not None


def archive_event(event, actor=None):
    """Take a past session off the home page; its page and plan stay readable at the same
    address and it is listed on the archive page."""
    events.transition(event, "archive", actor)
    return event


__all__ = ["TEXTS"]
