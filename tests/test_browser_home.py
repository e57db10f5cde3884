"""The home page in a real browser, in English and in Khmer."""

import pytest

from app.demo import load_demo

pytestmark = pytest.mark.browser


def test_home_page_in_english_then_khmer_through_the_switcher(app, page):
    load_demo()
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Cambodia after the 2023 election" in page.locator("h1").first.inner_text()

    page.get_by_role("link", name="ខ្មែរ").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "km"
    assert "កម្ពុជាក្រោយការបោះឆ្នោត" in page.locator("h1").first.inner_text()

    # The choice is remembered on the next page, without ?lang=.
    page.goto("/privacy")
    assert page.locator("html").get_attribute("lang") == "km"
    page.watch.assert_clean()
