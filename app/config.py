"""Built-in defaults. Layered under instance/config.py, SALA_* variables and test overrides."""

from datetime import timedelta

DEFAULTS = dict(
    SITE_NAME="Sala",
    ORGANIZATION_NAME="Sala",
    CONTACT_EMAIL="",
    # Absolute base for links in mails, which are rendered outside any request. Required in
    # production; in development, unset, links follow the address the dev server serves.
    BASE_URL=None,
    SQLALCHEMY_DATABASE_URI=None,  # filled in by create_app: instance/sala.sqlite
    # hide_parameters: a failing query's error (and its log line) does not carry the values
    # it was given: addresses, names, mails with personal links.
    SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "hide_parameters": True},
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
    # A mail-out (the plan to every registrant, an announcement) is prepared by the worker,
    # this many registrants a step, each step one short transaction (as many as a worker
    # round sends: MAIL_WORKER_BATCH).
    MAILOUT_BATCH=200,
    # While the email provider refuses the sender, the login or the connection, the outbox
    # waits (MAIL_RETRY_BASE_SECONDS, twice as long after each refusal) at most this long
    # between tries.
    MAIL_PAUSE_MAX_SECONDS=1800,
    # Flask-Limiter: memory in development, redis://127.0.0.1:6379 with several app servers.
    RATELIMIT_STORAGE_URI="memory://",
    RATELIMIT_HEADERS_ENABLED=True,
    RATELIMIT_PUBLIC_POST="20 per minute",
    # Mails one mailbox may be sent per hour from the public forms together (registration,
    # ideas, "send me my link"); past it they answer as usual and send nothing.
    MAILBOX_MAIL_LIMIT="5 per hour",
    # Every mail carries a fresh personal (manage) link; only the newest this many per
    # registrant open their page, and none after the session's retention period.
    MANAGE_LINKS_KEPT=3,
    # Hours after registering unconfirmed registrants get one reminder to confirm (0: none).
    CONFIRM_REMINDER_HOURS=24,
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
    # No Referer check: we send no-referrer, so browsers send none. The origin of a POST is
    # checked by Origin/Sec-Fetch-Site instead (app/security.py), beside the token.
    WTF_CSRF_SSL_STRICT=False,
    # Strict-Transport-Security over HTTPS, in seconds (two years; 0: do not send it).
    HSTS_MAX_AGE=63072000,
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
    # While a session is live, its idea board asks for new ideas this often (seconds).
    IDEAS_BOARD_POLL_SECONDS=15,
    # Approved ideas on a public board for each session. Ideas are public only after
    # moderation, so this is for sites that moderate them: the moderation plugin turns it on.
    IDEAS_PUBLIC_BOARD=False,
    # Ideas one registrant may send per hour through their personal link.
    IDEAS_RATE_LIMIT_PER_ADDRESS="10 per hour",
    # Mails one personal link may ask for ("send me my link", "send the join details again").
    LINK_MAIL_RATE_LIMIT="3 per hour",
    # Up to this many items, every item's form is open on the Plan of Action editor; a longer
    # plan lists its items compactly and opens one form at a time, so the page stays light.
    PLAN_EDITOR_INLINE_ITEMS=40,
    # The mail worker: messages claimed (on one provider connection) per round; how long a
    # claim lasts without progress (seconds; renewed while the worker sends); tries before a
    # temporary failure becomes final; the first retry delay (seconds), doubled on every try.
    MAIL_WORKER_BATCH=200,
    # At most this many messages are handed over in one transaction (a crash leaves at most
    # as many whose fate is unknown); the worker hands over fewer, down to one at a time,
    # when the provider is slow enough that a transaction a message costs little.
    MAIL_WORKER_GROUP=25,
    MAIL_WORKER_CLAIM_SECONDS=120,
    MAIL_MAX_ATTEMPTS=8,
    MAIL_RETRY_BASE_SECONDS=60,
    # Development only (`make run`): the dev server also runs the mail worker in a thread.
    RUN_WORKER_IN_PROCESS=False,
)
