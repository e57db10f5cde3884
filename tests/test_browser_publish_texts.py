"""Issue 18.9 and its times and marks, in real Chromium at 360 and 1280 px, in Khmer and
English: the plan's one publish-and-send step (each choice's button beside its words, the
address and who is mailed, a confirmation, then the version out); Markdown session texts
previewed on the form and formatted on the public page; the registrants table's times in
the reader's language with their zone; the home page's cards marking a summary not written
in the page's language. Nothing scrolls sideways, no word is broken (the organizer-fit
measure). Screenshots in test-artifacts/publish/ (git-ignored)."""

import re

import pytest
from plan_helpers import make_registration
from support import PASSWORD, ROOT, PageWatch, create_user
from test_browser_khmer import khmer_font_installed
from test_browser_organizer_fit import MEASURE
from world import CONCLUDED, PUBLISHED, make_event

from app.extensions import db
from app.models import PlanItem, PlanSection, PlanVersion
from app.plan import service
from app.registration import domain

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts" / "publish"
WIDTHS = (360, 1280)
MACHINE = re.compile(r"\b20\d\d-\d\d-\d\d \d\d:\d\d")

# Each radio of a group: its button on the first line of its words, not above them.
BESIDE = """sel => [...document.querySelectorAll(sel)].map(radio => {
  const label = document.querySelector(`label[for="${radio.id}"]`);
  const r = radio.getBoundingClientRect(), l = label.getBoundingClientRect();
  return {beside: r.right <= l.left + 1 && r.top < l.top + 24 && r.bottom > l.top};
})"""


@pytest.fixture(autouse=True)
def fonts():
    if not khmer_font_installed():
        pytest.skip("no Khmer font installed (apt-get install fonts-khmeros)")


def sign_in(browser, live_server, width):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.watch = PageWatch(page)
    page.goto("/login")
    page.fill("#email", "organizer@example.org")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    return context, page


def fits(page, where):
    faults = page.evaluate(MEASURE)
    assert faults == [], f"{where}: {faults}"


def shoot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def ready_plan(event):
    plan = service.get_plan(event)
    plan.intro = {"en": "What we agreed.", "km": "អ្វីដែលយើងបានឯកភាព។"}
    section = PlanSection(plan=plan, title={"en": "Rights", "km": "សិទ្ធិ"}, body={}, position=0)
    item = PlanItem(
        section=section, position=0, what={"en": "Free them", "km": "ដោះលែងពួកគេ"},
        who={}, due="", status="agreed",
    )  # fmt: skip
    db.session.add_all([section, item])
    db.session.commit()


@pytest.mark.parametrize("lang", ["km", "en"])
def test_the_plan_is_published_and_mailed_in_one_confirmed_step(app, browser, live_server, lang):
    create_user("organizer@example.org", "admin")
    event = make_event(CONCLUDED)
    make_registration(event, "dara@example.org", language="km")
    ready_plan(event)
    # The first version's choice, then a later one's (a short note of what changed).
    words = {
        "en": ("Publish and mail it to every registrant", "a short note of what changed"),
        "km": ("ផ្សព្វផ្សាយ ហើយផ្ញើវាតាមអ៊ីមែលទៅអ្នកចុះឈ្មោះទាំងអស់", "កំណត់ចំណាំខ្លី"),
    }[lang]
    count = {"en": "1 registrant gets", "km": "អ្នកចុះឈ្មោះ 1 នាក់ នឹងទទួលបាន"}[lang]
    for number, width in enumerate(WIDTHS, 1):
        context, page = sign_in(browser, live_server, width)
        try:
            page.goto(f"/admin/events/{event.id}/plan?lang={lang}#plan-publish")
            choice = page.locator(".publish-choice")
            assert words[number - 1] in choice.inner_text()
            assert count in choice.inner_text()
            assert f"/s/{event.slug}/plan" in choice.inner_text()
            assert (
                page.evaluate(BESIDE, ".publish-choice input[type=radio]") == [{"beside": True}] * 2
            )
            fits(page, f"editor {width}")
            choice.screenshot(path=str(ARTIFACTS / f"publish-choice-{lang}-{width}.png"))
            page.check("#publish-mail-1" if number == 1 else "#publish-mail-0")
            page.click(".publish-form button[type=submit]")
            # Asked once more: nothing is published until the answer.
            assert page.locator("h1").inner_text().strip().endswith(("?", "ឬ?"))
            fits(page, f"confirmation {width}")
            shoot(page, f"publish-confirm-{lang}-{width}")
            with app.app_context():
                assert db.session.query(PlanVersion).count() == number - 1
            page.click("main form button[type=submit]")
            page.wait_for_load_state()
            assert page.locator(".flashes").inner_text().strip()
            with app.app_context():
                assert db.session.query(PlanVersion).count() == number
            page.watch.assert_clean()
        finally:
            context.close()


@pytest.mark.parametrize("lang", ["km", "en"])
def test_session_texts_are_markdown_previewed_on_the_form_and_formatted_on_the_page(
    app, browser, live_server, lang
):
    create_user("organizer@example.org", "admin")
    event = make_event(PUBLISHED)
    for width in WIDTHS:
        context, page = sign_in(browser, live_server, width)
        try:
            page.goto(f"/admin/events/{event.id}/edit?lang={lang}")
            hint = page.locator("#summary_km-hint").inner_text()
            assert "Markdown" in hint and "**" in hint
            page.fill("#summary_km", "យើង **ជួបគ្នា** តាមអនឡាញ។\n\n- ចំណុចទីមួយ\n- ចំណុចទីពីរ")
            page.click("button[name=preview]")
            preview = page.locator("#summary_km-preview")
            assert preview.locator("strong").inner_text() == "ជួបគ្នា"
            assert preview.locator("li").count() == 2
            assert page.evaluate("document.activeElement.id") == "texts-previewed"
            fits(page, f"form {width}")
            preview.screenshot(path=str(ARTIFACTS / f"session-preview-{lang}-{width}.png"))
            page.click("form.session-form button[type=submit]:not([name])")
            page.wait_for_load_state()
            page.goto(f"/s/{event.slug}?lang=km")
            summary = page.locator("main .summary")
            assert summary.locator("strong").inner_text() == "ជួបគ្នា"
            assert "**" not in summary.inner_text()
            page.watch.assert_clean()
        finally:
            context.close()


@pytest.mark.parametrize("lang", ["km", "en"])
def test_registrants_times_are_in_the_readers_language_with_their_zone(
    app, browser, live_server, lang
):
    create_user("organizer@example.org", "admin")
    event = make_event(PUBLISHED)
    domain.register(
        event, email="international.relations@human-rights.example.org", name="M", language="en"
    )
    db.session.commit()
    zone = {"en": "Phnom Penh time", "km": "ម៉ោងភ្នំពេញ"}[lang]
    for width in WIDTHS:
        context, page = sign_in(browser, live_server, width)
        try:
            page.goto(f"/admin/events/{event.id}/registrants?lang={lang}")
            cell = page.locator("td time").first
            assert zone in cell.locator("xpath=ancestor::td").get_attribute("data-label")
            text = page.locator("main").inner_text()
            assert zone in text and MACHINE.search(text) is None and "UTC" not in text
            fits(page, f"registrants {width}")
            shoot(page, f"registrants-{lang}-{width}")
            page.watch.assert_clean()
        finally:
            context.close()


@pytest.mark.parametrize("lang", ["km", "en"])
def test_home_cards_mark_a_summary_not_written_in_the_page_language(
    app, browser, live_server, page, lang
):
    english_only = make_event(PUBLISHED)
    english_only.texts = {"en": english_only.texts["en"]}
    khmer_only = make_event(PUBLISHED, slug="khmer-only", default_language="km")
    khmer_only.texts = {
        "km": {**khmer_only.texts["km"], "summary": "យើងរៀបចំផែនការជាមួយគ្នា។"},
        "en": {"title": "Khmer only"},
    }
    db.session.commit()
    marked, shown_in = {"km": ("We plan together.", "en"), "en": ("យើងរៀបចំផែនការ", "km")}[lang]
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/?lang={lang}")
        fallback = page.locator(f".event-card .summary[lang={shown_in}]")
        assert fallback.count() == 1 and marked in fallback.inner_text()
        note = fallback.locator("xpath=following-sibling::span[1]")
        assert note.get_attribute("class") == "untranslated-note"
        assert note.get_attribute("lang") == lang and note.is_visible()
        assert page.locator(".event-card .summary:not([lang])").count() == 1
        fits(page, f"home {width}")
        shoot(page, f"home-cards-{lang}-{width}")
    page.watch.assert_clean()
