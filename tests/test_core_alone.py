"""Sala's core needs none of its bundled plugins: in an environment where plugin discovery
yields none of moderation, smtp and zoom (a copy of the core beside the installed
libraries, without the `plugins` package or Sala's own entry points), `sala init` makes a
fresh database with the core's tables only, a page is served, and the core's own tests
(those marked `core_alone`) pass. The same environment is how to try the core alone:
docs/plugins.md, "Running the core alone"."""

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest
from support import ROOT

CORE = ("app", "migrations", "translations", "tests", "wsgi.py", "pyproject.toml", "babel.cfg")
# Sala's own distribution: its entry points name the bundled plugins, its finder maps them.
SALA_DISTRIBUTION = ("sala-", "sala.", "__editable__", "_sala")

INIT_AND_SERVE = textwrap.dedent(
    """
    import json, sys
    import sqlalchemy as sa
    from app import create_app
    from app.extensions import db
    from app.plugins import plugin_state
    from app.schema import script_directory, upgrade_database

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": sys.argv[1]})
    with app.app_context():
        upgrade_database(db.engine)
        with db.engine.connect() as conn:
            tables = sorted(sa.inspect(conn).get_table_names())
            versions = sorted(conn.scalars(sa.text("SELECT version_num FROM alembic_version")))
        heads = sorted(script_directory().get_heads())
    page = app.test_client().get("/")
    print(json.dumps({
        "installed": [p.name for p in plugin_state(app).installed],
        "tables": tables,
        "versions": versions,
        "heads": heads,
        "status": page.status_code,
        "html": page.get_data(as_text=True),
    }))
    """
)


@pytest.fixture(scope="module")
def core_alone(tmp_path_factory):
    """A copy of the core, and a folder that links every installed library but Sala itself."""
    work = tmp_path_factory.mktemp("core-alone")
    core = work / "core"
    core.mkdir()
    for name in CORE:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, core / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, core / name)
    libraries = work / "libraries"
    libraries.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(SALA_DISTRIBUTION) and entry.suffix != ".pth":
            (libraries / entry.name).symlink_to(entry)
    return core, libraries


def run_alone(core_alone, *args, timeout=600):
    core, libraries = core_alone
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SALA_", "PYTHON"))}
    env.update(PYTHONPATH=f"{core}{os.pathsep}{libraries}", LANG="C.UTF-8")
    env["SALA_INSTANCE_PATH"] = str(core / "instance")
    # -S: no site-packages and no .pth files, so nothing of Sala's install is seen.
    return subprocess.run(
        [sys.executable, "-S", *args],
        cwd=core,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_sala_init_and_a_page_without_any_bundled_plugin(core_alone, tmp_path):
    import json

    script = tmp_path / "init_and_serve.py"
    script.write_text(INIT_AND_SERVE)
    result = run_alone(core_alone, str(script), f"sqlite:///{tmp_path / 'alone.sqlite'}")
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["installed"] == []
    assert seen["status"] == 200 and "Sala" in seen["html"]
    assert not [t for t in seen["tables"] if t.startswith("zoom")]
    assert {"event", "registration", "idea", "outbox_message"} <= set(seen["tables"])
    assert seen["versions"] == seen["heads"] and len(seen["heads"]) == 1  # the core's only


def marked_modules():
    """The test modules marked `core_alone` (collecting the others would import plugins)."""
    mark = "pytestmark = pytest.mark.core_alone"
    return sorted(
        f"tests/{p.name}" for p in (ROOT / "tests").glob("test_*.py") if mark in p.read_text()
    )


def test_the_cores_own_tests_pass_without_any_bundled_plugin(core_alone):
    modules = marked_modules()
    assert "tests/test_migrations.py" in modules  # the core's schema, from its migrations alone
    result = run_alone(
        core_alone,
        *("-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", "-m", "core_alone"),
        *modules,
        timeout=1200,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
