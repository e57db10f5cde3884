"""Jinja helpers shared by every template."""

from datetime import UTC
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import (
    format_date,
    format_datetime,
    format_time,
    get_datetime_format,
    get_timezone_location,
)
from flask import request
from flask_babel import get_locale
from flask_babel import gettext as _
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


NAMED_FORMATS = ("full", "long", "medium", "short")


def local_time(utc_naive, tz_name, format="full", locale=None):
    """A stored UTC time, shown in a time zone, in the reader's language and conventions.

    Named formats give the date in that length and the time without seconds or a zone:
    Babel's own "long" and "full" add seconds and "+0700" or "ម៉ោង​នៅ​ឥណ្ឌូចិន", which
    readers stumble on. Say the zone with `zone_name`. Other formats are Babel patterns."""
    if utc_naive is None:
        return ""
    locale = locale or get_locale()
    local = utc_naive.replace(tzinfo=UTC).astimezone(ZoneInfo(tz_name))
    if format not in NAMED_FORMATS:
        return format_datetime(local, format, tzinfo=ZoneInfo(tz_name), locale=locale)
    pattern = get_datetime_format(format, locale=locale)
    return pattern.replace("{1}", format_date(local, format, locale=locale)).replace(
        "{0}", format_time(local, "short", locale=locale)
    )


def zone_city(tz_name, locale=None):
    """A time zone as its city, in the reader's language: "Phnom Penh", "ភ្នំពេញ", "Paris"."""
    return get_timezone_location(ZoneInfo(tz_name), locale=locale or get_locale(), return_city=True)


def machine_time(utc_naive):
    """A stored UTC time as HTML's `<time datetime>` wants it: to the second, with its zone
    ("2023-11-01T12:00:00Z"). isoformat() would add microseconds, which HTML refuses."""
    if utc_naive is None:
        return ""
    if utc_naive.tzinfo is not None:
        utc_naive = utc_naive.astimezone(UTC)
    return utc_naive.strftime("%Y-%m-%dT%H:%M:%SZ")


def zone_name(tz_name, locale=None):
    """A time zone as readers say it: "Phnom Penh time", "ម៉ោងភ្នំពេញ", "heure de Paris"
    (Babel's own label reads "ម៉ោង​នៅ​ កម្ពុជា", with a stray space)."""
    return _("%(city)s time", city=zone_city(tz_name, locale))


def breakable(text):
    """An address or long name with places a narrow screen may wrap it (after "@", before
    each "."), so a card never splits it at a random letter."""
    escaped = str(escape(text or ""))
    return Markup(escaped.replace("@", "@<wbr>").replace(".", "<wbr>."))


def init_app(app):
    app.jinja_env.globals.update(url_for_language=url_for_language, field_attrs=field_attrs)
    app.jinja_env.filters.update(
        paragraphs=paragraphs,
        local_time=local_time,
        machine_time=machine_time,
        breakable=breakable,
    )
    app.jinja_env.globals.update(zone_name=zone_name)
    app.jinja_env.add_extension("jinja2.ext.do")
