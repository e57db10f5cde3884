"""Sessions from the browser, in a real Chromium: an organizer creates a session, duplicates
it for next year, sees both in the organizer list, publishes the copy and reads its public
page. Nothing leaves 127.0.0.1 and the console stays clean."""

import pytest
from playwright.sync_api import expect
from support import create_user

pytestmark = pytest.mark.browser


def sign_in(page, email):
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", "correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_create_duplicate_publish(app, page):
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    create_user("organizer@example.org", "admin")
    sign_in(page, "organizer@example.org")

    page.goto("/admin/")
    page.get_by_role("link", name="New session").click()
    page.fill("#slug", "future-2024")
    page.fill("#title_en", "Cambodia's future, 2024")
    page.fill("#summary_en", "A public session on what comes next.")
    page.fill("#title_km", "អនាគតកម្ពុជា ២០២៤")
    page.fill("#starts_at", "2030-11-01T19:00")
    page.fill("#timezone", "Bad/Zone")
    page.get_by_role("button", name="Create the session").click()
    # Refused next to the field, what was typed kept.
    expect(page.locator("#timezone-error")).to_contain_text("not a time zone we know")
    expect(page.locator("#title_en")).to_have_value("Cambodia's future, 2024")
    page.fill("#timezone", "Asia/Phnom_Penh")
    page.fill("#theme-new0-en", "Elections")
    page.get_by_role("button", name="Create the session").click()
    expect(page.locator("h1")).to_have_text("Cambodia's future, 2024")

    page.get_by_role("link", name="Duplicate the session").click()
    expect(page.locator("#slug")).to_have_value("future-2025")
    page.get_by_role("button", name="Make the copy").click()
    expect(page.locator("#slug")).to_have_value("future-2025")  # now on the copy's edit form
    expect(page.locator("#theme-new0-en")).to_be_visible()
    page.fill("#title_en", "Cambodia's future, 2025")
    page.get_by_role("button", name="Save the session").click()
    expect(page.locator("h1")).to_have_text("Cambodia's future, 2025")

    page.goto("/admin/")
    rows = page.locator("table.table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Cambodia's future, 2024")).to_have_count(1)
    expect(rows.filter(has_text="Cambodia's future, 2025")).to_have_count(1)

    rows.filter(has_text="2025").get_by_role("link").click()
    page.get_by_role("button", name="Publish the session").click()
    expect(page.locator(".flashes")).to_contain_text("Published")
    page.get_by_role("link", name="Public page").click()
    expect(page.locator("h1")).to_have_text("Cambodia's future, 2025")
    expect(page.locator(".summary")).to_contain_text("A public session on what comes next.")
    page.watch.assert_clean()
