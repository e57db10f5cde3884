"""The idea board's theme filter on a 360 px phone (issue 18.5): the demo's long theme names
("Droits humains et prisonniers politiques") must not push the list past the screen."""

import pytest
from support import WIDTHS, artifact_path, viewport

from app.demo import SLUG, load_demo

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["en", "fr", "km"])
def test_the_theme_filter_fits_the_screen(app, browser, live_server, lang, width):
    load_demo()
    context = browser.new_context(base_url=live_server.url, viewport=viewport(width))
    try:
        page = context.new_page()
        page.goto(f"/s/{SLUG}/ideas?lang={lang}")
        picker = page.locator("#board-theme")
        assert picker.count() == 1
        right = picker.evaluate("el => el.getBoundingClientRect().right")
        assert right <= width, f"the theme list ends at {right} px"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=artifact_path(f"theme-filter-{lang}-{width}px.png"))
    finally:
        context.close()
