"""Sala: a small self-hosted site for public online sessions of civil-society groups."""

import logging
import os
import secrets
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import auth, errors, i18n, pagecache, security, sqlite, templating, whole_numbers
from .config import DEFAULTS
from .extensions import babel, csrf, db, htmx, limiter, login_manager, mail, migrate
from .i18n import gettext_before_app as _
from .plugins import build_manager, nav_links, render_slot

__all__ = ["ConfigurationError", "create_app"]
PROJECT_ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


class ConfigurationError(RuntimeError):
    """Sala cannot start with this configuration; the message says what to set."""


def create_app(test_config=None):
    # SALA_INSTANCE_PATH puts config.py, the SQLite database, secrets and mail files elsewhere
    # than ./instance (a system directory in production, a temporary one in tests).
    instance_path = os.environ.get("SALA_INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=os.path.abspath(instance_path) if instance_path else None,
    )
    load_config(app, test_config)
    ensure_secret_key(app)
    whole_numbers.init_app(app)

    state = build_manager(app.config["PLUGINS"], app.config["PLUGIN_LOAD_FAILURE"])
    app.extensions["sala.plugins"] = state
    for defaults in state.hook.sala_config_defaults():
        for key, value in (defaults or {}).items():
            app.config.setdefault(key, value)

    if app.config["PROXY_FIX"]:
        n = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    db.init_app(app)
    with app.app_context():
        sqlite.prepare(db.engine)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    mail.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app, babel)
    security.init_app(app)
    templating.init_app(app)
    pagecache.init_app(app)
    errors.init_app(app)
    auth.init_app(app)

    from . import admin, branding, cli, ideas, outbox, plan, public, registration, sessions

    outbox.init_app(app)
    public.init_app(app)
    registration.init_app(app)
    admin.init_app(app)
    plan.init_app(app)
    ideas.init_app(app)
    sessions.init_app(app)
    branding.init_app(app)
    cli.init_app(app)

    for blueprints in state.hook.sala_blueprints():
        for blueprint in blueprints or []:
            app.register_blueprint(blueprint)

    app.jinja_env.globals.update(slot=render_slot, nav_links=nav_links)
    state.hook.sala_app_ready(app=app)
    return app


def load_config(app, test_config):
    """Defaults, then instance/config.py, then SALA_* variables, then test overrides."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("SALA")
    if test_config:
        app.config.from_mapping(test_config)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'sala.sqlite'}"
    if not app.config.get("MAIL_FILE_DIR"):
        app.config["MAIL_FILE_DIR"] = str(instance / "mail")


def ensure_secret_key(app):
    """Production refuses to start without a secret key; development keeps one in instance/."""
    if app.config.get("SECRET_KEY"):
        return
    if not (app.debug or app.testing or os.environ.get("SALA_DEV") == "1"):
        raise ConfigurationError(
            _(
                "SECRET_KEY is not set. Set SALA_SECRET_KEY in the environment or SECRET_KEY "
                "in instance/config.py (for example: %(command)s).",
                command="python3 -c 'import secrets; print(secrets.token_hex(32))'",
            )
        )
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()
