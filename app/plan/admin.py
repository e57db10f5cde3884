"""The Plan of Action, the organizer's side: the editor (under /admin/events/<id>/plan), its
preview, publishing and sending. The public plan page is in routes.py."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2_fragments.flask import render_block
from markupsafe import Markup

from .. import review
from ..auth import admin_required
from ..events import TransitionError
from ..extensions import db
from ..i18n import current_language
from ..mail import mailout
from ..mail.outbox import mail_url
from ..models import Idea, PlanItem, PlanSection, utcnow
from ..speakers import speaker_of
from ..whole_numbers import int_arg
from . import service
from .forms import (
    intro_form,
    item_form,
    presenter_choices,
    publish_form,
    section_form,
)
from .routes import public_context

bp = Blueprint("plan_admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.before_request
@admin_required
def require_admin():
    """Organizers only."""


EDITOR = "plan/editor.html"


def langs():
    return tuple(current_app.config["LANGUAGES"])


def not_concluded_message():
    return _(
        "The Plan of Action can be published once the session is concluded. Conclude it first."
    )


def back_to_editor(event, anchor=""):
    return redirect(
        url_for("plan_admin.editor", event_id=event.id) + (f"#{anchor}" if anchor else "")
    )


# ---------------------------------------------------------------- forms per object


class Forms:
    """The form of each object on the editor page; a form that failed validation is kept
    (with what was typed and its errors) in place of the fresh one."""

    def __init__(self, plan, bound=None):
        self.plan = plan
        self.bound = bound or {}

    def intro(self):
        return self.bound.get("intro") or fill(
            intro_form(langs())(formdata=None, prefix="intro"), intro=self.plan.intro
        )

    def section(self, section):
        key = f"section-{section.id}"
        return self.bound.get(key) or fill(
            section_form(langs())(formdata=None, prefix=key),
            title=section.title,
            body=section.body,
        )

    def item(self, item):
        key = f"item-{item.id}"
        form = self.bound.get(key)
        if form is None:
            form = item_form(langs())(
                formdata=None,
                prefix=key,
                due=item.due,
                status=item.status,
                presented_by=str(item.presented_by_id or ""),
            )
            fill(form, what=item.what, who=item.who)
        return presenter_choices(form, self.plan.event, current_language())

    def publish(self):
        form = self.bound.get("publish")
        if form is None:
            # Mailing is the first choice for a first version (the plan is promised to every
            # registrant); a later version's note goes only when asked for.
            mail = "none" if self.plan.versions else "send"
            form = publish_form(langs())(formdata=None, prefix="publish", mail=mail)
        return form


def fill(form, **texts):
    for name, values in texts.items():
        for lang in langs():
            form[f"{name}_{lang}"].data = (values or {}).get(lang, "")
    return form


def mailouts_under_way(plan):
    """{version number: progress} of the versions whose mail to registrants is being
    prepared or sent, for a progress bar that follows it."""
    from ..mail.admin import batch_progress

    names = {service.batch_name(v): v.number for v in plan.versions}
    return {names[p.name]: p for p in batch_progress(list(names)) if not p.finished}


def editor_context(event, plan, **extra):
    macros = current_app.jinja_env.get_template("plan/_macros.html")
    context = dict(
        m=macros.make_module({"langs": langs()}),
        csrf_field=Markup('<input type="hidden" name="csrf_token" value="{}">').format(
            generate_csrf()
        ),
        event=event,
        plan=plan,
        langs=langs(),
        forms=Forms(plan, extra.pop("bound", None)),
        unused=service.unused_ideas(event, plan),
        statuses=PlanItem.STATUSES,
        progress=service.versions_progress(plan.versions),
        under_way=mailouts_under_way(plan),
        audience=mailout.audience_counts(event),
        mail_languages=service.mail_languages(event),
        public_url=mail_url("plan.public_plan", slug=event.slug),  # as the mail says it
        missing=extra.pop("missing", None),
        can_publish=service.can_publish(event),
        not_concluded=not_concluded_message(),
        saved_at=None,
        expand_all=sum(len(s.items) for s in plan.sections)
        <= current_app.config["PLAN_EDITOR_INLINE_ITEMS"],
        edit_id=int_arg(request.args, "edit"),
        stale=plan_stale(event),
    )
    context.update(extra)
    return context


def plan_stale(event):
    """{form prefix: translations that need review} of the plan's texts."""
    prefixes = {"plan": lambda row: "intro", "plan_section": lambda row: f"section-{row.id}"}
    prefixes["plan_item"] = lambda row: f"item-{row.id}"
    return {
        prefixes[kind](row): pairs
        for kind, row, pairs in review.stale_in_event(event, kinds=tuple(prefixes))
    }


def save_texts(kind, row, key, change):
    """Change a plan row's texts with `change()`, keeping what each translation was made
    from (app/review.py); returns what needs review now."""
    before = review.texts_of(kind, row)
    change()
    db.session.flush()
    review.record(kind, row, before, review.reviewed_in(request.form, f"{key}-reviewed"))
    return review.stale(kind, row)


def load(event_id):
    event = service.event_for_admin(event_id)
    plan = service.get_plan(event)
    return event, service.load_plan_tree(plan.id)


def section_of(plan, section_id):
    for section in plan.sections:
        if section.id == section_id:
            return section
    abort(404)


def item_of(plan, item_id):
    for section in plan.sections:
        for item in section.items:
            if item.id == item_id:
                return section, item
    abort(404)


def saved(event, plan, prefix, texts, error_form=None, stale=frozenset()):
    """The answer to an autosave: a small status, and the "not yet translated" and "needs
    review" marks of the saved object brought up to date (out of band)."""
    return render_template(
        "plan/_saved.html",
        prefix=prefix,
        texts=texts,
        stale=stale,
        langs=langs(),
        form=error_form,
        saved_at=utcnow(),
        event=event,
    )  # 200 even for an error: htmx swaps only 2xx answers, and the message must show


def invalid(event, plan, key, form, anchor):
    """A form with errors: htmx gets the status line with the messages; without JS, the
    editor again, with the form as typed and the messages next to the fields."""
    if request.htmx:
        return saved(event, plan, key, {}, error_form=form)
    flash(_("Not saved: please correct the marked fields."), "error")
    edit_id = int(key.split("-")[1]) if key.startswith("item-") else None
    context = editor_context(event, plan, bound={key: form}, edit_id=edit_id)
    return render_template(EDITOR, **context), 422


# ---------------------------------------------------------------- the editor


@bp.get("/events/<int:event_id>/plan")
def editor(event_id):
    event, plan = load(event_id)
    db.session.commit()  # a plan row may have been created for this event
    return render_template(EDITOR, **editor_context(event, plan))


@bp.post("/events/<int:event_id>/plan/intro")
def save_intro(event_id):
    event, plan = load(event_id)
    form = intro_form(langs())(prefix="intro")
    if not form.validate():
        return invalid(event, plan, "intro", form, "plan-intro")

    def change():
        plan.intro = {k: v.strip() for k, v in form.texts("intro").items() if v.strip()}

    stale = save_texts("plan", plan, "intro", change)
    service.touch(plan)
    db.session.commit()
    if request.htmx:
        return saved(event, plan, "intro", {"intro": plan.intro}, stale=stale)
    flash(_("Introduction saved."), "success")
    return back_to_editor(event, "plan-intro")


@bp.post("/events/<int:event_id>/plan/draft-from-ideas")
def draft_from_ideas(event_id):
    event, plan = load(event_id)
    added = service.draft_from_ideas(plan)
    db.session.commit()
    if added:
        flash(
            ngettext(
                "%(num)d item drafted from the ideas. Edit it below.",
                "%(num)d items drafted from the ideas. Edit them below.",
                added,
            ),
            "success",
        )
    else:
        flash(_("Every approved or discussed idea is already in the plan."), "info")
    return back_to_editor(event, "plan-sections")


@bp.post("/events/<int:event_id>/plan/sections")
def add_section(event_id):
    event, plan = load(event_id)
    section = PlanSection(plan=plan, position=len(plan.sections), title={}, body={})
    db.session.add(section)
    service.touch(plan)
    db.session.commit()
    return back_to_editor(event, f"section-{section.id}")


@bp.post("/events/<int:event_id>/plan/sections/<int:section_id>")
def save_section(event_id, section_id):
    event, plan = load(event_id)
    section = section_of(plan, section_id)
    key = f"section-{section.id}"
    form = section_form(langs())(prefix=key)
    if not form.validate():
        return invalid(event, plan, key, form, key)

    def change():
        section.title = clean(form.texts("title"))
        section.body = clean(form.texts("body"))

    stale = save_texts("plan_section", section, key, change)
    service.touch(plan)
    db.session.commit()
    if request.htmx:
        texts = {"title": section.title, "body": section.body}
        return saved(event, plan, key, texts, stale=stale)
    flash(_("Section saved."), "success")
    return back_to_editor(event, key)


def clean(texts):
    return {k: v.strip() for k, v in texts.items() if v and v.strip()}


@bp.post("/events/<int:event_id>/plan/sections/<int:section_id>/move")
def move_section(event_id, section_id):
    event, plan = load(event_id)
    section = section_of(plan, section_id)
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    service.move(plan.sections, section, direction)
    service.touch(plan)
    db.session.commit()
    plan = service.load_plan_tree(plan.id)
    if request.htmx:
        return render_block(EDITOR, "sections", **editor_context(event, plan))
    return back_to_editor(event, f"section-{section.id}")


@bp.post("/events/<int:event_id>/plan/sections/<int:section_id>/delete")
def delete_section(event_id, section_id):
    event, plan = load(event_id)
    section = section_of(plan, section_id)
    review.forget("plan_section", section.id)
    for item in section.items:
        review.forget("plan_item", item.id)
    plan.sections.remove(section)
    db.session.delete(section)
    for position, other in enumerate(plan.sections):
        other.position = position
    service.touch(plan)
    db.session.commit()
    flash(_("Section deleted."), "info")
    return back_to_editor(event, "plan-sections")


@bp.post("/events/<int:event_id>/plan/sections/<int:section_id>/items")
def add_item(event_id, section_id):
    event, plan = load(event_id)
    section = section_of(plan, section_id)
    item = PlanItem(section=section, position=len(section.items), what={}, who={})
    db.session.add(item)
    service.touch(plan)
    db.session.commit()
    if request.htmx:
        plan = service.load_plan_tree(plan.id)
        section = section_of(plan, section_id)
        context = editor_context(event, plan, edit_id=item.id)
        return render_block(EDITOR, "section_items", section=section, **context)
    return redirect(
        url_for("plan_admin.editor", event_id=event.id, edit=item.id) + f"#item-{item.id}"
    )


@bp.post("/events/<int:event_id>/plan/items/<int:item_id>")
def save_item(event_id, item_id):
    event, plan = load(event_id)
    section, item = item_of(plan, item_id)
    key = f"item-{item.id}"
    form = presenter_choices(item_form(langs())(prefix=key), event, current_language())
    if not form.validate():
        return invalid(event, plan, key, form, key)

    def change():
        item.what = clean(form.texts("what"))
        item.who = clean(form.texts("who"))

    stale = save_texts("plan_item", item, key, change)
    item.due = (form.due.data or "").strip()
    item.status = form.status.data
    item.presented_by = speaker_of(event, form.presented_by.data)
    service.touch(plan)
    db.session.commit()
    if request.htmx:
        return saved(event, plan, key, {"what": item.what, "who": item.who}, stale=stale)
    flash(_("Item saved."), "success")
    return back_to_editor(event, key)


@bp.get("/events/<int:event_id>/plan/items/<int:item_id>/edit")
def edit_item(event_id, item_id):
    """Open one item's form in a long plan: its section's list with that item open (htmx),
    or the editor with it open."""
    event, plan = load(event_id)
    section, item = item_of(plan, item_id)
    if not request.htmx:
        return redirect(
            url_for("plan_admin.editor", event_id=event.id, edit=item.id) + f"#item-{item.id}"
        )
    context = editor_context(event, plan, edit_id=item.id)
    return render_block(EDITOR, "section_items", section=section, **context)


@bp.post("/events/<int:event_id>/plan/items/<int:item_id>/move")
def move_item(event_id, item_id):
    event, plan = load(event_id)
    section, item = item_of(plan, item_id)
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    service.move(section.items, item, direction)
    service.touch(plan)
    db.session.commit()
    if request.htmx:
        plan = service.load_plan_tree(plan.id)
        section = section_of(plan, section.id)
        return render_block(EDITOR, "section_items", section=section, **editor_context(event, plan))
    return back_to_editor(event, f"item-{item.id}")


@bp.post("/events/<int:event_id>/plan/items/<int:item_id>/delete")
def delete_item(event_id, item_id):
    event, plan = load(event_id)
    section, item = item_of(plan, item_id)
    review.forget("plan_item", item.id)
    section.items.remove(item)
    db.session.delete(item)
    for position, other in enumerate(section.items):
        other.position = position
    service.touch(plan)
    db.session.commit()
    if request.htmx:
        plan = service.load_plan_tree(plan.id)
        section = section_of(plan, section.id)
        return render_block(EDITOR, "section_items", section=section, **editor_context(event, plan))
    flash(_("Item deleted."), "info")
    return back_to_editor(event, f"section-{section.id}")


# ---------------------------------------------------------------- linking ideas


def ideas_answer(event, plan, item):
    """The item's linked ideas (the search still open, with its results, to link another),
    and the side panel of unused ideas out of band."""
    q = request.form.get("q", "")[:200]
    results = service.search_ideas(event, q) if q else None
    context = editor_context(
        event, plan, item=item, oob=True, q=q, results=results, open_search=True
    )
    html = render_block(EDITOR, "item_ideas", **context) + render_block(
        EDITOR, "unused_ideas", **context
    )
    return html


@bp.get("/events/<int:event_id>/plan/items/<int:item_id>/ideas")
def search_ideas(event_id, item_id):
    event, plan = load(event_id)
    section, item = item_of(plan, item_id)
    q = request.args.get("q", "")[:200]
    results = service.search_ideas(event, q)
    context = editor_context(event, plan, item=item, results=results, q=q, searched=True)
    if request.htmx:
        return render_block(EDITOR, "idea_results", **context)
    return render_template("plan/link_ideas.html", section=section, **context)


@bp.post("/events/<int:event_id>/plan/items/<int:item_id>/ideas")
def link_idea(event_id, item_id):
    event, plan = load(event_id)
    section, item = item_of(plan, item_id)
    idea = db.session.get(Idea, int_arg(request.form, "idea_id", 0))
    if idea is None or idea.event_id != event.id or idea.status not in service.USABLE_IDEA_STATUSES:
        abort(400)
    if idea not in item.ideas:
        item.ideas.append(idea)
        service.touch(plan)
        db.session.commit()
    if request.htmx:
        return ideas_answer(event, service.load_plan_tree(plan.id), item)
    return back_to_editor(event, f"item-{item.id}")


@bp.post("/events/<int:event_id>/plan/items/<int:item_id>/ideas/<int:idea_id>/unlink")
def unlink_idea(event_id, item_id, idea_id):
    event, plan = load(event_id)
    section, item = item_of(plan, item_id)
    for idea in list(item.ideas):
        if idea.id == idea_id:
            item.ideas.remove(idea)
            service.touch(plan)
    db.session.commit()
    if request.htmx:
        return ideas_answer(event, service.load_plan_tree(plan.id), item)
    return back_to_editor(event, f"item-{item.id}")


# ---------------------------------------------------------------- preview, publish, send


@bp.get("/events/<int:event_id>/plan/preview")
def preview(event_id):
    event, plan = load(event_id)
    return render_template(
        "plan/public.html",
        **public_context(event, plan, None, service.snapshot(plan), preview=True),
    )


@bp.post("/events/<int:event_id>/plan/publish")
def publish(event_id):
    """The one publish-and-send step. The form says what will happen and the organizer
    chooses "publish and mail" or "publish without mailing"; a page of its own then asks
    once more (no script needed), naming the address and who gets which mail; only the
    answer "yes" publishes. Missing texts or a session not yet concluded are said at once,
    before anything is asked."""
    event, plan = load(event_id)
    form = publish_form(langs())(prefix="publish")
    valid = form.validate()
    missing = service.missing_texts(plan, current_language())
    if missing or not service.can_publish(event):
        return refused(event, plan, form, missing)
    if not valid:
        flash(_("Not published: please correct the marked fields."), "error")
        context = editor_context(event, plan, bound={"publish": form})
        return render_template(EDITOR, **context), 422
    send = form.mail.data == "send"
    if request.form.get("confirm") != "yes":
        context = editor_context(event, plan, form=form, send=send)
        return render_template("plan/publish_confirm.html", **context)
    try:
        version = service.publish(
            plan,
            actor=current_user._get_current_object(),
            change_note=form.texts("note"),
            send=send,
            lang_for_labels=current_language(),
        )
    except service.PublishRefused as refusal:
        db.session.rollback()
        event, plan = load(event_id)
        return refused(event, plan, form, refusal.missing)
    except TransitionError:
        db.session.rollback()
        event, plan = load(event_id)
        return refused(event, plan, form, [])
    db.session.commit()
    if send:
        message = ngettext(
            "Version %(n)d is published; the mail to %(num)d registrant is being prepared, "
            "its progress shows below.",
            "Version %(n)d is published; the mail to %(num)d registrants is being prepared, "
            "its progress shows below.",
            sum(service.mail_languages(event).values()),
            n=version.number,
        )
    else:
        message = _("Version %(n)d is published. Nobody was mailed.", n=version.number)
    flash(message, "success")
    return back_to_editor(event, "plan-versions")


def refused(event, plan, form, missing):
    """Publishing cannot happen: the texts still missing, or the session not concluded yet;
    the editor again with the publish form as it was filled."""
    if missing:
        flash(_("Not published: some texts are missing. See the list below."), "error")
    else:
        flash(not_concluded_message(), "error")
    context = editor_context(event, plan, bound={"publish": form}, missing=missing or None)
    return render_template(EDITOR, **context), 422


@bp.post("/events/<int:event_id>/plan/versions/<int:number>/send")
def send(event_id, number):
    event, plan = load(event_id)
    version = next((v for v in plan.versions if v.number == number), None)
    if version is None:
        abort(404)
    recorded = service.send_version(version, actor=current_user._get_current_object())
    db.session.commit()
    flash(
        ngettext(
            "The mail to %(num)d registrant is being prepared; its progress shows below.",
            "The mail to %(num)d registrants is being prepared; its progress shows below.",
            recorded.total,
        ),
        "success",
    )
    return back_to_editor(event, "plan-versions")
