"""Whole numbers a visitor can type: in a URL (`<int:...>`), a query string or a form field.

Each is bounded to what an id column holds (PostgreSQL's INTEGER), so a number no row can
have is a 404, the first page or no filter, never a database error: PostgreSQL refuses to
compare an INTEGER column with 2147483648 and more, SQLite with 2**63 and more."""

from werkzeug.routing import IntegerConverter, ValidationError

INT_MAX = 2**31 - 1
# The digits of INT_MAX: a longer number is out of range, and never reaches int() (which
# refuses more than 4300 digits with an error of its own).
INT_DIGITS = len(str(INT_MAX))


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` in every route of the app, plugins' included: ASCII digits up to INT_MAX.
    A URL outside the bounds matches no rule, so it is a 404."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits=0, min=None, max=INT_MAX, signed=False):
        super().__init__(map, fixed_digits, min, max if max is not None else INT_MAX, signed)

    def to_python(self, value):
        if len(value.lstrip("-")) > INT_DIGITS:
            raise ValidationError()
        return super().to_python(value)


def to_int(raw, default=None, low=1, high=INT_MAX):
    """`raw` (a string) as a whole number between `low` and `high`, else `default`."""
    raw = (raw or "").strip()
    digits = raw.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > INT_DIGITS:
        return default
    value = int(raw)
    return value if low <= value <= high else default


def int_arg(params, name, default=None, low=1, high=INT_MAX):
    """A whole number from a query string or form (`request.args`, `request.form`): an id, a
    filter, a page. Missing, not a number or out of range: `default`."""
    return to_int(params.get(name), default, low, high)


def page_arg(params):
    """The page asked for (`?page=`); the first page for anything else."""
    return int_arg(params, "page", 1)


def init_app(app):
    """Before any blueprint adds a rule: a rule takes its converter when it is added."""
    app.url_map.converters["int"] = BoundedIntegerConverter
