"""Jinja helpers shared by every template."""

from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import (
    format_date,
    format_datetime,
    format_time,
    get_datetime_format,
    get_timezone_location,
)
from babel.lists import format_list
from babel.units import format_unit
from flask import current_app, request
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from .i18n import language_in_text


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


def form_problems(form):
    """Each mistake of a submitted form, for the summary at its top: the id of the control to
    link to (None for a hidden one, such as an expired CSRF token) and what to say."""
    problems = []
    for f in form:
        flat = list(flatten_errors(f.errors))
        if not flat:
            continue
        if getattr(f.widget, "input_type", None) == "hidden":
            problems.extend((None, m) for m in flat)
            continue
        # A radio group's id is its list's: link to its first button, which takes focus.
        target = f"{f.id}-0" if f.type == "RadioField" else f.id
        if f.type == "BooleanField":
            # A checkbox's label is a whole sentence; its message says what it is about.
            problems.extend((target, m) for m in flat)
        else:
            label = f.label.text
            problems.extend(
                (target, _("%(field)s: %(problem)s", field=label, problem=m)) for m in flat
            )
    return problems


def flatten_errors(errors):
    """A field's messages: a list, or for a field of fields a dict of lists."""
    groups = errors.values() if isinstance(errors, dict) else [errors]
    for group in groups:
        if isinstance(group, (list, tuple)):
            yield from (str(m) for m in group)
        else:
            yield str(group)


def paragraphs(text):
    """Plain text as escaped paragraphs; blank lines separate them."""
    blocks = [b.strip() for b in (text or "").replace("\r\n", "\n").split("\n\n") if b.strip()]
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in b.split("\n")))
        for b in blocks
    )


def country_name(code, locale=None):
    """A country kept as its code ("KH"), named in the reader's language: "Cambodia",
    "កម្ពុជា", "Cambodge"; an unknown code as it is."""
    if not code:
        return ""
    return Locale.parse(locale or get_locale()).territories.get(code.upper(), code)


def session_text(
    event, field, lang, tag="div", class_="", as_paragraphs=False, markdown=False, first_block=False
):
    """One of a session's texts in `tag`, in the reader's language; or, where the organizers
    have not written it in that language, in the session's own, marked as not yet translated
    (as the README promises), with `lang` on that text alone, not on the page around it.
    `markdown`: the text is the organizers' prose (summary, agenda, speakers), rendered as
    Markdown with the plan's sanitizer; `first_block`: only its first paragraph (a card)."""
    value = event.text(field, lang)
    if first_block:  # a card's teaser: the text's first paragraph
        value = value.replace("\r\n", "\n").strip().split("\n\n")[0]
    if not value:
        return Markup("")
    if markdown:  # the organizers' prose: Markdown, sanitized as every organizer text is
        from .plan.markdown import render_markdown

        body = render_markdown(value)
    else:
        body = paragraphs(value) if as_paragraphs else value
    classes = Markup(' class="{}"').format(class_) if class_ else Markup("")
    if not event.text_is_fallback(field, lang):
        return Markup("<{0}{1}>{2}</{0}>").format(Markup(tag), classes, body)
    shown_in = event.default_language
    note = _("Not yet translated; shown in %(language)s.", language=language_in_text(shown_in))
    return Markup(
        '<{0}{1} lang="{2}">{3}</{0}> <span class="untranslated-note" lang="{4}">{5}</span>'
    ).format(Markup(tag), classes, shown_in, body, lang, note)


NAMED_FORMATS = ("full", "long", "medium", "short")


def local_time(utc_naive, tz_name, format="full", locale=None, zone=False):
    """A stored UTC time, shown in a time zone, in the reader's language and conventions.

    Named formats give the date in that length and the time without seconds or a zone:
    Babel's own "long" and "full" add seconds and "+0700" or "ម៉ោង​នៅ​ឥណ្ឌូចិន", which
    readers stumble on. `zone=True` says the zone after it as readers say it ("(Phnom Penh
    time)"): wherever the zone is not already said beside it. Other formats are Babel
    patterns."""
    if utc_naive is None:
        return ""
    locale = locale or get_locale()
    if zone:
        shown = local_time(utc_naive, tz_name, format, locale)
        return f"{shown} ({zone_name(tz_name, locale)})"
    local = utc_naive.replace(tzinfo=UTC).astimezone(ZoneInfo(tz_name))
    if format not in NAMED_FORMATS:
        return format_datetime(local, format, tzinfo=ZoneInfo(tz_name), locale=locale)
    return (
        datetime_pattern(format, locale)
        .replace("{1}", day_text(local.date(), format, locale))
        .replace("{0}", clock_text(local.hour, local.minute, locale))
    )


# The pieces of a named format, each worked out once: a queue of 50 ideas shows 50 times of
# a few days (Babel took ~65 µs a time, most of a moderation row's cost after its text).
@lru_cache(maxsize=64)
def datetime_pattern(format, locale):
    return get_datetime_format(format, locale=locale)


@lru_cache(maxsize=1024)
def day_text(day, format, locale):
    return format_date(day, format, locale=locale)


@lru_cache(maxsize=4096)
def clock_text(hour, minute, locale):
    return clock(datetime(2000, 1, 1, hour, minute), locale)


# Languages whose clock in CLDR says "AM"/"PM" in English letters: there the part of the
# day is said in words instead ("8:00 នៅពេលល្ងាច", in the evening).
CLOCK_IN_WORDS = {"km": "h:mm B"}


def clock(local, locale):
    """The time of day without seconds or zone, in the reader's own words."""
    pattern = CLOCK_IN_WORDS.get(Locale.parse(locale).language, "short")
    return format_time(local, pattern, locale=locale)


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


def site_zone():
    """The zone of the times that belong to no session (accounts, the outbox, the audit log,
    the command line): BABEL_DEFAULT_TIMEZONE, UTC unless the deployment sets its own.
    Shown with its name beside it (`zone_name`)."""
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def zone_name(tz_name, locale=None):
    """A time zone as readers say it: "Phnom Penh time", "ម៉ោងភ្នំពេញ", "heure de Paris"
    (Babel's own label reads "ម៉ោង​នៅ​ កម្ពុជា", with a stray space)."""
    return _("%(city)s time", city=zone_city(tz_name, locale))


def breakable(text):
    """An address or long name with places a narrow screen may wrap it (after "@", before
    each "."), so a card never splits it at a random letter."""
    escaped = str(escape(text or ""))
    return Markup(escaped.replace("@", "@<wbr>").replace(".", "<wbr>."))


def known_zone(tz_name):
    """An IANA zone name as a visitor's browser sends it, or None if it is not one we know
    (a made-up or mistyped name must not reach ZoneInfo's error, nor a 500)."""
    if not tz_name or len(tz_name) > 64 or tz_name.startswith(("/", ".")) or ".." in tz_name:
        return None
    try:
        ZoneInfo(tz_name)
    except (ValueError, KeyError, OSError):
        return None
    return tz_name


def time_left(seconds, locale=None):
    """A countdown as people say it, in the reader's language, and the seconds until the words
    change: "46 days, 3 hours", "4 hours, 12 minutes", "12 minutes". (Babel's
    format_timedelta rounds 46 days to "2 months", which nobody means.)"""
    seconds = max(int(seconds), 0)
    locale = locale or get_locale()
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        parts, step = [(days, "day"), (hours, "hour")], 3600
    elif hours:
        parts, step = [(hours, "hour"), (minutes, "minute")], 60
    else:
        parts, step = [(max(minutes, 1), "minute")], 60
    words = [
        format_unit(n, f"duration-{unit}", "long", locale=locale)
        for i, (n, unit) in enumerate(parts)
        if n or i == 0
    ]
    return format_list(words, style="unit", locale=locale), seconds % step + 1


def init_app(app):
    app.jinja_env.globals.update(
        url_for_language=url_for_language, field_attrs=field_attrs, form_problems=form_problems
    )
    app.jinja_env.filters.update(
        paragraphs=paragraphs,
        local_time=local_time,
        machine_time=machine_time,
        country_name=country_name,
        breakable=breakable,
    )
    app.jinja_env.globals.update(
        zone_name=zone_name, site_zone=site_zone, session_text=session_text
    )
    app.jinja_env.add_extension("jinja2.ext.do")
