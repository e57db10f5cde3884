"""The idea board's theme filter on a 360 px phone (issue 18.5): the demo's long theme names
("Droits humains et prisonniers politiques") must not push the list past the screen."""

import os
from pathlib import Path

import pytest

from app.demo import SLUG, load_demo

pytestmark = pytest.mark.browser

ARTIFACTS = Path(
    os.environ.get("SALA_TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts")
)


@pytest.mark.parametrize("lang", ["en", "fr", "km"])
def test_the_theme_filter_fits_a_phone(app, browser, live_server, lang):
    load_demo()
    context = browser.new_context(base_url=live_server.url, viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        page.goto(f"/s/{SLUG}/ideas?lang={lang}")
        picker = page.locator("#board-theme")
        assert picker.count() == 1
        right = picker.evaluate("el => el.getBoundingClientRect().right")
        assert right <= 360, f"the theme list ends at {right} px"
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"theme-filter-{lang}-360px.png"))
    finally:
        context.close()
