"""Registration: the session page's form, confirmation by mail, capacity and waitlist,
join details in advance, reminders, and the registrant's own manage page.

The domain changes live in `domain` (views call them); the worker's sweep that releases
join details and reminders is the internal plugin `app.registration.release`."""

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


def event_time(utc_naive, tz_name, locale=None):
    """A session time to read: "Sunday, 1 November 2026, 20:00" style, without seconds,
    in the reader's language."""
    from datetime import UTC
    from zoneinfo import ZoneInfo

    from babel.dates import format_date, format_time
    from flask_babel import get_locale

    if utc_naive is None:
        return ""
    locale = locale or get_locale()
    local = utc_naive.replace(tzinfo=UTC).astimezone(ZoneInfo(tz_name))
    return (
        f"{format_date(local, 'full', locale=locale)}, {format_time(local, 'short', locale=locale)}"
    )


def zone_city(tz_name, locale=None):
    """A time zone as its city, in the reader's language: "Phnom Penh", "ភ្នំពេញ", "Paris"."""
    from zoneinfo import ZoneInfo

    from babel.dates import get_timezone_location
    from flask_babel import get_locale

    return get_timezone_location(ZoneInfo(tz_name), locale=locale or get_locale(), return_city=True)


def init_app(app):
    app.register_blueprint(bp)
    app.jinja_env.filters["event_time"] = event_time
    app.jinja_env.globals["zone_city"] = zone_city
