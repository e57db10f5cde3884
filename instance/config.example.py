# Copy to instance/config.py and edit. Environment variables SALA_<NAME> override these.

# Required in production: a long random string, kept secret.
#   python -c 'import secrets; print(secrets.token_hex(32))'
# SECRET_KEY = "..."

# Required in production: the public address of the site, used for links in mail. In
# development, unset, links follow the address the dev server serves.
# BASE_URL = "https://sala.example.org"

# SITE_NAME = "Sala"
# ORGANIZATION_NAME = "Commission of Inquiry for Cambodia"
# CONTACT_EMAIL = "contact@example.org"

# PostgreSQL in production (SQLite in instance/ by default).
# SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://sala@127.0.0.1/sala"

# Languages offered; each needs a catalog in translations/.
# LANGUAGES = ["en", "km"]

# Plugins to enable (default: every installed one), and what to do when one fails to load:
# "skip" starts without it, "refuse" stops the site from starting.
# PLUGINS = ["moderation", "smtp", "zoom"]
# PLUGIN_LOAD_FAILURE = "skip"

# Mail: "file" writes .eml files to instance/mail/; "smtp" sends with Flask-Mail.
# EMAIL_PROVIDER = "smtp"
# MAIL_SERVER = "smtp.example.org"
# MAIL_PORT = 587
# MAIL_USE_TLS = True
# MAIL_USERNAME = "sala@example.org"
# MAIL_PASSWORD = "..."
# MAIL_DEFAULT_SENDER = "Sala <sala@example.org>"

# Rate-limit counters shared by several app servers.
# RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379"

# Behind one reverse proxy (nginx) that sets X-Forwarded-For and -Proto.
# PROXY_FIX = 1

# The home and session pages are kept 5 seconds as anonymous visitors see them, in each app
# server process. One cache shared by every app server shows an edit everywhere at once.
# PAGE_CACHE_SECONDS = 5
# PAGE_CACHE_TYPE = "RedisCache"
# PAGE_CACHE_REDIS_URL = "redis://127.0.0.1:6379/1"
# PAGE_CACHE_KEY_PREFIX = "sala-page:"   # one per instance sharing that Redis
