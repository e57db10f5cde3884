"""Security headers on every response. Nothing is loaded from another origin, no inline
script, no framing, and no Referer: links carry tokens. And no NUL character from a visitor
ever reaches the database (PostgreSQL refuses them in text: a query would fail with a 500)."""

from flask import abort, request
from werkzeug.datastructures import ImmutableMultiDict

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


def _without_nul(data):
    if not any("\x00" in key or "\x00" in value for key, value in data.items(multi=True)):
        return data
    return ImmutableMultiDict(
        [(k.replace("\x00", ""), v.replace("\x00", "")) for k, v in data.items(multi=True)]
    )


class CleanRequestMixin:
    """Form fields and query arguments with NUL characters taken out: no person types one,
    and no text column of ours can hold one. Mixed into whatever request class the app has
    (htmx-flask brings its own)."""

    def _load_form_data(self):
        super()._load_form_data()
        self.__dict__["form"] = _without_nul(self.__dict__["form"])

    @property
    def args(self):
        if "_clean_args" not in self.__dict__:
            self.__dict__["_clean_args"] = _without_nul(super().args)
        return self.__dict__["_clean_args"]


def refuse_nul_in_path():
    if "\x00" in request.path:
        abort(404)


def set_security_headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def is_personal_page():
    """A page for one person: behind a secret link (a token in the path, or a manage link
    in `?t=`), or seen by someone signed in (organizers and moderators: lists of
    registrants, exports). Static files are the same for everyone."""
    from flask_login import current_user

    endpoint = request.endpoint or ""
    if endpoint == "static" or endpoint.endswith(".static"):
        return False
    if endpoint.startswith("branding_assets."):
        return False
    if "token" in (request.view_args or {}) or request.args.get("t"):
        return True
    return current_user.is_authenticated


def keep_personal_pages_out_of_caches(response):
    # no-store: neither a shared computer's browser cache (its back button, a later
    # visitor) nor a proxy on a watched network may keep a copy of who took part.
    if is_personal_page():
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response


def init_app(app):
    app.request_class = type("CleanRequest", (CleanRequestMixin, app.request_class), {})
    app.before_request(refuse_nul_in_path)
    app.after_request(set_security_headers)
    app.after_request(keep_personal_pages_out_of_caches)
