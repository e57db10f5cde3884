"""The form a moderator fills in for an idea raised live during the session."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from app.api import Form, OneOf, choices

TITLE_MAX = 150
BODY_MAX = 4000


class LiveIdeaForm(Form):
    """Its ids start with "live-": the form shares the queue page with the rows' forms."""

    title = StringField(
        _l("Title"),
        id="live-title",
        validators=[
            DataRequired(_l("Give the idea a short title.")),
            Length(max=TITLE_MAX, message=_l("The title can have at most %(max)d characters.")),
        ],
    )
    body = TextAreaField(
        _l("Text (optional)"),
        id="live-body",
        validators=[
            Length(max=BODY_MAX, message=_l("The text can have at most %(max)d characters."))
        ],
    )
    raised_by = RadioField(
        _l("Raised by"),
        id="live-raised-by",
        choices=choices(
            [
                ("speaker", _l("a speaker")),
                ("attendee", _l("an attendee")),
                ("name", _l("someone named")),
            ]
        ),
        default="attendee",
        validate_choice=False,
        validators=[OneOf(_l("Choose who raised the idea."))],
    )
    name = StringField(
        _l("Their name"),
        id="live-name",
        render_kw={"list": "live-speakers", "autocomplete": "off"},
        validators=[Length(max=200, message=_l("The name can have at most %(max)d characters."))],
    )
    presenter = SelectField(
        _l("Presented by (one of the session's speakers)"),
        id="live-presenter",
        choices=[],
        default="",
        validate_choice=False,
        validators=[OneOf(_l("Please choose a speaker from the list."))],
    )
    theme = SelectField(
        _l("Theme"),
        id="live-theme",
        choices=[],
        default="",
        validate_choice=False,
        validators=[OneOf(_l("Please choose a theme from the list."))],
    )
    language = SelectField(
        _l("Language"),
        id="live-language",
        choices=[],
        validate_choice=False,
        validators=[OneOf(_l("Please choose one of the languages offered."))],
    )

    def validate_name(self, field):
        named = (field.data or "").strip() or self.presenter.data
        if self.raised_by.data in ("speaker", "name") and not named:
            raise ValidationError(_l("Give the name of the person who raised it."))


def live_idea_form(event, lang, language_choices, formdata=None):
    form = LiveIdeaForm(formdata=formdata)
    form.theme.choices = choices(
        [("", _l("no theme"))] + [(str(t.id), t.label(lang)) for t in event.themes]
    )
    form.presenter.choices = choices(
        [("", _l("nobody named"))]
        + [(str(row.id), row.text("name", lang)) for row in event.speaker_rows]
    )
    form.language.choices = choices(language_choices)
    if formdata is None:
        form.language.data = lang if lang in dict(language_choices) else event.default_language
    return form
