"""The moderation queue. Every row acts inline (htmx answers the new row, rendered from the
same template block as the page; an approve answers only the row's status line, message and
revision, swapped out of band) and every action is also a plain form answered with a
redirect back to the queue."""

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2_fragments.flask import render_block
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import MultiDict

from app.api import (
    PUBLIC_STATES,
    REJECT_REASONS,
    Event,
    Idea,
    IdeaConflict,
    IdeaError,
    Theme,
    add_live_idea,
    approve_idea,
    current_language,
    db,
    discuss_idea,
    edit_idea,
    idea_status_labels,
    int_arg,
    language_name,
    languages,
    merge_idea,
    merged_counts,
    moderator_required,
    page_arg,
    reject_idea,
    render_error,
    set_idea_presenter,
    set_idea_theme,
    to_int,
    undo_idea,
)

from .forms import live_idea_form

bp = Blueprint(
    "moderation",
    __name__,
    url_prefix="/moderate",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/moderation",
)

TEMPLATE = "moderation/queue.html"
STATUS_FILTERS = ("pending", "approved", "rejected", "discussed", "merged", "withdrawn", "received")
ACTIONS = ("approve", "reject", "edit", "theme", "presenter", "merge", "discuss", "undo")


@bp.before_request
@moderator_required
def require_moderator():
    """Moderators and organizers only."""


def event_or_404(event_id):
    """The session with its themes and speakers, loaded at once: every row offers them."""
    return db.get_or_404(
        Event, event_id, options=[selectinload(Event.themes), selectinload(Event.speaker_rows)]
    )


@bp.get("/")
def index():
    events = db.session.scalars(
        sa.select(Event).where(Event.state.in_(PUBLIC_STATES)).order_by(Event.starts_at)
    ).all()
    if len(events) == 1:
        return redirect(url_for("moderation.queue", event_id=events[0].id))
    pending = dict(
        db.session.execute(
            sa.select(Idea.event_id, sa.func.count())
            .where(Idea.status == "pending")
            .group_by(Idea.event_id)
        ).all()
    )
    return render_template("moderation/index.html", events=events, pending=pending)


# ---------------------------------------------------------------- the queue


def filters_from(params):
    status = params.get("status", "pending")
    if status not in STATUS_FILTERS + ("all",):
        status = "pending"
    theme = int_arg(params, "theme")
    language = params.get("language") if params.get("language") in languages() else ""
    q = (params.get("q") or "").strip()[:200]
    page = page_arg(params)
    return {"status": status, "theme": theme, "language": language, "q": q, "page": page}


def queue_query(event, f):
    query = (
        sa.select(Idea)
        .where(Idea.event_id == event.id)
        .options(joinedload(Idea.moderated_by), joinedload(Idea.presented_by))
    )
    if f["status"] == "all":
        query = query.where(Idea.status != "unconfirmed")
    else:
        query = query.where(Idea.status == f["status"])
    if f["theme"]:
        query = query.where(Idea.theme_id == f["theme"])
    if f["language"]:
        query = query.where(Idea.language == f["language"])
    if f["q"]:
        like = "%" + f["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            sa.or_(Idea.title.ilike(like, escape="\\"), Idea.body.ilike(like, escape="\\"))
        )
    # Oldest first: the one waiting longest is read first.
    return query.order_by(Idea.created_at, Idea.id)


def language_choices():
    return [(code, language_name(code)) for code in languages()]


def speaker_names(event):
    """Speakers already named in this session's live ideas: offered again as they type."""
    return db.session.scalars(
        sa.select(Idea.author_name)
        .where(Idea.event_id == event.id, Idea.raised_by == "speaker", Idea.author_name != "")
        .distinct()
        .order_by(Idea.author_name)
    ).all()


# Every fixed label of a row: a row repeats some twenty of them, so they are translated once
# per page (gettext costs ~20 µs a call; 50 rows asked it over a thousand times).
ROW_LABELS = {
    "select": _l("Select idea %(id)d"),
    "raised_live": _l("raised live"),
    "no_theme": _l("no theme"),
    "by": _l("by %(who)s at %(when)s"),
    "merged_into": _l("merged into #%(id)d"),
    "speaks_for": _l("speaks for %(num)d ideas"),
    "approve": _l("Approve"),
    "reason": _l("Reason (optional)"),
    "no_reason": _l("No reason given"),
    "note": _l("Note to the author (optional)"),
    "reject": _l("Reject"),
    "undo": _l("Undo last action"),
    "edit": _l("Edit"),
    "title": _l("Title"),
    "text": _l("Text"),
    "save": _l("Save"),
    "more": _l("Theme, merge, discussed"),
    "theme": _l("Theme"),
    "set_theme": _l("Set theme"),
    "merge_into": _l("Merge into idea number"),
    "merge": _l("Merge"),
    "short_note": _l("Short note (optional)"),
    "discuss": _l("Mark discussed"),
}


class RowActions:
    """A row's action forms, drawn once per page and stamped for each row.

    The seven forms of a row differ from row to row only in a few slots (the idea's id,
    revision and text, and which theme and presenter are chosen): `moderation/_actions.html`
    is drawn once with a marker in each slot, and each row joins the pieces with its own
    values, escaped here. Drawing the forms for every row was most of the queue page."""

    MARK = "\x01"  # in no label, token or address of the page; row values are not scanned
    SLOTS = (
        "id",
        "revision",
        "title",
        "body",
        "edit_open",
        "body_required",
        "presenter_options",
        "theme_options",
    )

    def __init__(self, context):
        self.context = context
        self.parts = None
        self.theme_options = {}
        self.presenter_options = {}

    def draw(self):
        context = self.context
        event = context["event"]
        slot = {name: Markup(f"{self.MARK}{name}{self.MARK}") for name in self.SLOTS}
        html = render_template("moderation/_actions.html", slot=slot, **context)
        self.parts = html.split(self.MARK)  # odd places: slot names
        self.themes = [("", context["labels"]["no_theme"])] + context["themes"]
        self.speakers = [("", _("nobody named"))] + [
            (row.id, row.text("name", context["lang"])) for row in event.speaker_rows
        ]

    @staticmethod
    def options(choices, chosen):
        return Markup("").join(
            Markup('<option value="{}"{}>{}</option>').format(
                value, Markup(" selected") if value == chosen and value != "" else "", label
            )
            for value, label in choices
        )

    def __call__(self, idea, edit=None):
        if self.parts is None:
            self.draw()
        if idea.theme_id not in self.theme_options:
            self.theme_options[idea.theme_id] = self.options(self.themes, idea.theme_id)
        if idea.presented_by_id not in self.presenter_options:
            self.presenter_options[idea.presented_by_id] = self.options(
                self.speakers, idea.presented_by_id
            )
        values = {
            "id": str(idea.id),
            "revision": str(idea.revision),
            "title": escape(edit["title"] if edit else idea.title),
            "body": escape(edit["body"] if edit else idea.body),
            "edit_open": " open" if edit else "",
            "body_required": "" if idea.raised_live else " required",
            "presenter_options": self.presenter_options[idea.presented_by_id],
            "theme_options": self.theme_options[idea.theme_id],
        }
        parts = self.parts[:]
        for i in range(1, len(parts), 2):
            parts[i] = values[parts[i]]
        return Markup("".join(parts))


class RowCells:
    """The cells of a row that show the idea (not its forms), kept as drawn, by everything
    they show: the same idea in the same words, state and language is not drawn twice. A
    moderator's queue is drawn again after every action without JavaScript, and by every
    moderator; a changed idea has another key, so nothing is ever shown out of date."""

    KEPT = {}  # {key: Markup}, for this process
    LIMIT = 3000  # rows kept; then forgotten all at once (no order to keep between threads)

    def __init__(self, lang, timezone, theme_names):
        self.lang = lang
        self.timezone = timezone
        self.theme_names = theme_names

    def key(self, idea, counts):
        speaker, moderator = idea.presented_by, idea.moderated_by
        return (
            self.lang,
            self.timezone,
            idea.id,
            idea.revision,
            idea.status,
            idea.title,
            idea.body,
            idea.language,
            idea.raised_live,
            idea.raised_by,
            idea.author_name,
            idea.display,
            idea.created_at,
            self.theme_names.get(idea.theme_id),
            speaker.text("name", self.lang) if speaker is not None else None,
            (moderator.name, moderator.email) if moderator is not None else None,
            idea.moderated_at,
            idea.merged_into_id,
            counts.get(idea.id),
            idea.moderation_note,
            idea.discussion_note,
        )

    def __call__(self, idea, counts, once=False):
        """`once`: a row with a message or a refused edit, drawn for this answer only."""
        return Drawn(self, None if once else self.key(idea, counts))


class Drawn:
    def __init__(self, cells, key):
        self.key = key
        self.html = RowCells.KEPT.get(key) if key is not None else None

    def keep(self, html):
        if self.key is not None:
            if len(RowCells.KEPT) >= RowCells.LIMIT:
                RowCells.KEPT.clear()
            RowCells.KEPT[self.key] = html
        return html


def row_context(event, f):
    """What every row needs, worked out once: labels in the moderator's language, the
    session's themes by id, the reasons, the CSRF token and the queue's address."""
    lang = current_language()
    themes = [(t.id, t.label(lang)) for t in event.themes]
    context = {
        "event": event,
        "f": f,
        "lang": lang,
        "labels": {key: str(label) for key, label in ROW_LABELS.items()},
        "status_labels": idea_status_labels(),
        "themes": themes,
        "theme_names": dict(themes),
        "reasons": [(code, str(label)) for code, label in REJECT_REASONS.items()],
        "csrf": generate_csrf(),
        "queue_url": url_for("moderation.queue", event_id=event.id, **query_args(f)),
        # Every row's action address, without the idea's id and the action.
        "act_prefix": url_for("moderation.act", event_id=event.id, idea_id=0, action="x")[:-3],
    }
    context["row_actions"] = RowActions(context)
    context["row_cells"] = RowCells(lang, event.timezone, context["theme_names"])
    return context


def base_context(event, f, live_form=None):
    """The whole page's: the rows', the filters' and the form for ideas raised live."""
    context = row_context(event, f)
    return dict(
        context,
        status_filters=STATUS_FILTERS,
        language_choices=language_choices(),
        live_form=live_form or live_idea_form(event, context["lang"], language_choices()),
        speakers=speaker_names(event),
    )


def query_args(f):
    return {k: v for k, v in f.items() if v and not (k == "page" and v == 1)}


def queue_context(event, f, message=None):
    page = db.paginate(
        queue_query(event, f),
        page=f["page"],
        per_page=current_app.config.get("MODERATION_PAGE_SIZE", 50),
        error_out=False,
    )
    return dict(
        base_context(event, f),
        page=page,
        counts=merged_counts([i.id for i in page.items]),
        message=message,
    )


@bp.get("/<int:event_id>")
def queue(event_id):
    event = event_or_404(event_id)
    context = queue_context(event, filters_from(request.args))
    if request.htmx:
        return render_block(TEMPLATE, "table", **context)
    return render_template(TEMPLATE, **context)


# ---------------------------------------------------------------- row actions


def back_to_queue(event):
    """The queue page the form came from (only a path under /moderate/), else the queue."""
    target = request.form.get("next", "")
    if target.startswith("/moderate/") and not urlsplit(target).netloc and "//" not in target:
        return redirect(target)
    return redirect(url_for("moderation.queue", event_id=event.id))


def row_response(event, idea, message=None, kind="status", status=200, edit=None, counts=None):
    """The idea's row alone, drawn from what the request already holds: the idea as the
    action left it (not read again after the commit), the session with its themes."""
    f = filters_from(MultiDict(request.form))
    context = dict(
        row_context(event, f),
        idea=idea,
        counts=merged_counts([idea.id]) if counts is None else counts,
        row_message=message,
        row_kind=kind,
        edit=edit,
    )
    return render_block(TEMPLATE, "row", **context), status


# Actions whose answer (htmx) is the row's state alone: they change nothing else the row shows.
STATE_ONLY = ("approve",)
STATE_LABELS = ("by", "merged_into")


def state_response(event, idea, message):
    """The idea's status, its message and its new revision, swapped into the row the
    moderator sees (out of band): the rest of the row has not changed (how many ideas speak
    through this one neither: only an action on another idea changes that), and drawing it
    was most of an approve's time."""
    context = {
        "event": event,
        "idea": idea,
        "labels": {key: str(ROW_LABELS[key]) for key in STATE_LABELS},
        "status_labels": idea_status_labels(),
        "row_message": message,
        "row_kind": "status",
        "oob": True,
    }
    # htmx swaps nothing where the request pointed (the row) and the parts by their ids.
    return render_block(TEMPLATE, "state", **context), 200, {"HX-Reswap": "none"}


def missing(event, idea_id):
    message = _("This idea does not exist in this session (the link may be old). Reload the queue.")
    if request.htmx:
        html = render_template("moderation/_missing_row.html", idea_id=idea_id, message=message)
        return html, 404
    return render_error(404, message)


def perform(action, idea, actor, revision):
    form = request.form
    if action == "approve":
        return approve_idea(idea, actor, revision)
    if action == "reject":
        return reject_idea(
            idea, actor, revision, reason=form.get("reason", ""), note=form.get("note", "")
        )
    if action == "edit":
        return edit_idea(idea, actor, revision, form.get("title", ""), form.get("body", ""))
    if action == "theme":
        theme = None
        if form.get("theme_id"):  # empty: no theme
            theme = db.session.get(Theme, int_arg(form, "theme_id", 0))
            if theme is None or theme.event_id != idea.event_id:
                raise IdeaError(_("This theme does not exist."))
        return set_idea_theme(idea, actor, revision, theme)
    if action == "presenter":
        return set_idea_presenter(idea, actor, revision, speaker_from(idea.event, form))
    if action == "merge":
        into = int_arg(form, "into")
        survivor = db.session.get(Idea, into) if into else None
        return merge_idea(idea, actor, revision, survivor)
    if action == "discuss":
        return discuss_idea(idea, actor, revision, note=form.get("note", ""))
    if action == "undo":
        return undo_idea(idea, actor, revision)
    raise IdeaError(_("Unknown action."))


def speaker_from(event, form):
    """The session's speaker chosen in a form's `speaker_id` ("" or missing: nobody)."""
    if not form.get("speaker_id"):
        return None
    wanted = int_arg(form, "speaker_id", 0)
    for speaker in event.speaker_rows:
        if speaker.id == wanted:
            return speaker
    raise IdeaError(_("This speaker is not one of the session's speakers."))


DONE = {
    "approve": _l("Approved: it is now on the public board."),
    "reject": _l("Rejected."),
    "edit": _l("Saved. The original text is kept in the audit log."),
    "theme": _l("Theme set."),
    "presenter": _l("Presenter saved."),
    "discuss": _l("Marked as discussed."),
    "undo": _l("Undone."),
}


def done_message(action, idea):
    if action == "merge":
        return _("Merged into idea #%(id)d.", id=idea.merged_into_id or 0)
    return str(DONE[action])


def commit_keeping_loaded():
    """Commit without expiring what the session holds: the row is drawn next from the idea
    the action just changed, and reading every attribute back would cost a query and
    about a quarter of the request."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


@bp.post("/<int:event_id>/ideas/<int:idea_id>/<action>")
def act(event_id, idea_id, action):
    htmx = bool(request.htmx)
    if htmx and action in STATE_ONLY:
        # The answer is the status line: the idea and its session in one query, without
        # the themes and speakers only a whole row needs (a refused action, drawing its
        # row, loads them as it goes).
        idea = db.session.get(Idea, idea_id, options=[joinedload(Idea.event)])
        event = idea.event if idea is not None and idea.event_id == event_id else None
        if event is None:
            event = event_or_404(event_id)
    else:
        event = event_or_404(event_id)
        if action not in ACTIONS:
            return missing(event, idea_id)
        idea = db.session.get(Idea, idea_id)
    if idea is None or idea.event_id != event.id or idea.status == "unconfirmed":
        return missing(event, idea_id)
    actor = current_user._get_current_object()
    try:
        perform(action, idea, actor, request.form.get("revision", type=int))
    except IdeaConflict as exc:
        db.session.rollback()
        idea = db.session.get(Idea, idea_id)
        if not htmx:
            flash(str(exc), "error")
            return back_to_queue(event)
        return row_response(event, idea, str(exc), kind="alert", status=409)
    except IdeaError as exc:
        db.session.rollback()
        idea = db.session.get(Idea, idea_id)
        if not htmx:
            flash(str(exc), "error")
            return back_to_queue(event)
        edit = None
        if action == "edit":
            edit = {"title": request.form.get("title", ""), "body": request.form.get("body", "")}
        return row_response(event, idea, str(exc), kind="alert", status=422, edit=edit)
    # Everything the row shows is read before the commit, in the same transaction: after
    # it, the row is drawn without asking the database again.
    counts = merged_counts([idea.id]) if htmx and action not in STATE_ONLY else None
    commit_keeping_loaded()
    message = done_message(action, idea)
    if not htmx:
        flash(_("Idea #%(id)d: %(message)s", id=idea.id, message=message), "success")
        return back_to_queue(event)
    if action in STATE_ONLY:
        return state_response(event, idea, message)
    return row_response(event, idea, message, counts=counts)


@bp.post("/<int:event_id>/bulk")
def bulk(event_id):
    event = event_or_404(event_id)
    action = request.form.get("action")
    actor = current_user._get_current_object()
    done, skipped = [], []
    for value in request.form.getlist("ids"):
        idea_id, _sep, revision = value.partition(":")
        idea_id, revision = to_int(idea_id), to_int(revision, low=0)
        if idea_id is None or revision is None:
            continue
        idea = db.session.get(Idea, idea_id)
        if idea is None or idea.event_id != event.id:
            skipped.append(idea_id)
            continue
        try:
            if action == "approve":
                approve_idea(idea, actor, revision)
            elif action == "reject":
                reject_idea(idea, actor, revision)
            else:
                break
        except IdeaError:
            db.session.rollback()
            skipped.append(idea_id)
            continue
        db.session.commit()
        done.append(idea_id)
    if action == "approve":
        message = ngettext("Approved %(num)d idea.", "Approved %(num)d ideas.", len(done))
    elif action == "reject":
        message = ngettext("Rejected %(num)d idea.", "Rejected %(num)d ideas.", len(done))
    else:
        message = _("Choose ideas and an action.")
    if skipped:
        message += " " + _(
            "Left as they are, because someone changed them meanwhile or they cannot be "
            "changed this way: %(ids)s.",
            ids=", ".join(f"#{i}" for i in skipped),
        )
    f = filters_from(MultiDict(request.form))
    if not request.htmx:
        flash(message, "success" if not skipped else "error")
        return redirect(url_for("moderation.queue", event_id=event.id, **query_args(f)))
    return render_block(TEMPLATE, "table", **queue_context(event, f, message=message))


# ---------------------------------------------------------------- ideas raised live


@bp.post("/<int:event_id>/live")
def add_live(event_id):
    """Write down an idea raised during the session: approved at once, marked raised live.
    htmx gets the form back, empty for the next one (or with its messages); without
    JavaScript, the queue again."""
    event = event_or_404(event_id)
    htmx = request.htmx
    form = live_idea_form(event, current_language(), language_choices(), formdata=request.form)
    idea, message = None, None
    if form.validate():
        theme = db.session.get(Theme, int(form.theme.data)) if form.theme.data else None
        presenter = speaker_from(event, {"speaker_id": form.presenter.data})
        name = form.name.data
        if presenter is not None and not (name or "").strip() and form.raised_by.data != "attendee":
            name = presenter.text("name", event.default_language)
        try:
            idea = add_live_idea(
                event,
                current_user._get_current_object(),
                title=form.title.data,
                body=form.body.data,
                raised_by=form.raised_by.data,
                name=name,
                theme=theme,
                language=form.language.data,
                presented_by=presenter,
            )
        except IdeaError as exc:
            db.session.rollback()
            message = str(exc)
    if idea is None:
        context = dict(base_context(event, filters_from(request.args), live_form=form))
        context.update(live_message=message, live_kind="alert")
        if htmx:
            return render_block(TEMPLATE, "live", **context), 422
        return render_template(TEMPLATE, **queue_context_from(context, event)), 422
    db.session.commit()
    done = _("Added as idea #%(id)d, on the board now.", id=idea.id)
    if not htmx:
        flash(done, "success")
        return redirect(url_for("moderation.queue", event_id=event.id))
    fresh = live_idea_form(event, current_language(), language_choices())
    # The next idea is most likely in the same language and by the same kind of person.
    fresh.language.data = idea.language
    fresh.raised_by.data = idea.raised_by
    context = dict(base_context(event, filters_from(request.args), live_form=fresh))
    context.update(live_message=done, live_kind="status")
    return render_block(TEMPLATE, "live", **context)


def queue_context_from(context, event):
    """The whole queue page around a live form that has messages."""
    full = queue_context(event, context["f"])
    full.update({k: v for k, v in context.items() if k.startswith("live_")})
    return full
