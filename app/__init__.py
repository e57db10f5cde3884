"""Sala: a small self-hosted site for public online sessions of civil-society groups."""

import logging
import os
import secrets
from pathlib import Path

from flask import Config, Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (
    auth,
    errors,
    every_request,
    i18n,
    pagecache,
    privacy,
    schema,
    security,
    sqlite,
    templating,
    whole_numbers,
)
from .config import DEFAULTS
from .extensions import babel, csrf, db, htmx, limiter, login_manager, mail, migrate
from .i18n import gettext_before_app as _
from .lost_connections import init_app as init_lost_connections
from .plugins import build_manager, nav_links, render_slot
from .private_files import private_dir, write_private_file

__all__ = ["ConfigurationError", "create_app"]
log = logging.getLogger(__name__)


class ConfigurationError(RuntimeError):
    """Sala cannot start with this configuration; the message says what to set."""


def create_app(test_config=None, require_production_settings=True):
    """The app. Outside development it refuses to start without SECRET_KEY and BASE_URL,
    unless `require_production_settings` is false (help, commands that sign nothing)."""
    # SALA_INSTANCE_PATH puts config.py, the SQLite database, secrets and mail files elsewhere
    # than ./instance (a system directory in production, a temporary one in tests).
    instance_path = os.environ.get("SALA_INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=os.path.abspath(instance_path) if instance_path else None,
    )
    chosen = load_config(app, test_config)
    ensure_secret_key(app, require_production_settings)
    ensure_base_url(app, require_production_settings)
    whole_numbers.init_app(app)

    state = build_manager(app.config["PLUGINS"], app.config["PLUGIN_LOAD_FAILURE"])
    app.extensions["sala.plugins"] = state
    apply_plugin_defaults(app, state, chosen)

    if app.config["PROXY_FIX"]:
        n = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    db.init_app(app)
    init_lost_connections(app)
    with app.app_context():
        sqlite.prepare(db.engine)
    schema.init_app(app, migrate, db)
    csrf.init_app(app)
    mail.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app, babel)
    security.init_app(app)
    every_request.init_app(app)
    templating.init_app(app)
    privacy.init_app(app)
    pagecache.init_app(app)
    errors.init_app(app)
    auth.init_app(app)

    from . import (
        audit_log,
        branding,
        cli,
        feedback,
        followup,
        ideas,
        plan,
        public,
        registration,
        review,
        sessions,
        speakers,
    )
    from .mail import init_app as init_mail

    init_mail(app)
    public.init_app(app)
    registration.init_app(app)
    audit_log.init_app(app)
    plan.init_app(app)
    followup.init_app(app)
    ideas.init_app(app)
    feedback.init_app(app)
    sessions.init_app(app)
    branding.init_app(app)
    speakers.init_app(app)
    review.init_app(app)
    cli.init_app(app)

    for blueprints in state.hook.sala_blueprints():
        for blueprint in blueprints or []:
            app.register_blueprint(blueprint)

    app.jinja_env.globals.update(slot=render_slot, nav_links=nav_links)
    state.hook.sala_app_ready(app=app)
    return app


def load_config(app, test_config):
    """Defaults, then instance/config.py, then SALA_* variables, then test overrides.
    Returns the names of the settings the deployment chose (all but the defaults)."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("SALA")
    if test_config:
        app.config.from_mapping(test_config)
    chosen = Config(app.config.root_path)
    chosen.from_pyfile("config.py", silent=True)
    chosen.from_prefixed_env("SALA")
    try:
        instance = private_dir(app.instance_path)
    except OSError as exc:
        raise ConfigurationError(
            _(
                "The instance folder %(path)s cannot be used (%(reason)s). Set "
                "SALA_INSTANCE_PATH to a folder Sala may create and write to.",
                path=app.instance_path,
                reason=exc.strerror or exc,
            )
        ) from exc
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'sala.sqlite'}"
    # Kept even where a deployment sets engine options of its own.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "hide_parameters": True,
        **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
    }
    if not app.config.get("MAIL_FILE_DIR"):
        app.config["MAIL_FILE_DIR"] = str(instance / "mail")
    return set(chosen) | set(test_config or {})


def apply_plugin_defaults(app, state, chosen):
    """Plugins' defaults sit over the core's and under what the deployment chose; of two
    plugins, the first has its way."""
    given = set()
    for defaults in state.hook.sala_config_defaults():
        for key, value in (defaults or {}).items():
            if key not in chosen and key not in given:
                app.config[key] = value
                given.add(key)


# deploy/env.example's SALA_SECRET_KEY, and its kind: a copied example must not start.
PLACEHOLDER_SECRET_KEY_PREFIX = "change-me"
MIN_SECRET_KEY_BYTES = 32
NEW_KEY_COMMAND = "python3 -c 'import secrets; print(secrets.token_hex(32))'"


def in_development(app):
    """`make run` (SALA_DEV=1) or Flask's debug mode: never a production server."""
    return app.debug or os.environ.get("SALA_DEV") == "1"


def ensure_secret_key(app, required=True):
    """Production refuses to start without a secret key, with the example one or with a
    short one; development keeps one in instance/. An app built for a command that signs
    nothing (`sala --help`, `sala translate`) may go without one, but not with a weak one."""
    key = app.config.get("SECRET_KEY")
    if in_development(app) or app.testing:
        if not key:
            app.config["SECRET_KEY"] = development_secret_key(app)
        return
    if not key:
        if not required:
            return
        raise ConfigurationError(
            _(
                "SECRET_KEY is not set. Set SALA_SECRET_KEY in the environment or SECRET_KEY "
                "in instance/config.py (for example: %(command)s).",
                command=NEW_KEY_COMMAND,
            )
        )
    text = key.decode(errors="replace") if isinstance(key, bytes) else str(key)
    if text.strip().lower().startswith(PLACEHOLDER_SECRET_KEY_PREFIX):
        raise ConfigurationError(
            _(
                "SECRET_KEY is still the example value of deploy/env.example. Set "
                "SALA_SECRET_KEY to a random value (for example: %(command)s).",
                command=NEW_KEY_COMMAND,
            )
        )
    if len(text.encode()) < MIN_SECRET_KEY_BYTES:
        raise ConfigurationError(
            _(
                "SECRET_KEY is too short: it needs at least %(count)d characters. Set "
                "SALA_SECRET_KEY to a random value (for example: %(command)s).",
                count=MIN_SECRET_KEY_BYTES,
                command=NEW_KEY_COMMAND,
            )
        )


def development_secret_key(app):
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        write_private_file(key_file, secrets.token_hex(32).encode())
    return key_file.read_text().strip()


def ensure_base_url(app, required=True):
    """Production refuses to start without BASE_URL, which links in mail are built from;
    development, without it, follows the address it serves (app/mail/outbox.py)."""
    if app.config.get("BASE_URL") or not required or in_development(app) or app.testing:
        return
    raise ConfigurationError(
        _(
            "BASE_URL is not set. Set SALA_BASE_URL in the environment or BASE_URL in "
            "instance/config.py to the public address (for example: %(example)s).",
            example="https://sala.example.org",
        )
    )
