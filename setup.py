"""Everything about the package is in pyproject.toml; this file only adds one build step.

The repository keeps migrations/ and translations/ at its top, beside app/ (the design's
layout). A wheel installs packages only, so the build copies both into the package, as
app/migrations and app/translations, and compiles the catalogs (.mo files are built, never
committed). app/resources.py finds them in either place. An editable install reads them from
the checkout and skips this step."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


def compile_catalogs(directory):
    """Each messages.po into the messages.mo Flask-Babel reads (fuzzy entries left out, as
    `pybabel compile` does); the sources stay behind."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as f:
            catalog = read_po(f, locale=po.parent.parent.name)
        with po.with_suffix(".mo").open("wb") as f:
            write_mo(f, catalog)
        po.unlink()


class build_py_with_data(build_py):
    def run(self):
        super().run()
        if self.editable_mode:
            return
        package = Path(self.build_lib) / "app"
        skip = shutil.ignore_patterns("__pycache__", "*.py[co]", "*.mo", "*.pot", "*.md")
        for name in ("migrations", "translations"):
            shutil.rmtree(package / name, ignore_errors=True)  # a previous build's leftovers
            shutil.copytree(HERE / name, package / name, ignore=skip)
        compile_catalogs(package / "translations")


setup(cmdclass={"build_py": build_py_with_data})
