"""Every organizer and moderator page fits the screen it is read on, in real Chromium, at
360, 768 and 1280 px, in Khmer and English, over a site in use (tests/khmer_world.py plus
English registrants with long addresses): nothing scrolls sideways, no word is broken
inside, no table cell is narrower than its longest word, and on a desktop the page uses
the width it has. A full-page screenshot of each is kept in test-artifacts/ (git-ignored)."""

import os
import re

import pytest
from khmer_world import build
from support import PASSWORD, artifact_path, create_user
from test_browser_khmer import khmer_font_installed

from app.extensions import db
from app.registration import domain

pytestmark = pytest.mark.browser

WIDTHS = (360, 768, 1280)

# What a person would notice: the page (or a box in it) scrolls sideways; a word is split
# over two lines; a table cell is narrower than its longest word.
MEASURE = """() => {
  const faults = [];
  const where = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '');
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) {
    faults.push(`page scrolls sideways: ${root.scrollWidth} > ${root.clientWidth}`);
    const wide = [...document.querySelectorAll('main *')].filter(
      el => el.getBoundingClientRect().right > root.clientWidth + 1
        && ![...el.children].some(c => c.getBoundingClientRect().right > root.clientWidth + 1));
    faults.push(...wide.slice(0, 3).map(el => `  too wide: ${where(el)}`));
  }
  for (const el of document.querySelectorAll('main *')) {
    if (el.closest('.visually-hidden, [hidden], details:not([open]) > :not(summary)')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || el.clientWidth === 0) continue;
    if (['auto', 'scroll'].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1) {
      faults.push(`${where(el)} scrolls sideways: ${el.scrollWidth} > ${el.clientWidth}`);
    }
  }
  // Words: each run of non-space characters without Khmer letters (Khmer breaks between
  // syllables by design) or hyphens (a line may end after a hyphen, which stays in view).
  // A word drawn on two lines has two boxes at different heights.
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    const skipped = '.visually-hidden, [hidden], option, script, style, textarea';
    if (!parent || parent.closest(skipped)) continue;
    if (!parent.getClientRects().length) continue;
    for (const match of node.data.matchAll(/[^\\s\\u1780-\\u17FF\\u19E0-\\u19FF-]{2,}/g)) {
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const rects = [...range.getClientRects()].filter(r => r.width > 0);
      const lines = new Set(rects.map(r => Math.round(r.top)));
      if (lines.size > 1) faults.push(`word broken in ${where(parent)}: «${match[0]}»`);
    }
  }
  return faults;
}"""

# The width of the main column, against the window's.
MAIN_WIDTH = "() => document.querySelector('main').getBoundingClientRect().width"


def organizer_pages(app, world):
    """Every organizer and moderator page that answers HTML, for the session in use (the
    plan pages for the concluded session, whose plan has items)."""
    event, concluded = world.event, world.concluded
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.rule.startswith(("/admin", "/moderate")):
            continue
        if re.search(r"\.(csv|json)$|/progress$|/static/", rule.rule):
            continue
        if rule.arguments - {"event_id", "item_id"}:
            continue
        chosen = concluded if rule.endpoint.startswith(("plan.", "plan_admin.")) else event
        values = {"event_id": str(chosen.id), "item_id": str(world.plan_item.id)}
        paths.append(re.sub(r"<int:(\w+)>", lambda m, v=values: v[m.group(1)], rule.rule))
    paths.append(f"/admin/events/{concluded.id}/plan/items/{world.plan_item.id}/ideas?q=a")
    return sorted(set(paths))


@pytest.fixture
def world(app):
    if not khmer_font_installed():
        if os.environ.get("CI"):
            pytest.fail("no Khmer font installed (fonts-khmeros)")
        pytest.skip("no Khmer font installed (apt-get install fonts-khmeros)")
    built = build(create_user("organizer@example.org", "admin"))
    # English registrants with the long addresses and names organizers really see.
    for n, (email, name) in enumerate(
        [
            ("international.relations.coordinator@human-rights-network.example.org", "Margaret"),
            ("k.sophal@example.org", "Kim Sophal, Cambodian Centre for Independent Media"),
        ]
    ):
        registration, _ = domain.register(
            built.event, email=email, name=name, language="en", affiliation="Network" * (n + 1)
        )
    db.session.commit()
    return built


def sign_in(context):
    page = context.new_page()
    page.goto("/login")
    page.fill("#email", "organizer@example.org")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    return page


@pytest.mark.parametrize("lang", ["km", "en"])
def test_organizer_and_moderator_pages_fit_phone_tablet_and_desktop(
    app, browser, live_server, world, lang
):
    paths = organizer_pages(app, world)
    assert len(paths) >= 15, paths
    faults = {}
    for width in WIDTHS:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": 900}
        )
        page = sign_in(context)
        try:
            for path in paths:
                sep = "&" if "?" in path else "?"
                response = page.goto(f"{path}{sep}lang={lang}")
                assert response.status == 200, path
                page.evaluate("document.fonts.ready")
                found = page.evaluate(MEASURE)
                # The plan's preview shows the page as participants will read it.
                if width == 1280 and "preview" not in path and page.evaluate(MAIN_WIDTH) < 1100:
                    found.append(f"main is {page.evaluate(MAIN_WIDTH)} px wide of {width}")
                if found:
                    faults[f"{width} {path}"] = found[:5]
                name = re.sub(r"[^a-z0-9]+", "-", path.split("?")[0]).strip("-") or "admin"
                page.screenshot(
                    path=artifact_path("organizer", f"{name}-{lang}-{width}.png"), full_page=True
                )
        finally:
            context.close()
    assert not faults, "\n".join(f"{where}: {found}" for where, found in faults.items())


# Every word of every chart: its size against the body's, and whether its box is cut off
# (wider than it shows) or reaches past its chart.
CHART_WORDS = """() => {
  const body = parseFloat(getComputedStyle(document.body).fontSize);
  const out = [];
  for (const chart of document.querySelectorAll('.hchart, .vchart')) {
    const box = chart.getBoundingClientRect();
    for (const el of chart.querySelectorAll('dt, .count, .vchart-axis span, text')) {
      if (!el.textContent.trim()) continue;
      if (el.closest('svg')) {
        out.push(`${el.textContent.trim()}: drawn inside the SVG, shrinks with it`);
        continue;
      }
      const size = parseFloat(getComputedStyle(el).fontSize);
      const r = el.getBoundingClientRect();
      if (size < body - 0.5) out.push(`${el.textContent.trim()}: ${size}px < ${body}px`);
      if (el.scrollWidth > el.clientWidth + 1 || r.left < box.left - 1 || r.right > box.right + 1) {
        out.push(`${el.textContent.trim()}: cut off`);
      }
    }
  }
  return out;
}"""


@pytest.mark.parametrize("lang", ["km", "en"])
def test_dashboard_chart_labels_are_body_sized_wrapped_and_whole(
    app, browser, live_server, world, lang
):
    """Theme names in Khmer and in English (the longest demo theme) read whole, at the size
    of the page's text, on a phone and on a laptop."""
    for width in (360, 1280):
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": 900}
        )
        page = sign_in(context)
        try:
            page.goto(f"/admin/events/{world.event.id}/dashboard?lang={lang}")
            page.evaluate("document.fonts.ready")
            page.screenshot(
                path=artifact_path("organizer", f"dashboard-charts-{lang}-{width}.png"),
                full_page=True,
            )
            assert page.evaluate(CHART_WORDS) == []
            labels = page.locator(".hchart dt").all_inner_texts()
            longest = "Human rights and political prisoners" if lang == "en" else "សិទ្ធិមនុស្ស"
            assert any(longest in label for label in labels)
        finally:
            context.close()


# Each radio button of a group, and where its label is against it.
RADIOS = """(name) => [...document.querySelectorAll(`input[type=radio][name=${name}]`)].map(r => {
  const label = document.querySelector(`label[for="${r.id}"]`).getBoundingClientRect();
  const button = r.getBoundingClientRect();
  return {
    beside: label.left >= button.right && label.top < button.bottom && button.top < label.bottom,
    bullet: getComputedStyle(r.closest('li')).listStyleType,
  };
})"""


@pytest.mark.parametrize("lang", ["km", "en"])
def test_join_details_choices_read_one_line_each_with_their_button(
    app, browser, live_server, world, lang
):
    for width in (360, 1280):
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": 900}
        )
        page = sign_in(context)
        try:
            page.goto(f"/admin/events/{world.event.id}/edit?lang={lang}")
            choices = page.evaluate(RADIOS, "join_release")
            assert len(choices) >= 2
            assert choices == [{"beside": True, "bullet": "none"}] * len(choices)
            page.locator("#join_release").screenshot(
                path=artifact_path("organizer", f"join-release-{lang}-{width}.png")
            )
        finally:
            context.close()
