"""The `sala` command, run as an organizer runs it: the venv's `sala` executable in a
subprocess, on a temporary instance directory and SQLite file."""

import os
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from support import PASSWORD

from app import create_app
from app.demo import SLUG
from app.demo_concluded import SLUG as CONCLUDED_SLUG
from app.extensions import db
from app.models import AuditEntry, Event, User, utcnow
from app.schema import script_directory

SALA = Path(sys.executable).with_name("sala")
if not SALA.exists():  # pragma: no cover - pytest run from outside the venv
    SALA = Path(shutil.which("sala") or "sala")
ACCOUNT_LINE = re.compile(r"Demo (\w+): (\S+), password: (\S+)")


@pytest.fixture
def instance(tmp_path):
    """A fresh instance: its own directory and SQLite file, reached only through the
    environment, as on a server."""
    directory = tmp_path / "instance"
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALA_")}
    env.update(
        SALA_DEV="1",
        SALA_INSTANCE_PATH=str(directory),
        SALA_SQLALCHEMY_DATABASE_URI=url,
        LANG="C.UTF-8",
    )

    class Instance:
        path = directory
        database_url = url

        def run(self, *args, input=None, check=True, **extra_env):
            result = subprocess.run(
                [str(SALA), *args],
                input=input,
                capture_output=True,
                text=True,
                env={**env, **extra_env},
                timeout=120,
            )
            if check:
                assert result.returncode == 0, result.stderr + result.stdout
            return result

        def app(self):
            return create_app(
                {
                    "TESTING": True,
                    "SECRET_KEY": "x",
                    "SQLALCHEMY_DATABASE_URI": url,
                    "WTF_CSRF_ENABLED": False,
                }
            )

    return Instance()


def test_sala_init_creates_the_database_and_is_safe_to_run_again(instance):
    first = instance.run("init")
    assert "The database is ready: sqlite:///" in first.stdout
    assert (instance.path / "secret_key").exists()  # the instance path was used
    instance.run("user", "create", "keep@example.org", "--role", "admin", input=PASSWORD + "\n")

    second = instance.run("init")
    assert "The database is ready" in second.stdout
    engine = sa.create_engine(instance.database_url)
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        assert {"event", "registration", "idea", "outbox_message", "user"} <= tables
        versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
        versions = sorted(versions)
        emails = conn.execute(sa.text('SELECT email FROM "user"')).scalars().all()
    engine.dispose()
    assert emails == ["keep@example.org"]  # nothing lost on the second run
    with instance.app().app_context():  # at the head of the core and of each plugin's branch
        assert versions == sorted(script_directory().get_heads())
        assert len(versions) == 2  # the core's and the Zoom plugin's


def test_sala_demo_twice_gives_one_session_and_the_same_passwords(instance):
    instance.run("init")
    first = instance.run("demo")
    second = instance.run("demo")
    assert f"Demo session created: http://127.0.0.1:5000/s/{SLUG}" in first.stdout
    assert f"The demo session is already there: http://127.0.0.1:5000/s/{SLUG}" in second.stdout
    accounts = ACCOUNT_LINE.findall(first.stdout)
    assert [role for role, _, _ in accounts] == ["admin", "moderator"]
    assert ACCOUNT_LINE.findall(second.stdout) == accounts
    assert all(len(password) >= 12 for _, _, password in accounts)

    app = instance.app()
    with app.app_context():
        events = {e.slug: e for e in db.session.scalars(sa.select(Event))}
        assert set(events) == {SLUG, CONCLUDED_SLUG}  # the upcoming session, and one over
        event = events[SLUG]
        now = utcnow()
        assert now + timedelta(weeks=2) < event.starts_at < now + timedelta(weeks=6)
        assert event.state == "published" and event.is_demo
        assert event.registration_opens_at <= now < event.registration_closes_at
        assert event.ideas_open_at <= now < event.ideas_close_at
        assert event.join_url and event.join_passcode

        client = app.test_client()
        english = client.get(f"/s/{SLUG}?lang=en").text
        assert "This is a demonstration session" in english
        assert "Cambodia after the 2023 election" in english
        khmer = client.get(f"/s/{SLUG}?lang=km").text
        assert "កម្ពុជាក្រោយការបោះឆ្នោតឆ្នាំ 2023" in khmer

        # The printed organizer password signs in.
        (_, email, password) = accounts[0]
        client.post("/login", data={"email": email, "password": password})
        assert client.get("/admin/").status_code == 200
        db.engine.dispose()


def test_sala_user_create_reads_the_password_from_standard_input(instance):
    instance.run("init")
    created = instance.run(
        "user", "create", "Chair@Example.org", "--role", "admin", input=PASSWORD + "\n"
    )
    assert "User chair@example.org created with the role admin." in created.stdout

    duplicate = instance.run(
        "user", "create", "CHAIR@example.org", input=PASSWORD + "\n", check=False
    )
    assert duplicate.returncode == 1
    assert "A user with the email chair@example.org already exists." in duplicate.stderr

    short = instance.run("user", "create", "short@example.org", input="tooshort\n", check=False)
    assert short.returncode == 1
    assert "The password must have at least 10 characters." in short.stderr

    app = instance.app()
    with app.app_context():
        users = db.session.scalars(sa.select(User)).all()
        assert [(u.email, u.role) for u in users] == [("chair@example.org", "admin")]
        assert users[0].check_password(PASSWORD)
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.create"))
        assert entry.detail == {"role": "admin", "via": "cli"}
        db.engine.dispose()


def test_sala_user_create_in_process(app, runner):
    result = runner.invoke(
        args=["user", "create", "mod@example.org", "--role", "moderator"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "mod@example.org"))
    assert user.role == "moderator" and user.check_password("a long enough password")
    bad_role = runner.invoke(args=["user", "create", "x@example.org", "--role", "king"])
    assert bad_role.exit_code == 2


def test_sala_plugins_lists_the_bundled_plugins(instance):
    output = instance.run("plugins").stdout
    rows = {line.split()[0]: line for line in output.splitlines() if line.strip()}
    for name in ("moderation", "smtp", "zoom"):
        assert name in rows, output
        assert re.search(rf"^{name}\s+sala 0\.1\.0\s+enabled\b", rows[name]), rows[name]
    assert "sala_email_provider" in rows["smtp"]

    only_smtp = instance.run("plugins", SALA_PLUGINS="smtp").stdout
    rows = {line.split()[0]: line for line in only_smtp.splitlines() if line.strip()}
    assert re.search(r"\benabled\b", rows["smtp"])
    assert re.search(r"\bdisabled\b", rows["moderation"])
    assert re.search(r"\bdisabled\b", rows["zoom"])


def test_flask_commands_are_there_too(instance):
    routes = instance.run("routes").stdout
    assert "sessions.event_state" in routes and "/healthz" in routes


def test_sala_demo_replaces_a_kept_password_that_does_not_match(instance):
    """instance/demo-accounts.txt written against another database must not make `sala demo`
    print a login that does not work."""
    instance.run("init")
    instance.path.mkdir(exist_ok=True)
    (instance.path / "demo-accounts.txt").write_text(
        "organizer@demo.sala.invalid stale-password-1\nmoderator@demo.sala.invalid stale-2\n"
    )
    instance.run("user", "create", "organizer@demo.sala.invalid", "--role", "admin", input=PASSWORD)
    (_, email, password), _ = ACCOUNT_LINE.findall(instance.run("demo").stdout)
    assert password != "stale-password-1"
    app = instance.app()
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assert user.check_password(password)
        db.engine.dispose()


@pytest.mark.parametrize(
    ("lang", "words"), [("C.UTF-8", "SECRET_KEY is not set"), ("km_KH.UTF-8", "SECRET_KEY")]
)
def test_without_a_secret_key_every_command_says_so_in_one_line(instance, lang, words):
    for args in (["init"], ["worker", "--once"], ["user", "create", "x@example.org"]):
        result = instance.run(*args, check=False, SALA_DEV="0", LANG=lang)
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        (line,) = result.stderr.strip().splitlines()
        assert words in line and "SALA_SECRET_KEY" in line
        if lang.startswith("km"):
            assert re.search("[\u1780-\u17ff]", line), line  # said in Khmer


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["user", "create", "--help"],
        ["translate", "--help"],
        ["translate", "compile"],
        ["plugins"],
    ],
)
def test_help_and_commands_that_sign_nothing_need_no_secret_key(instance, args):
    result = instance.run(*args, check=False, SALA_DEV="0")
    assert result.returncode == 0, result.stderr
    assert "SECRET_KEY" not in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.strip()
    assert not (instance.path / "secret_key").exists()  # production: none made up either


def test_demo_prints_the_address_sala_run_serves(instance):
    """`make run PORT=5101` tells `sala demo` where `sala run` serves (FLASK_RUN_*)."""
    instance.run("init")
    out = instance.run("demo", FLASK_RUN_PORT="5101").stdout
    assert re.search(r"Demo session created: http://127\.0\.0\.1:5101/s/\S+", out), out


def test_production_commands_refuse_to_start_without_base_url(instance):
    result = instance.run("worker", "--once", check=False, SALA_DEV="0", SALA_SECRET_KEY="k" * 64)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "BASE_URL is not set" in line and "SALA_BASE_URL" in line


EXAMPLE_KEY = re.search(
    r"^SALA_SECRET_KEY=(.*)$",
    (Path(__file__).parent.parent / "deploy" / "env.example").read_text(),
    re.M,
).group(1)


@pytest.mark.parametrize(
    ("key", "words"),
    [
        (EXAMPLE_KEY, "example value of deploy/env.example"),
        ("0123456789abcdef" * 1 + "x", "too short"),
    ],
    ids=["example-key", "short-key"],
)
@pytest.mark.parametrize("lang", ["C.UTF-8", "km_KH.UTF-8"])
def test_a_weak_secret_key_is_refused_in_one_line(instance, key, words, lang):
    result = instance.run("plugins", check=False, SALA_DEV="0", SALA_SECRET_KEY=key, LANG=lang)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "SALA_SECRET_KEY" in line
    if lang.startswith("km"):
        assert re.search("[\u1780-\u17ff]", line), line  # said in Khmer
    else:
        assert words in line, line
    # A real key of 32 bytes or more is accepted.
    strong = instance.run("plugins", check=False, SALA_DEV="0", SALA_SECRET_KEY="k" * 32)
    assert strong.returncode == 0, strong.stderr


def test_sala_demo_refuses_outside_development_unless_forced(instance):
    instance.run("init")
    production = {
        "SALA_DEV": "0",
        "SALA_SECRET_KEY": "k" * 64,
        "SALA_BASE_URL": "http://127.0.0.1:5000",
    }
    refused = instance.run("demo", check=False, **production)
    assert refused.returncode == 1
    (line,) = refused.stderr.strip().splitlines()
    assert "only in development" in line and "--force" in line
    app = instance.app()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0
        db.engine.dispose()

    forced = instance.run("demo", "--force", **production)
    assert f"Demo session created: http://127.0.0.1:5000/s/{SLUG}" in forced.stdout
