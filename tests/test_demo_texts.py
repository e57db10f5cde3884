"""The demo session's texts, shown on every partner's demo page: they state only what the
public announcement states, name no individual, and never call the UN's reform plan by the
name of the document Sala promises its readers (the Plan of Action)."""

import re

import pytest

from app import demo_concluded as past
from app.demo import PARTNERS, SPEAKERS, TEXTS, THEMES

# The app's own term for the Plan of Action, in each language.
PLAN_OF_ACTION = {"en": "Plan of Action", "km": "ផែនការសកម្មភាព", "fr": "Plan d’action"}
UNITED_NATIONS = {"en": ("United Nations", "UN "), "km": ("សហប្រជាជាតិ",), "fr": ("Nations unies",)}
SENTENCE_END = re.compile(r"(?<=[.។;])\s+|\n+")


def sentences(text):
    return [s for s in SENTENCE_END.split(text) if s.strip()]


@pytest.mark.parametrize("lang", sorted(PLAN_OF_ACTION))
def test_the_uns_reform_plan_is_not_called_a_plan_of_action(lang):
    about_the_un = [
        s for s in sentences(TEXTS[lang]["summary"]) if any(n in s for n in UNITED_NATIONS[lang])
    ]
    assert about_the_un, "the summary should still mention the United Nations"
    for sentence in about_the_un:
        assert PLAN_OF_ACTION[lang].casefold() not in sentence.casefold()
        assert "action plan" not in sentence.casefold()


@pytest.mark.parametrize("lang", sorted(PLAN_OF_ACTION))
def test_no_named_person_is_quoted_or_credited(lang):
    text = " ".join(TEXTS[lang].values())
    for name in ("Thayvie", "Sinn", "Guterres", "António", "ហ្គូតេរេស", "អានតូនីញ៉ូ"):
        assert name not in text
    assert "«" not in text and '"' not in text  # no quotation


def test_khmer_says_shut_out_and_experts_on_cambodia():
    khmer = " ".join(TEXTS["km"].values())
    assert "ដកចេញ" not in khmer  # "removed": the party was shut out of the election
    assert "រារាំងមិនឱ្យចូលរួមការបោះឆ្នោត" in khmer
    assert "បញ្ហាកម្ពុជា" not in khmer  # "the Cambodia problem"
    assert khmer.count("អ្នកជំនាញឈានមុខអំពីកម្ពុជា") == 1


def test_every_language_has_every_text_and_theme_and_latin_digits():
    for lang in PLAN_OF_ACTION:
        assert set(TEXTS[lang]) == set(TEXTS["en"])
        assert all(theme.get(lang) for theme in THEMES)
    assert not re.search("[០-៩]", " ".join(TEXTS["km"].values()))  # GLOSSARY.md: digits


def test_demo_speakers_and_partners_name_no_one_and_speak_every_language():
    rows = [speaker["texts"] for speaker in SPEAKERS] + PARTNERS
    for texts in rows:
        assert set(texts) == set(PLAN_OF_ACTION)
        assert all(texts[lang].get("name") for lang in texts)
        text = repr(texts)
        for name in ("Thayvie", "Sinn", "Guterres"):
            assert name not in text
        assert not re.search("[០-៩]", text)
    assert sum(bool(speaker.get("is_moderator")) for speaker in SPEAKERS) == 1


def test_the_concluded_demo_session_speaks_every_language_with_latin_digits():
    texts = [past.TEXTS, past.PLAN_INTRO, *past.THEMES]
    texts += [title for _theme, title, _items in past.PLAN]
    for _theme, _title, items in past.PLAN:
        texts += [what for what, *_rest in items] + [who for _w, who, *_rest in items if who]
    texts += [prompt for _kind, prompt, _options in past.QUESTIONS]
    texts += [option for *_rest, options in past.QUESTIONS for option in options]
    for text in texts:
        assert set(text) == set(PLAN_OF_ACTION), text
        assert all(text.values()), text
    assert set(past.TEXTS["km"]) == set(past.TEXTS["en"]) == set(past.TEXTS["fr"])
    assert not re.search("[០-៩]", repr(past.__dict__.get("TEXTS")) + repr(past.IDEAS))
    khmer = " ".join(past.TEXTS["km"].values())
    assert PLAN_OF_ACTION["km"] in khmer
