"""Accessibility in Chromium: axe-core (carried by axe-playwright-python, injected into the
page, so nothing is fetched) on every public page, the moderation queue and the organizer's
plan editor and registrants, in English and Khmer, on a desktop and at phone width, with no
serious or critical violation; and the session page and the moderation queue worked with the
Tab key alone, the focus always visible."""

import pytest
from world import World, publish_plan

pytestmark = pytest.mark.browser

BLOCKING = ("serious", "critical")
# Reported by axe as minor, yet a screen reader reads nothing for them: fail on them too.
ALSO_BLOCKING = ("empty-table-header",)
# A desktop, and a phone (where most of the public comes from).
WIDTHS = pytest.mark.parametrize("width", [1280, 360], ids=["desktop", "phone"])


def at_width(page, width):
    page.set_viewport_size({"width": width, "height": 800})


@pytest.fixture
def world(app, client):
    world = World()
    from support import Auth

    Auth(client).login(world.organizer.email)
    assert publish_plan(client, world).status_code == 302
    return world


def axe_check(page, path):
    from axe_playwright_python.sync_playwright import Axe

    page.goto(path)
    results = Axe().run(page)
    blocking = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:5])
        for v in results.response["violations"]
        if v["impact"] in BLOCKING or v["id"] in ALSO_BLOCKING
    ]
    assert blocking == [], f"{path}: {blocking}"


def public_paths(world):
    slug = world.event.slug
    return [
        "/",
        f"/s/{slug}",
        f"/s/{slug}/ideas/new",
        f"/s/{slug}/ideas",
        f"/s/{slug}/ideas/screen",
        f"/s/{slug}/plan",
        f"/r/manage/{world.manage_token}",
        f"/r/manage/{world.manage_token}/feedback",
        f"/r/confirm/{world.confirm_token}",
        f"/ideas/status/{world.idea_status_token}",
        "/privacy",
        "/login",
        "/no-such-page",
    ]


def sign_in(page, email):
    from support import PASSWORD

    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state()


@WIDTHS
@pytest.mark.parametrize("lang", ["en", "km"])
def test_public_pages_have_no_serious_accessibility_violation(page, world, lang, width):
    at_width(page, width)
    for path in public_paths(world):
        axe_check(page, path + ("&" if "?" in path else "?") + f"lang={lang}")
    assert page.watch.outside == []  # axe came in by injection, not over the network


def test_axe_does_find_a_serious_violation(page, world):
    """The check can fail: an image without a text alternative is reported."""
    from axe_playwright_python.sync_playwright import Axe

    page.goto("/privacy")
    page.evaluate(
        "() => { const i = document.createElement('img'); i.src = 'data:,';"
        " document.querySelector('main').appendChild(i); }"
    )
    ids = {v["id"] for v in Axe().run(page).response["violations"] if v["impact"] in BLOCKING}
    assert "image-alt" in ids


LONG_TEXT = "\n\n".join(
    ["Free every political prisoner, and let the exiled journalists come home." * 6] * 9
)


@WIDTHS
def test_the_moderation_queue_has_no_serious_accessibility_violation(page, world, width):
    from ideas_support import add_idea

    add_idea(world.event, title="A long idea", body=LONG_TEXT[:4000])  # its text scrolls
    at_width(page, width)
    sign_in(page, world.moderator.email)
    axe_check(page, f"/moderate/{world.event.id}")
    axe_check(page, "/moderate/")
    assert page.watch.outside == []


@WIDTHS
def test_the_organizer_pages_have_no_serious_accessibility_violation(page, world, width):
    at_width(page, width)
    sign_in(page, world.organizer.email)
    axe_check(page, f"/admin/events/{world.event.id}/plan")  # with its versions table
    axe_check(page, f"/admin/events/{world.event.id}/registrants")
    axe_check(page, f"/admin/events/{world.event.id}/feedback")
    axe_check(page, f"/admin/events/{world.event.id}/speakers")
    axe_check(page, f"/admin/events/{world.event.id}/speaker/{world.speaker.id}")
    assert page.watch.outside == []


def test_the_registrants_filter_has_a_submit_button_with_javascript_on(page, world):
    sign_in(page, world.organizer.email)
    page.goto(f"/admin/events/{world.event.id}/registrants")
    assert page.evaluate("() => !!window.htmx")  # JavaScript on, htmx loaded
    filters = page.locator("form.filters")
    button = filters.get_by_role("button", name="Filter")
    assert button.is_visible()
    filters.locator("select[name=status]").select_option("unconfirmed", no_wait_after=True)
    button.click()
    results = page.locator("#results")
    results.get_by_text("pending@example.org").wait_for()
    page.wait_for_function("() => !document.body.innerText.includes('known@example.org')")
    assert "status=unconfirmed" in page.url


def focus_is_visible(page):
    """The focused element draws an outline (or a box shadow) that a sighted keyboard user
    sees, and it matches :focus-visible."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el || el === document.body) return false;
            const s = getComputedStyle(el);
            const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
            const shadow = s.boxShadow && s.boxShadow !== 'none';
            return el.matches(':focus-visible') && (outline || shadow);
        }"""
    )


def tab_through(page, limit=200):
    """Tab from the top of the page to the end; what got the focus, and whether each
    focus was visible."""
    page.keyboard.press("Tab")
    seen = []
    for _ in range(limit):
        info = page.evaluate(
            """() => {
                const el = document.activeElement;
                return el ? [el.tagName, el.id || el.getAttribute('name') || '',
                             (el.getAttribute('href') || el.getAttribute('formaction') || '')
                             + '|' + (el.form ? el.form.getAttribute('action') : '')]
                          : null;
            }"""
        )
        if info is None or info[0] == "BODY" or (seen and info == seen[0][0]):
            break
        seen.append((info, focus_is_visible(page)))
        page.keyboard.press("Tab")
    return seen


def test_the_session_page_works_by_keyboard_with_visible_focus(page, world):
    from app.extensions import db

    world.event.state = "published"  # registration and ideas open again
    db.session.commit()
    page.goto(f"/s/{world.event.slug}")
    seen = tab_through(page)
    invisible = [info for info, visible in seen if not visible]
    assert invisible == [], invisible
    reached = [info for info, _ in seen]
    names = {info[1] for info in reached}
    # Every control of the registration form, and the skip link first.
    assert reached[0][0] == "A" and reached[0][2].startswith("#main")
    assert {"email", "name", "language", "consent"} <= names, reached
    assert any(info[0] == "BUTTON" and "/register" in info[2] for info in reached), reached
    # The same number of focus stops as there are enabled controls and links on the page.
    focusable = page.evaluate(
        """() => [...document.querySelectorAll('a[href], button, input, select, textarea, summary')]
              .filter(e => !e.disabled && e.type !== 'hidden' && e.checkVisibility()
                      && e.tabIndex >= 0).map(e => e.tagName + ' ' + (e.id || e.name || '')
                      + ' ' + (e.getAttribute('href') || ''))"""
    )
    radios = page.evaluate(
        """() => { const r = [...document.querySelectorAll('input[type=radio]')]
                     .filter(e => e.checkVisibility());
                   return r.length - new Set(r.map(e => e.name)).size; }"""
    )
    assert len(reached) == len(focusable) - radios, f"{reached}\n{focusable}"
    # The idea form's further options open from the keyboard.
    page.focus("summary")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "idea-theme"
    assert focus_is_visible(page)


def test_the_moderation_queue_works_by_keyboard_with_visible_focus(page, world):
    from ideas_support import add_idea

    add_idea(world.event, title="Waiting for a moderator")
    sign_in(page, world.moderator.email)
    page.goto(f"/moderate/{world.event.id}")
    seen = tab_through(page, limit=300)
    invisible = [info for info, visible in seen if not visible]
    assert invisible == [], invisible
    buttons = [info for info, _ in seen if info[0] == "BUTTON"]
    assert any("/approve" in info[2] for info in buttons), buttons
    assert any("/reject" in info[2] for info in buttons), buttons
    # Approve with the keyboard: the row says so, in place.
    on_approve = """() => { const f = document.activeElement.closest('form');
        return !!f && (f.getAttribute('action') || '').endsWith('/approve'); }"""
    while not page.evaluate(on_approve):
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.body.innerText.includes('Approved')")
    assert page.watch.outside == []
