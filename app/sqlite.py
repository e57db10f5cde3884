"""SQLite, set up to serve several app server processes at once.

WAL lets visitors read while someone writes, and a writer waits its turn for the write lock
(up to BUSY_TIMEOUT_MS) instead of failing with "database is locked". Reads run outside any
transaction and a transaction begins at its first write (the driver's default), so the
write lock is held only from the first write to the commit.

What reads, decides and then writes on what it read (are there seats left?) must hold the
lock before it reads, or two requests both read the same and both write: it calls
`take_write_lock()` first, as it would lock rows with SELECT ... FOR UPDATE on PostgreSQL."""

import os
import sqlite3

import sqlalchemy as sa

from .private_files import create_private_file

# How long a writer waits for the lock before giving up ("database is locked"), in ms.
BUSY_TIMEOUT_MS = 20_000


def prepare(engine):
    if engine.dialect.name == "sqlite":
        create_private_database(engine.url.database)
        sa.event.listen(engine, "connect", _on_connect)


def create_private_database(path):
    """Create the database file readable by its owner only, before SQLite creates it with
    the process's umask (an empty file is a new database to SQLite). Its -wal and -shm files
    take the same permissions from it."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    if os.path.isdir(os.path.dirname(os.path.abspath(path))):
        create_private_file(path)


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
