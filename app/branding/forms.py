from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, StringField, TextAreaField
from wtforms.validators import Email, Length, Optional, ValidationError

from ..forms import Form
from .colors import MIN_CONTRAST, contrast, parse_hex


def color_validator(form, field):
    if not (field.data or "").strip():
        return
    color = parse_hex(field.data)
    if color is None:
        raise ValidationError(_l("Please enter a colour as six hex digits, such as #8a1c1c."))
    ratio = contrast(color)
    if ratio < MIN_CONTRAST:
        raise ValidationError(
            _l(
                "This colour is too light to read on white: its contrast is %(ratio)s to 1, "
                "and at least 4.5 to 1 is needed. Please choose a darker one."
            )
            % {"ratio": f"{ratio:.2f}"}
        )
    field.data = color


class BrandingForm(Form):
    site_name = StringField(
        _l("Site name"),
        validators=[Length(max=100, message=_l("At most %(max)d characters, please."))],
    )
    organization_name = StringField(
        _l("Organization name"),
        validators=[Length(max=200, message=_l("At most %(max)d characters, please."))],
    )
    contact_email = EmailField(
        _l("Contact address"),
        validators=[
            Optional(),
            Length(max=254, message=_l("An email address has at most 254 characters.")),
            Email(_l("This does not look like an email address. Please check it.")),
        ],
    )
    accent = StringField(
        _l("Accent colour (links and buttons)"),
        validators=[Length(max=7, message=_l("Six hex digits, such as #8a1c1c.")), color_validator],
    )
    ink = StringField(
        _l("Text colour"),
        validators=[Length(max=7, message=_l("Six hex digits, such as #8a1c1c.")), color_validator],
    )
    logo = FileField(_l("Logo (PNG, JPEG or SVG, at most 200 KB)"))
    remove_logo = BooleanField(_l("Remove the logo"))


def privacy_field():
    return TextAreaField(
        _l("Privacy notice"),
        validators=[Length(max=20000, message=_l("At most %(max)d characters, please."))],
    )


def branding_form(languages, **kwargs):
    class Form(BrandingForm):
        pass

    for lang in languages:
        setattr(Form, f"privacy_{lang}", privacy_field())
    return Form(**kwargs)
