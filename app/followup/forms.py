"""The follow-up form: texts per language (built per app, since the languages are config),
for everyone or for attendees, and for those who did not attend; the links, the same in
every language."""

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from ..forms import Form, OneOf, choices

GROUPS = ("all", "absent")  # "all": everyone, or the attendees when the mail is split
MAX_LINKS = 20


def web_address(value):
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value


def check_recording(form, field):
    if field.data and not web_address(field.data.strip()):
        raise ValidationError(_l("Please give a web address that starts with https://."))


def parse_links(text):
    """[(title, url)] of the lines "Slides https://…" (a bare address is its own title).
    Raises ValueError naming the first line that has no web address."""
    links = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        title, _sep, url = line.rpartition(" ")
        if not web_address(url):
            raise ValueError(line)
        links.append((title.strip(" -–:") or url, url))
    return links


def check_links(form, field):
    try:
        links = parse_links(field.data)
    except ValueError as exc:
        raise ValidationError(
            _l("This line has no web address at its end: %(line)s", line=str(exc)[:80])
        ) from None
    if len(links) > MAX_LINKS:
        raise ValidationError(_l("Please give at most %(num)d links.", num=MAX_LINKS))


class FollowupForm(Form):
    audience = RadioField(
        _l("Who gets which text"),
        choices=choices(
            [
                ("everyone", _l("One text to everyone registered")),
                ("split", _l("One text to those who attended, another to those who did not")),
            ]
        ),
        validators=[OneOf(_l("Please choose who gets which text."))],
        default="everyone",
    )
    recording_url = StringField(
        _l("Recording (web address)"),
        validators=[Optional(), Length(max=500), check_recording],
    )
    links = TextAreaField(
        _l("Slides, minutes and other links: one a line, its title then its address"),
        validators=[Optional(), Length(max=5000), check_links],
    )


def followup_form(languages, formdata=None):
    class Form(FollowupForm):
        pass

    subject_length = Length(max=200, message=_l("Please keep the subject under 200 characters."))
    body_length = Length(max=10000, message=_l("Please keep the message under 10,000 characters."))
    for group in GROUPS:
        for code in languages:
            setattr(
                Form,
                f"subject_{group}_{code}",
                StringField(_l("Subject"), validators=[Optional(), subject_length]),
            )
            setattr(
                Form,
                f"body_{group}_{code}",
                TextAreaField(_l("Message"), validators=[Optional(), body_length]),
            )
    return Form(formdata=formdata)
