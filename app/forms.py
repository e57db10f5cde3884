"""The base of every form in Sala (and a partner's plugin may use it too)."""

from flask_wtf import FlaskForm
from wtforms import SelectChoice


class Form(FlaskForm):
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
