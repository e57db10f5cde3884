"""Forms of the registration pages. Every message is in the visitor's language."""

import functools

from babel import Locale
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import Select, html_params

from ..forms import Form, OneOf, choices

NAME_MAX = 200
AFFILIATION_MAX = 200


def language_choices():
    """The languages offered, after an empty first option: HTML wants a required select to
    start with one (the W3C checker refuses it otherwise)."""
    from ..i18n import language_name

    offered = [(code, language_name(code)) for code in current_app.config["LANGUAGES"]]
    return choices([("", _l("— Choose a language —")), *offered])


def country_choices():
    """Countries and territories, named in the reader's language, sorted by that name."""
    return choices([("", _l("— Prefer not to say —"))]) + country_names(str(get_locale() or "en"))


@functools.cache
def country_names(locale):
    names = [
        (code, name)
        for code, name in Locale.parse(locale).territories.items()
        if len(code) == 2
        and code.isalpha()
        and code not in ("ZZ", "EU", "EZ", "UN", "QO", "XA", "XB")
    ]
    return choices(sorted(names, key=lambda item: item[1]))


@functools.cache
def country_codes(locale):
    """The codes the country list offers (what its OneOf accepts, besides "")."""
    return frozenset(choice.value for choice in country_names(locale))


class CountrySelect(Select):
    """The country list: some 250 options, rendered once per language and selection and
    kept. Rendered option by option through WTForms, they took most of the session page."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        if field.flags.required:
            kwargs.setdefault("required", True)
        options = country_options(str(get_locale() or "en"), field.data or "")
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")


@functools.lru_cache(maxsize=64)
def country_options(locale, selected):
    return Markup("").join(
        Markup('<option value="{}"{}>{}</option>').format(
            choice.value, Markup(" selected") if choice.value == selected else "", choice.label
        )
        for choice in country_choices()
    )


def language_field(label):
    return SelectField(
        label,
        validate_choice=False,
        validators=[
            DataRequired(_l("Please choose a language.")),
            OneOf(_l("Please choose one of the languages offered.")),
        ],
    )


class RegistrationForm(Form):
    email = EmailField(
        _l("Email address"),
        validators=[
            DataRequired(_l("Please enter your email address.")),
            Length(max=254, message=_l("An email address has at most 254 characters.")),
            Email(_l("This does not look like an email address. Please check it.")),
        ],
    )
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Please enter a name. A pseudonym is fine.")),
            Length(max=NAME_MAX, message=_l("Please keep the name under 200 characters.")),
        ],
    )
    language = language_field(_l("Language for emails"))
    country = SelectField(
        _l("Country (optional)"),
        validate_choice=False,
        widget=CountrySelect(),
        validators=[OneOf(_l("Please choose a country from the list."))],
    )
    affiliation = StringField(
        _l("Organization or affiliation (optional)"),
        validators=[
            Optional(),
            Length(max=AFFILIATION_MAX, message=_l("Please keep this under 200 characters.")),
        ],
    )
    consent = BooleanField(
        _l("I have read the privacy notice and agree that my details are used for this session."),
        validators=[DataRequired(_l("Please agree to the privacy notice to register."))],
    )
    # A field people never see; bots fill it.
    website = StringField(_l("Leave this field empty"), validators=[Length(max=200)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()
        self.country.choices = country_choices()


class ManageForm(Form):
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Please enter a name. A pseudonym is fine.")),
            Length(max=NAME_MAX, message=_l("Please keep the name under 200 characters.")),
        ],
    )
    language = language_field(_l("Language for emails"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()


class ActionForm(Form):
    """A button that changes something: only its CSRF token."""


class EraseForm(Form):
    sure = BooleanField(
        _l("Yes, delete my data. This cannot be undone."),
        validators=[DataRequired(_l("Please tick the box to confirm."))],
    )


class AnnouncementForm(Form):
    """Subject and body per language; built per app, since the languages are config."""


def announcement_form(languages, formdata=None):
    class Form(AnnouncementForm):
        pass

    for code in languages:
        setattr(
            Form,
            f"subject_{code}",
            StringField(
                _l("Subject"),
                validators=[
                    Optional(),
                    Length(max=200, message=_l("Please keep the subject under 200 characters.")),
                ],
            ),
        )
        setattr(
            Form,
            f"body_{code}",
            TextAreaField(
                _l("Message"),
                validators=[
                    Optional(),
                    Length(
                        max=10000, message=_l("Please keep the message under 10,000 characters.")
                    ),
                ],
            ),
        )
    return Form(formdata=formdata)
