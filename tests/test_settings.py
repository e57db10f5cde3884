"""Every setting Sala reads has its default in app/config.py and a row in the README's
settings table: a partner reads one table to configure an instance, and code that reads
a setting with a default of its own would drift from both."""

import re

from support import ROOT

from app.config import DEFAULTS

READ = re.compile(r"config(?:\.get\(|\[)\s*[\"']([A-Z][A-Z0-9_]+)[\"']")

# Read by Sala but owned elsewhere: required with no default, set by create_app, or the
# extensions' own settings (documented by them).
NOT_OURS = {
    "SECRET_KEY",  # required; no default on purpose (a row in the README says so)
    "BABEL_TRANSLATION_DIRECTORIES",  # computed by create_app from the plugins
    "SQLALCHEMY_ECHO",  # Flask-SQLAlchemy's
    "RATELIMIT_ENABLED",  # Flask-Limiter's
    "RATELIMIT_KEY_PREFIX",  # Flask-Limiter's
    "MODERATOR_HOME",  # the moderation plugin's, defaulted by its sala_config_defaults
    # Read where app/every_request.py and app/security.py stand in for Flask, Flask-WTF and
    # Flask-Login's own code, with those libraries' own defaults.
    "SECRET_KEY_FALLBACKS",  # Flask's
    "WTF_CSRF_FIELD_NAME",  # Flask-WTF's
    "WTF_CSRF_SECRET_KEY",  # Flask-WTF's
    "WTF_CSRF_METHODS",  # Flask-WTF's
    "SESSION_PROTECTION",  # Flask-Login's
    "REMEMBER_COOKIE_NAME",  # Flask-Login's
}

# Defaults we set for Flask and its extensions: their own documentation describes them.
EXTENSION_SETTINGS = {
    "SQLALCHEMY_ENGINE_OPTIONS",
    "BABEL_DEFAULT_TIMEZONE",
    "MAIL_DEFAULT_SENDER",
    "RATELIMIT_HEADERS_ENABLED",
    "MAX_CONTENT_LENGTH",
    "WTF_CSRF_TIME_LIMIT",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "PERMANENT_SESSION_LIFETIME",
}


def settings_read_by_the_core():
    found = {}
    for path in (ROOT / "app").rglob("*.py"):
        for name in READ.findall(path.read_text(encoding="utf-8")):
            found.setdefault(name, path.relative_to(ROOT))
    return found


def test_every_setting_the_core_reads_has_a_default_in_config():
    missing = {
        name: str(path)
        for name, path in settings_read_by_the_core().items()
        if name not in DEFAULTS and name not in NOT_OURS
    }
    assert missing == {}


def test_no_setting_is_read_with_a_default_of_its_own():
    inline = re.compile(r"config\.get\(\s*[\"']([A-Z][A-Z0-9_]+)[\"']\s*,")
    found = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "app").rglob("*.py")
        for name in inline.findall(path.read_text(encoding="utf-8"))
        if name not in NOT_OURS
    ]
    assert found == []


def test_every_default_has_a_row_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = "\n".join(line for line in readme.splitlines() if line.startswith("| `"))
    rows = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    missing = sorted(set(DEFAULTS) - EXTENSION_SETTINGS - rows)
    assert missing == []
