"""Built-in defaults. Layered under instance/config.py, SALA_* variables and test overrides."""

from datetime import timedelta

DEFAULTS = dict(
    SITE_NAME="Sala",
    ORGANIZATION_NAME="Sala",
    CONTACT_EMAIL="",
    # Absolute base for links in mails, which are rendered outside any request.
    BASE_URL="http://127.0.0.1:5000",
    SQLALCHEMY_DATABASE_URI=None,  # filled in by create_app: instance/sala.sqlite
    SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
    # The languages offered (each needs a catalog in translations/<code>/, except English).
    LANGUAGES=["en", "km", "fr"],
    # The languages a Plan of Action must be complete in before it can be published; the
    # others fall back visibly to the session's default language where a text is missing.
    PLAN_REQUIRED_LANGUAGES=["en", "km"],
    BABEL_DEFAULT_LOCALE="en",
    BABEL_DEFAULT_TIMEZONE="UTC",
    # None: every installed plugin. Otherwise a list or comma-separated names.
    PLUGINS=None,
    # "skip": start without a plugin that fails to load (and say so); "refuse": do not start.
    PLUGIN_LOAD_FAILURE="skip",
    EMAIL_PROVIDER="file",
    MAIL_DEFAULT_SENDER="Sala <sala@localhost>",
    MAIL_FILE_DIR=None,  # filled in by create_app: instance/mail
    # Flask-Limiter: memory in development, redis://127.0.0.1:6379 with several app servers.
    RATELIMIT_STORAGE_URI="memory://",
    RATELIMIT_HEADERS_ENABLED=True,
    RATELIMIT_PUBLIC_POST="20 per minute",
    LOGIN_RATE_LIMIT="30 per minute",
    # Wrong passwords (or codes) from one address for one account: after this many, that
    # address waits LOGIN_THROTTLE_FIRST_WAIT seconds, twice as long after each further
    # failure, at most LOGIN_THROTTLE_MAX_WAIT. Other addresses are not held back.
    LOGIN_THROTTLE_FAILURES=5,
    LOGIN_THROTTLE_FIRST_WAIT=60,
    LOGIN_THROTTLE_MAX_WAIT=3600,
    # An organizer's or moderator's session ends after this many hours without use.
    ACCOUNT_IDLE_HOURS=10,
    # How long a password-reset link works.
    PASSWORD_RESET_HOURS=2,
    # Every organizer and moderator must set up two-factor sign-in before any other page.
    REQUIRE_TWO_FACTOR=False,
    MAX_CONTENT_LENGTH=1024 * 1024,
    WTF_CSRF_TIME_LIMIT=None,
    SESSION_COOKIE_HTTPONLY=True,
    SESSION_COOKIE_SAMESITE="Lax",
    PERMANENT_SESSION_LIFETIME=timedelta(days=30),
    # Behind a reverse proxy, the number of proxies that set X-Forwarded-* (0: none).
    PROXY_FIX=0,
    # The home and session pages as anonymous visitors see them, kept this many seconds
    # (0: off), per process or, with "RedisCache" and a URL, shared (app/pagecache.py).
    # Instances sharing one Redis need a key prefix each.
    PAGE_CACHE_SECONDS=5,
    PAGE_CACHE_TYPE="SimpleCache",
    PAGE_CACHE_REDIS_URL=None,
    PAGE_CACHE_KEY_PREFIX="sala-page:",
)
