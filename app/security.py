"""Security headers on every response. Nothing is loaded from another origin, no inline
script, no framing, and no Referer: links carry tokens. Over HTTPS, HSTS and Secure cookies.
A state-changing request must come from this site (its CSRF token, and its origin: see
`OriginCheckingCSRFProtect`). And no NUL character from a visitor ever reaches the database
(PostgreSQL refuses them in text: a query would fail with a 500)."""

from flask import abort, current_app, g, has_request_context, request
from flask_wtf.csrf import CSRFError, CSRFProtect
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


HEADER_ITEMS = tuple(HEADERS.items())
HEADER_NAMES = frozenset(name.lower() for name in HEADERS)


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


# ---------------------------------------------------------------- where a POST comes from

# Sec-Fetch-Site values of a request this site's own pages made (or the person typed).
OUR_FETCH_SITES = {"same-origin", "none"}


def this_origin():
    """scheme://host as this app sees the request (after ProxyFix, behind a proxy)."""
    return f"{request.scheme}://{request.host}".lower()


def comes_from_this_site():
    """Whether a browser says this request was made by one of our pages.

    Flask-WTF would check the Referer over HTTPS (WTF_CSRF_SSL_STRICT), but we send
    `Referrer-Policy: no-referrer`, so browsers send none and every form would fail. We ask
    the headers browsers send for this purpose instead:

    - `Origin`, when it names a real origin, must be ours. Browsers send `Origin: null` for a
      plain form POST under no-referrer (htmx's requests carry the real one), so "null"
      says nothing either way;
    - then `Sec-Fetch-Site` (every current browser, over HTTPS and on localhost) must be
      `same-origin`, or `none` (the person's own action, such as a bookmark);
    - a request with neither (curl, an old browser) is left to the CSRF token alone.
    """
    origin = request.headers.get("Origin", "").strip().lower()
    if origin and origin != "null":
        return origin == this_origin()
    fetch_site = request.headers.get("Sec-Fetch-Site", "").strip().lower()
    if fetch_site:
        return fetch_site in OUR_FETCH_SITES
    return True


class OriginCheckingCSRFProtect(CSRFProtect):
    """Flask-WTF's CSRF protection (the token, in a form field or the X-CSRFToken header),
    plus the origin check above for the same requests: views exempt from CSRF (the Zoom
    webhook, which is signed) are exempt from both. A refusal is the usual CSRFError, so
    the visitor sees the same 400 page in their language."""

    def protect(self, *args, **kwargs):
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return  # a GET: where Flask-WTF returns too, after looking up exemptions
        super().protect(*args, **kwargs)
        if g.get("csrf_valid") and not comes_from_this_site():
            raise CSRFError("The request was not sent from this site.")


# ---------------------------------------------------------------- over HTTPS


class SecureCookieResponseMixin:
    """Every cookie set over HTTPS is Secure (the session cookie, and any other cookie
    Sala or an extension sets), so a browser never sends it over plain HTTP; over HTTP, as
    in development on http://127.0.0.1, cookies stay as they are or nothing would work."""

    def set_cookie(self, key, *args, **kwargs):
        if has_request_context() and request.is_secure:
            kwargs["secure"] = True
        return super().set_cookie(key, *args, **kwargs)


def set_strict_transport_security(response):
    """HSTS only in an answer over HTTPS: over HTTP browsers ignore it, and development on
    http://127.0.0.1 must keep working."""
    max_age = current_app.config["HSTS_MAX_AGE"]
    if request.is_secure and max_age:
        response.headers.setdefault("Strict-Transport-Security", f"max-age={int(max_age)}")
    return response


def refuse_nul_in_path():
    if "\x00" in request.path:
        abort(404)


def set_security_headers(response):
    # The same six headers on every answer: added at once, unless a view set its own.
    present = {name.lower() for name, _value in response.headers.items()}
    if present.isdisjoint(HEADER_NAMES):
        response.headers.extend(HEADER_ITEMS)
    else:
        for name, value in HEADER_ITEMS:
            if name.lower() not in present:
                response.headers.add(name, value)
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
    app.response_class = type(
        "SecureCookieResponse", (SecureCookieResponseMixin, app.response_class), {}
    )
    app.before_request(refuse_nul_in_path)
    app.after_request(set_security_headers)
    app.after_request(keep_personal_pages_out_of_caches)
    app.after_request(set_strict_transport_security)
