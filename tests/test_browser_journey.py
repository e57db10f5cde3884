"""Three journeys through Sala in Chromium, on a 360 px phone and a 1280 px laptop, in Khmer
and English, over the demo (`sala demo`): the visitor's, the moderator's and the
organizer's. Each step asserts what the person would notice and writes a full-page
screenshot to test-artifacts/journey/<who>/<lang>-<width>/<NN-step>.png (git-ignored;
SALA_TEST_ARTIFACTS moves it), so a person can look at the journey after a run.

Issue 18's points and the Chromium tests that assert each at 360 and 1280 px, in Khmer and
English (point 9 is the publish work's):

1. the visitor's time in the page's language: test_browser_your_time; here (visitor 02)
2. a failed form lands on a focused summary: test_browser_form_errors; here (visitor 03,
   organizer 03)
3. cancelling asks once: here (visitor 07); erasing asks first: test_browser_visitor_pages
4. the idea status page once the plan is out: test_browser_visitor_pages
5. small ones: the theme filter fits (test_browser_theme_filter); the untranslated mark
   (test_browser_visitor_pages); the country by its name and times with their zone (here,
   visitor 06, organizer 09)
6. tables fit: test_browser_organizer_fit (360, 768, 1280); here (moderator 02, organizer 09)
7. dashboard charts: test_browser_organizer_fit
8. session states in words: here (organizer 02, 04, 06)
10. concluding early warns: here (organizer 07)
11. the demo's ideas in the moderator's queue, the demo banner on the demo only: here
    (moderator 02, visitor 02, organizer 08)

Every step also checks that the page is in the journey's language and does not scroll
sideways.
"""

import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext
from playwright.sync_api import expect
from support import PASSWORD, WIDTHS, PageWatch, artifact_path, create_user, viewport

from app import demo, demo_concluded
from app.extensions import db
from app.ideas.workflow import status_label as idea_status_label
from app.models import Event, Idea, OutboxMessage
from app.registration import domain
from app.sessions.overview import state_label
from app.templating import country_name, local_time, zone_city, zone_name

pytestmark = pytest.mark.browser

VISITOR_ZONE = "America/New_York"  # the demo's own zone is Phnom Penh
NO_SIDEWAYS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


class Journey:
    """One person's way through the site in one browser page: `step(name)` keeps a
    full-page screenshot of what they see now, numbered in order."""

    def __init__(self, app, page, who, lang, width):
        self.app, self.page, self.lang, self.width = app, page, lang, width
        self.folder = ("journey", who, f"{lang}-{width}")
        self.count = 0

    def say(self, function, *args, **kwargs):
        """What `function` (gettext, a label helper) says in the journey's language."""
        with self.app.test_request_context(f"/?lang={self.lang}"), force_locale(self.lang):
            return str(function(*args, **kwargs))

    def words(self, msgid, **values):
        return self.say(gettext, msgid, **values)

    def step(self, name):
        self.count += 1
        self.page.evaluate("document.fonts.ready")
        assert self.page.locator("html").get_attribute("lang") == self.lang, name
        assert self.page.evaluate(NO_SIDEWAYS), f"{name}: the page scrolls sideways"
        path = artifact_path(*self.folder, f"{self.count:02d}-{name}.png")
        # caret="initial": Playwright hides the caret through each field's style attribute,
        # and the empty style="" it leaves behind is copied by htmx's settling onto a row it
        # swaps in, which the Content-Security-Policy then reports.
        self.page.screenshot(path=path, full_page=True, caret="initial")


@pytest.fixture
def journey(app, browser, live_server, request):
    """A journey for (who, lang, width) of the test's parameters, over the demo."""
    demo.load_demo()
    lang, width = request.node.callspec.params["lang"], request.node.callspec.params["width"]
    who = request.node.originalname.removeprefix("test_").split("_")[0]
    context = browser.new_context(
        base_url=live_server.url, viewport=viewport(width), timezone_id=VISITOR_ZONE
    )
    page = context.new_page()
    watch = PageWatch(page)
    yield Journey(app, page, who, lang, width)
    watch.assert_clean()
    context.close()


def demo_event(slug=demo.SLUG):
    return db.session.scalar(sa.select(Event).where(Event.slug == slug))


def mail_link(to, path):
    """The link to `path` (e.g. "/r/confirm/") in the last mail queued for `to`."""
    db.session.expire_all()
    bodies = db.session.scalars(
        sa.select(OutboxMessage.body_text)
        .where(OutboxMessage.recipient == to)
        .order_by(OutboxMessage.id.desc())
    ).all()
    for body in bodies:
        found = re.search(rf"https?://\S+{re.escape(path)}[\w\-]+", body)
        if found:
            return found.group(0)
    raise AssertionError(f"no mail to {to} with a {path} link")


def sign_in(journey, email):
    page = journey.page
    page.goto(f"/login?lang={journey.lang}")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    journey.step("sign-in")
    page.get_by_role("button", name=journey.words("Sign in")).click()
    page.wait_for_load_state()


# ---------------------------------------------------------------- the visitor


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["km", "en"])
def test_visitor_registers_confirms_and_follows_an_idea(journey, lang, width):
    page, event = journey.page, demo_event()
    title = event.text("title", lang)
    email = f"visitor-{lang}-{width}@example.org"

    page.goto(f"/?lang={lang}")
    card = page.locator("main li, main article").filter(has_text=title).first
    expect(card).to_be_visible()
    journey.step("home")

    page.get_by_role("link", name=title).first.click()
    expect(page.locator("h1")).to_contain_text(title)
    # The demo says it is one; the visitor's own time, in the page's words (issue 18.1).
    expect(page.locator(".demo-note")).to_be_visible()
    when = journey.say(local_time, event.starts_at, VISITOR_ZONE, "full", locale=lang)
    zone = journey.say(zone_name, VISITOR_ZONE, locale=lang)
    expect(page.locator(".your-time strong")).to_have_text(f"{when} ({zone})")
    expect(page.locator(".countdown strong")).to_be_visible()
    journey.step("session-page")

    # A mistake: an address without its @, the consent left unticked (issue 18.2).
    page.fill("#email", "visitor.example.org")
    page.fill("#name", "Dara")
    page.select_option("#country", "KH")
    page.locator("#register button[type=submit]").click()
    page.wait_for_load_state()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text(journey.words("Please check what you entered:"))
    assert summary.evaluate("el => el === document.activeElement"), "summary not focused"
    assert summary.evaluate("el => el.getBoundingClientRect().top < window.innerHeight")
    expect(page.locator("#name")).to_have_value("Dara")  # what was typed is kept
    journey.step("register-mistake")

    page.fill("#email", email)
    page.check("#consent")
    page.locator("#register button[type=submit]").click()
    page.wait_for_url("**/registered")
    expect(page.locator("h1")).to_have_text(journey.words("Check your email"))
    journey.step("check-your-email")

    page.goto(mail_link(email, "/r/confirm/"))
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text(journey.words("You are registered"))
    journey.step("confirmed")

    # The personal page: the country by its name, times with their zone (issue 18.5).
    page.goto(mail_link(email, "/r/manage/"))
    expect(page.locator("h1")).to_have_text(journey.words("Your registration"))
    details = page.locator("dl.details")
    expect(details).to_contain_text(journey.words("Registered"))
    expect(details).to_contain_text(journey.say(country_name, "KH", locale=lang))
    assert "KH" not in details.inner_text()
    city = journey.say(zone_city, event.timezone, locale=lang)
    expect(page.locator("main .when").first).to_contain_text(f"({city})")
    journey.step("personal-page")

    # Cancelling asks once, in the visitor's language; "No" keeps the seat (issue 18.3).
    page.locator("form[action*='/cancel'] button").first.click()
    question = page.locator(".confirm-question")
    expect(question).to_contain_text(
        journey.words(
            "Do you really want to cancel your registration? "
            "You will no longer receive the join details."
        )
    )
    journey.step("cancel-asks")
    page.get_by_role("link", name=journey.words("No, keep my registration")).click()
    expect(page.locator("dl.details")).to_contain_text(journey.words("Registered"))

    # An idea: sent, confirmed from its mail, followed on its status page.
    page.goto(f"/s/{event.slug}/ideas/new")
    form = page.locator("form.idea-form")
    idea_title, idea_body = {
        "km": (f"ដោះលែងអ្នកទោសនយោបាយ ({width})", "សូមដោះលែងអ្នកទោសនយោបាយទាំងអស់។"),
        "en": (f"Free the political prisoners ({width})", "Free every one of them."),
    }[lang]
    form.locator("input[name=title]").fill(idea_title)
    form.locator("textarea[name=body]").fill(idea_body)
    form.locator("input[name=email]").fill(email)
    journey.step("idea-form")
    form.locator("button[type=submit]").click()
    expect(page.locator("h1")).to_have_text(journey.words("Thank you for your idea"))
    journey.step("idea-sent")

    page.goto(mail_link(email, "/ideas/confirm/"))
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text(journey.words("Idea confirmed"))
    page.goto(mail_link(email, "/ideas/status/"))
    idea = db.session.scalar(sa.select(Idea).where(Idea.author_email == email))
    expect(page.locator(".idea-card h2")).to_have_text(idea_title)
    expect(page.locator(".idea-status strong")).to_have_text(
        journey.say(idea_status_label, idea.status)
    )
    expect(page.locator("main button[type=submit]")).to_have_text(journey.words("Withdraw my idea"))
    journey.step("idea-status")


# ---------------------------------------------------------------- the moderator


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["km", "en"])
def test_moderator_reviews_the_demo_queue(journey, lang, width):
    page, event = journey.page, demo_event()
    create_user("moderator@example.org", "moderator")
    sign_in(journey, "moderator@example.org")

    page.goto("/moderate/")
    page.get_by_role("link", name=event.text("title", lang)).click()
    expect(page.locator("h1")).to_contain_text(journey.words("Moderation"))
    # The demo's waiting ideas, in Khmer, English and French (issue 18.11).
    rows = page.locator("tr.idea-row")
    expect(rows.first).to_be_visible()
    titles = page.locator("tr.idea-row strong[id^=idea-title-]")
    assert {t.get_attribute("lang") for t in titles.all()} >= {"km", "en", "fr"}
    journey.step("queue")

    approved, rejected = rows.nth(0), rows.nth(1)
    approved_title = approved.locator("strong[id^=idea-title-]").inner_text()
    rejected_title = rejected.locator("strong[id^=idea-title-]").inner_text()
    approved_id = approved.get_attribute("id")
    rejected_id = rejected.get_attribute("id")
    approved.locator("button[data-action=approve]").click()
    row = page.locator(f"#{approved_id}")
    expect(row.locator(".row-status")).to_have_attribute("data-status", "approved")
    expect(row.locator(".row-status strong")).to_have_text(
        journey.say(idea_status_label, "approved")
    )
    journey.step("approved")

    page.locator(f"#{rejected_id} button[data-action=reject]").click()
    row = page.locator(f"#{rejected_id}")
    expect(row.locator(".row-status")).to_have_attribute("data-status", "rejected")
    expect(row.locator(".row-status strong")).to_have_text(
        journey.say(idea_status_label, "rejected")
    )
    journey.step("rejected")

    page.goto(f"/s/{event.slug}/ideas")
    board = page.locator("#idea-board")
    expect(board).to_contain_text(approved_title)
    expect(board).not_to_contain_text(rejected_title)
    journey.step("board")


# ---------------------------------------------------------------- the organizer


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", ["km", "en"])
def test_organizer_creates_a_session_and_publishes_the_plan(journey, lang, width):
    page = journey.page
    upcoming, concluded = demo_event(), demo_event(demo_concluded.SLUG)
    for email, name in [
        ("international.relations.coordinator@human-rights-network.example.org", "Margaret"),
        ("k.sophal@example.org", "Kim Sophal, Cambodian Centre for Independent Media"),
    ]:
        domain.register(upcoming, email=email, name=name, language="en", country="KH")
    db.session.commit()
    create_user("organizer@example.org", "admin")
    sign_in(journey, "organizer@example.org")

    # The list of sessions names each state in words (issue 18.8).
    page.goto("/admin/")
    states = page.locator(f"main td[data-label='{journey.words('State')}']").all_inner_texts()
    labels = {key: journey.say(state_label, key) for key in ("published", "plan_published")}
    assert sorted(states) == sorted(labels.values()), states  # the demo's two sessions
    journey.step("sessions")

    # A new session, first with a zone that does not exist (issue 18.2).
    page.get_by_role("link", name=journey.words("New session")).click()
    title = {"km": "អនាគតកម្ពុជា", "en": "Cambodia's future"}[lang]
    page.fill("#slug", f"future-{lang}-{width}")
    page.fill("#title_en", "Cambodia's future")
    page.fill("#title_km", "អនាគតកម្ពុជា")
    page.fill("#summary_en", "A public session on what comes next.")
    page.fill("#starts_at", "2030-11-01T19:00")
    page.fill("#timezone", "Bad/Zone")
    page.get_by_role("button", name=journey.words("Create the session")).click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    assert summary.evaluate("el => el === document.activeElement"), "summary not focused"
    expect(page.locator("#timezone-error")).to_be_visible()
    expect(page.locator("#title_en")).to_have_value("Cambodia's future")
    journey.step("new-session-mistake")

    page.fill("#timezone", "Asia/Phnom_Penh")
    page.get_by_role("button", name=journey.words("Create the session")).click()
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator("main .state")).to_have_text(journey.say(state_label, "draft"))
    journey.step("session-created")

    page.get_by_role("link", name=journey.words("Edit the session")).click()
    page.fill("#title_en", "Cambodia's future, 2030")
    page.fill("#title_km", "អនាគតកម្ពុជា ២០៣០")
    page.get_by_role("button", name=journey.words("Save the session")).click()
    title = {"km": "អនាគតកម្ពុជា ២០៣០", "en": "Cambodia's future, 2030"}[lang]
    expect(page.locator("h1")).to_have_text(title)
    journey.step("session-edited")

    page.get_by_role("button", name=journey.words("Publish the session")).click()
    expect(page.locator("main .state")).to_have_text(journey.say(state_label, "published"))
    journey.step("session-published")

    # Concluding a session of 2030 warns first; going back changes nothing (issue 18.10).
    page.get_by_role("button", name=journey.words("Conclude the session")).click()
    warning = page.locator(".warning[role=alert]")
    expect(warning).to_contain_text(
        journey.words(
            "If you conclude it now, its page tells visitors that it has ended and "
            "registration closes. Conclude it early only if the meeting was cancelled or "
            "held earlier."
        )
    )
    journey.step("conclude-warns")
    page.locator("main a", has_text=journey.words("Cancel")).click()
    expect(page.locator("main .state")).to_have_text(journey.say(state_label, "published"))

    # Its public page: no demonstration banner on a session that is not the demo (18.11).
    page.get_by_role("link", name=journey.words("Public page")).click()
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator(".demo-note")).to_have_count(0)
    journey.step("public-page")

    # The demo's registrants: long addresses read whole, the country by its name (18.6).
    page.goto(f"/admin/events/{upcoming.id}/registrants")
    results = page.locator("#results")
    expect(results).to_contain_text("k.sophal@example.org")
    expect(results).to_contain_text(journey.say(country_name, "KH", locale=lang))
    journey.step("registrants")

    # The concluded demo session's plan: a new version, published and read by the public.
    page.goto(f"/admin/events/{concluded.id}/plan")
    publish = page.locator("form[action$='/plan/publish']")
    number = int(re.search(r"\d+", publish.locator("button[type=submit]").inner_text()).group())
    journey.step("plan-editor")
    publish.locator("button[type=submit]").click()
    # One step, asked once more; a later version is published without mailing by default.
    expect(page.locator("h1")).to_have_text(
        journey.words("Publish version %(n)d of the Plan of Action?", n=number)
    )
    journey.step("plan-publish-confirm")
    page.get_by_role("button", name=journey.words("Yes, publish without mailing")).click()
    expect(page.locator(".flashes")).to_contain_text(
        journey.words("Version %(n)d is published. Nobody was mailed.", n=number)
    )
    journey.step("plan-published")
    page.goto(f"/s/{concluded.slug}/plan")
    expect(page.locator(".plan-permalink")).to_contain_text(f"/plan/v{number}")
    journey.step("public-plan")
