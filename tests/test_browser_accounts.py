"""Two-factor sign-in in a real browser, with JavaScript off as some organizers browse: the
QR code loads from our own origin under the strict Content-Security-Policy, and an organizer
enrols, signs out and signs in again with a code, all in Khmer."""

import re
import time

import pyotp
import pytest
from support import PASSWORD, PageWatch, create_user

pytestmark = pytest.mark.browser


def test_an_organizer_enrols_and_signs_in_with_a_code_without_javascript(app, browser, live_server):
    user = create_user("organizer@example.org", "admin")
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        watch = PageWatch(page)
        page.goto("/login?lang=km")
        page.fill("#email", user.email)
        page.fill("#password", PASSWORD)
        page.locator("form.form button[type=submit]").click()
        page.goto("/account/two-factor")
        assert page.locator("html").get_attribute("lang") == "km"

        qr = page.locator("img.qr")
        qr.wait_for()
        page.wait_for_load_state("load")
        assert page.evaluate("document.querySelector('img.qr').naturalWidth") > 0
        secret = page.locator("code.secret").inner_text().replace(" ", "")
        totp = pyotp.TOTP(secret)
        page.fill("#code", totp.now())
        page.locator("form.form button[type=submit]").click()
        codes = page.locator("ul.recovery-codes code").all_inner_texts()
        assert len(codes) == 10 and all(
            re.fullmatch(r"[0-9a-f]{10}-[0-9a-f]{10}", c) for c in codes
        )

        page.locator("form[action='/logout'] button").click()
        page.goto("/login")
        page.fill("#email", user.email)
        page.fill("#password", PASSWORD)
        page.locator("form.form button[type=submit]").click()
        assert "/login/code" in page.url
        page.fill("#code", totp.at(time.time() + 30))
        page.locator("form.form button[type=submit]").click()
        assert page.url.endswith("/admin/")
        watch.assert_clean()
    finally:
        context.close()
