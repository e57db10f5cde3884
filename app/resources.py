"""Where the database migrations and the translation catalogs are.

In a checkout (and an editable install) they sit at the top of the repository beside app/,
as the design lays it out. A wheel has no such top: setup.py copies them into the package,
as app/migrations and app/translations (with the catalogs compiled), so an installed Sala
finds them there. Everything that reads them asks here."""

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def bundled(name):
    """The folder `name` inside the installed package, else at the top of the checkout."""
    inside = PACKAGE / name
    return inside if inside.is_dir() else PACKAGE.parent / name


MIGRATIONS = bundled("migrations")
TRANSLATIONS = bundled("translations")
