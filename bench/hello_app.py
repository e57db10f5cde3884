"""The bare baselines for bench/load.py, served by the same gunicorn as Sala: a Flask
"hello", and a Flask POST that writes one row and commits (the least any request that
saves something costs, on the same database as Sala)."""

import os

import sqlalchemy as sa
from flask import Flask

app = Flask(__name__)
engine = sa.create_engine(os.environ["SALA_SQLALCHEMY_DATABASE_URI"])
# Created by bench/load.py before this app starts.
rows = sa.table("bench_write", sa.column("value"))
if engine.dialect.name == "sqlite":
    # As Sala runs SQLite (app/sqlite.py): WAL, one fsync less per commit, writers wait.
    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=20000"):
            dbapi_connection.execute(f"PRAGMA {pragma}")


@app.get("/")
def hello():
    return "hello"


@app.get("/bytes/<int:size>")
def sized(size):
    """A body as large as a page's (bench/overhead.py): what sending it costs alone."""
    return b"x" * min(size, 1 << 20)


@app.post("/write")
def write():
    with engine.begin() as conn:
        conn.execute(rows.insert().values(value="x"))
    return "", 204
