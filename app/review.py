"""Translations that need review (issue 16 §3): for every text written per language (the
session's texts, its themes, speakers and partner organizations, the Plan of Action), Sala
keeps what each translation was made from, as a digest of the session's default-language
text at the time the translation was saved (`TextReview`). When that text changes and the
translation does not, the organizer sees "needs review" beside the translation, and on the
session's page, until the translation is saved changed or marked reviewed. The public
pages keep showing the last translation.

Every editor uses it the same way:

    before = review.texts_of("speaker", row)      # before the change
    ... change the row, flush ...
    review.record("speaker", row, before, review.reviewed_in(request.form))

and shows `review_mark(...)` beside each translation of `review.stale("speaker", row)`.
Texts are handled as {lang: {field: text}}, whatever the row keeps."""

import hashlib

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup

from .extensions import db
from .models import Plan, TextReview

# Where each kind of row keeps its texts, as {field: attribute holding {lang: text}}; the
# kinds not listed keep {lang: {field: text}} in `texts` (Event, Speaker, Partner).
PER_FIELD = {
    "theme": {"label": "labels"},
    "plan": {"intro": "intro"},
    "plan_section": {"title": "title", "body": "body"},
    "plan_item": {"what": "what", "who": "who"},
}
REVIEWED = "reviewed"  # the checkbox of an editor: value "field:lang"


def digest(text):
    """What a translation was made from; "" for no text."""
    text = (text or "").strip()
    return hashlib.sha256(text.encode()).hexdigest()[:32] if text else ""


def texts_of(kind, row):
    """The row's texts as {lang: {field: text}}, copied (safe to keep as "before")."""
    if kind not in PER_FIELD:
        return {lang: dict(values or {}) for lang, values in (row.texts or {}).items()}
    out = {}
    for field, attribute in PER_FIELD[kind].items():
        for lang, text in (getattr(row, attribute) or {}).items():
            out.setdefault(lang, {})[field] = text
    return out


def event_of(kind, row):
    if kind == "event":
        return row
    if kind == "plan_section":
        return row.plan.event
    if kind == "plan_item":
        return row.section.plan.event
    return row.event


def reviewed_in(formdata, name=REVIEWED):
    """The (field, lang) pairs an editor's "mark as reviewed" boxes ticked."""
    pairs = set()
    for value in formdata.getlist(name):
        field, _sep, lang = str(value).partition(":")
        if field and lang:
            pairs.add((field, lang))
    return pairs


def _rows(kind, row_id):
    return {
        (r.field, r.lang): r
        for r in db.session.scalars(
            sa.select(TextReview).where(TextReview.kind == kind, TextReview.row_id == row_id)
        )
    }


def record(kind, row, before, reviewed=()):
    """After a save: a translation saved changed (or ticked reviewed) was made from the
    default-language text as it is now; one left as it was keeps what it was made from
    (the first time, the default-language text as it was before this save); an empty one
    has nothing to review. The row must have its id (flushed)."""
    event = event_of(kind, row)
    source = event.default_language
    after = texts_of(kind, row)
    existing = _rows(kind, row.id)
    fields = {field for values in list(before.values()) + list(after.values()) for field in values}
    for lang in (set(before) | set(after) | {lang for _f, lang in existing}) - {source}:
        for field in fields:
            old = (before.get(lang) or {}).get(field, "")
            new = (after.get(lang) or {}).get(field, "")
            current = existing.get((field, lang))
            if not (new or "").strip():
                if current is not None:
                    db.session.delete(current)
                continue
            if new != old or (field, lang) in reviewed:
                made_from = (after.get(source) or {}).get(field, "")
            elif current is None:
                made_from = (before.get(source) or {}).get(field, "")
            else:
                continue
            if current is None:
                current = TextReview(
                    event_id=event.id, kind=kind, row_id=row.id, field=field, lang=lang
                )
                db.session.add(current)
            current.source_digest = digest(made_from)


def stale(kind, row, existing=None):
    """The (field, lang) pairs of the row whose translation needs review: the
    default-language text is no longer the one the translation was made from."""
    source = event_of(kind, row).default_language
    texts = texts_of(kind, row)
    existing = _rows(kind, row.id) if existing is None else existing
    out = set()
    for (field, lang), entry in existing.items():
        if lang == source or not ((texts.get(lang) or {}).get(field) or "").strip():
            continue
        now = digest((texts.get(source) or {}).get(field, ""))
        if now and now != entry.source_digest:
            out.add((field, lang))
    return out


def forget(kind, row_id):
    """A row deleted: its records go too."""
    db.session.execute(
        sa.delete(TextReview).where(TextReview.kind == kind, TextReview.row_id == row_id)
    )


def copy(pairs, copy_event):
    """A duplicated session keeps what each translation was made from: `pairs` are
    (kind, source row id, copied row id)."""
    for kind, old_id, new_id in pairs:
        for (field, lang), entry in _rows(kind, old_id).items():
            db.session.add(
                TextReview(
                    event_id=copy_event.id,
                    kind=kind,
                    row_id=new_id,
                    field=field,
                    lang=lang,
                    source_digest=entry.source_digest,
                )
            )


KINDS = ("event", "theme", "speaker", "partner", "plan", "plan_section", "plan_item")


def rows_of_event(event, kinds=KINDS):
    """(kind, row) of every row of the session with texts per language."""
    if "event" in kinds:
        yield "event", event
    for kind, rows in (
        ("theme", "themes"),
        ("speaker", "speaker_rows"),
        ("partner", "partner_rows"),
    ):
        if kind in kinds:
            for row in getattr(event, rows, []):
                yield kind, row
    if not {"plan", "plan_section", "plan_item"} & set(kinds):
        return
    plan = db.session.scalar(sa.select(Plan).where(Plan.event_id == event.id))
    if plan is not None:
        yield "plan", plan
        for section in plan.sections:
            yield "plan_section", section
            for item in section.items:
                yield "plan_item", item


def stale_in_event(event, kinds=KINDS):
    """[(kind, row, {(field, lang)})] of every row of the session with a translation that
    needs review, in the order of the editors; one query for the records."""
    by_row = {}
    query = sa.select(TextReview).where(TextReview.event_id == event.id, TextReview.kind.in_(kinds))
    for entry in db.session.scalars(query):
        by_row.setdefault((entry.kind, entry.row_id), {})[(entry.field, entry.lang)] = entry
    if not by_row:
        return []
    found = []
    for kind, row in rows_of_event(event, kinds):
        existing = by_row.get((kind, row.id))
        if existing:
            pairs = stale(kind, row, existing)
            if pairs:
                found.append((kind, row, pairs))
    return found


def editor_url(kind, row, event):
    """Where the organizer reviews that text."""
    if kind in ("event", "theme"):
        return url_for("sessions.edit_event", event_id=event.id)
    if kind in ("speaker", "partner"):
        return url_for("speakers.edit", event_id=event.id, kind=kind, row_id=row.id)
    anchor = {"plan": "plan-intro", "plan_section": f"section-{row.id}"}.get(kind)
    anchor = anchor or f"item-{row.id}"
    edit = row.id if kind == "plan_item" else None
    return url_for("plan_admin.editor", event_id=event.id, edit=edit) + f"#{anchor}"


def where(kind, row, lang):
    """What a row is, for the organizer's list of translations to review."""
    if kind == "event":
        return _("The session's texts")
    if kind == "theme":
        return _("Theme: %(name)s", name=row.label(lang))
    if kind == "speaker":
        return _("Speaker: %(name)s", name=row.text("name", lang))
    if kind == "partner":
        return _("Organization: %(name)s", name=row.text("name", lang))
    if kind == "plan":
        return _("Plan of Action: the introduction")
    texts = texts_of(kind, row)
    fallback = event_of(kind, row).default_language
    field = "title" if kind == "plan_section" else "what"
    text = (texts.get(lang) or {}).get(field) or (texts.get(fallback) or {}).get(field) or ""
    text = text if len(text) <= 60 else text[:59] + "…"
    if kind == "plan_section":
        return _("Plan of Action: section %(title)s", title=text)
    return _("Plan of Action: item %(text)s", text=text)


def summary(event, lang):
    """[{where, url, languages: [(code, count)]}] of the session's translations that need
    review, for the session's page."""
    out = []
    for kind, row, pairs in stale_in_event(event):
        counts = {}
        for _field, code in pairs:
            counts[code] = counts.get(code, 0) + 1
        out.append(
            {
                "where": where(kind, row, lang),
                "url": editor_url(kind, row, event),
                "languages": sorted(counts.items()),
            }
        )
    return out


def review_mark(pairs, field, lang, name=REVIEWED, id_prefix="review"):
    """Beside one translation in an editor: "needs review", why, and a box to mark it
    reviewed (saved with the form). Empty when it does not need review."""
    if (field, lang) not in pairs:
        return Markup("")
    box_id = f"{id_prefix}-{field}-{lang}"
    return Markup(
        '<p class="needs-review" id="{0}-note"><strong class="review-badge">{1}</strong> {2} '
        '<label class="check"><input type="checkbox" id="{0}" name="{3}" value="{4}:{5}"> '
        "{6}</label></p>"
    ).format(
        box_id,
        _("needs review"),
        _("The default-language text changed after this translation was saved."),
        name,
        field,
        lang,
        _("Checked: it still matches"),
    )


def init_app(app):
    app.jinja_env.globals.update(review_mark=review_mark)
