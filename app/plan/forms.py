"""Forms of the plan editor. Texts are written per language, so the forms are built for the
configured languages: one field per text and language, named ``<text>_<lang>``."""

from functools import lru_cache

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from ..forms import Form, OneOf, choices
from ..models import PlanItem
from ..speakers import speaker_choices

LIMITS = {"intro": 20000, "title": 300, "body": 10000, "what": 2000, "who": 300, "note": 1000}
LABELS = {
    "intro": _l("Introduction"),
    "title": _l("Section title"),
    "body": _l("Section text"),
    "what": _l("What is to be done"),
    "who": lazy_pgettext("plan item", "Who"),
    "note": _l("What changed in this version"),
}


def too_long(limit):
    return Length(max=limit, message=_l("Please keep this under %(max)d characters.", max=limit))


def status_choices():
    return choices(
        [
            ("proposed", _l("Proposed")),
            ("agreed", _l("Agreed")),
            ("under_way", _l("Under way")),
            ("done", _l("Done")),
        ]
    )


class _Base(Form):
    # The site-wide CSRFProtect checks every POST (the X-CSRFToken header for htmx, the
    # csrf_token field otherwise); these forms are prefixed per object, so they do not
    # carry a token field of their own.
    class Meta:
        csrf = False

    TEXTS = ()

    def texts(self, name):
        return {
            key.rsplit("_", 1)[1]: field.data or ""
            for key, field in self._fields.items()
            if key.startswith(name + "_")
        }


def _with_texts(name, base, texts, languages, **extra):
    attrs = dict(extra, TEXTS=texts)
    for text in texts:
        field_class = StringField if text in ("title", "who") else TextAreaField
        for lang in languages:
            attrs[f"{text}_{lang}"] = field_class(
                LABELS[text], validators=[Optional(), too_long(LIMITS[text])]
            )
    return type(name, (base,), attrs)


@lru_cache(maxsize=8)
def intro_form(languages):
    return _with_texts("IntroForm", _Base, ("intro",), languages)


@lru_cache(maxsize=8)
def section_form(languages):
    return _with_texts("SectionForm", _Base, ("title", "body"), languages)


@lru_cache(maxsize=8)
def item_form(languages):
    return _with_texts(
        "ItemForm",
        _Base,
        ("what", "who"),
        languages,
        due=StringField(_l("By when"), validators=[Optional(), too_long(100)]),
        status=SelectField(
            _l("Status"),
            choices=status_choices(),
            default="proposed",
            validate_choice=False,
            validators=[OneOf(_l("Please choose one of the statuses."))],
        ),
        # The session's speakers: choices set per form (presenter_choices).
        presented_by=SelectField(
            _l("Presented by"),
            choices=[],
            default="",
            validate_choice=False,
            validators=[OneOf(_l("Please choose a speaker from the list."))],
        ),
    )


def presenter_choices(form, event, lang):
    """The item form's "Presented by" offers the session's speakers, or nobody."""
    form.presented_by.choices = choices(speaker_choices(event, lang, _l("nobody named")))
    return form


@lru_cache(maxsize=8)
def publish_form(languages):
    return _with_texts(
        "PublishForm",
        _Base,
        ("note",),
        languages,
        mail=RadioField(
            _l("Mail"),
            choices=mail_choices(),
            validate_choice=False,
            validators=[OneOf(_l("Please choose whether to mail it or not."))],
        ),
    )


def mail_choices():
    """Publish and mail the registrants, or publish without mailing. The editor writes each
    choice's words out in full (the address, how many get it in which language)."""
    return choices([("send", _l("Publish and mail it")), ("none", _l("Publish without mailing"))])


assert {choice.value for choice in status_choices()} == set(PlanItem.STATUSES)
