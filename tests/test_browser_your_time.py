"""'Your time' and the countdown on the session page, in real Chromium (issue 18.1): the
browser only says its time zone; the words come from the server, in the page's language,
whatever the browser's own locale (Chromium has no Khmer locale data)."""

import re

import pytest
from flask_babel import force_locale
from playwright.sync_api import expect
from support import WIDTHS, PageWatch, artifact_path, viewport
from world import make_event

from app.templating import local_time, zone_name

pytestmark = pytest.mark.browser

VISITOR_ZONE = "America/New_York"  # the session's own zone is Phnom Penh
DAYS = {"en": "days", "fr": "jours", "km": "ថ្ងៃ"}
LATIN = re.compile(r"[A-Za-z]")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("browser_locale", ["en-US", "km-KH"])
def test_your_time_and_countdown_speak_the_page_language(
    app, browser, live_server, browser_locale, width
):
    with app.app_context():
        event = make_event()
        starts_at = event.starts_at
    context = browser.new_context(
        base_url=live_server.url,
        locale=browser_locale,
        timezone_id=VISITOR_ZONE,
        viewport=viewport(width),
    )
    page = context.new_page()
    watch = PageWatch(page)
    try:
        for lang in ("km", "fr", "en"):
            with app.test_request_context(), force_locale(lang):
                when = local_time(starts_at, VISITOR_ZONE, "full", locale=lang)
                zone = zone_name(VISITOR_ZONE, locale=lang)
            page.goto(f"/s/planning?lang={lang}")
            yours = page.locator(".your-time strong")
            expect(yours).to_be_visible()
            shown = yours.inner_text()
            assert shown == f"{when} ({zone})", (lang, browser_locale)
            assert not re.search(r"\d:\d\d:\d\d|[+-]\d{4}", shown)  # no seconds, no offset
            left = page.locator(".countdown strong").inner_text()
            assert DAYS[lang] in left, (lang, browser_locale, left)
            if lang == "km":
                assert not LATIN.search(shown + left), (browser_locale, shown, left)
            page.screenshot(
                path=artifact_path(f"your-time-{lang}-{browser_locale}-{width}px.png"),
                full_page=True,
            )
        watch.assert_clean()
    finally:
        context.close()
