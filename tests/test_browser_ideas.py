"""In Chromium: an idea sent in Khmer, approved inline by a moderator (the row changes in
place, no navigation), then seen on the public board; and the same with the keyboard only."""

import re

import pytest
import sqlalchemy as sa
from ideas_support import add_idea
from support import PASSWORD, create_user
from world import IDEAS_OPEN, make_event

from app.extensions import db
from app.models import Idea, OutboxMessage

pytestmark = pytest.mark.browser

TITLE = "សេរីភាពសារព័ត៌មាន 📰"
BODY = "យើងត្រូវការសារព័ត៌មានឯករាជ្យ។\n\nសូមដោះលែងអ្នកកាសែត https://example.org/report"


def quiet_favicon(page):
    # The app has no favicon yet (main answers 404, which Chromium logs as a console error).
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))


def confirm_link():
    db.session.expire_all()
    message = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "idea_confirm")
    )
    return re.search(r"https?://\S+/ideas/confirm/\S+", message.body_text).group(0)


def tab_to(page, selector, limit=80):
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def focus_on(page, element_id):
    """Wait until the element with this id has the focus and htmx has wired it (htmx
    focuses a swapped-in row before it processes it)."""
    page.wait_for_function(
        "id => document.activeElement.id === id"
        " && !document.activeElement.classList.contains('htmx-added')",
        arg=element_id,
    )


def navigations(page):
    seen = []
    page.on("framenavigated", lambda frame: frame == page.main_frame and seen.append(frame.url))
    return seen


def test_khmer_idea_approved_inline_then_on_the_board(app, page, browser, live_server):
    quiet_favicon(page)
    event = make_event(IDEAS_OPEN)
    create_user("mod@example.org", "moderator")

    page.goto("/s/s1/ideas/new?lang=km")
    assert page.locator("html").get_attribute("lang") == "km"
    page.fill("input[name=title]", TITLE)
    page.fill("textarea[name=body]", BODY)
    page.select_option("select[name=language]", "km")
    page.fill("input[name=email]", "khmer.author@example.org")
    page.locator("form.idea-form button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(confirm_link())
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    idea = db.session.scalar(sa.select(Idea))
    assert (idea.title, idea.body, idea.status) == (TITLE, BODY, "pending")
    page.watch.assert_clean()

    context = browser.new_context(base_url=live_server.url)
    mod = context.new_page()
    quiet_favicon(mod)
    from support import PageWatch

    mod.watch = PageWatch(mod)
    mod.goto("/login")
    mod.fill("input[name=email]", "mod@example.org")
    mod.fill("input[name=password]", PASSWORD)
    mod.locator("main button[type=submit]").click()
    mod.wait_for_url(re.compile(rf"/moderate/{event.id}$"))
    queue_url = mod.url
    row = mod.locator(f"#idea-row-{idea.id}")
    assert TITLE in row.inner_text()
    mod.evaluate("window.__stillHere = true")
    moved = navigations(mod)
    row.get_by_role("button", name=re.compile("^Approve")).click()
    mod.locator(f"#idea-row-{idea.id} .row-status[data-status=approved]").wait_for()
    assert (
        "Approved: it is now on the public board."
        in mod.locator(f"#idea-row-{idea.id}").inner_text()
    )
    assert mod.url == queue_url
    assert moved == []
    # The row keeps its place and takes the focus from the button, as a new row would.
    focus_on(mod, f"idea-row-{idea.id}")
    assert mod.evaluate("window.__stillHere") is True
    mod.watch.assert_clean()
    context.close()

    page.goto("/s/s1/ideas")
    card = page.locator(f"#idea-{idea.id}")
    assert TITLE in card.inner_text()
    assert card.get_attribute("lang") == "km"
    link = card.locator("a[href='https://example.org/report']")
    assert link.get_attribute("rel") == "nofollow noopener noreferrer"
    page.watch.assert_clean()


def test_the_same_with_the_keyboard_only(app, page, browser, live_server):
    quiet_favicon(page)
    event = make_event(IDEAS_OPEN)
    create_user("mod@example.org", "moderator")

    page.goto("/s/s1/ideas/new?lang=km")
    tab_to(page, "input[name=title]")
    page.keyboard.type(TITLE)
    page.keyboard.press("Tab")
    page.keyboard.type("គំនិតមួយពីក្តារចុច")
    tab_to(page, "input[name=email]")
    page.keyboard.type("keys@example.org")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(confirm_link())
    tab_to(page, "main form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    idea = db.session.scalar(sa.select(Idea))
    assert idea.status == "pending" and idea.title == TITLE
    second = add_idea(event, title="Teh second idea")

    page.goto("/login")
    tab_to(page, "input[name=email]")
    page.keyboard.type("mod@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/moderate/{event.id}$"))
    queue_url = page.url
    page.evaluate("window.__stillHere = true")
    moved = navigations(page)
    page.keyboard.press("j")
    focused = page.evaluate("document.activeElement.id")
    assert focused == f"idea-row-{idea.id}"
    # The focused row is visibly marked.
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("a")
    page.locator(f"#idea-row-{idea.id} .row-status[data-status=approved]").wait_for()
    assert page.url == queue_url and moved == []
    assert page.evaluate("window.__stillHere") is True
    # The focus comes back to the row that was acted on, so the next key acts on it again.
    focus_on(page, f"idea-row-{idea.id}")
    page.keyboard.press("u")
    page.locator(f"#idea-row-{idea.id} .row-status[data-status=pending]").wait_for()
    focus_on(page, f"idea-row-{idea.id}")
    page.keyboard.press("a")
    page.locator(f"#idea-row-{idea.id} .row-status[data-status=approved]").wait_for()
    focus_on(page, f"idea-row-{idea.id}")

    # j / k move between rows; e edits the focused row; r rejects it.
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.id") == f"idea-row-{second.id}"
    page.keyboard.press("k")
    assert page.evaluate("document.activeElement.id") == f"idea-row-{idea.id}"
    page.keyboard.press("j")
    page.keyboard.press("e")
    assert page.evaluate("document.activeElement.name") == "title"
    page.keyboard.press("Control+A")
    page.keyboard.type("Typo fixed")
    page.keyboard.press("Enter")
    page.locator(f"#idea-row-{second.id}", has_text="Typo fixed").wait_for()
    focus_on(page, f"idea-row-{second.id}")
    page.keyboard.press("r")
    page.locator(f"#idea-row-{second.id} .row-status[data-status=rejected]").wait_for()
    assert page.url == queue_url and moved == []

    page.goto("/s/s1/ideas")
    assert TITLE in page.locator(f"#idea-{idea.id}").inner_text()
    assert "Typo fixed" not in page.content()
    page.watch.assert_clean()
