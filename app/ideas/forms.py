from flask_babel import lazy_gettext as _l
from wtforms import EmailField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from ..forms import Form, OneOf, choices
from .workflow import BODY_MAX, TITLE_MAX


class IdeaForm(Form):
    """Its fields' ids start with "idea-": the form shares the session page with the
    registration form, and ids must be unique on a page."""

    title = StringField(
        _l("Title"),
        id="idea-title",
        validators=[
            DataRequired(_l("Please give your idea a short title.")),
            Length(max=TITLE_MAX, message=_l("The title can have at most %(max)d characters.")),
        ],
    )
    body = TextAreaField(
        _l("Your idea"),
        id="idea-body",
        validators=[
            DataRequired(_l("Please write your idea.")),
            Length(
                max=BODY_MAX,
                message=_l(
                    "Your idea can have at most %(max)d characters. Please shorten it; "
                    "what you wrote is kept below."
                ),
            ),
        ],
    )
    theme = SelectField(
        _l("Theme"),
        id="idea-theme",
        choices=[],
        default="",
        validate_choice=False,
        validators=[OneOf(_l("Please choose a theme from the list."))],
    )
    language = SelectField(
        _l("Language of your idea"),
        id="idea-language",
        choices=[],
        validate_choice=False,
        validators=[OneOf(_l("Please choose one of the languages offered."))],
    )
    display = RadioField(
        _l("Show me as"),
        id="idea-display",
        choices=choices(
            [
                ("name", _l("my name")),
                ("initials", _l("my initials")),
                ("anonymous", _l("anonymous")),
            ]
        ),
        default="anonymous",
        validate_choice=False,
        validators=[OneOf(_l("Please choose how you want to be shown."))],
    )
    name = StringField(
        _l("Name (optional; a pseudonym is fine)"),
        id="idea-name",
        validators=[
            Length(max=200, message=_l("The name can have at most %(max)d characters.")),
        ],
    )
    email = EmailField(
        _l("Email"),
        id="idea-email",
        validators=[
            DataRequired(_l("Please give your email address: we send you a link to confirm.")),
            Email(_l("This does not look like an email address."), check_deliverability=False),
            Length(max=254, message=_l("The address can have at most %(max)d characters.")),
        ],
    )
    # Humans never see this field and leave it empty.
    website = StringField(
        _l("Leave this empty"), id="idea-website", validators=[Optional(), Length(max=200)]
    )

    def validate_name(self, field):
        if self.display.data in ("name", "initials") and not (field.data or "").strip():
            raise ValidationError(_l("Give a name to be shown by name or initials."))
