"""Idea moderation: every new idea starts as pending, and moderators review them in a queue.

The queue (``/moderate/<event id>``) acts inline with htmx: approve, reject with a reason,
edit, set the theme, merge, mark discussed, undo, and bulk approve/reject, each also a plain
form that works without JavaScript. The state changes themselves are the core's
(the idea actions of ``app.api``); this plugin is their user interface and the initial status.
"""

from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.api import NavLink, hookimpl


@hookimpl
def sala_initial_idea_status(idea):
    return "pending"


@hookimpl
def sala_config_defaults():
    return {
        # Where moderators land after signing in (an endpoint).
        "MODERATOR_HOME": "moderation.index",
        "MODERATION_PAGE_SIZE": 50,
        # Ideas are public only after moderation: with this plugin they are moderated.
        "IDEAS_PUBLIC_BOARD": True,
    }


@hookimpl
def sala_blueprints():
    from .views import bp

    return [bp]


@hookimpl
def sala_nav_links(user):
    if getattr(user, "is_authenticated", False) and user.has_role("moderator"):
        return [NavLink(_l("Moderation"), "moderation.index")]
    return []


@hookimpl
def sala_template_slot(slot, context):
    if slot != "admin_event" or context.get("event") is None:
        return None
    from flask import url_for
    from flask_babel import gettext as _

    url = url_for("moderation.queue", event_id=context["event"].id)
    return Markup('<p><a href="{}">{}</a></p>').format(url, _("Moderation queue"))
