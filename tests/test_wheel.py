"""Sala installed from its wheel, as a partner would install a release: the sdist and the
wheel are built from a copy of the source (no compiled catalogs in it), the wheel is
installed by pip into a fresh virtual environment, and everything then runs from a folder
with no checkout in it: `sala init`, `sala demo`, and gunicorn serving the session page in
Khmer, its words from the catalog the build compiled."""

import os
import re
import shutil
import subprocess
import sys
import urllib.request
import venv
import zipfile

import pytest
from babel.messages.pofile import read_po
from support import ROOT, free_port, served

# What a fresh clone lacks: local environments, builds, caches, compiled catalogs, data.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*.py[co]",
    "*.mo",
    "instance",
    "test-artifacts",
    ".*_cache",
)


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_IN_A_CLONE)
    # sdist first, then the wheel from the sdist (what `python -m build` does): a file the
    # sdist forgets is missing from the wheel too. No isolation: this venv's setuptools and
    # Babel build it, offline.
    run([sys.executable, "-m", "build", "--no-isolation", "-o", str(work / "dist"), str(source)])
    (built,) = (work / "dist").glob("sala-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """A fresh virtual environment with the wheel (and its dependencies) installed by pip."""
    env_dir = tmp_path_factory.mktemp("venv") / "sala"
    venv.create(env_dir, with_pip=True)
    run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)])
    return env_dir / "bin"


@pytest.fixture
def elsewhere(tmp_path):
    """A working folder with no checkout in it, and an environment with nothing pointing
    back at this one."""
    folder = tmp_path / "site"
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SALA_", "PYTHON"))}
    env.update(
        SALA_INSTANCE_PATH=str(folder / "instance"),
        SALA_SECRET_KEY="wheel-test-" + "k" * 32,
        LANG="C.UTF-8",
    )
    return folder, env


def test_the_wheel_installs_only_the_packages_and_carries_their_data(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.startswith("sala-")}
    assert top == {"app", "plugins"}
    assert "app/migrations/env.py" in names and "app/migrations/alembic.ini" in names
    assert any(n.startswith("app/migrations/versions/") and n.endswith(".py") for n in names)
    for lang in ("km", "fr"):
        assert f"app/translations/{lang}/LC_MESSAGES/messages.mo" in names


def test_installed_sala_initializes_loads_the_demo_and_serves_khmer(installed, elsewhere):
    folder, env = elsewhere
    where = run([str(installed / "python"), "-c", "import app; print(app.__file__)"], cwd=folder)
    assert where.startswith(str(installed.parent)), where  # not this checkout

    port = free_port()
    env["SALA_BASE_URL"] = f"http://127.0.0.1:{port}"
    sala = str(installed / "sala")
    assert "The database is ready" in run([sala, "init"], cwd=folder, env=env)
    # Outside development the demo asks for --force (its accounts have known passwords).
    demo = run([sala, "demo", "--force"], cwd=folder, env=env)
    session_url = re.search(r"Demo session created: (\S+)", demo).group(1)

    gunicorn = [str(installed / "gunicorn"), "--bind", f"127.0.0.1:{port}", "app:create_app()"]
    health = f"http://127.0.0.1:{port}/healthz"
    with served(gunicorn, health, folder / "gunicorn.log", cwd=folder, env=env):
        request = urllib.request.Request(session_url, headers={"Accept-Language": "km"})
        with urllib.request.urlopen(request, timeout=30) as response:
            page = response.read().decode()

    assert '<html lang="km">' in page
    # Words of the interface, not of the demo's own Khmer texts: from the compiled catalog.
    with (ROOT / "translations" / "km" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        khmer = read_po(f, locale="km")
    assert khmer["Add to calendar"].string in page
    assert "Add to calendar" not in page
