"""The session page in Khmer on a phone, in real Chromium with a Khmer font installed: a
screenshot is kept as a test artifact, no text overflows its box, nothing scrolls sideways,
and Khmer text has its own font, a tall line height, no letter-spacing or text-transform."""

import os
import subprocess

import pytest
from khmer_world import build
from support import artifact_path, create_user

# Every element whose text is cut off or spills out of its box. A box that scrolls on
# purpose (overflow auto/scroll, e.g. a wide table in a scrolling wrapper) is fine.
OVERFLOWS = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    if (['auto', 'scroll'].includes(style.overflowX)) continue;
    if (el.closest('.visually-hidden, [hidden]')) continue;
    if (el.clientWidth === 0) continue;  // inline boxes: their block container is checked
    if (el.scrollWidth > el.clientWidth + 1) {
      bad.push(`${el.tagName.toLowerCase()}.${el.className}: ${el.scrollWidth} > ${el.clientWidth}`
        + ` «${(el.textContent || '').trim().slice(0, 40)}»`);
    }
  }
  return bad;
}"""

KHMER_STYLE = """() => {
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (!el.closest(':lang(km)')) continue;
    const style = getComputedStyle(el);
    if (style.letterSpacing !== 'normal' || style.textTransform !== 'none') {
      out.push(`${el.tagName.toLowerCase()}: ${style.letterSpacing} ${style.textTransform}`);
    }
  }
  return out;
}"""


def khmer_font_installed():
    try:
        found = subprocess.run(["fc-list", ":lang=km"], capture_output=True, text=True).stdout
    except FileNotFoundError:
        return False
    return bool(found.strip())


@pytest.mark.parametrize("path", ["session", "ideas", "register"])
def test_khmer_session_pages_fit_a_phone(app, browser, live_server, path):
    if not khmer_font_installed():
        if os.environ.get("CI"):
            pytest.fail("no Khmer font installed (fonts-khmeros)")
        pytest.skip("no Khmer font installed (apt-get install fonts-khmeros)")
    world = build(create_user("organizer@example.org", "admin"))
    slug = world.event.slug
    url = {
        "session": f"/s/{slug}?lang=km",
        "ideas": f"/s/{slug}/ideas/new?lang=km",
        "register": f"/s/{slug}/register?lang=km",
    }[path]
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 360, "height": 740}, device_scale_factor=2
    )
    page = context.new_page()
    try:
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == "km"
        page.evaluate("document.fonts.ready")
        shot = artifact_path(f"khmer-{path}-360px.png")
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        # Khmer was drawn with a Khmer font, not boxes: the title's width in the page's
        # font differs from its width in a font without Khmer glyphs (tofu is uniform).
        heading = page.locator("h1").first
        assert heading.inner_text().startswith("កម្ពុជា") or path != "session"
        width = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert width <= 0, f"the page scrolls sideways by {width}px"
        assert page.evaluate(OVERFLOWS) == []
        assert page.evaluate(KHMER_STYLE) == []
        body = page.evaluate(
            "(() => { const s = getComputedStyle(document.querySelector('main'));"
            " return [s.fontFamily, parseFloat(s.lineHeight) / parseFloat(s.fontSize)]; })()"
        )
        assert "Noto Sans Khmer" in body[0] and "Khmer OS" in body[0]
        assert body[1] >= 1.8  # room for stacked vowels and subscripts
    finally:
        context.close()
