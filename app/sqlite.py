"""SQLite, set up to serve several app server processes at once.

WAL lets visitors read while someone writes. And a request that may write (any method but
GET, HEAD and OPTIONS) takes the write lock when its transaction begins (BEGIN IMMEDIATE),
waiting its turn behind the other writers: otherwise a transaction that read first and
writes later cannot wait for the lock and fails at once with "database is locked" when
another request writes at the same moment (a burst of registrations).

Other transactions keep the driver's default: reads outside a transaction, BEGIN before the
first write. Code outside a request that reads and then writes asks for the lock up front
with `db.session.connection(execution_options={"sqlite_write": True})` as its first
statement; a connection that only reads, inside a writing request, says
`sqlite_write=False`."""

import sqlite3

import sqlalchemy as sa
from flask import has_request_context, request

# How long a writer waits for the lock before giving up ("database is locked"), in ms.
BUSY_TIMEOUT_MS = 20_000
READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}


def prepare(engine):
    if engine.dialect.name != "sqlite":
        return
    sa.event.listen(engine, "connect", _on_connect)
    sa.event.listen(engine, "begin", _on_begin)


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


def _on_begin(connection):
    write = connection.get_execution_options().get("sqlite_write")
    if write is None:
        write = has_request_context() and request.method not in READ_ONLY_METHODS
    if write:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
