"""SQLite, set up to serve several app server processes at once.

WAL lets visitors read while someone writes, and a writer waits its turn for the write lock
(up to BUSY_TIMEOUT_MS) instead of failing with "database is locked". Reads run outside any
transaction and a transaction begins at its first write (the driver's default), so the
write lock is held only from the first write to the commit.

What reads, decides and then writes on what it read (are there seats left?) must hold the
lock before it reads, or two requests both read the same and both write: it calls
`take_write_lock()` first, as it would lock rows with SELECT ... FOR UPDATE on PostgreSQL."""

import sqlite3

import sqlalchemy as sa

# How long a writer waits for the lock before giving up ("database is locked"), in ms.
BUSY_TIMEOUT_MS = 20_000


def prepare(engine):
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _on_connect)


def _on_connect(dbapi_connection, _record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL loses no committed data on a crash of the process, only possibly the
    # last transactions on a power cut; it saves an fsync on every commit.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def take_write_lock(session):
    """On SQLite, hold the database's write lock from now to the end of the session's
    transaction (waiting for it if another writer has it). Elsewhere, nothing."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
