"""Ideas, the public side: send one, confirm it, follow it, withdraw it, and the board."""

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from jinja2_fragments.flask import render_block
from sqlalchemy.orm import aliased, joinedload

from .. import intake, ratelimit
from ..events import get_public_event
from ..extensions import db, limiter
from ..forms import choices
from ..i18n import current_language, language_name, languages
from ..models import Idea, LinkToken, Theme, utcnow
from ..pagecache import visitor_page
from ..plan.service import first_version_with
from ..plan.service import is_published as plan_is_published
from ..registration.domain import find_manage_registration
from ..whole_numbers import int_arg, page_arg
from . import workflow
from .forms import IdeaForm

bp = Blueprint("ideas", __name__, template_folder="templates")

PER_PAGE = 50
POLL_STOP = 286  # htmx stops polling on this status


def public_post_limit():
    return current_app.config["RATELIMIT_PUBLIC_POST"]


def per_address_limit():
    return current_app.config["IDEAS_RATE_LIMIT_PER_ADDRESS"]


def author_link_key():
    """Rate-limit key per registrant: their manage link (hashed). An address typed in the
    form is not limited here but by the mailbox cap, which refuses nobody visibly."""
    return ratelimit.token_key("idea-author", request.args.get("t", ""))


def without_manage_link():
    return not request.args.get("t")


def ideas_window(event, now=None):
    """("open" | "not_yet" | "closed" | "cancelled", the time it opens or closed)."""
    now = now or utcnow()
    if event.state == "cancelled":
        return "cancelled", None
    if event.state != "published":
        return "closed", event.ideas_close_at
    if event.ideas_open_at and now < event.ideas_open_at:
        return "not_yet", event.ideas_open_at
    closes = event.ideas_close_at or event.ends_at
    if now >= closes:
        return "closed", closes
    return "open", closes


def is_live(event, now=None):
    now = now or utcnow()
    return event.state != "cancelled" and event.starts_at <= now < event.ends_at


def board_is_public():
    """IDEAS_PUBLIC_BOARD: approved ideas shown publicly (a site that moderates ideas);
    otherwise ideas are for organizers only."""
    return bool(current_app.config["IDEAS_PUBLIC_BOARD"])


def registrant_from_token(event, raw):
    """The registration behind a manage link for this session, or None."""
    if not raw:
        return None
    registration = find_manage_registration(raw)
    if (
        registration is None
        or registration.event_id != event.id
        or registration.status == "cancelled"
        or registration.erased_at is not None
    ):
        return None
    return registration


def build_form(event, registration=None, formdata=None):
    lang = current_language()
    form = IdeaForm(formdata=formdata) if formdata is not None else IdeaForm()
    form.theme.choices = choices(
        [("", _("No theme"))] + [(str(t.id), t.label(lang)) for t in event.themes]
    )
    form.language.choices = choices((code, language_name(code)) for code in languages())
    if not form.language.data or form.language.data == "None":
        form.language.data = lang
    if not form.is_submitted():
        form.language.data = lang
        if registration is not None:
            form.name.data = registration.name
    if registration is not None:
        del form.email
    return form


def form_context(event):
    """What the session page's idea box needs: Jinja global `idea_box(event)`."""
    state, when = ideas_window(event)
    form = build_form(event) if state == "open" else None
    return {"state": state, "when": when, "form": form, "public": board_is_public()}


@bp.route("/s/<slug>/ideas/new", methods=["GET", "POST"])
@limiter.limit(public_post_limit, methods=["POST"])
@limiter.limit(
    per_address_limit, key_func=author_link_key, exempt_when=without_manage_link, methods=["POST"]
)
def new(slug):
    raw = request.args.get("t", "")
    if request.method == "POST" and not raw:
        # A visitor without a manage link: when the form is plainly valid, keep it for the
        # worker (app/intake.py) and answer at once, the same for everyone.
        facts = intake.facts(slug)
        if facts is None:
            abort(404)
        data = quick_idea(request.form, facts) if ideas_window(facts)[0] == "open" else None
        if data is not None:
            return take(facts, data)
    event = get_public_event(slug)
    if event is None:
        abort(404)
    registration = registrant_from_token(event, raw)
    if raw and registration is None:
        return render_template("ideas/link_problem.html", event=event), 404
    state, when = ideas_window(event)
    if state != "open":
        return render_template("ideas/new.html", event=event, state=state, when=when, form=None)
    form = build_form(event, registration)
    if form.validate_on_submit():
        if registration is None:
            return take(
                event,
                {
                    "title": form.title.data,
                    "body": form.body.data,
                    "theme": form.theme.data or "",
                    "language": form.language.data,
                    "display": form.display.data,
                    "name": form.name.data or "",
                    "email": form.email.data,
                    "website": form.website.data or "",
                },
            )
        if form.website.data:  # the honeypot: answer as if all went well, keep nothing
            return render_template("ideas/sent.html", event=event, registrant=False)
        # A registrant, from their manage link: taken at once (it counts without a
        # confirmation), so the page can link its status right away.
        may_mail = ratelimit.mailbox_may_receive(registration.email)
        theme = None
        if form.theme.data:
            theme = db.session.get(Theme, int(form.theme.data))
        idea = Idea(
            event=event,
            title=form.title.data.strip(),
            # Browsers send line breaks as CRLF; what the author wrote is the text itself.
            body=form.body.data.replace("\r\n", "\n"),
            theme=theme,
            language=form.language.data,
            display=form.display.data,
            author_name=(form.name.data or "").strip(),
            author_email="",
        )
        token = workflow.submit(idea, registration=registration, receipt=may_mail)
        db.session.commit()
        return render_template(
            "ideas/sent.html",
            event=event,
            registrant=True,
            status_url=url_for("ideas.status", token=token),
        )
    return render_template(
        "ideas/new.html", event=event, state=state, when=when, form=form, token=raw
    )


def take(event, data):
    """Keep a visitor's idea for the worker (nothing for the honeypot) and send them to the
    page that asks them to confirm it by mail."""
    if not data.get("website"):
        idea = {
            "title": data["title"].strip(),
            # Browsers send line breaks as CRLF; what the author wrote is the text itself.
            "body": data["body"].replace("\r\n", "\n"),
            "theme": data["theme"],
            "language": data["language"],
            "display": data["display"],
            "name": data["name"].strip(),
            "email": data["email"].strip(),
        }
        intake.store("idea", event.id, idea["email"], idea)
    return redirect(url_for("ideas.sent", slug=event.slug), 303)


def quick_idea(form, facts):
    """The idea form's values when they are plainly valid, checked by the form's own
    validators without building it; None otherwise (the view then builds the form)."""
    names = ("title", "body", "theme", "language", "display", "name", "email", "website")
    values = {name: intake.text(form, name) for name in names}
    if None in values.values():
        return None
    if values["theme"] and not (
        values["theme"].isdigit() and int(values["theme"]) in facts.theme_ids
    ):
        return None
    if values["language"] not in languages() or values["display"] not in DISPLAYS:
        return None
    if values["display"] != "anonymous" and not values["name"].strip():
        return None
    for name in ("title", "body", "name", "email", "website"):
        if not intake.passes(getattr(IdeaForm, name), values[name]):
            return None
    return values


DISPLAYS = ("name", "initials", "anonymous")


@bp.get("/s/<slug>/ideas/sent")
@visitor_page
def sent(slug):
    """Where a visitor lands after sending an idea: confirm it by mail. The same page for
    everyone, so it is cached like the session page."""
    event = get_public_event(slug)
    if event is None:
        abort(404)
    return render_template("ideas/sent.html", event=event, registrant=False)


@bp.route("/ideas/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(public_post_limit, methods=["POST"])
def confirm(token):
    row = LinkToken.find(token, "idea_confirm")
    idea = db.session.get(Idea, row.subject_id) if row is not None else None
    if idea is None:
        return render_template("ideas/link_problem.html", event=None), 404
    if idea.status != "unconfirmed":
        return render_template("ideas/confirmed.html", idea=idea, event=idea.event, again=True)
    if row.expired:
        return render_template("ideas/link_problem.html", event=idea.event, expired=True), 410
    if request.method == "POST":
        row.used_at = utcnow()
        workflow.confirm(idea)
        db.session.commit()
        return render_template("ideas/confirmed.html", idea=idea, event=idea.event, again=False)
    return render_template("ideas/confirm.html", idea=idea, event=idea.event, token=token)


def idea_for_status_token(token):
    row = LinkToken.find(token, "idea")
    idea = db.session.get(Idea, row.subject_id) if row is not None else None
    if idea is None:
        abort(404)
    return idea


def may_withdraw(idea):
    """An idea can be withdrawn until the Plan of Action is out: after that it is part of a
    published record (or was weighed for it), and "Withdraw" would promise what cannot be."""
    return idea.status in workflow.ALLOWED_FROM["withdraw"] and not plan_is_published(idea.event)


@bp.get("/ideas/status/<token>")
def status(token):
    idea = idea_for_status_token(token)
    return render_template(
        "ideas/status.html",
        idea=idea,
        event=idea.event,
        token=token,
        can_withdraw=may_withdraw(idea),
        in_plan=first_version_with(idea),
    )


@bp.post("/ideas/status/<token>/withdraw")
@limiter.limit(public_post_limit)
def withdraw(token):
    idea = idea_for_status_token(token)
    if may_withdraw(idea):
        workflow.withdraw(idea)
        db.session.commit()
    return redirect(url_for("ideas.status", token=token))


# ---------------------------------------------------------------- the public board

SORTS = ("newest", "discussed")


@bp.get("/s/<slug>/ideas")
def board(slug):
    event = get_public_event(slug)
    if event is None:
        abort(404)
    live = is_live(event)
    public = board_is_public()
    sort = request.args.get("sort") if request.args.get("sort") in SORTS else "newest"
    theme_id = int_arg(request.args, "theme")
    page = None
    counts = {}
    theme_counts = {}
    if public:
        query = (
            sa.select(Idea)
            .where(Idea.event_id == event.id, Idea.status.in_(Idea.PUBLIC_STATUSES))
            .options(joinedload(Idea.theme), joinedload(Idea.presented_by))
        )
        if theme_id:
            query = query.where(Idea.theme_id == theme_id)
        if sort == "discussed":
            survivor = aliased(Idea)
            merged = (
                sa.select(sa.func.count(survivor.id))
                .where(survivor.merged_into_id == Idea.id, survivor.status == "merged")
                .correlate(Idea)
                .scalar_subquery()
            )
            query = query.order_by(
                (Idea.status == "discussed").desc(),
                Idea.discussed_at.desc(),
                merged.desc(),
                Idea.created_at.desc(),
            )
        else:
            query = query.order_by(Idea.created_at.desc(), Idea.id.desc())
        page = db.paginate(query, page=page_arg(request.args), per_page=PER_PAGE, error_out=False)
        counts = workflow.merged_counts([i.id for i in page.items])
        theme_counts = dict(
            db.session.execute(
                sa.select(Idea.theme_id, sa.func.count())
                .where(Idea.event_id == event.id, Idea.status.in_(Idea.PUBLIC_STATUSES))
                .group_by(Idea.theme_id)
            ).all()
        )
    context = dict(
        event=event,
        page=page,
        counts=counts,
        theme_counts=theme_counts,
        public=public,
        live=live,
        sort=sort,
        theme_id=theme_id,
        window=ideas_window(event),
    )
    if request.htmx:
        return render_block("ideas/board.html", "board", **context), 200 if live else POLL_STOP
    return render_template("ideas/board.html", **context)


# ---------------------------------------------------------------- the board on a shared screen

SCREEN_SIZE = 12


@bp.get("/s/<slug>/ideas/screen")
def screen(slug):
    """The board for sharing a screen in the meeting: large type, the newest ideas first,
    nothing to click. It refreshes itself while the session is live, as the board does;
    `?theme=` keeps it to one theme."""
    event = get_public_event(slug)
    if event is None:
        abort(404)
    live = is_live(event)
    public = board_is_public()
    theme_id = int_arg(request.args, "theme")
    ideas, counts = [], {}
    if public:
        query = (
            sa.select(Idea)
            .where(Idea.event_id == event.id, Idea.status.in_(Idea.PUBLIC_STATUSES))
            .options(joinedload(Idea.theme), joinedload(Idea.presented_by))
            .order_by(Idea.created_at.desc(), Idea.id.desc())
            .limit(SCREEN_SIZE)
        )
        if theme_id:
            query = query.where(Idea.theme_id == theme_id)
        ideas = db.session.scalars(query).all()
        counts = workflow.merged_counts([i.id for i in ideas])
    context = dict(event=event, ideas=ideas, counts=counts, public=public, live=live)
    if request.htmx:
        return render_block("ideas/screen.html", "board", **context), 200 if live else POLL_STOP
    return render_template("ideas/screen.html", **context)
