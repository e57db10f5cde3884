"""Khmer words that put readers at risk or mislead (issue 22) stay out of the catalog, and
GLOSSARY.md keeps the reason, so a later translator does not bring them back."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = (ROOT / "translations" / "GLOSSARY.md").read_text()

# word -> why it must not be used
RISKY = {
    "ឈ្មោះក្លែងក្លាយ": "a forged name, for 'pseudonym'",
    "ញុះញង់": "'incitement', the charge brought against critics",
    "តំណចូលរួមរួម": "'join-join link'",
    "មិនដែល": "'we have never': promises say យើងនឹងមិន…ឡើយ",
    "មិនបង្ខំ": "'optional' is មិនចាំបាច់",
}


def khmer_messages():
    with open(ROOT / "translations" / "km" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale="km")
    for message in catalog:
        if message.id:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            yield message.context, ids[0], strings


def test_no_risky_khmer_word_in_the_catalog():
    found = [
        (word, english)
        for _context, english, strings in khmer_messages()
        for word in RISKY
        if any(word in s for s in strings)
    ]
    assert found == []


def test_one_digit_system_in_khmer_ui_strings():
    found = [
        e for _c, e, strings in khmer_messages() if any(re.search("[០-៩]", s) for s in strings)
    ]
    assert found == []


def test_the_subject_of_a_mail_is_not_the_word_for_theme():
    messages = {(c, e): s for c, e, s in khmer_messages()}
    assert messages[(None, "Subject")] == ("កម្មវត្ថុ",)
    assert messages[(None, "Theme")] == ("ប្រធានបទ",)
    assert messages[("plan item", "Who")] == ("អ្នកទទួលខុសត្រូវ",)
    assert messages[("audit log", "Who")] != messages[("plan item", "Who")]


def test_the_glossary_keeps_the_why_of_the_risky_words():
    for word in ("ឈ្មោះក្លែងក្លាយ", "ញុះញង់", "ឈ្មោះហៅក្រៅ", "យើងនឹងមិន", "Latin digits"):
        assert word in GLOSSARY
    assert GLOSSARY.count("**Why:**") >= 3
