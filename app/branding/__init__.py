"""Branding and texts an organizer sets in the browser: site and organization name, logo,
colours, footer links, privacy notice per language, contact address. Stored as `Setting`
rows; a key with no row keeps its default from config (SITE_NAME, ORGANIZATION_NAME,
CONTACT_EMAIL), so an instance where nothing was set looks as it always did.

Templates keep reading ``config.SITE_NAME`` and friends: a context processor hands them the
app's config with the organizer's values laid over it, so every page and every mail (they are
rendered with the same templates) says the same name. ``brand`` carries the rest (logo,
footer links, colours).

An instance may also override any template: files in ``<instance>/templates/`` are found
before Sala's own (see docs/branding.md)."""

import logging
import time
from collections import ChainMap
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, g
from flask_sqlalchemy.session import Session as FlaskSession
from jinja2 import ChoiceLoader, FileSystemLoader

from .. import pagecache
from ..extensions import db
from ..models import Setting

log = logging.getLogger(__name__)

# Setting key → config key it overrides.
CONFIG_KEYS = {
    "site_name": "SITE_NAME",
    "organization_name": "ORGANIZATION_NAME",
    "contact_email": "CONTACT_EMAIL",
}
DEFAULT_ACCENT = "#8a1c1c"
DEFAULT_INK = "#1b1f24"


@dataclass
class Brand:
    site_name: str
    organization_name: str
    contact_email: str
    accent: str = ""
    ink: str = ""
    logo: dict = field(default_factory=dict)
    footer_links: list = field(default_factory=list)
    privacy: dict = field(default_factory=dict)

    @property
    def has_colors(self):
        return bool(self.accent or self.ink)

    @property
    def css_version(self):
        return f"{self.accent}{self.ink}".replace("#", "")

    def footer(self, lang, fallback):
        """[(label, url)] of the footer links in `lang` (else the fallback language, else
        the first label there is)."""
        out = []
        for link in self.footer_links:
            labels = link.get("labels") or {}
            label = labels.get(lang) or labels.get(fallback) or next(iter(labels.values()), "")
            if label and link.get("url"):
                out.append((label, link["url"]))
        return out

    def privacy_notice(self, lang):
        return (self.privacy or {}).get(lang, "")


# Every page reads the settings; this process keeps them this long (a change committed here
# forgets them at once; another process sees it within these seconds, as it sees the
# cached pages).
SETTINGS_SECONDS = 5
_changes = 0  # committed changes to Setting rows in this process, ever


def stored_settings():
    """Every stored setting, kept a few seconds in this process and, with the page cache
    on, in the page cache (app/pagecache.py: a change empties both)."""
    kept = current_app.extensions.get("sala.settings")
    now = time.monotonic()
    if kept is not None and kept[1] == _changes and now - kept[0] < SETTINGS_SECONDS:
        return kept[2]
    value = pagecache.kept("settings", read_settings)
    current_app.extensions["sala.settings"] = (now, _changes, value)
    return value


def _settings_changed(session):
    session.info["sala_settings_changed"] = True


@sa.event.listens_for(FlaskSession, "after_flush")
def _note_setting_changes(session, _flush_context):
    if any(isinstance(o, Setting) for o in session.new | session.dirty | session.deleted):
        _settings_changed(session)


@sa.event.listens_for(FlaskSession, "do_orm_execute")
def _note_bulk_setting_changes(state):
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is Setting for mapper in state.all_mappers
    ):
        _settings_changed(state.session)


@sa.event.listens_for(FlaskSession, "after_commit")
def _forget_settings(session):
    global _changes
    if session.info.pop("sala_settings_changed", False):
        _changes += 1


@sa.event.listens_for(FlaskSession, "after_rollback")
def _forget_settings_note(session):
    session.info.pop("sala_settings_changed", None)


def read_settings():
    """Every stored setting, read on a connection of its own, so a page rendered in the
    middle of a transaction neither flushes it nor, should the read fail, spoils it."""
    try:
        with db.engine.connect() as conn:
            return dict(conn.execute(sa.select(Setting.key, Setting.value)).all())
    except sa.exc.SQLAlchemyError as exc:  # no table yet (before `sala init`), database down
        log.warning("branding settings unavailable, using config defaults: %s", exc)
        return {}


def current_brand():
    """The brand of this app context: read once per request; a long-lived context (the mail
    worker, which renders reminders) reads it again after a minute."""
    cached = g.get("sala_brand")
    if cached is None or time.monotonic() - cached[0] > 60:
        cached = (time.monotonic(), build_brand(stored_settings(), current_app.config))
        g.sala_brand = cached
    return cached[1]


def build_brand(stored, config):
    def text(key):
        value = stored.get(key)
        return value if isinstance(value, str) and value else config.get(CONFIG_KEYS[key], "")

    return Brand(
        site_name=text("site_name"),
        organization_name=text("organization_name"),
        contact_email=text("contact_email"),
        accent=stored.get("accent") or "",
        ink=stored.get("ink") or "",
        logo=stored.get("logo") or {},
        footer_links=stored.get("footer_links") or [],
        privacy=stored.get("privacy") or {},
    )


def forget_brand():
    g.pop("sala_brand", None)


def branded_config():
    brand = current_brand()
    overrides = {
        config_key: getattr(brand, key)
        for key, config_key in CONFIG_KEYS.items()
        if getattr(brand, key) != current_app.config.get(config_key)
    }
    return ChainMap(overrides, current_app.config) if overrides else current_app.config


def template_context():
    return {"brand": current_brand(), "config": branded_config()}


def instance_templates(app):
    """`<instance>/templates/` first, then Sala's own loader (app, then blueprints)."""
    folder = Path(app.instance_path) / "templates"
    app.jinja_env.loader = ChoiceLoader([FileSystemLoader(str(folder)), app.jinja_env.loader])


def init_app(app):
    from .routes import assets_bp, bp

    instance_templates(app)
    app.context_processor(template_context)
    app.register_blueprint(bp)
    app.register_blueprint(assets_bp)
