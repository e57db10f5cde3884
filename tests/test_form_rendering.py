"""Form fields are drawn by app/forms.py without WTForms' attribute builder (issue 21: it was a
third of the session page's CPU). A visitor must get exactly the HTML WTForms would give:
the same attributes, order, escaping, checked and selected states and values kept after a
bad submit. Each field here is rendered both ways and compared byte for byte."""

import pytest
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Length, Optional

from app.forms import FAST_WIDGETS, Form


class Sample(Form):
    text = StringField("Text", validators=[DataRequired(), Length(min=2, max=20)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    body = TextAreaField("Body", validators=[Length(max=4000)], render_kw={"rows": 4})
    agree = BooleanField("Agree", validators=[DataRequired()])
    secret = HiddenField("Secret")
    site = URLField("Site", validators=[Optional()])
    phone = TelField("Phone")
    query = SearchField("Query", render_kw={"data_role": "search", "class_": "wide"})
    count = IntegerField("Count")
    pick = SelectField(
        "Pick",
        validate_choice=False,
        choices=[
            SelectChoice("", "— none —"),
            SelectChoice("a", 'A "quoted" <b>'),
            SelectChoice("b", "B", render_kw={"disabled": True, "data_x": "1"}),
            SelectChoice("c & d"),
        ],
    )
    shown = RadioField(
        "Shown",
        validate_choice=False,
        choices=[SelectChoice("name", "my name"), SelectChoice("anon", "anonymous")],
        default="anon",
    )


TRICKY = {
    "text": 'Say "hi" & <script>alert(1)</script>',
    "email": "a'b\"@example.org",
    "body": 'line one\r\n"two" & <three>',
    "agree": "y",
    "secret": "s&t",
    "site": "https://example.org/?a=1&b=<2>",
    "phone": "+855 12 345",
    "query": "x" * 30,
    "count": "not a number",
    "pick": "c & d",
    "shown": "name",
}

EXTRA = [
    {},
    {"aria-describedby": "x-hint x-error", "aria-invalid": "true"},
    {"aria_describedby": "x-hint", "class_": "a b", "autofocus": True, "disabled": False},
    {"tabindex": "-1", "autocomplete": "off", "title": Markup('say "<b>"')},
]


def wtforms_own(form, field, extra):
    """What WTForms itself draws (Flask-WTF's Meta, with our hidden token's id left out)."""
    extra = dict(extra)
    if field.type == "CSRFTokenField":
        extra["id"] = False
    return FlaskForm.Meta.render_field(form.meta, field, extra)


@pytest.mark.parametrize("submitted", [False, True], ids=["blank", "after a bad submit"])
def test_every_field_renders_as_wtforms_does(app, submitted):
    with app.test_request_context("/", method="POST" if submitted else "GET"):
        form = Sample(formdata=MultiDict(TRICKY) if submitted else None)
        if submitted:
            form.validate()
        fast_kinds = set()
        for field in form:
            subfields = list(field) if field.type == "RadioField" else [field]
            for each in subfields:
                fast_kinds.add(type(each.widget))
                for extra in EXTRA:
                    assert str(each(**extra)) == str(wtforms_own(form, each, extra)), (
                        each.name,
                        extra,
                    )
    # The comparison went through the fast renderers, not only the fallback.
    assert len(fast_kinds & set(FAST_WIDGETS)) >= 8
