"""The plugin engine: discovery through entry points, one pluggy PluginManager per app."""

import importlib
import importlib.metadata
import logging
from dataclasses import dataclass, field

import pluggy
from flask import current_app
from markupsafe import Markup

from . import hookspecs

hookimpl = pluggy.HookimplMarker("sala")
ENTRY_POINT_GROUP = "sala.plugins"
# Sala's own default behaviour, written as plugins on the same hooks; always registered.
# Each owner of personal data forgets it on `sala_registration_erased` / `sala_event_purged`.
INTERNAL_PLUGINS = (
    "app.mail.file_provider",
    "app.plan.slots",
    "app.registration.release",
    "app.ideas.erasure",
    "app.feedback.hooks",
    "app.speakers.erasure",
    "app.mail.erasure",
    "app.audit",
)
log = logging.getLogger(__name__)


class PluginLoadError(RuntimeError):
    pass


@dataclass
class NavLink:
    """A link in the navigation bar, what `sala_nav_links` answers: a translated `label`,
    the `endpoint` and its `values` for `url_for`."""

    label: str
    endpoint: str
    values: dict = field(default_factory=dict)


@dataclass
class JoinDetails:
    """How one registrant joins the meeting: what `sala_join_details` answers."""

    url: str
    passcode: str = ""
    meeting_id: str = ""
    personal: bool = False  # a link for this registrant alone (Zoom's per-registrant link)
    dial_in: str = ""  # how to join by telephone; the session's own line when left empty


@dataclass
class EventFormField:
    """What `sala_event_form_fields` answers: a field a plugin adds to the organizer's
    session form (shown with the join details). ``field`` is an unbound WTForms field
    (``StringField(_l("Label"), validators=[...])``), ``value`` what the plugin holds for
    this session, ``hint`` a translatable line shown under the field. ``duplicated``
    False keeps the value out of a duplicated session (a meeting ID belongs to one session:
    a copy that kept it would send its registrants to the first session's meeting)."""

    name: str
    field: object
    value: object = None
    hint: str = ""
    duplicated: bool = True


@dataclass(frozen=True)
class PersonalDataShare:
    """What `sala_personal_data_shared` answers: personal data a plugin hands to another
    service. ``data`` names kinds from ``app.privacy.PERSONAL_DATA`` ("name", "email", …);
    ``purpose`` is a translatable phrase that continues "We send … to <recipient> …"
    (``_l("to create your personal join link")``)."""

    recipient: str
    data: tuple
    purpose: str
    policy_url: str = ""


# `sala_join_details` answers this while it is still getting a personal link: the core
# waits (the worker asks again) until the details are due, then falls back to the shared link.
JOIN_PENDING = object()


@dataclass
class InstalledPlugin:
    name: str
    distribution: str
    version: str
    enabled: bool
    error: str | None = None
    module: object = None
    entry_point: object = None


@dataclass
class PluginState:
    manager: pluggy.PluginManager
    installed: list[InstalledPlugin]

    @property
    def hook(self):
        return self.manager.hook


def enabled_names(setting):
    """SALA_PLUGINS: None (all installed), a list, or a comma-separated string."""
    if setting is None:
        return None
    if isinstance(setting, str):
        return {name.strip() for name in setting.split(",") if name.strip()}
    return set(setting)


def discover():
    """Every entry point of the group, deduplicated by name (the first one wins)."""
    seen = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        seen.setdefault(ep.name, ep)
    return sorted(seen.values(), key=lambda ep: ep.name)


def build_manager(enabled_setting, on_failure="skip"):
    """Load the enabled plugins into a new PluginManager.

    A plugin that fails to import is reported in one line, naming it and its error; with
    ``on_failure="refuse"`` that stops the app from starting.
    """
    manager = pluggy.PluginManager("sala")
    manager.add_hookspecs(hookspecs)
    for module_name in INTERNAL_PLUGINS:
        manager.register(importlib.import_module(module_name), name=module_name)
    wanted = enabled_names(enabled_setting)
    installed = []
    for ep in discover():
        dist = ep.dist.name if ep.dist else "?"
        version = ep.dist.version if ep.dist else "?"
        enabled = wanted is None or ep.name in wanted
        plugin = InstalledPlugin(ep.name, dist, version, enabled, entry_point=ep)
        installed.append(plugin)
        if not enabled:
            continue
        try:
            plugin.module = ep.load()
            manager.register(plugin.module, name=ep.name)
        except Exception as exc:  # a broken plugin must not take the site down silently
            plugin.error = f"{type(exc).__name__}: {exc}"
            plugin.enabled = False
            message = f"Sala plugin {ep.name!r} ({dist} {version}) failed to load: {plugin.error}"
            if on_failure == "refuse":
                raise PluginLoadError(message) from exc
            log.error("%s; starting without it", message)
    if wanted:
        missing = wanted - {p.name for p in installed}
        for name in sorted(missing):
            log.warning("Sala plugin %r is enabled in config but not installed", name)
    return PluginState(manager, installed)


def plugin_state(app=None):
    return (app or current_app).extensions["sala.plugins"]


def hooks(app=None):
    """The hook caller of the app's plugin manager: ``hooks().sala_idea_submitted(idea=i)``."""
    return plugin_state(app).hook


def hook_names(module):
    """The hooks a plugin module implements, for `sala plugins`."""
    return sorted(
        name for name in dir(module) if name.startswith("sala_") and callable(getattr(module, name))
    )


def migration_dirs(app=None):
    """(directories of the enabled plugins' migrations, those of the installed but disabled
    ones). Alembic must know a disabled plugin's revisions (the database may record them
    from when it was enabled), but `sala init` applies only the enabled ones."""
    state = plugin_state(app)
    enabled = [d for dirs in state.hook.sala_migration_dirs() for d in dirs or []]
    disabled = []
    for plugin in state.installed:
        if plugin.enabled or plugin.error or plugin.entry_point is None:
            continue
        try:
            hook = getattr(plugin.entry_point.load(), "sala_migration_dirs", None)
            disabled.extend(hook() or [] if hook else [])
        except Exception as exc:  # a plugin that cannot even load cannot be migrated
            log.warning("Sala plugin %r: its migrations cannot be read: %s", plugin.name, exc)
    return enabled, disabled


def event_form_fields(event):
    """The fields the enabled plugins add to the session form, for `event` (None: new)."""
    return [f for answer in hooks().sala_event_form_fields(event=event) for f in answer or []]


def save_event_form(event, data):
    """Hand each plugin its fields' values; returns the names of those that changed."""
    return [
        name
        for answer in hooks().sala_event_form_saved(event=event, data=data)
        for name in answer or []
    ]


def render_slot(slot, **context):
    """Jinja global: the HTML every plugin offers for a named template slot."""
    parts = hooks().sala_template_slot(slot=slot, context=context)
    return Markup("\n").join(Markup(p) for p in parts if p)


def nav_links(user):
    links = []
    for result in hooks().sala_nav_links(user=user):
        links.extend(result or [])
    return links
