"""The home page in a real browser, in English and in Khmer."""

import pytest
from support import PageWatch

from app.demo import SLUG, load_demo

pytestmark = pytest.mark.browser


def test_home_page_in_english_then_khmer_through_the_switcher(app, page):
    load_demo()
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Cambodia after the 2023 election" in page.locator("main").inner_text()

    page.get_by_role("link", name="ខ្មែរ").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "km"
    assert "កម្ពុជាក្រោយការបោះឆ្នោត" in page.locator("main").inner_text()

    # The choice is remembered on the next page, without ?lang=.
    page.goto("/privacy")
    assert page.locator("html").get_attribute("lang") == "km"
    page.watch.assert_clean()


@pytest.mark.parametrize("path", ["/", f"/s/{SLUG}", "/privacy", "/login"])
def test_khmer_pages_fit_a_phone_screen(app, browser, live_server, path):
    """At 360 px wide, nothing makes the page scroll sideways in Khmer."""
    load_demo()
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 360, "height": 740}, is_mobile=True
    )
    try:
        page = context.new_page()
        watch = PageWatch(page)
        page.goto(f"{path}?lang=km")
        assert page.locator("html").get_attribute("lang") == "km"
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{path} is {widths[0]}px wide on a {widths[1]}px screen"
        watch.assert_clean()
    finally:
        context.close()
