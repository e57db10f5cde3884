"""The catalogs keep up with the code: every message the code can show has a Khmer
translation, none fuzzy, with the same placeholders as the English."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|\{(\w+)\}")


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


@pytest.mark.parametrize("lang", ["km"])
def test_every_message_is_translated_with_matching_placeholders(template, lang):
    translations = catalog(lang)
    problems = []
    for message in template:
        if not message.id:
            continue
        found = translations.get(message.id)
        english = as_list(message.id)
        label = english[0][:70]
        if found is None or not all(as_list(found.string)):
            problems.append(f"untranslated: {label!r}")
        elif found.fuzzy:
            problems.append(f"fuzzy: {label!r}")
        else:
            for translated in as_list(found.string):
                if placeholders(translated) != placeholders(english[-1]):
                    problems.append(f"placeholders differ: {label!r}")
    assert problems == [], f"{len(problems)} problems in {lang}:\n" + "\n".join(problems[:40])
