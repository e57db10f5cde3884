"""A failed form shows what is wrong where the visitor looks (issue 18.2): on a 360 px phone,
after a registration with mistakes, the error summary at the top of the form is on screen
and has the focus (so a screen reader reads it), with and without JavaScript, in Khmer and
English; each of its links takes the visitor to the field."""

import pytest
from support import WIDTHS, PageWatch, artifact_path, viewport
from world import make_event

pytestmark = pytest.mark.browser

SUMMARY_TITLE = {"en": "Please check what you entered:", "km": "សូមពិនិត្យមើលអ្វីដែលអ្នកបានបំពេញ៖"}

IN_VIEW = """el => {
  const box = el.getBoundingClientRect();
  return box.top >= 0 && box.top < window.innerHeight && box.bottom > 0;
}"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("lang", ["km", "en"])
def test_a_failed_registration_lands_on_a_focused_summary(
    app, browser, live_server, lang, javascript, width
):
    with app.app_context():
        make_event()
    context = browser.new_context(
        base_url=live_server.url,
        java_script_enabled=javascript,
        viewport=viewport(width),
    )
    page = context.new_page()
    watch = PageWatch(page)
    try:
        page.goto(f"/s/planning?lang={lang}")
        page.fill("#email", "not-an-address")
        page.fill("#name", "Dara")  # consent left unticked: a second mistake
        page.locator("form[action*='/register'] button[type=submit]").click()
        page.wait_for_load_state()
        summary = page.locator(".error-summary")
        assert summary.count() == 1
        assert SUMMARY_TITLE[lang] in summary.inner_text()
        assert summary.evaluate("el => el === document.activeElement"), "summary not focused"
        assert summary.evaluate(IN_VIEW), "summary not on screen"
        assert summary.get_attribute("role") == "alert"
        targets = [a.get_attribute("href") for a in summary.locator("a").all()]
        assert targets == ["#email", "#consent"]
        page.screenshot(
            path=artifact_path(
                f"register-errors-{lang}-{'js' if javascript else 'nojs'}-{width}px.png"
            )
        )
        summary.locator("a[href='#consent']").click()
        assert page.evaluate("document.activeElement.id") == "consent"
        assert page.locator("#consent").evaluate(IN_VIEW)
        watch.assert_clean()
    finally:
        context.close()
