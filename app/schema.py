"""The database schema: the core's migrations and every enabled plugin's, applied one process
at a time.

Each plugin's migrations are an Alembic branch of their own, in a directory the plugin names
through `sala_migration_dirs` (as FlaskBB and Indico let plugins keep theirs): the core's
`migrations/versions` holds no table of any plugin. A plugin's first revision names with
`depends_on` the core revision it builds on, so Alembic applies the core up to there first.
`sala init` brings each enabled plugin's branch to its head before the core's: a plugin that
takes over data from core columns copies it before a later core revision drops them.

`sala init` runs on every start of a container (compose.yaml), so two can run at once on an
empty database; unserialized, both create the same tables and one fails with a traceback.
On PostgreSQL a session-level advisory lock is held on a connection of its own while Alembic
works on another; on SQLite a lock file beside the database file does the same (SQLite's own
write lock cannot be held by one connection while Alembic writes on another). The process
that waited then finds the schema up to date and has nothing to do."""

import os
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from filelock import FileLock
from flask import current_app

from .plugins import migration_dirs
from .resources import MIGRATIONS as CORE_MIGRATIONS

CORE_VERSIONS = CORE_MIGRATIONS / "versions"
# Any fixed 64-bit number, the same in every process: the bytes of "sala.init".
ADVISORY_LOCK_KEY = int.from_bytes(b"sala.ini", "big") & 0x7FFFFFFFFFFFFFFF
# A migration of a large instance can take minutes; waiting longer means something is stuck.
LOCK_WAIT_SECONDS = 1800


def init_app(app, migrate, db):
    migrate.init_app(app, db, directory=str(CORE_MIGRATIONS), render_as_batch=True)
    if with_plugin_migrations not in migrate.configure_callbacks:
        migrate.configure(with_plugin_migrations)


def with_plugin_migrations(config):
    """Flask-Migrate's configure callback: the core's versions and every plugin's, so that
    Alembic knows each revision the database may hold (a disabled plugin's too)."""
    enabled, disabled = migration_dirs(current_app)
    locations = [str(CORE_VERSIONS), *map(str, enabled), *map(str, disabled)]
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(locations).replace("%", "%%"))
    return config


def heads_to_apply(script, app=None):
    """The heads `sala init` upgrades to, each enabled plugin's first, then the core's. A
    disabled plugin's branch stays where it is."""
    enabled, _ = migration_dirs(app or current_app)
    plugin_dirs = [Path(d).resolve() for d in enabled]
    plugin_heads, core_heads = [], []
    for head in script.get_revisions("heads"):
        path = Path(head.path).resolve().parent
        if path == CORE_VERSIONS:
            core_heads.append(head.revision)
        elif path in plugin_dirs:
            plugin_heads.append(head.revision)
    return plugin_heads + core_heads


@contextmanager
def migration_lock(engine):
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            conn.commit()  # the lock belongs to the connection, not to a transaction
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                conn.commit()
    elif engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        with FileLock(f"{engine.url.database}.lock", timeout=LOCK_WAIT_SECONDS):
            yield
    else:
        yield


def script_directory():
    from alembic.script import ScriptDirectory

    migrate = current_app.extensions["migrate"]
    return ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory))


def upgrade_database(engine):
    """Create the database or bring it (core and enabled plugins) to the newest schema, safe
    to run from several processes at once."""
    from flask_migrate import upgrade

    with migration_lock(engine):
        for head in heads_to_apply(script_directory()):
            upgrade(revision=head)
