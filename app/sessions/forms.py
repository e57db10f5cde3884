"""The session form. Its text fields depend on the configured languages, so the class is
built per request (`event_form()`); every field has a length limit and a message of its own.
Times are typed in the session's time zone and stored as naive UTC."""

import re
from datetime import UTC
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from ..forms import Form, choices
from ..models import Event
from ..plugins import event_form_fields

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
TIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
MAX_EXTRA_ZONES = 6

# The session's settings the form edits as they are, and its dates (local time in the form,
# UTC in the database). The meeting ID is apart: shown only when no plugin manages it.
DATES = [
    "starts_at",
    "registration_opens_at",
    "registration_closes_at",
    "ideas_open_at",
    "ideas_close_at",
]
SIMPLE = [
    "slug",
    "default_language",
    "duration_minutes",
    "capacity",
    "waitlist_enabled",
    "join_release",
    "join_release_hours",
    "join_url",
    "join_passcode",
    "join_phone",
    "reminder_24h",
    "reminder_1h",
    "notify_rejected_authors",
    "retention_days",
]

TEXTS = {
    # field: (label, max length, textarea?)
    "title": (_l("Title"), 200, False),
    "convener": (_l("Convened by"), 300, False),
    "summary": (_l("Summary"), 10000, True),
    "agenda": (_l("Agenda"), 10000, True),
    "speakers": (_l("Speakers"), 10000, True),
    "privacy_notice": (_l("Privacy notice for this session"), 10000, True),
}
THEME_MAX = 120


def text_field_name(field, lang):
    return f"{field}_{lang}"


def valid_zone(name):
    if not name or name not in available_timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_validator(form, field):
    if field.data and not valid_zone(field.data.strip()):
        raise ValidationError(
            _l("“%(zone)s” is not a time zone we know. Use a name such as Asia/Phnom_Penh.")
            % {"zone": field.data.strip()}
        )


def extra_zones_validator(form, field):
    names = split_zones(field.data)
    unknown = [name for name in names if not valid_zone(name)]
    if unknown:
        raise ValidationError(
            _l("Not time zones we know: %(zones)s. Use names such as Europe/Paris.")
            % {"zones": ", ".join(unknown)}
        )
    if len(names) > MAX_EXTRA_ZONES:
        raise ValidationError(
            _l("Please list at most %(max)d other time zones.") % {"max": MAX_EXTRA_ZONES}
        )


def split_zones(text):
    return [part.strip() for part in re.split(r"[\s,]+", text or "") if part.strip()]


def http_url(form, field):
    if field.data and not re.match(r"^https?://[^\s/]+\S*$", field.data.strip()):
        raise ValidationError(_l("Please enter a full address starting with https://."))


def local_to_utc(value, zone):
    """A naive time typed in `zone` as naive UTC, as stored."""
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC).replace(tzinfo=None)


def utc_to_local(value, zone):
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None)


YEARS = (2000, 2100)


class WhenGiven:
    """A date and time typed by hand or picked: required or optional, and one clear message
    for a value that is not a date (instead of WTForms' own)."""

    def __init__(self, required):
        self.required = required

    def __call__(self, form, field):
        raw = " ".join(field.raw_data or []).strip()
        if not raw:
            field.errors[:] = []
            if self.required:
                raise StopValidation(_l("Please enter a date and time."))
            raise StopValidation()
        if field.data is None:
            field.errors[:] = []
            raise StopValidation(
                _l("Please enter the date and time as YYYY-MM-DD HH:MM, such as 2024-11-01 19:00.")
            )
        # Year 1 or 9999 cannot be moved to UTC (or by a duplicate's shift) without overflowing.
        if not YEARS[0] <= field.data.year <= YEARS[1]:
            raise StopValidation(
                _l(
                    "Please enter a date between the years %(first)d and %(last)d.",
                    first=YEARS[0],
                    last=YEARS[1],
                )
            )


def when_field(label, required=False):
    return DateTimeLocalField(label, format=TIME_FORMATS, validators=[WhenGiven(required)])


class EventFormBase(Form):
    slug = StringField(
        _l("Address of the page (slug)"),
        validators=[
            DataRequired(_l("Please enter a short address for the session's page.")),
            Length(max=80, message=_l("The address can have at most %(max)d characters.")),
        ],
    )
    default_language = SelectField(_l("Default language"), validate_choice=False)
    starts_at = when_field(_l("Start (in the session's time zone)"), required=True)
    duration_minutes = IntegerField(
        _l("Duration in minutes"),
        default=120,
        validators=[
            InputRequired(_l("Please enter the duration in minutes.")),
            NumberRange(1, 24 * 60, _l("The duration is between 1 minute and 24 hours.")),
        ],
    )
    timezone = StringField(
        _l("Time zone of the session"),
        default="Asia/Phnom_Penh",
        validators=[
            DataRequired(_l("Please enter a time zone.")),
            Length(max=64, message=_l("A time zone name has at most %(max)d characters.")),
            zone_validator,
        ],
    )
    extra_timezones = StringField(
        _l("Also show the time in"),
        validators=[
            Length(max=400, message=_l("Please keep this under %(max)d characters.")),
            extra_zones_validator,
        ],
    )
    registration_opens_at = when_field(_l("Registration opens"))
    registration_closes_at = when_field(_l("Registration closes"))
    capacity = IntegerField(
        _l("Capacity (empty: no limit)"),
        validators=[
            Optional(),
            NumberRange(1, 1_000_000, _l("The capacity is a number of seats, at least 1.")),
        ],
    )
    waitlist_enabled = BooleanField(_l("Put people on a waitlist once the seats are taken"))
    ideas_open_at = when_field(_l("Ideas open"))
    ideas_close_at = when_field(_l("Ideas close"))
    join_release = RadioField(
        _l("Send the join details"),
        default="on_confirmation",
        choices=choices(
            [
                ("on_confirmation", _l("as soon as a registration is confirmed")),
                ("before_start", _l("a number of hours before the start")),
            ]
        ),
        validate_choice=False,
    )
    join_release_hours = IntegerField(
        _l("Hours before the start"),
        default=24,
        validators=[
            Optional(),
            NumberRange(1, 24 * 30, _l("Between 1 hour and 30 days (720 hours).")),
        ],
    )
    join_url = StringField(
        _l("Shared join link"),
        validators=[
            Length(max=500, message=_l("The link can have at most %(max)d characters.")),
            http_url,
        ],
    )
    join_passcode = StringField(
        _l("Passcode"),
        validators=[
            Length(max=100, message=_l("The passcode can have at most %(max)d characters."))
        ],
    )
    join_phone = StringField(
        _l("Join by telephone"),
        description=_l(
            "Dial-in numbers and what to type, e.g. +855 23 000 000, meeting ID 123 456."
        ),
        filters=[lambda value: value or ""],
        validators=[Length(max=500, message=_l("This can have at most %(max)d characters."))],
    )
    reminder_24h = BooleanField(_l("Remind registrants 24 hours before"))
    reminder_1h = BooleanField(_l("Remind registrants 1 hour before"))
    notify_rejected_authors = BooleanField(_l("Tell authors when their idea is not approved"))
    retention_days = IntegerField(
        _l("Keep personal data for (days after the session)"),
        default=90,
        validators=[
            InputRequired(_l("Please enter a number of days.")),
            NumberRange(1, 3650, _l("Between 1 and 3650 days.")),
        ],
    )

    def validate_slug(self, field):
        field.data = (field.data or "").strip().lower()
        if not SLUG.match(field.data):
            raise ValidationError(
                _l("Use only small letters, digits and hyphens, such as planning-2024.")
            )

    def validate_default_language(self, field):
        if field.data not in current_app.config["LANGUAGES"]:
            raise ValidationError(_l("Please choose one of the languages offered."))

    def validate_join_release(self, field):
        if field.data not in ("on_confirmation", "before_start"):
            raise ValidationError(_l("Please choose when the join details are sent."))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        pairs = (
            (
                self.registration_opens_at,
                self.registration_closes_at,
                _l("Registration must close after it opens."),
            ),
            (self.ideas_open_at, self.ideas_close_at, _l("Ideas must close after they open.")),
        )
        for opens, closes, message in pairs:
            if opens.data and closes.data and closes.data <= opens.data:
                closes.errors.append(message)
                ok = False
        if (
            self.registration_opens_at.data
            and self.starts_at.data
            and self.registration_opens_at.data >= self.starts_at.data
        ):
            self.registration_opens_at.errors.append(
                _l("Registration must open before the session starts.")
            )
            ok = False
        if self.join_release.data == "before_start" and not self.join_release_hours.data:
            self.join_release_hours.errors.append(_l("Please enter a number of hours."))
            ok = False
        default = self.default_language.data
        title = self._fields.get(text_field_name("title", default))
        if title is not None and not (title.data or "").strip():
            title.errors.append(_l("The title in the default language is required."))
            ok = False
        return ok

    # -- stored values

    def zone(self):
        return self.timezone.data.strip()

    def utc(self, name):
        return local_to_utc(self[name].data, self.zone())

    def texts(self, languages):
        out = {}
        for lang in languages:
            values = {
                field: (self[text_field_name(field, lang)].data or "").strip() for field in TEXTS
            }
            if any(values.values()):
                out[lang] = values
        return out


def event_form(languages, event=None, **kwargs):
    """The session form for these languages: one set of text fields per language, and the
    fields plugins add (`sala_event_form_fields`), filled with what they hold for `event`."""

    class EventForm(EventFormBase):
        pass

    added = event_form_fields(event)
    for extra in added:
        if hasattr(EventForm, extra.name):
            raise ValueError(f"A plugin's session form field clashes with Sala's: {extra.name}")
        setattr(EventForm, extra.name, extra.field)

    for lang in languages:
        for field, (label, limit, area) in TEXTS.items():
            kind = TextAreaField if area else StringField
            setattr(
                EventForm,
                text_field_name(field, lang),
                kind(
                    label,
                    validators=[
                        Length(
                            max=limit,
                            message=_l("This text can have at most %(max)d characters."),
                        )
                    ],
                ),
            )
    form = EventForm(**kwargs)
    form.plugin_fields = [(extra.name, extra.hint) for extra in added]
    if not form.is_submitted():
        for extra in added:
            form[extra.name].data = extra.value
    from ..i18n import language_name

    form.default_language.choices = choices((code, language_name(code)) for code in languages)
    return form


def fill_from_event(form, event, languages):
    """Put a stored session into the form, times in its own time zone."""
    for name in SIMPLE:
        form[name].data = getattr(event, name)
    form.timezone.data = event.timezone
    form.extra_timezones.data = ", ".join(event.extra_timezones or [])
    for name in DATES:
        form[name].data = utc_to_local(getattr(event, name), event.timezone)
    for lang in languages:
        for field in TEXTS:
            form[text_field_name(field, lang)].data = (
                (event.texts or {}).get(lang, {}).get(field, "")
            )


class DuplicateForm(Form):
    slug = EventFormBase.slug
    validate_slug = EventFormBase.validate_slug
    dates = RadioField(
        _l("Dates of the new session"),
        default="shift",
        choices=choices(
            [
                ("shift", _l("Move every date by a number of days")),
                ("new", _l("Set a new start; leave the registration and ideas windows empty")),
            ]
        ),
        validate_choice=False,
    )
    shift_days = IntegerField(
        _l("Number of days"),
        default=364,
        validators=[
            Optional(),
            NumberRange(-3650, 3650, _l("Between -3650 and 3650 days.")),
        ],
    )
    new_start = when_field(_l("New start (in the session's time zone)"))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.dates.data not in ("shift", "new"):
            self.dates.errors.append(_l("Please choose how to set the dates."))
            ok = False
        elif self.dates.data == "shift" and self.shift_days.data is None:
            if not self.shift_days.errors:
                self.shift_days.errors.append(_l("Please enter a number of days."))
            ok = False
        elif self.dates.data == "new" and self.new_start.data is None:
            if not self.new_start.errors:
                self.new_start.errors.append(_l("Please enter a date and time."))
            ok = False
        return ok


class ConfirmForm(Form):
    """A button with its CSRF token."""


def event_languages(event=None):
    """The configured languages, plus any the session already has texts in."""
    langs = list(current_app.config["LANGUAGES"])
    for code in (event.texts or {}) if event is not None else ():
        if code not in langs:
            langs.append(code)
    return langs


__all__ = ["Event", "event_form", "fill_from_event", "DuplicateForm", "ConfirmForm"]
