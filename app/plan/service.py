"""The Plan of Action's domain: drafting, checking, publishing and sending.

Views call these functions; they do not change plans, versions or the event's state
themselves. Each function adds to the current transaction; the caller commits."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from .. import audit, events
from ..extensions import db
from ..i18n import language_in_text
from ..mail import mailout
from ..mail.outbox import enqueue
from ..models import (
    Event,
    Idea,
    OutboxMessage,
    Plan,
    PlanItem,
    PlanSection,
    PlanVersion,
    Registration,
    Theme,
    plan_item_ideas,
    utcnow,
)
from ..plugins import hooks
from ..whole_numbers import to_int

USABLE_IDEA_STATUSES = ("approved", "discussed")


def languages():
    return list(current_app.config["LANGUAGES"])


def required_languages():
    """The configured languages a plan must be complete in to be published (all of them
    when PLAN_REQUIRED_LANGUAGES is unset)."""
    wanted = current_app.config.get("PLAN_REQUIRED_LANGUAGES")
    langs = languages()
    return [lang for lang in langs if wanted is None or lang in wanted] or langs[:1]


def get_plan(event, create=True):
    plan = db.session.scalar(sa.select(Plan).where(Plan.event_id == event.id))
    if plan is None and create:
        plan = Plan(event=event, intro={}, status="draft")
        db.session.add(plan)
        db.session.flush()
    return plan


def idea_ids_in(version):
    return {
        idea["id"]
        for section in version.snapshot.get("sections", [])
        for item in section.get("items", [])
        for idea in item.get("ideas", [])
    }


def first_version_with(idea):
    """The first published version of the Plan of Action that draws on `idea`, or None: when
    the idea became part of the plan, for its author's status page."""
    plan = get_plan(idea.event, create=False)
    if plan is None:
        return None
    return next((v for v in plan.versions if idea.id in idea_ids_in(v)), None)


def is_published(event):
    """Whether a version of the event's Plan of Action is out (then ideas are settled)."""
    plan = get_plan(event, create=False)
    return plan is not None and bool(plan.versions)


def load_plan_tree(plan_id):
    """The plan with its sections, items, their ideas and presenters in a few statements,
    whatever the number of items (no lazy load per item)."""
    items = selectinload(Plan.sections).selectinload(PlanSection.items)
    return db.session.scalar(
        sa.select(Plan)
        .where(Plan.id == plan_id)
        .options(
            items.selectinload(PlanItem.ideas),
            items.selectinload(PlanItem.presented_by),
            selectinload(Plan.versions),
        )
        .execution_options(populate_existing=True)
    )


def touch(plan):
    """Any edit makes the plan a draft again (a new version waits to be published)."""
    plan.status = "draft"
    plan.updated_at = utcnow()


def merge_texts(old, lang, value):
    texts = dict(old or {})
    value = (value or "").strip()
    if value:
        texts[lang] = value
    else:
        texts.pop(lang, None)
    return texts


# ---------------------------------------------------------------- drafting


def usable_ideas_query(event):
    return sa.select(Idea).where(Idea.event_id == event.id, Idea.status.in_(USABLE_IDEA_STATUSES))


def unused_ideas(event, plan):
    """Approved and discussed ideas that no item of the plan uses yet."""
    used = (
        sa.select(plan_item_ideas.c.idea_id)
        .join(PlanItem, PlanItem.id == plan_item_ideas.c.item_id)
        .join(PlanSection, PlanSection.id == PlanItem.section_id)
        .where(PlanSection.plan_id == plan.id)
    )
    return db.session.scalars(
        usable_ideas_query(event).where(Idea.id.not_in(used)).order_by(Idea.id)
    ).all()


def search_ideas(event, q, limit=20):
    query = usable_ideas_query(event)
    q = (q or "").strip()
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        query = query.where(sa.or_(Idea.title.ilike(like), Idea.body.ilike(like)))
        idea_id = to_int(q.removeprefix("#"))
        if idea_id is not None:
            query = usable_ideas_query(event).where(
                sa.or_(Idea.id == idea_id, Idea.title.ilike(like))
            )
    return db.session.scalars(query.order_by(Idea.id.desc()).limit(limit)).all()


def draft_from_ideas(plan, actor=None):
    """One section per theme (and one for ideas without a theme), each discussed or approved
    idea an item to edit, linked to its idea. Ideas already used by an item are skipped, and
    an existing section of a theme is reused, so pressing it twice adds nothing twice."""
    event = plan.event
    used = {idea.id for section in plan.sections for item in section.items for idea in item.ideas}
    ideas = db.session.scalars(
        usable_ideas_query(event)
        .where(Idea.id.not_in(used) if used else sa.true())
        # discussed first: they are what the session talked about
        .order_by(sa.case((Idea.status == "discussed", 0), else_=1), Idea.id)
    ).all()
    sections = {section.theme_id: section for section in plan.sections}
    themes = {
        t.id: t for t in db.session.scalars(sa.select(Theme).where(Theme.event_id == event.id))
    }
    added = 0
    ordered_theme_ids = [t.id for t in sorted(themes.values(), key=lambda t: t.position)] + [None]
    by_theme = {tid: [] for tid in ordered_theme_ids}
    for idea in ideas:
        by_theme.setdefault(idea.theme_id if idea.theme_id in themes else None, []).append(idea)
    for theme_id in ordered_theme_ids:
        theme_ideas = by_theme.get(theme_id) or []
        if not theme_ideas:
            continue
        section = sections.get(theme_id)
        if section is None:
            if theme_id is not None:
                title = dict(themes[theme_id].labels or {})
            else:
                title = _other_ideas_title()
            section = PlanSection(
                plan=plan, theme_id=theme_id, title=title, body={}, position=len(plan.sections)
            )
            db.session.add(section)
            sections[theme_id] = section
        for idea in theme_ideas:
            item = PlanItem(
                section=section,
                position=len(section.items),
                what={idea.language or event.default_language: idea.title},
                who={},
                due="",
                status="proposed",
            )
            item.ideas.append(idea)
            db.session.add(item)
            added += 1
    touch(plan)
    audit.record("plan.draft_from_ideas", plan, actor=actor, items=added)
    return added


def _other_ideas_title():
    """The title of the section of ideas without a theme, in every language the catalog
    has it in; a language without it stays empty, so the editor marks it untranslated."""
    from flask_babel import force_locale

    titles = {}
    for lang in languages():
        with force_locale(lang):
            title = _("Other ideas")
        if lang == "en" or title != "Other ideas":
            titles[lang] = title
    return titles


def move(siblings, obj, direction):
    """Swap `obj` with its neighbour in `siblings` (ordered by position); renumber."""
    ordered = sorted(siblings, key=lambda s: (s.position, s.id))
    index = ordered.index(obj)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, sibling in enumerate(ordered):
        sibling.position = position
    return ordered


# ---------------------------------------------------------------- checking


@dataclass
class Missing:
    where: str
    field: str
    language: str

    def __str__(self):
        return _(
            "%(where)s: %(field)s is missing in %(language)s.",
            where=self.where,
            field=self.field,
            language=language_in_text(self.language),
        )


def section_label(index, section, lang):
    title = (section.title or {}).get(lang) or next(iter((section.title or {}).values()), "")
    return (
        _("Section %(n)d “%(title)s”", n=index, title=title)
        if title
        else _("Section %(n)d", n=index)
    )


def item_label(s_index, i_index, item, lang):
    what = (item.what or {}).get(lang) or next(iter((item.what or {}).values()), "")
    what = what if len(what) <= 60 else what[:57] + "…"
    return _("Item %(s)d.%(i)d “%(what)s”", s=s_index, i=i_index, what=what)


def missing_texts(plan, lang_for_labels):
    """What publishing needs and lacks, exactly: every configured language needs the
    introduction, every section's title and every item's "what"; an optional text (a
    section's body, an item's "who") written in one language is needed in all. "Every
    language" means every language of PLAN_REQUIRED_LANGUAGES that is configured."""
    langs = required_languages()
    missing = []

    def need(texts, where, field, required=True):
        texts = texts or {}
        if not required and not any((texts.get(lang) or "").strip() for lang in langs):
            return
        for lang in langs:
            if not (texts.get(lang) or "").strip():
                missing.append(Missing(where, field, lang))

    need(plan.intro, _("Introduction"), _("the introduction"))
    if not plan.sections:
        missing.append(Missing(_("The plan"), _("a first section"), langs[0]))
    for s_index, section in enumerate(plan.sections, 1):
        where = section_label(s_index, section, lang_for_labels)
        need(section.title, where, _("the title"))
        need(section.body, where, _("the text"), required=False)
        for i_index, item in enumerate(section.items, 1):
            where_item = item_label(s_index, i_index, item, lang_for_labels)
            need(item.what, where_item, _("“what”"))
            need(item.who, where_item, _("“who”"), required=False)
    return missing


# ---------------------------------------------------------------- snapshots and versions


def snapshot(plan):
    """The plan as data, frozen: what a version shows forever, whatever is edited later.
    Ideas are kept by id and title (only approved or discussed ones, which are public)."""
    event = plan.event
    return {
        "default_language": event.default_language,
        "languages": languages(),
        "intro": dict(plan.intro or {}),
        "sections": [
            {
                "id": section.id,
                "theme_id": section.theme_id,
                "title": dict(section.title or {}),
                "body": dict(section.body or {}),
                "items": [
                    {
                        "id": item.id,
                        "what": dict(item.what or {}),
                        "who": dict(item.who or {}),
                        "due": item.due or "",
                        "status": item.status,
                        "ideas": [
                            {
                                "id": idea.id,
                                "title": idea.title,
                                "language": idea.language,
                                "live": idea.raised_live,
                            }
                            for idea in sorted(item.ideas, key=lambda i: i.id)
                            if idea.status in USABLE_IDEA_STATUSES
                        ],
                    }
                    | presenter_of(item)
                    for item in section.items
                ],
            }
            for section in plan.sections
        ],
    }


def presenter_of(item):
    """The item's presenter for a snapshot, by name in every language: a published version
    keeps the name even if the speaker is removed later. Left out without one, so versions
    published before speakers could be linked compare equal."""
    speaker = item.presented_by
    if speaker is None:
        return {}
    names = {code: values.get("name", "") for code, values in (speaker.texts or {}).items()}
    return {"presented_by": {code: name for code, name in names.items() if name}}


def changes_between(old, new):
    """What changed from one snapshot to the next, counted: items and sections added,
    removed and edited."""
    if not old:
        return None

    def items(snap):
        return {i["id"]: i for s in snap.get("sections", []) for i in s.get("items", [])}

    def sections(snap):
        return {s["id"]: {k: v for k, v in s.items() if k != "items"} for s in snap["sections"]}

    old_items, new_items = items(old), items(new)
    old_sections, new_sections = sections(old), sections(new)
    return {
        "items_added": len(new_items.keys() - old_items.keys()),
        "items_removed": len(old_items.keys() - new_items.keys()),
        "items_changed": sum(
            1 for k in new_items.keys() & old_items.keys() if new_items[k] != old_items[k]
        ),
        "sections_added": len(new_sections.keys() - old_sections.keys()),
        "sections_removed": len(old_sections.keys() - new_sections.keys()),
        "sections_changed": sum(
            1
            for k in new_sections.keys() & old_sections.keys()
            if new_sections[k] != old_sections[k]
        ),
        "intro_changed": old.get("intro") != new.get("intro"),
    }


def can_publish(event):
    """A plan is published once its session is over (never on a draft: it would go public)."""
    return events.target_of(event, "publish_plan") is not None


class PublishRefused(Exception):
    def __init__(self, missing):
        super().__init__("; ".join(str(m) for m in missing))
        self.missing = missing


def publish(plan, *, actor=None, change_note=None, send=False, lang_for_labels="en"):
    """Publish the current draft as the next version: the one publish-and-send step.

    Refuses (``PublishRefused`` naming every missing text) when a required text is empty
    in a configured language. Freezes a snapshot, sets the event's state to
    "plan_published", records the audit entry, fires ``sala_plan_published`` and, when
    ``send`` is true (the organizer chose "publish and mail"), records the mail-out to the
    registrants in the same transaction."""
    missing = missing_texts(plan, lang_for_labels)
    if missing:
        raise PublishRefused(missing)
    event = plan.event
    if not can_publish(event):
        raise events.TransitionError(f"publish_plan from {event.state}")
    number = max((v.number for v in plan.versions), default=0) + 1
    version = PlanVersion(
        plan=plan,
        number=number,
        published_at=utcnow(),
        published_by_id=actor.id if actor is not None else None,
        snapshot=snapshot(plan),
        change_note={k: v.strip() for k, v in (change_note or {}).items() if v and v.strip()},
    )
    db.session.add(version)
    plan.status = "published"
    before = event.state
    db.session.flush()
    events.transition(event, "publish_plan", actor, version=number)
    audit.record(
        "plan.publish", version, actor=actor, number=number, event_id=event.id, before=before
    )
    if send:
        send_version(version, actor=actor)
    hooks().sala_plan_published(plan_version=version)
    return version


def mail_languages(event):
    """{language: how many}: the registrants a mail of the plan would reach now (confirmed
    or waitlisted, not erased, not stopped), by the language each is mailed in."""
    language = sa.func.coalesce(sa.func.nullif(Registration.language, ""), event.default_language)
    rows = db.session.execute(
        sa.select(language, sa.func.count())
        .where(*mailout.audience_filter(event.id, "registered"))
        .group_by(language)
        .order_by(sa.func.count().desc(), language)
    )
    return dict(rows.all())


def batch_name(version):
    return f"plan:{version.plan.event_id}:v{version.number}"


def authors_batch_name(version):
    return f"plan-authors:{version.plan.event_id}:v{version.number}"


def previous_version(version):
    earlier = [v for v in version.plan.versions if v.number < version.number]
    return max(earlier, key=lambda v: v.number) if earlier else None


def send_version(version, actor=None):
    """Record the mail-out of a version: the whole plan to every registrant, confirmed or
    waitlisted (the first version), or a short "what changed" note (later versions); and,
    to every author of an idea this version uses for the first time, which item grew from
    it. The worker renders and queues them in batches (app/mail/mailout.py); idempotency
    keys make a second call (a double click) queue nothing twice. Returns the mail-out."""
    recorded = mailout.record(
        version.plan.event,
        "plan",
        batch_name(version),
        {"version_id": version.id},
        actor=actor,
    )
    audit.record("plan.send", version, actor=actor, registrants=recorded.total)
    return recorded


class PlanMailout(mailout.MailoutKind):
    """The plan (or the note of a new version) to each registrant, in their language; the
    authors of the ideas it uses for the first time are told with the last batch."""

    def load(self, recorded):
        version = db.session.get(PlanVersion, recorded.context["version_id"])
        previous = previous_version(version)
        return dict(
            version=version,
            previous=previous,
            template="plan_published" if previous is None else "plan_updated",
            changes=changes_between(previous.snapshot, version.snapshot) if previous else None,
            rendered={},  # the same mail for every registrant of a language, but the name
        )

    def mail(self, loaded, registration):
        version = loaded["version"]
        event = version.plan.event
        language = registration.language or event.default_language
        context = dict(
            version=version, snapshot=version.snapshot, changes=loaded["changes"], event=event
        )
        return dict(
            template=loaded["template"],
            language=language,
            key=f"plan:{version.id}:{registration.id}",
            rendered=mailout.render_for(
                loaded["rendered"], loaded["template"], language, registration, context
            ),
        )

    def finish(self, recorded, loaded):
        notify_authors(loaded["version"], loaded["previous"])


mailout.register_kind("plan", PlanMailout())


def notify_authors(version, previous):
    event = version.plan.event
    used_before = set()
    if previous is not None:
        used_before = {
            idea["id"]
            for s in previous.snapshot["sections"]
            for item in s["items"]
            for idea in item["ideas"]
        }
    grew = {}  # idea id -> [(section index, item index, item)]
    for s_index, section in enumerate(version.snapshot["sections"], 1):
        for i_index, item in enumerate(section["items"], 1):
            for idea in item["ideas"]:
                if idea["id"] not in used_before:
                    grew.setdefault(idea["id"], []).append((s_index, i_index, item))
    if not grew:
        return
    ideas = db.session.scalars(
        sa.select(Idea).where(Idea.id.in_(grew)).options(selectinload(Idea.registration))
    ).all()
    for idea in ideas:
        registration = idea.registration
        if registration is not None and registration.erased_at is None:
            to, language = registration.email, registration.language
        else:
            to, language = idea.author_email, idea.language
        if not to:
            continue
        enqueue(
            "plan_idea_used",
            to=to,
            language=language or event.default_language,
            key=f"plan-idea:{version.id}:{idea.id}",
            context=dict(version=version, idea=idea, items=grew[idea.id]),
            event=event,
            registration=registration,
            batch=authors_batch_name(version),
        )


def versions_progress(versions):
    """{version number: {"registrants"|"authors": {status: count}}} of the versions' mails,
    in one query."""
    batches = {}
    for version in versions:
        batches[batch_name(version)] = (version.number, "registrants")
        batches[authors_batch_name(version)] = (version.number, "authors")
    progress = {v.number: {"registrants": {}, "authors": {}} for v in versions}
    if not batches:
        return progress
    rows = db.session.execute(
        sa.select(OutboxMessage.batch, OutboxMessage.status, sa.func.count())
        .where(OutboxMessage.batch.in_(batches))
        .group_by(OutboxMessage.batch, OutboxMessage.status)
    )
    for batch, status, count in rows:
        number, audience = batches[batch]
        progress[number][audience][status] = count
    return progress


def get_version(event, number=None):
    plan = get_plan(event, create=False)
    if plan is None:
        return None, None
    query = sa.select(PlanVersion).where(PlanVersion.plan_id == plan.id)
    if number is None:
        query = query.order_by(PlanVersion.number.desc()).limit(1)
    else:
        query = query.where(PlanVersion.number == number)
    return plan, db.session.scalar(query)


def event_for_admin(event_id):
    return db.get_or_404(Event, event_id)
