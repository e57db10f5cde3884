"""The worked example plugin (examples/sala-plugin-example) is a real, separate distribution:
pip builds and installs it into a temporary folder (offline, no build isolation), and a Sala
started in another process with that folder on its path finds it through the entry point,
lists it as enabled, serves its page in English and in Khmer (its own catalog), shows its
nav link and its box in the session page's sidebar, obeys its setting, and leaves it all out
when SALA_PLUGINS does not name it; `sala init` makes its own table through its own
migration, and the note it keeps there shows beside the session."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy
from support import ROOT

EXAMPLE = ROOT / "examples" / "sala-plugin-example"
BIN = Path(sys.executable).parent

# Runs in the subprocess: builds an app through the factory and reports what a visitor sees.
VISIT = textwrap.dedent(
    """
    import json
    from datetime import timedelta

    from app import create_app
    from app.extensions import db
    from app.models import Event, utcnow
    from sala_plugin_example.models import set_note  # the plugin's own table

    SLUG = "partner-session"
    app = create_app({"TESTING": True, "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
        event = Event(slug=SLUG, state="published", starts_at=utcnow() + timedelta(days=9))
        event.set_text("en", title="Planning together")
        event.set_text("km", title="រៀបចំផែនការជាមួយគ្នា")
        db.session.add(event)
        db.session.flush()
        set_note(event, "Bring your questions.")
        db.session.commit()
    client = app.test_client()

    def get(path):
        response = client.get(path)
        return {"status": response.status_code, "html": response.get_data(as_text=True)}

    print(json.dumps({
        "page_en": get("/partner?lang=en"),
        "page_km": get("/partner?lang=km"),
        "session": get(f"/s/{SLUG}?lang=en"),
        "session_km": get(f"/s/{SLUG}?lang=km"),
        "css": get("/static/example/example.css")["status"],
    }))
    """
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The example, built and installed by pip into a folder of its own."""
    work = tmp_path_factory.mktemp("example-plugin")
    source = work / "source"
    shutil.copytree(
        EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "*.mo", "__pycache__")
    )
    target = work / "site"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"]
        + ["--no-build-isolation", "--target", str(target), str(source)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (target / "sala_plugin_example" / "templates" / "example" / "page.html").is_file()
    assert list(target.glob("sala_plugin_example-0.1.0.dist-info"))
    return target


def environment(site, tmp_path, **extra):
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "SALA_INSTANCE_PATH": str(tmp_path / "instance"),
        "SALA_SECRET_KEY": "example-test-" + "k" * 32,  # production refuses short keys
        "SALA_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'example.sqlite'}",
    }
    env.pop("SALA_PLUGINS", None)
    env.update(extra)
    return env


def visit(env):
    result = subprocess.run(
        [sys.executable, "-c", VISIT], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def sala_plugins(env):
    result = subprocess.run(
        [str(BIN / "sala"), "plugins"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return next(line for line in result.stdout.splitlines() if line.startswith("example "))


def test_installed_example_plugin_works_end_to_end(site, tmp_path):
    env = environment(site, tmp_path)
    line = sala_plugins(env)
    assert "sala-plugin-example 0.1.0" in line and " enabled " in line
    for hook in ("sala_blueprints", "sala_nav_links", "sala_template_slot"):
        assert hook in line

    seen = visit(env)
    page = seen["page_en"]
    assert page["status"] == 200
    assert "<h1>Partner corner</h1>" in page["html"]
    assert "Every voice counts." in page["html"]  # the setting's default
    assert 'href="/partner"' in page["html"]  # the nav link
    assert 'href="/static/example/example.css"' in page["html"]  # the head slot
    assert seen["css"] == 200
    assert 'href="/s/partner-session"' in page["html"]  # the page reads the core's sessions
    # Khmer, from the plugin's own catalog (compiled from its .po when it loaded).
    km = seen["page_km"]["html"]
    assert '<html lang="km"' in km
    assert "<h1>ជ្រុងដៃគូ</h1>" in km and "Partner corner" not in km
    # The slot beside the session page, in both languages.
    assert "Our partners support this session." in seen["session"]["html"]
    assert "ដៃគូរបស់យើងគាំទ្រកិច្ចប្រជុំនេះ។" in seen["session_km"]["html"]
    assert '<p class="example-note">Bring your questions.</p>' in seen["session"]["html"]


def tables_and_versions(env, tmp_path):
    result = subprocess.run(
        [str(BIN / "sala"), "init"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    engine = sqlalchemy.create_engine(env["SALA_SQLALCHEMY_DATABASE_URI"])
    with engine.connect() as conn:
        tables = set(sqlalchemy.inspect(conn).get_table_names())
        versions = set(conn.scalars(sqlalchemy.text("SELECT version_num FROM alembic_version")))
    engine.dispose()
    return tables, versions


def test_sala_init_makes_the_plugins_own_table_through_its_migration(site, tmp_path):
    on = environment(site, tmp_path, SALA_BASE_URL="https://sala.example.org")
    tables, versions = tables_and_versions(on, tmp_path)
    assert "example_note" in tables and "3c0ffee0e9a1" in versions
    off = {**on, "SALA_PLUGINS": "moderation,smtp"}
    off["SALA_SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'without.sqlite'}"
    tables, versions = tables_and_versions(off, tmp_path)
    assert "example_note" not in tables and "3c0ffee0e9a1" not in versions


def test_the_setting_changes_the_page(site, tmp_path):
    seen = visit(environment(site, tmp_path, SALA_EXAMPLE_MOTTO="Justice first, together."))
    html = seen["page_en"]["html"]
    assert "Justice first, together." in html and "Every voice counts." not in html


def test_sala_plugins_without_it_switches_it_off(site, tmp_path):
    env = environment(site, tmp_path, SALA_PLUGINS="moderation,smtp")
    assert " disabled " in sala_plugins(env)
    seen = visit(env)
    assert seen["page_en"]["status"] == 404
    assert "Partner corner" not in seen["session"]["html"]
    assert "Our partners support this session." not in seen["session"]["html"]
    assert seen["css"] == 404
