"""Speakers from the browser, in a real Chromium: the organizer adds two speakers (one with
a photo) and a partner, moves a speaker up with htmx, and a visitor on a 360 px phone reads
the session page in Khmer: a compact list, no sideways scrolling, bios folded away, the
untranslated texts marked. Nothing leaves 127.0.0.1 and the console stays clean."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect
from support import create_user
from world import make_event

pytestmark = pytest.mark.browser


def sign_in(page, email):
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", "correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def photo_bytes():
    out = io.BytesIO()
    Image.new("RGB", (900, 600), (40, 90, 140)).save(out, "JPEG")
    return out.getvalue()


def add_speaker(page, event, name_en, name_km, bio_en="", photo=None):
    page.goto(f"/admin/events/{event.id}/speakers")
    page.get_by_role("link", name="Add a speaker").click()
    page.fill("#name_en", name_en)
    page.fill("#role_en", "Professor of law, University of Example")
    page.fill("#bio_en", bio_en)
    page.fill("#name_km", name_km)
    if photo:
        page.set_input_files(
            "#photo", files=[{"name": "me.jpg", "mimeType": "image/jpeg", "buffer": photo}]
        )
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flashes")).to_contain_text("Speaker saved.")


def test_organizer_sets_up_speakers_and_a_phone_reads_them_in_khmer(app, page, browser):
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    event = make_event()
    create_user("organizer@example.org", "admin")
    sign_in(page, "organizer@example.org")

    add_speaker(page, event, "Dr. Sophea Lim", "បណ្ឌិត សុភា លីម", bio_en="A long biography. " * 20)
    add_speaker(page, event, "Ms. Dara Chan", "លោកស្រី ដារ៉ា ចាន់", photo=photo_bytes())
    page.get_by_role("link", name="Add an organization").click()
    page.fill("#name_en", "Human Rights Example")
    page.fill("#link", "https://rights.example.org")
    page.get_by_role("button", name="Save").click()

    items = page.locator("#speaker-heading + ol > li")
    expect(items.nth(0)).to_contain_text("Dr. Sophea Lim")
    # Moved with htmx: the list is swapped in place, no page load.
    page.evaluate("window.notReloaded = true")
    items.nth(1).get_by_role("button", name="Move up").click()
    expect(page.locator("#speaker-heading + ol > li").nth(0)).to_contain_text("Ms. Dara Chan")
    assert page.evaluate("window.notReloaded === true")
    page.watch.assert_clean()

    phone = browser.new_context(
        base_url=page.url.split("/admin")[0], viewport={"width": 360, "height": 740}
    )
    visitor = phone.new_page()
    visitor.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    visitor.goto("/s/planning?lang=km")
    speakers = visitor.locator(".speaker")
    expect(speakers).to_have_count(2)
    expect(speakers.nth(0)).to_contain_text("លោកស្រី ដារ៉ា ចាន់")
    expect(visitor.locator(".partners")).to_contain_text("Human Rights Example")
    # The role has no Khmer yet: shown in English, marked as such.
    expect(speakers.nth(0).locator(".untranslated-note")).to_be_visible()
    photo = speakers.nth(0).locator("img.speaker-photo")
    expect(photo).to_be_visible()
    src = photo.get_attribute("src")
    assert visitor.request.get(src).headers["content-type"] == "image/jpeg"
    photo.scroll_into_view_if_needed()
    visitor.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=photo.element_handle()
    )  # the re-encoded photo loads
    assert photo.bounding_box()["width"] <= 48
    # The bio is folded away until asked for.
    bio = speakers.nth(1).locator(".speaker-bio p")
    expect(bio).to_be_hidden()
    speakers.nth(1).locator(".speaker-bio summary").click()
    expect(bio).to_be_visible()
    assert visitor.evaluate("document.documentElement.scrollWidth") <= 360
    phone.close()
