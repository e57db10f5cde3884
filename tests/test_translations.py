"""The catalogs keep up with the code: every message the code can show has a Khmer and a
French translation, none fuzzy, with the same placeholders as the English, and as many plural
forms as the language has."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|\{(\w+)\}")
# A placeholder the code fills in must survive translation whole: a stray "%(" or "{" in a
# translation (a typo such as "%(name)" or "{name") breaks formatting at run time.
BROKEN = re.compile(r"%\((?!\w+\)[sdif])|%[sdif]|\{(?!\w+\})")
CATALOG_LANGUAGES = ["km", "fr"]
PLURAL_FORMS = {"km": 1, "fr": 2}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "lazy_pgettext:1c,2",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        return read_po(f)


def catalog(lang):
    with (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=lang)


def placeholders(text):
    return sorted(a or b for a, b in PLACEHOLDER.findall(text))


def as_list(value):
    return list(value) if isinstance(value, tuple | list) else [value]


def catalog_problems(template, translations, lang):
    """What is wrong with a catalog against the extracted template, one line per message."""
    problems = []
    for message in template:
        if not message.id:
            continue
        found = translations.get(message.id, context=message.context)
        english = as_list(message.id)
        label = english[0][:70]
        if found is None or not all(as_list(found.string)):
            problems.append(f"untranslated: {label!r}")
            continue
        if found.fuzzy:
            problems.append(f"fuzzy: {label!r}")
        strings = as_list(found.string)
        if len(english) > 1 and len(strings) != PLURAL_FORMS[lang]:
            problems.append(f"{len(strings)} plural forms, not {PLURAL_FORMS[lang]}: {label!r}")
        for translated in strings:
            if placeholders(translated) != placeholders(english[-1]):
                problems.append(f"placeholders differ: {label!r}")
            elif len(BROKEN.findall(translated)) > len(BROKEN.findall(english[-1])):
                problems.append(f"broken placeholder: {label!r}")
    return problems


@pytest.mark.parametrize("lang", CATALOG_LANGUAGES)
def test_every_message_is_translated_with_matching_placeholders(template, lang):
    problems = catalog_problems(template, catalog(lang), lang)
    assert problems == [], f"{len(problems)} problems in {lang}:\n" + "\n".join(problems[:40])


def test_the_check_catches_each_kind_of_problem():
    english = Catalog()
    for msgid in ["Hello %(name)s", "Go to {page}", "Missing", "Fuzzy", "Stray %(n)d"]:
        english.add(msgid)
    english.add(("%(num)d idea", "%(num)d ideas"))
    french = Catalog(locale="fr")
    french.add("Hello %(name)s", "Bonjour %(nom)s")  # renamed placeholder
    french.add("Go to {page}", "Aller à {page")  # broken brace
    french.add("Fuzzy", "Flou", flags=["fuzzy"])
    french.add("Stray %(n)d", "Égaré %(n)d %(")
    french.add(("%(num)d idea", "%(num)d ideas"), ("%(num)d idée",))  # one form of two
    problems = catalog_problems(english, french, "fr")
    assert problems == [
        "placeholders differ: 'Hello %(name)s'",
        "placeholders differ: 'Go to {page}'",
        "untranslated: 'Missing'",
        "fuzzy: 'Fuzzy'",
        "broken placeholder: 'Stray %(n)d'",
        "1 plural forms, not 2: '%(num)d idea'",
    ]


@pytest.mark.parametrize("lang", CATALOG_LANGUAGES)
def test_catalog_declares_the_plural_rule_of_its_language(lang):
    translations = catalog(lang)
    assert translations.num_plurals == PLURAL_FORMS[lang]
    if lang == "fr":  # French: singular for 0 and 1, plural from 2
        assert translations.plural_expr.replace(" ", "") in {"(n>1)", "n>1"}


@pytest.mark.parametrize("lang", CATALOG_LANGUAGES)
def test_no_obsolete_or_untranslated_leftovers(template, lang):
    """Messages the code no longer has are dropped (pybabel update --ignore-obsolete), and
    no translation is just the English copied over (bar names and codes)."""
    translations = catalog(lang)
    current = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    stale = [
        m.id
        for m in translations
        if m.id and (m.id if isinstance(m.id, str) else m.id[0]) not in current
    ]
    assert stale == []
    copied = [
        m.id
        for m in translations
        if m.id
        and isinstance(m.id, str)
        and m.string == m.id
        and re.search(r"[a-z]{3,} [a-z]{3,}", m.id)
    ]
    assert copied == []
