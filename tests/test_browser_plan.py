"""The Plan of Action in a real browser: an organizer drafts it from the ideas, edits an item,
links two ideas, publishes; registrants get it by mail in their language from a real SMTP
server; the public page reads in both languages, with the source ideas."""

import re

import pytest
from plan_helpers import make_idea, make_registration
from playwright.sync_api import expect
from support import create_user
from world import CONCLUDED, make_event

from app.mail.worker import run_once

pytestmark = pytest.mark.browser


@pytest.fixture
def app(mail_app):
    """The live server serves the app that mails over SMTP to the test server."""
    return mail_app


def sign_in(page, email):
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", "correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def saved(locator):
    expect(locator).to_contain_text("Saved at")


def test_organizer_drafts_edits_links_publishes_and_everyone_reads_it(app, page, smtp):
    # Chromium asks every site for /favicon.ico on its own; the 404 it logs is not this
    # feature's (the base layout has no icon yet), so answer it here.
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    event = make_event(CONCLUDED)
    rights, media = event.themes
    make_registration(event, "reader@example.org", language="en", name="Dara")
    make_registration(event, "khmer@example.org", language="km", name="Sokha")
    make_idea(event, "Free all political prisoners", status="discussed", theme=rights)
    make_idea(event, "Fund exiled journalists", status="approved", theme=media)
    sanctions = make_idea(event, "Targeted sanctions on officials", status="approved")
    visas = make_idea(event, "Visa bans for officials", status="approved")
    create_user("organizer@example.org", "admin")

    sign_in(page, "organizer@example.org")
    page.goto(f"/admin/events/{event.id}")
    page.get_by_role("link", name="Plan of Action", exact=True).click()
    expect(page.locator("#unused-ideas h2")).to_contain_text("(4)")

    page.get_by_role("button", name="Start from the ideas").click()
    items = page.locator(".plan-edit-item")
    expect(items).to_have_count(4)  # two themes, and "Other ideas" with the two unthemed

    # The introduction, section titles and items, in both languages, saved as typed.
    page.fill("#intro-intro_en", "What the session agreed, **in short**.")
    page.fill("#intro-intro_km", "អ្វីដែលកិច្ចប្រជុំបានឯកភាព។")
    saved(page.locator("#intro-saved"))
    for section in page.locator(".plan-edit-section").all():
        title_km = section.locator("input[id$='title_km']")
        if not title_km.input_value():
            title_km.fill("ផ្សេងៗ")
            saved(section.locator("[id$='-saved']").first)

    first = items.first
    item_id = first.get_attribute("id").split("-")[1]
    first.locator(f"#item-{item_id}-what_en").fill("Campaign for the release of prisoners")
    first.locator(f"#item-{item_id}-what_km").fill("យុទ្ធនាការដើម្បីដោះលែងអ្នកទោស")
    first.locator(f"#item-{item_id}-who_en").fill("Partner organizations")
    first.locator(f"#item-{item_id}-who_km").fill("អង្គការដៃគូ")
    first.locator(f"#item-{item_id}-status").select_option("agreed")
    saved(first.locator(f"#item-{item_id}-saved"))
    expect(first.locator(f"#item-{item_id}-what-km-mark")).to_have_text("")

    # Link two ideas from the search box (htmx), without leaving the page.
    first.get_by_text("Link ideas").click()
    first.locator(f"#item-{item_id}-q").fill("officials")
    results = first.locator(f"#item-{item_id}-results")
    expect(results).to_contain_text("Targeted sanctions on officials")
    results.get_by_role("button", name=f"Link idea #{sanctions.id} to this item").click()
    expect(first.locator(".linked-ideas")).to_contain_text("Targeted sanctions on officials")
    first.locator(f"#item-{item_id}-results").get_by_role(
        "button", name=f"Link idea #{visas.id} to this item"
    ).click()
    expect(first.locator(".linked-ideas li")).to_have_count(3)
    expect(page.locator("#unused-ideas h2")).to_contain_text("(0)")

    # The other drafted items: write their Khmer text.
    for other in items.all()[1:]:
        km = other.locator("textarea[id$='what_km']")
        km.fill("ចំណុចសកម្មភាព")
        saved(other.locator("[id$='-saved']").first)

    # Reorder with the keyboard: focus "move down" on the first of the unthemed ideas' items
    # and press Enter; it swaps places, and the focus stays on the button.
    others = page.locator(".plan-edit-section").nth(2).locator(".plan-edit-item")
    moving = others.first.get_attribute("id")
    page.locator(f"#{moving}-down").focus()
    page.keyboard.press("Enter")
    expect(others.last).to_have_attribute("id", moving)
    expect(page.locator(f"#{moving}-up")).to_be_enabled()
    expect(page.locator(f"#{moving}-down")).to_be_disabled()

    page.get_by_role("button", name="Publish version 1").click()
    # One step, asked once more: "publish and mail it" is the first version's choice.
    expect(page.locator("h1")).to_have_text("Publish version 1 of the Plan of Action?")
    page.get_by_role("button", name="Yes, publish and mail it").click()
    expect(page.locator(".flashes")).to_contain_text("Version 1 is published;")
    assert run_once().sent >= 2

    # The mails, each in its reader's language.
    [english] = smtp.to("reader@example.org")
    assert english["Content-Language"] == "en"
    assert "Campaign for the release of prisoners" in smtp.text(english)
    khmer = [m for m in smtp.to("khmer@example.org") if "plan/v1" in smtp.text(m)]
    assert khmer and khmer[0]["Content-Language"] == "km"
    assert "យុទ្ធនាការដើម្បីដោះលែងអ្នកទោស" in smtp.text(khmer[0])
    assert "Campaign for the release of prisoners" not in smtp.text(khmer[0])

    # The public page, in English then Khmer through the switcher, with the source ideas.
    page.goto(f"/s/{event.slug}/plan")
    page.get_by_role("link", name="English").click()
    expect(page.locator(".plan-doc")).to_contain_text("Campaign for the release of prisoners")
    item = page.locator(f"#item-{item_id}")
    sources = item.locator(".plan-sources")
    if sources.locator("summary").count():
        sources.locator("summary").click()
    expect(sources).to_contain_text("Targeted sanctions on officials")
    expect(sources).to_contain_text("Visa bans for officials")
    page.get_by_role("link", name="ខ្មែរ").click()
    expect(page.locator("html")).to_have_attribute("lang", "km")
    expect(page.locator(".plan-doc")).to_contain_text("យុទ្ធនាការដើម្បីដោះលែងអ្នកទោស")
    expect(page.locator(".plan-doc")).to_contain_text("អង្គការដៃគូ")
    assert re.search(r"/s/plan-test/plan/v1", page.locator(".plan-permalink").inner_text())
    page.watch.assert_clean()
