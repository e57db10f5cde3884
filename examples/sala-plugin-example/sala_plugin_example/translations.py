"""The plugin's gettext catalogs. Only the .po sources are shipped; the .mo files Flask-Babel
reads are compiled from them when the plugin loads (and again whenever a .po is newer), into
the package when it is writable, else into a cache folder of the user running Sala."""

import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

SOURCE = Path(__file__).resolve().parent / "translations"


def _compile(target):
    for po in SOURCE.glob("*/LC_MESSAGES/messages.po"):
        mo = target / po.relative_to(SOURCE).with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as f:
            catalog = read_po(f, locale=po.parent.parent.name)
        partial = mo.with_name(f".{mo.name}.{os.getpid()}")
        with partial.open("wb") as f:
            write_mo(f, catalog)
        partial.replace(mo)  # atomic: another process never reads half a file


def catalog_dir():
    """The folder to give Flask-Babel: <dir>/<lang>/LC_MESSAGES/messages.mo."""
    try:
        _compile(SOURCE)
        return SOURCE
    except OSError:  # installed read-only (a system package, a container image)
        cache = Path(os.environ.get("XDG_CACHE_HOME") or tempfile.gettempdir())
        target = cache / f"sala-plugin-example-{os.getuid()}" / "translations"
        _compile(target)
        return target
