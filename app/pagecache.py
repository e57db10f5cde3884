"""A short-lived cache of the public pages most visitors open at once (the session page when
the invitation mail goes out), as an anonymous visitor sees them.

Each page is kept per path and language for PAGE_CACHE_SECONDS (0 turns the cache off);
a request with other query arguments than ?lang= is rendered afresh.
The one part of such a page that differs between visitors, their CSRF token, is cut out
before the page is kept and put back for each visitor. A visitor who is signed in, has a
message waiting (a flash) or asks through htmx always gets the page rendered afresh.

The cache is Flask-Caching's: each app server process keeps its own (SimpleCache), or set
PAGE_CACHE_TYPE to "RedisCache" and PAGE_CACHE_REDIS_URL to share one (and
PAGE_CACHE_KEY_PREFIX if several instances share that Redis). A change to what these pages
show (the session, its themes, its plan, the site's settings) empties the cache at once:
the shared one, or with SimpleCache the process's own; other processes then show it within
PAGE_CACHE_SECONDS."""

import functools

import sqlalchemy as sa
from flask import current_app, request, session
from flask_caching import Cache
from flask_login import current_user
from flask_sqlalchemy.session import Session as FlaskSession

from .every_request import csrf_token
from .i18n import current_language
from .models import Event, Plan, PlanItem, PlanSection, Setting, Theme

cache = Cache()


def init_app(app):
    cache.init_app(
        app,
        config={
            "CACHE_TYPE": app.config["PAGE_CACHE_TYPE"],
            "CACHE_KEY_PREFIX": app.config["PAGE_CACHE_KEY_PREFIX"],
            "CACHE_DEFAULT_TIMEOUT": app.config["PAGE_CACHE_SECONDS"],
            "CACHE_REDIS_URL": app.config["PAGE_CACHE_REDIS_URL"],
            "CACHE_THRESHOLD": 1000,
        },
    )


def visitor_page(view):
    """Serve `view` from the cache to anonymous visitors; render and keep it on a miss."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not cacheable():
            return view(*args, **kwargs)
        key = f"{request.path}|{current_language()}"
        page = cache.get(key)
        if page is None:
            response = current_app.make_response(view(*args, **kwargs))
            if response.status_code != 200 or response.direct_passthrough:
                return response
            # Kept as the pieces around the token, to be joined by each visitor's own.
            cache.set(key, response.get_data().split(csrf_token().encode()))
            return response
        return current_app.response_class(csrf_token().encode().join(page), mimetype="text/html")

    return wrapper


def kept(key, compute):
    """`compute()`, kept like the pages and emptied with them: what every page needs and
    seldom changes (the site's settings)."""
    if current_app.config["PAGE_CACHE_SECONDS"] <= 0:
        return compute()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value)
    return value


def cacheable():
    return (
        current_app.config["PAGE_CACHE_SECONDS"] > 0
        and request.method == "GET"
        # Only ?lang= (folded into the key): any other argument could change the page, and
        # made-up ones would fill the cache.
        and set(request.args) <= {"lang"}
        and not request.htmx
        and not session.get("_flashes")
        and not current_user.is_authenticated
    )


# Other per-process caches of what the pages show, emptied with the pages (also_forget).
_also_forget = []


def also_forget(forget):
    """Call `forget()` whenever the cached pages are forgotten: a per-process cache of what
    the pages show (app/intake.py's session facts) stays exactly as fresh as the pages."""
    _also_forget.append(forget)


def forget_pages():
    cache.clear()
    for forget in _also_forget:
        forget()


# ---------------------------------------------------------------- invalidation

# What the cached pages show. A change to anything else (registrations, mail, ideas waiting
# for moderation) leaves the cache alone; seats left may lag by PAGE_CACHE_SECONDS.
SHOWN = (Event, Theme, Setting, Plan, PlanSection, PlanItem)


def also_shown(*models):
    """A feature whose rows the cached pages show (app/speakers) adds its models here."""
    global SHOWN
    SHOWN = tuple(dict.fromkeys(SHOWN + models))


@sa.event.listens_for(FlaskSession, "after_flush")
def note_changes(session, _flush_context):
    changed = session.new | session.dirty | session.deleted
    if any(isinstance(obj, SHOWN) for obj in changed):
        session.info["sala_pages_changed"] = True


@sa.event.listens_for(FlaskSession, "do_orm_execute")
def note_bulk_changes(state):
    """An UPDATE or DELETE statement (a session's state moved with a guard against a race)
    changes rows without making any object dirty: note it too."""
    if (state.is_update or state.is_delete) and any(
        isinstance(mapper.class_, type) and issubclass(mapper.class_, SHOWN)
        for mapper in state.all_mappers
    ):
        state.session.info["sala_pages_changed"] = True


@sa.event.listens_for(FlaskSession, "after_commit")
def forget_pages_after_change(session):
    if session.info.pop("sala_pages_changed", False):
        forget_pages()


@sa.event.listens_for(FlaskSession, "after_rollback")
def forget_note(session):
    session.info.pop("sala_pages_changed", None)
