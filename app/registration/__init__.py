"""Registration: the session page's form, confirmation by mail, capacity and waitlist,
join details in advance, reminders, and the registrant's own manage page; for organizers
(`admin`, `purge_admin`) the registrants, announcements and erasing personal data.

The domain changes live in `domain` (views call them); the worker's sweep that releases
join details and reminders is the internal plugin `app.registration.release`."""

from ..templating import local_time, zone_city
from . import join_now_admin, purge_admin  # noqa: F401  (their routes attach to admin_bp)
from .admin import bp as admin_bp
from .domain import (  # noqa: F401
    cancel,
    confirm,
    erase,
    join_details_for,
    promote_waitlisted,
    register,
    release_join_details,
)
from .routes import bp


def event_time(utc_naive, tz_name, locale=None, zone=False):
    """A session time to read: "Sunday, 1 November 2026, 20:00" style, without seconds,
    in the reader's language (the one helper, `local_time`, in its full form)."""
    return local_time(utc_naive, tz_name, "full", locale, zone)


def init_app(app):
    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    app.jinja_env.filters["event_time"] = event_time
    app.jinja_env.globals["zone_city"] = zone_city
