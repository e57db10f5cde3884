"""Applying the database migrations, one process at a time.

`sala init` runs on every start of a container (compose.yaml), so two can run at once on an
empty database; unserialized, both create the same tables and one fails with a traceback.
On PostgreSQL a session-level advisory lock is held on a connection of its own while Alembic
works on another; on SQLite a lock file beside the database file does the same (SQLite's own
write lock cannot be held by one connection while Alembic writes on another). The process
that waited then finds the schema up to date and has nothing to do."""

from contextlib import contextmanager

import sqlalchemy as sa
from filelock import FileLock

# Any fixed 64-bit number, the same in every process: the bytes of "sala.init".
ADVISORY_LOCK_KEY = int.from_bytes(b"sala.ini", "big") & 0x7FFFFFFFFFFFFFFF
# A migration of a large instance can take minutes; waiting longer means something is stuck.
LOCK_WAIT_SECONDS = 1800


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


def upgrade_database(engine):
    """Create the database or bring it to the newest schema, safe to run from several
    processes at once."""
    from flask_migrate import upgrade

    with migration_lock(engine):
        upgrade()
