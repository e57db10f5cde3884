"""Corrupt and missing files: the health check reads what the app needs, and a broken
instance folder, mail folder or database file is told in one line that says what is wrong
and what to do, by `sala init`, `sala worker` and the site. Real files, real processes."""

import os
import subprocess

import pytest
import sqlalchemy as sa
from test_cli import SALA

from app import create_app
from app.extensions import db
from app.models import Event, Registration, utcnow


def sqlite_app(path, **config):
    return create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"}
        | config
    )


def filled_database(path, registrations=3000):
    app = sqlite_app(path)
    with app.app_context():
        db.create_all()
        event = Event(slug="s", state="published", starts_at=utcnow(), texts={})
        db.session.add(event)
        db.session.flush()
        for i in range(registrations):
            db.session.add(
                Registration(
                    event_id=event.id, email=f"p{i}@example.org", email_key=f"p{i}", name="P"
                )
            )
        db.session.commit()
        db.engine.dispose()


def health(path):
    app = sqlite_app(path)
    with app.app_context():
        response = app.test_client().get("/healthz")
        db.engine.dispose()
    return response


def test_healthz_is_not_ok_on_a_partly_corrupt_sqlite_file(tmp_path):
    path = tmp_path / "sala.sqlite"
    filled_database(path)
    assert health(path).json == {"status": "ok", "database": "ok"}
    size = path.stat().st_size
    with path.open("r+b") as f:  # garbage over a stretch of pages past the schema
        f.seek(size // 2)
        f.write(os.urandom(16 * 4096))
    response = health(path)
    assert response.status_code == 503
    assert response.json["status"] == "error"
    assert response.json["database"].startswith("error")


def test_healthz_is_not_ok_when_a_table_is_missing(tmp_path):
    path = tmp_path / "sala.sqlite"
    filled_database(path, registrations=1)
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE outbox_message"))
    engine.dispose()
    response = health(path)
    assert response.status_code == 503 and response.json["status"] == "error"


def test_a_registrants_export_that_fails_midway_is_an_error_not_a_short_file(tmp_path):
    from support import PASSWORD, create_user

    path = tmp_path / "sala.sqlite"
    filled_database(path)
    app = sqlite_app(path, WTF_CSRF_ENABLED=False, PROPAGATE_EXCEPTIONS=False)
    with app.app_context():
        create_user("organizer@example.org", "admin")
        db.engine.dispose()
    client = app.test_client()
    client.post("/login", data={"email": "organizer@example.org", "password": PASSWORD})
    whole = client.get("/admin/events/1/registrants.csv")
    assert whole.status_code == 200 and whole.text.count("@example.org") == 3000
    with app.app_context():
        db.engine.dispose()
    size = path.stat().st_size
    with path.open("r+b") as f:  # registrations past the first thousands are unreadable
        f.seek(size * 2 // 3)
        f.write(os.urandom(8 * 4096))
    cut = client.get("/admin/events/1/registrants.csv")
    assert cut.status_code == 500
    assert cut.mimetype == "text/html" and "@example.org" not in cut.text
    assert "Something went wrong" in cut.text
