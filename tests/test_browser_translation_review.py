"""Translations that need review, in a real Chromium, in English and in Khmer: the organizer
changes the English summary of a session whose Khmer summary was translated from the old
one; the edit form marks the Khmer field "needs review" and the session's page lists it, in
both languages, while the public Khmer page keeps the translation; ticking "it still
matches" and saving ends it. In the plan editor the mark comes with the autosave, without
a reload. Nothing leaves 127.0.0.1 and the console stays clean."""

import pytest
from playwright.sync_api import expect
from support import create_user
from world import CONCLUDED, make_event

from app import review
from app.extensions import db
from app.models import Plan, PlanItem, PlanSection

pytestmark = pytest.mark.browser


def sign_in(page, email):
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", "correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_the_organizer_sees_a_stale_khmer_translation_in_english_and_khmer(app, page):
    create_user("organizer@example.org", "admin")
    event = make_event(
        texts={
            "en": {"title": "Planning", "summary": "Ideas for the reform of elections."},
            "km": {"title": "ផែនការ", "summary": "គំនិតសម្រាប់កំណែទម្រង់ការបោះឆ្នោត។"},
        }
    )
    review.record("event", event, {})  # the Khmer summary was translated from this one
    db.session.commit()
    sign_in(page, "organizer@example.org")

    page.goto(f"/admin/events/{event.id}/edit?lang=en")
    expect(page.locator(".needs-review")).to_have_count(0)
    page.fill("#summary_en", "Ideas for the reform of elections and of the courts.")
    page.get_by_role("button", name="Save the session").click()
    section = page.locator("section.to-review")
    expect(section).to_contain_text("Translations that need review")
    expect(section).to_contain_text("Khmer, 1 text needs review")

    section.get_by_role("link", name="The session's texts").click()
    note = page.locator("#review-event-summary-km-note")
    expect(note).to_contain_text("needs review")
    expect(page.locator("#review-event-title-km-note")).to_have_count(0)
    expect(page.locator("a[href='#texts-km']")).to_contain_text("1 needs review")

    # The same in Khmer.
    page.goto(f"/admin/events/{event.id}/edit?lang=km")
    expect(page.locator("#review-event-summary-km-note")).to_contain_text("ត្រូវពិនិត្យឡើងវិញ")
    page.goto(f"/admin/events/{event.id}")
    expect(page.locator("section.to-review")).to_contain_text("ការបកប្រែដែលត្រូវពិនិត្យឡើងវិញ")
    # The public page keeps the translation meanwhile.
    page.goto(f"/s/{event.slug}")
    expect(page.locator("main")).to_contain_text("គំនិតសម្រាប់កំណែទម្រង់ការបោះឆ្នោត។")

    page.goto(f"/admin/events/{event.id}/edit?lang=en")
    page.locator("#review-event-summary-km").check()
    page.get_by_role("button", name="Save the session").click()
    expect(page.locator("h1")).to_have_text("Planning")
    expect(page.locator("section.to-review")).to_have_count(0)
    page.watch.assert_clean()


def test_the_plan_editor_marks_the_translation_as_it_autosaves(app, page):
    create_user("organizer@example.org", "admin")
    event = make_event(CONCLUDED)
    plan = Plan(event=event, intro={"en": "Intro"})
    section = PlanSection(plan=plan, title={"en": "Elections"}, position=0)
    item = PlanItem(
        section=section, what={"en": "Ask for a new election", "km": "ស្នើការបោះឆ្នោតថ្មី"}, who={}
    )
    db.session.add_all([plan, section, item])
    db.session.flush()
    review.record("plan_item", item, {})
    db.session.commit()
    sign_in(page, "organizer@example.org")
    page.goto(f"/admin/events/{event.id}/plan?lang=en")
    key = f"item-{item.id}"
    mark = page.locator(f"#{key}-what-km-review")
    expect(mark).not_to_contain_text("needs review")
    page.fill(f"#{key}-what_en", "Ask for a new, free and fair election")
    expect(mark).to_contain_text("needs review")  # from the autosave's answer, no reload
    page.locator(f"#{key}-review-what-km").check()
    expect(mark).not_to_contain_text("needs review")
    page.reload()
    expect(page.locator(f"#{key}-what-km-review")).not_to_contain_text("needs review")
    page.watch.assert_clean()
