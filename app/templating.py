"""Jinja helpers shared by every template."""

from datetime import UTC
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, get_timezone_name
from flask import request
from flask_babel import get_locale
from markupsafe import Markup, escape


def url_for_language(code):
    """The current page in another language: the same URL with ?lang=code."""
    args = request.args.copy()
    args["lang"] = code
    return f"{request.path}?{urlencode(list(args.items(multi=True)))}"


def field_attrs(field, hint=None):
    """aria attributes tying a form field to its hint and its error messages."""
    described = []
    if hint:
        described.append(f"{field.id}-hint")
    if field.errors:
        described.append(f"{field.id}-error")
    attrs = {}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if field.errors:
        attrs["aria-invalid"] = "true"
    return attrs


def paragraphs(text):
    """Plain text as escaped paragraphs; blank lines separate them."""
    blocks = [b.strip() for b in (text or "").replace("\r\n", "\n").split("\n\n") if b.strip()]
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in b.split("\n")))
        for b in blocks
    )


def local_time(utc_naive, tz_name, format="full", locale=None):
    """A stored UTC time, shown in a time zone, in the reader's language and conventions."""
    if utc_naive is None:
        return ""
    aware = utc_naive.replace(tzinfo=UTC)
    return format_datetime(aware, format, tzinfo=ZoneInfo(tz_name), locale=locale or get_locale())


def machine_time(utc_naive):
    """A stored UTC time as HTML's `<time datetime>` wants it: to the second, with its zone
    ("2023-11-01T12:00:00Z"). isoformat() would add microseconds, which HTML refuses."""
    if utc_naive is None:
        return ""
    if utc_naive.tzinfo is not None:
        utc_naive = utc_naive.astimezone(UTC)
    return utc_naive.strftime("%Y-%m-%dT%H:%M:%SZ")


def zone_name(tz_name, locale=None):
    """A time zone's city name in the reader's language: "Phnom Penh", "ភ្នំពេញ"."""
    return get_timezone_name(ZoneInfo(tz_name), "location", locale=locale or get_locale())


def init_app(app):
    app.jinja_env.globals.update(url_for_language=url_for_language, field_attrs=field_attrs)
    app.jinja_env.filters.update(
        paragraphs=paragraphs, local_time=local_time, machine_time=machine_time
    )
    app.jinja_env.globals.update(zone_name=zone_name)
    app.jinja_env.add_extension("jinja2.ext.do")
