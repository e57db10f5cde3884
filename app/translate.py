"""`sala translate extract | update | compile | init`: pybabel with the project's babel.cfg.

One catalog for the core and the bundled plugins: translations/<lang>/LC_MESSAGES/messages.po,
made from translations/messages.pot. Adding a language is adding a catalog (`sala translate
init de`, translate, `sala translate compile`) and listing it in LANGUAGES."""

import contextlib
from pathlib import Path

import click
from babel.messages.frontend import BaseError, CommandLineInterface
from flask.cli import with_appcontext
from flask_babel import gettext as _

from .i18n import TRANSLATIONS

ROOT = TRANSLATIONS.parent
POT = TRANSLATIONS / "messages.pot"
KEYWORDS = ["-k", "_l", "-k", "lazy_gettext"]


def pybabel(*args):
    """Run one pybabel command in-process; returns its exit status (0: fine)."""
    try:
        return CommandLineInterface().run(["pybabel", "-q", *args]) or 0
    except BaseError:  # `update --check` when a catalog is behind
        return 1
    except SystemExit as stop:  # pybabel exits on bad arguments and on `update --check`
        return stop.code if isinstance(stop.code, int) else 1


def extract(pot=POT, root=ROOT):
    """Every message of app/ and plugins/ into the template `pot` (paths relative to the
    project, so catalogs do not change with where it is checked out)."""
    with contextlib.chdir(root):
        return pybabel(
            "extract",
            "-F",
            "babel.cfg",
            *KEYWORDS,
            "--sort-by-file",
            "--width",
            "100",
            "--project",
            "Sala",
            "-o",
            str(pot),
            ".",
        )


def catalogs(directory=TRANSLATIONS):
    """The languages that have a catalog: {code: path of its messages.po}."""
    return {
        po.parent.parent.name: po
        for po in sorted(Path(directory).glob("*/LC_MESSAGES/messages.po"))
    }


def update(pot=POT, directory=TRANSLATIONS, check=False):
    """Bring every catalog in line with the template; new messages arrive untranslated.
    With `check`, change nothing and fail (non-zero) if a catalog is behind the code."""
    args = ["update", "-N", "--ignore-obsolete", "-i", str(pot), "-d", str(directory)]
    if check:
        args.append("--check")
    return pybabel(*args, "--width", "100")


def behind(pot=POT, directory=TRANSLATIONS):
    """{language: messages of the code its catalog does not have yet}. Only the messages
    count, not their line numbers, so moving code around does not put a catalog behind."""
    from babel.messages.pofile import read_po

    with open(pot, "rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    missing = {}
    for lang, po in catalogs(directory).items():
        with po.open("rb") as f:
            have = {m.id for m in read_po(f, locale=lang) if m.id}
        missing[lang] = sorted((w if isinstance(w, str) else w[0]) for w in wanted - have)
    return missing


def compile_catalogs(directory=TRANSLATIONS):
    """.po to .mo for every language (the .mo files are built, never committed)."""
    return pybabel("compile", "-d", str(directory))


def init(lang, pot=POT, directory=TRANSLATIONS):
    return pybabel("init", "-i", str(pot), "-d", str(directory), "-l", lang, "--width", "100")


@click.group("translate")
def translate_group():
    """Translation catalogs: extract the messages, update and compile the catalogs."""


def _done(status, ok_message):
    if status:
        raise click.ClickException(_("pybabel failed (exit status %(status)s).", status=status))
    click.echo(ok_message)


@translate_group.command("extract")
@with_appcontext
def extract_command():
    """Collect every message of the code into translations/messages.pot."""
    _done(extract(), _("Messages extracted to %(path)s.", path=POT))


@translate_group.command("update")
@click.option("--check", is_flag=True, help="Change nothing; fail if a catalog is behind.")
@with_appcontext
def update_command(check):
    """Extract, then merge new messages into every catalog (they arrive untranslated)."""
    _done(extract(), _("Messages extracted to %(path)s.", path=POT))
    if check:
        late = {lang: ids for lang, ids in behind().items() if ids}
        for lang, ids in late.items():
            for msgid in ids:
                click.echo(f"{lang}: {msgid}")
        if late:
            raise click.ClickException(
                _("Some catalogs are behind the code: run “sala translate update”.")
            )
        click.echo(_("Catalogs up to date: %(languages)s.", languages=", ".join(catalogs())))
        return
    status = update()
    _done(status, _("Catalogs up to date: %(languages)s.", languages=", ".join(catalogs())))


@translate_group.command("compile")
@with_appcontext
def compile_command():
    """Compile every catalog (.po) into the .mo files the site reads."""
    _done(
        compile_catalogs(), _("Catalogs compiled: %(languages)s.", languages=", ".join(catalogs()))
    )


@translate_group.command("init")
@click.argument("lang")
@with_appcontext
def init_command(lang):
    """Start a catalog for a new language (a code such as de or pt_BR)."""
    if lang in catalogs():
        raise click.ClickException(_("There is already a catalog for %(lang)s.", lang=lang))
    status = extract()
    if not status:
        status = init(lang)
    _done(
        status,
        _(
            "Catalog started: %(path)s. Translate it, run “sala translate compile”, and add "
            "“%(lang)s” to LANGUAGES.",
            path=TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po",
            lang=lang,
        ),
    )
