"""A database connection lost in the middle of a request: a failover, a restarted server, a
connection a firewall cut or an operator ended (`pg_terminate_backend`).

- A request that has not sent a COMMIT yet runs once more on a fresh connection: the server
  rolled back its transaction when the connection died, so running it again is running it
  once. A request whose COMMIT was under way when the connection died is not run again (the
  commit may have gone through: a second run could register someone twice or mail them
  twice); it gets the 503 page, as does a request that loses its second connection too.
- The end of a request never fails on a dead connection: the rollback that can no longer
  reach the server is dropped (otherwise it escapes Flask, and gunicorn answers with its own
  bare, English "Internal Server Error", even after a page that was fine).

Connections idle in the pool are tested before use (`pool_pre_ping`, app/config.py)."""

import functools
import logging

import sqlalchemy as sa
from flask import g, has_request_context

from .extensions import db

log = logging.getLogger("sala.database")
COMMIT_SENT = "sala_commit_sent"


@sa.event.listens_for(sa.engine.Engine, "commit")
def remember_commit_sent(conn):
    """Fired just before a COMMIT goes to the database, for every engine of the process."""
    if has_request_context():
        setattr(g, COMMIT_SENT, True)


def lost_connection(exc):
    return isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated


def discard_transaction():
    """Roll the session back; on a connection that died unnoticed, the first try fails,
    marks the connection invalid, and the second has nothing left to send."""
    try:
        db.session.rollback()
    except sa.exc.DBAPIError as exc:
        if not lost_connection(exc):
            raise
        db.session.rollback()


def end_transaction_quietly(exc=None):
    """Close (not roll back: that would expire what the caller still holds) the session; a
    connection that died unnoticed fails the first close, is invalidated, and the second
    has nothing left to send. A request that never used the database (a cached page) has
    no session to close."""
    if not db.session.registry.has():
        return
    try:
        db.session.close()
    except sa.exc.DBAPIError as exc:
        if not lost_connection(exc):
            raise
        db.session.close()


def retry_once_on_lost_connection(dispatch):
    @functools.wraps(dispatch)
    def dispatch_request():
        setattr(g, COMMIT_SENT, False)
        try:
            return dispatch()
        except sa.exc.DBAPIError as exc:
            if not lost_connection(exc):
                raise
            discard_transaction()
            if getattr(g, COMMIT_SENT):
                raise
        log.warning("A request lost its database connection; running it once more.")
        try:
            return dispatch()
        except sa.exc.DBAPIError as exc:
            if lost_connection(exc):
                discard_transaction()
            raise

    return dispatch_request


def init_app(app):
    """After `db.init_app`: Flask runs teardown functions last-registered first, so the
    transaction is ended here before Flask-SQLAlchemy removes the session."""
    app.dispatch_request = retry_once_on_lost_connection(app.dispatch_request)
    app.teardown_appcontext(end_transaction_quietly)
