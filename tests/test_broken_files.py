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
    assert cut.status_code == 503  # the damaged database is said, not a short file
    assert cut.mimetype == "text/html" and "@example.org" not in cut.text


def sala(tmp_path, *args, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALA_")}
    env.update(
        SALA_DEV="1",
        SALA_INSTANCE_PATH=str(tmp_path / "instance"),
        SALA_SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'sala.sqlite'}",
        LANG="C.UTF-8",
    )
    env.update(extra)
    return subprocess.run([str(SALA), *args], capture_output=True, text=True, env=env, timeout=120)


def one_line(result):
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    return line


@pytest.mark.parametrize("command", [["init"], ["worker", "--once"]])
def test_an_instance_path_that_is_a_file_is_said_in_one_line(tmp_path, command):
    (tmp_path / "instance").write_text("not a folder")
    line = one_line(sala(tmp_path, *command))
    assert "instance folder" in line and "SALA_INSTANCE_PATH" in line


@pytest.mark.parametrize("command", [["init"], ["worker", "--once"], ["demo"]])
def test_a_garbage_database_file_is_said_in_one_line(tmp_path, command):
    (tmp_path / "sala.sqlite").write_bytes(os.urandom(20000))
    line = one_line(sala(tmp_path, *command))
    assert "file is not a database" in line and "restore it from a backup" in line


def test_the_worker_says_why_the_mail_folder_takes_no_mail(tmp_path):
    assert sala(tmp_path, "init").returncode == 0
    app = sqlite_app(tmp_path / "sala.sqlite")
    with app.app_context():
        from world import make_event

        from app.registration import domain

        domain.register(make_event(), email="dara@example.org", name="Dara", language="en")
        db.session.commit()
        db.engine.dispose()
    blocked = tmp_path / "mail"
    blocked.write_text("a file where the mail folder should be")
    result = sala(tmp_path, "worker", "--once", SALA_MAIL_FILE_DIR=str(blocked))
    assert "Traceback" not in result.stderr
    assert f"Mail files cannot be written to {blocked}" in result.stdout
    assert "Make the folder writable" in result.stdout
    assert "Sent 0, failed 0, left 1." in result.stdout  # kept, for the next round
    assert "dara@example.org" not in result.stdout + result.stderr


def test_the_site_on_a_garbage_database_answers_503_in_the_visitors_language(tmp_path, caplog):
    path = tmp_path / "sala.sqlite"
    path.write_bytes(os.urandom(20000))
    app = sqlite_app(path)
    client = app.test_client()
    with caplog.at_level("ERROR"):
        khmer = client.get("/", headers={"Accept-Language": "km"})
        english = client.get("/s/planning", headers={"Accept-Language": "en"})
    assert khmer.status_code == english.status_code == 503
    assert 'lang="km"' in khmer.text and "Temporarily unavailable" not in khmer.text
    assert "The site cannot reach its database right now." in english.text
    lines = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert lines and all("file is not a database" in line for line in lines)
    assert all("restore it from a backup" in line for line in lines)
    assert not any(r.exc_info for r in caplog.records)
