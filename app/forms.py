"""The base of every form in Sala (and a partner's plugin may use it too)."""

from flask_wtf import FlaskForm
from wtforms import SelectChoice
from wtforms.validators import ValidationError


class Form(FlaskForm):
    """A Flask-WTF form (CSRF included) whose hidden token leaves the page's ids unique."""

    class Meta(FlaskForm.Meta):
        def render_field(self, field, render_kw):
            # Several forms on one page would each give their hidden token id="csrf_token";
            # an id must be unique on a page, and nothing refers to this one.
            if field.type == "CSRFTokenField":
                render_kw = dict(render_kw, id=False)
            return super().render_field(field, render_kw)


def choices(pairs):
    """A select's or radio's options from (value, label) pairs, as WTForms wants them since
    3.3 (tuples are deprecated there, and go in 3.4)."""
    return [SelectChoice(value, label) for value, label in pairs]


class OneOf:
    """A select's or radio's value must be one of its choices; the message is ours, in the
    visitor's language (WTForms' own "Not a valid choice" has no Khmer). Use it instead of
    `validate_choice`, and instead of Optional() on an optional choice: Optional() lets a
    whitespace-only value through unchecked. An optional choice offers "" (none); a field
    missing from the form counts as "" too."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        value = "" if field.data is None else field.data
        if value not in [choice.value for choice in field.choices]:
            raise ValidationError(self.message)
