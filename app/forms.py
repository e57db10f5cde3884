"""The base of every form in Sala (and a partner's plugin may use it too)."""

from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import Input, Select, TextArea
from wtforms.widgets.core import FileInput, PasswordInput, clean_key


class Form(FlaskForm):
    """A Flask-WTF form (CSRF included) whose hidden token leaves the page's ids unique."""

    class Meta(FlaskForm.Meta):
        def render_field(self, field, render_kw):
            # Several forms on one page would each give their hidden token id="csrf_token";
            # an id must be unique on a page, and nothing refers to this one.
            if field.type == "CSRFTokenField":
                render_kw = dict(render_kw, id=False)
            render_kw = {clean_key(k): v for k, v in render_kw.items()}
            other_kw = getattr(field, "render_kw", None)
            if other_kw:
                render_kw = dict({clean_key(k): v for k, v in other_kw.items()}, **render_kw)
            fast = FAST_WIDGETS.get(type(field.widget))
            if fast is None:
                return field.widget(field, **render_kw)
            return fast(field.widget, field, render_kw)


# ---------------------------------------------------------------- rendering, fast
#
# WTForms' widgets build each attribute with Markup.format (string.Formatter, ~10 µs an
# attribute); the session page's two forms asked it some 110 times, a third of the page's
# CPU. These do what WTForms' own widgets do (the same attributes, sorted, escaped the same
# way: the same bytes) with plain string operations. A widget of another class, or a
# subclass with its own rendering, goes through WTForms as before.


def attributes(kwargs):
    """WTForms' html_params, byte for byte: sorted by name, True alone, False left out,
    values escaped (and a quote inside a Markup value as &quot;)."""
    parts = []
    for key, value in sorted(kwargs.items()):
        key = clean_key(key)
        if value is True:
            parts.append(key)
        elif value is not False:
            parts.append(f'{escape(key)}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return " ".join(parts)


def _flag_attrs(widget, field, kwargs):
    """The attributes a field's flags give (required, maxlength...), as WTForms adds them."""
    flags = getattr(field, "flags", None)
    if flags is None:
        return
    for k, value in vars(flags).items():
        if k in widget.validation_attrs and k not in kwargs:
            kwargs[k] = value() if callable(value) else value


def render_input(widget, field, kwargs):
    """wtforms.widgets.Input (text, email, hidden, checkbox, radio, number, date...)."""
    kind = getattr(widget, "input_type", None)
    if kind == "checkbox":
        checked = getattr(field, "checked", field.data)
    else:
        checked = kind == "radio" and field.checked
    if checked:
        kwargs.setdefault("checked", True)
    kwargs.setdefault("id", field.id)
    kwargs.setdefault("type", widget.input_type)
    if "value" not in kwargs:
        kwargs["value"] = field._value()
    datalist = getattr(field, "_datalist", None)
    if datalist is not None and "list" not in kwargs:
        kwargs["list"] = datalist if isinstance(datalist, str) else datalist.id
    _flag_attrs(widget, field, kwargs)
    kwargs["name"] = field.name
    return Markup(f"<input {attributes(kwargs)}>")


def render_textarea(widget, field, kwargs):
    """wtforms.widgets.TextArea."""
    kwargs.setdefault("id", field.id)
    _flag_attrs(widget, field, kwargs)
    kwargs["name"] = field.name
    return Markup(f"<textarea {attributes(kwargs)}>\r\n{escape(field._value())}</textarea>")


def render_select(widget, field, kwargs):
    """wtforms.widgets.Select, without option groups (those go through WTForms)."""
    if field.has_groups():
        return widget(field, **kwargs)
    kwargs.setdefault("id", field.id)
    if widget.multiple:
        kwargs["multiple"] = True
    _flag_attrs(widget, field, kwargs)
    kwargs["name"] = field.name
    html = [f"<select {attributes(kwargs)}>"]
    for choice in field._iter_choices_normalized():
        value = choice.value
        if isinstance(value, bool):
            value = str(value)
        label = escape(choice.label or choice.value)
        if choice.render_kw:
            options = {"value": value, **choice.render_kw}
            if choice.selected:
                options["selected"] = True
            html.append(f"<option {attributes(options)}>{label}</option>")
        else:
            value = str(escape(value)).replace('"', "&quot;")
            selected = "selected " if choice.selected else ""
            html.append(f'<option {selected}value="{value}">{label}</option>')
    html.append("</select>")
    return Markup("".join(html))


def _input_classes():
    """Every Input widget whose rendering is Input's own (not FileInput's, PasswordInput's,
    or a subclass's that overrides __call__ beyond checkbox and radio)."""
    from wtforms.widgets import core

    found = {}
    for name in core.__all__:
        cls = getattr(core, name)
        if not (isinstance(cls, type) and issubclass(cls, Input)):
            continue
        if cls in (FileInput, PasswordInput) or not hasattr(cls, "input_type"):
            continue
        if cls.__call__ is Input.__call__ or cls in (core.CheckboxInput, core.RadioInput):
            found[cls] = render_input
    return found


FAST_WIDGETS = {**_input_classes(), TextArea: render_textarea, Select: render_select}


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
