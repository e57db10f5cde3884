"""What every request pays, made cheap without changing what any of it decides (issue 21:
the cached session page is served to crowds, and most of its cost was this machinery).

- The session cookie: Flask checks its signature (HMAC) and decodes it on every request. A
  cookie this process has already verified is recognised by its exact text (signature and
  all) and its content reused; its age is still checked against the session lifetime, as
  itsdangerous would. Only sessions of plain values are kept (a list, such as waiting
  flashes, could be changed in place by the request).
- The CSRF token of a cached page: Flask-WTF signs the session's raw token afresh on every
  request. Tokens never expire here (WTF_CSRF_TIME_LIMIT = None), so the signed token of a
  raw token is the same proof whatever second it was signed in: it is kept per raw token.
  With a time limit set, every request signs again, as Flask-WTF does.
- Who is signed in: Flask-Login's loader runs its session-protection hash (address and
  browser) even for a visitor who never signed in. A session with no user in it and no
  "remember me" cookie is anonymous at once.
- `Vary` is written without being parsed into a set and back, and Flask's question for
  every hook of every request, "is this a coroutine function?", is answered once a hook.

Each cache is bounded and keyed by the secret key too (several apps live in one process in
the tests)."""

import functools
import hashlib
import os
import threading
import time

from flask import current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager
from flask_login.config import COOKIE_NAME
from flask_login.signals import user_accessed
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature, URLSafeTimedSerializer

# Values a session may hold for it to be kept: none can be changed in place.
PLAIN = (str, int, float, bool, type(None))


class BoundedMemo:
    """A dict that forgets its oldest entries past `size` (thread-safe enough for gthread
    workers: every change under a lock, reads without)."""

    def __init__(self, size):
        self.size = size
        self.entries = {}
        self.lock = threading.Lock()

    def get(self, key):
        return self.entries.get(key)

    def put(self, key, value):
        with self.lock:
            if len(self.entries) >= self.size:
                for old in list(self.entries)[: self.size // 4 or 1]:
                    self.entries.pop(old, None)
            self.entries[key] = value


def add_vary(response, name):
    """`response.vary.add(name)`, without parsing the header into a set and writing it back
    when there is none yet or `name` is already in it (every cached page adds two)."""
    # Not headers.get: a missing header costs it an exception (a BadRequestKeyError).
    current = next((v for k, v in response.headers.items() if k.lower() == "vary"), None)
    if not current:
        response.headers["Vary"] = name
    elif name.lower() not in (part.strip().lower() for part in current.split(",")):
        response.headers["Vary"] = f"{current}, {name}"


class VerifiedCookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, each distinct cookie verified once per process."""

    def __init__(self, size=4096):
        self.verified = BoundedMemo(size)

    def get_signing_serializer(self, app):
        # Flask builds a serializer for every request (and itsdangerous tries it out on
        # each build); one per key and fallbacks is enough.
        if not app.secret_key:
            return None
        return self._serializer(app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))

    @functools.lru_cache(maxsize=8)  # noqa: B019 (one interface per app, a few keys each)
    def _serializer(self, secret_key, fallbacks):
        return URLSafeTimedSerializer(
            [*fallbacks, secret_key],
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )

    def save_session(self, app, session, response):
        # Flask's own, for a session left as it came (most requests): only `Vary: Cookie`.
        if not session.modified and (not session or not self.should_set_cookie(app, session)):
            if session.accessed:
                add_vary(response, "Cookie")
            return
        super().save_session(app, session, response)

    def open_session(self, app, request):
        if not app.secret_key:
            return None
        val = request.cookies.get(self.get_cookie_name(app))
        if not val:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()), val)
        known = self.verified.get(key)
        if known is not None:
            signed_at, data = known
            age = int(time.time()) - signed_at
            if 0 <= age <= max_age:
                return self.session_class(data)
            return self.session_class()  # expired, as itsdangerous would say
        try:
            data, signed_at = self.get_signing_serializer(app).loads(
                val, max_age=max_age, return_timestamp=True
            )
        except BadSignature:
            return self.session_class()
        if isinstance(data, dict) and all(isinstance(v, PLAIN) for v in data.values()):
            self.verified.put(key, (int(signed_at.timestamp()), dict(data)))
        return self.session_class(data)


_signed_tokens = BoundedMemo(4096)


def csrf_token():
    """The signed CSRF token for this request's form, as `flask_wtf.csrf.generate_csrf`
    gives it (and then gives again to every form of the request)."""
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME") or "csrf_token"
    if field in g:
        return g.get(field)
    if config["WTF_CSRF_TIME_LIMIT"] is not None:
        return generate_csrf()
    raw = session.get(field)
    if not isinstance(raw, str):
        # A new visitor's raw token, made as Flask-WTF makes it.
        raw = session[field] = hashlib.sha1(os.urandom(64)).hexdigest()
    secret_key = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    token = _signed_tokens.get((secret_key, raw))
    if token is None:
        token = _csrf_serializer(secret_key).dumps(raw)
        _signed_tokens.put((secret_key, raw), token)
    setattr(g, field, token)
    return token


@functools.lru_cache(maxsize=8)
def _csrf_serializer(secret_key):
    """Flask-WTF's signer of tokens (it builds one on every call)."""
    return URLSafeTimedSerializer(secret_key, salt="wtf-csrf-token")


class AnonymousAtOnceLoginManager(LoginManager):
    """Flask-Login, with the visitor who never signed in recognised without the session
    protection's hashing and the loaders' look-ups: anonymous, as `_load_user` decides."""

    def _load_user(self):
        if self._plainly_anonymous():
            user_accessed.send(current_app._get_current_object())
            return self._update_request_context_with_user()
        return super()._load_user()

    def _plainly_anonymous(self):
        config = current_app.config
        mode = config.get("SESSION_PROTECTION", self.session_protection)
        if mode not in (None, False, "basic"):
            return False  # "strong" clears a session it does not recognise: let it
        if self._request_callback or self._header_callback:
            return False
        if config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies:
            return False
        # "basic" would also write `_fresh: False` into a session without a user (its
        # address-and-browser hash matches no sign-in): freshness means something only once
        # somebody signs in, which sets it anew, so a visitor's session is left as it is
        # (and its cookie is not signed and sent again on their second request).
        return "_user_id" not in session and "_id" not in session


class SyncChecked:
    """Flask's `ensure_sync`, asked for every hook of every request (17 on a cached page)
    whether it is a coroutine function; the answer for a function never changes, so a
    plain function is recognised at once (a bounded set: `after_this_request` functions
    are new each time)."""

    def __init__(self, ensure_sync, size=1024):
        self.ensure_sync = ensure_sync
        self.size = size
        self.plain = set()

    def __call__(self, func):
        try:
            if func in self.plain:
                return func
        except TypeError:  # unhashable
            return self.ensure_sync(func)
        checked = self.ensure_sync(func)
        if checked is func:
            if len(self.plain) >= self.size:
                self.plain.clear()
            self.plain.add(func)
        return checked


def init_app(app):
    app.session_interface = VerifiedCookieSessions()
    app.ensure_sync = SyncChecked(app.ensure_sync)
