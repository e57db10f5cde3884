"""The organizer's forms for one speaker and one partner organization: texts per language,
a link, a picture."""

import re

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import Email, Length, Optional, ValidationError

from ..forms import Form, OneOf, choices

URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)
LIMITS = {"name": 200, "role": 200, "affiliation": 200, "bio": 2000}


def web_address(form, field):
    value = (field.data or "").strip()
    field.data = value
    if value and not URL.match(value):
        raise ValidationError(
            _l("Only web addresses starting with http:// or https:// are allowed.")
        )


def too_long():
    return _l("At most %(max)d characters, please.")


def link_field():
    return StringField(
        _l("Link (web page, optional)"),
        validators=[Length(max=500, message=too_long()), web_address],
    )


LABELS = {
    "name": _l("Name"),
    "role": _l("Role or title"),
    "affiliation": _l("Affiliation"),
    "bio": _l("Short biography"),
}


class PerLanguageForm(Form):
    """Fields named `<field>_<lang>`; a name is needed in at least one language."""

    text_fields = ()
    languages = ()

    def texts(self):
        """{lang: {field: text}} of what was typed, empty texts left out."""
        out = {}
        for lang in self.languages:
            values = {
                name: (self[f"{name}_{lang}"].data or "").strip() for name in self.text_fields
            }
            values = {k: v for k, v in values.items() if v}
            if values:
                out[lang] = values
        return out

    def fill(self, texts):
        for lang in self.languages:
            for name in self.text_fields:
                self[f"{name}_{lang}"].data = (texts or {}).get(lang, {}).get(name, "")

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if not any((self[f"name_{lang}"].data or "").strip() for lang in self.languages):
            self[f"name_{self.languages[0]}"].errors.append(
                _l("Please enter the name in at least one language.")
            )
            valid = False
        return valid


def mail_language_choices():
    from ..i18n import language_name

    offered = [(code, language_name(code)) for code in current_app.config["LANGUAGES"]]
    return choices([("", _l("The session's default language")), *offered])


class SpeakerForm(PerLanguageForm):
    text_fields = ("name", "role", "affiliation", "bio")
    link = link_field()
    is_moderator = BooleanField(_l("Moderator or host of the session"))
    email = EmailField(
        _l("Email address (optional, seen by organizers only)"),
        validators=[
            Optional(),
            Length(max=254, message=_l("An email address has at most 254 characters.")),
            Email(_l("This does not look like an email address. Please check it.")),
        ],
    )
    mail_language = SelectField(
        _l("Language of mails to this speaker"),
        validate_choice=False,
        validators=[OneOf(_l("Please choose one of the languages offered."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mail_language.choices = mail_language_choices()

    photo = FileField(_l("Photo (JPEG, PNG or WebP, at most 5 MB; optional)"))
    remove_photo = BooleanField(_l("Remove the photo"))


class PartnerForm(PerLanguageForm):
    text_fields = ("name",)
    link = link_field()
    logo = FileField(_l("Logo (JPEG, PNG or WebP, at most 5 MB; optional)"))
    remove_logo = BooleanField(_l("Remove the logo"))


def per_language_form(base, languages, **kwargs):
    """`base` with its text fields for each language, the default language first."""

    class Built(base):
        pass

    Built.languages = tuple(languages)
    for lang in languages:
        for name in base.text_fields:
            field_class = TextAreaField if name == "bio" else StringField
            setattr(
                Built,
                f"{name}_{lang}",
                field_class(
                    LABELS[name], validators=[Length(max=LIMITS[name], message=too_long())]
                ),
            )
    return Built(**kwargs)
