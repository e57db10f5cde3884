"""Every fragment the pages ask for with htmx, asked exactly as htmx 2 asks: the same method
and URL, `HX-Request`, `HX-Current-URL`, `HX-Target`/`HX-Trigger` where the element has an
id, and for a POST the CSRF token in `X-CSRFToken` with CSRF protection on. Each with real
rows in it, and each must show them: a fragment that fails answers 500 to a page that looks
fine, and only a request like these finds it."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from ideas_support import add_idea, make_registrant
from mailtools import add_test_templates, queue_many, queue_note
from plan_helpers import make_idea
from support import PASSWORD, create_user
from world import CONCLUDED, IDEAS_OPEN, make_event

from app.extensions import db
from app.ideas import workflow
from app.models import OutboxMessage, Plan, PlanItem, PlanSection, User

BASE = "http://localhost"


QUOTE = r'(?:"|&#34;|&quot;)'


def token_in(html):
    """The CSRF token htmx sends: the `X-CSRFToken` of the body's (data-)hx-headers."""
    match = re.search(rf"X-CSRFToken{QUOTE}\s*:\s*{QUOTE}([^\"&]+)", html)
    assert match, "no CSRF token for htmx on the page"
    return match.group(1)


def form_token_in(html):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


class Htmx:
    """A browser tab on `page_url` whose htmx makes the requests."""

    def __init__(self, client, page_url):
        self.client = client
        self.page_url = page_url
        page = client.get(page_url)
        assert page.status_code == 200, page.status_code
        self.token = token_in(page.text)

    def headers(self, target=None, trigger=None):
        headers = {"HX-Request": "true", "HX-Current-URL": BASE + self.page_url}
        if target:
            headers["HX-Target"] = target
        if trigger:
            headers["HX-Trigger"] = trigger
        return headers

    def get(self, url, target=None, trigger=None):
        return self.client.get(url, headers=self.headers(target, trigger))

    def post(self, url, data=None, target=None, trigger=None):
        headers = self.headers(target, trigger) | {"X-CSRFToken": self.token}
        return self.client.post(url, data=data or {}, headers=headers)


@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


def sign_in(app, role):
    with app.app_context():
        email = f"{role}@example.org"
        if db.session.scalar(sa.select(User).where(User.email == email)) is None:
            create_user(email, role)
    client = app.test_client()
    token = form_token_in(client.get("/login").text)
    answer = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 302
    return client


def assert_fragment(response, *shown, status=200):
    assert response.status_code == status, response.text[:2000]
    assert "<html" not in response.text
    assert "HX-Request" in response.headers["Vary"]
    for text in shown:
        assert text in response.text.replace("<wbr>", "")  # as it reads


# ---------------------------------------------------------------- the public idea board


def test_live_board_polling_shows_the_approved_ideas(csrf_app):
    with csrf_app.app_context():
        event = make_event(IDEAS_OPEN, slug="live", starts_in=-timedelta(minutes=10))
        add_idea(event, title="Free the press", status="approved")
        add_idea(event, title="Talked about", status="discussed")
        add_idea(event, title="Still pending", status="pending")
    tab = Htmx(csrf_app.test_client(), "/s/live/ideas")
    poll = tab.get("/s/live/ideas", target="idea-board", trigger="idea-board")
    assert_fragment(poll, "Free the press", "Talked about", 'id="idea-board"')
    assert "Still pending" not in poll.text
    assert 'data-hx-trigger="every 15s"' in poll.text  # keeps polling while live


def test_board_polling_keeps_the_visitors_language(csrf_app):
    with csrf_app.app_context():
        event = make_event(IDEAS_OPEN, slug="live", starts_in=-timedelta(minutes=10))
        add_idea(event, title="Free the press", status="approved", theme_id=event.themes[0].id)
    tab = Htmx(csrf_app.test_client(), "/s/live/ideas?lang=km")
    poll = tab.get("/s/live/ideas?lang=km", target="idea-board", trigger="idea-board")
    assert_fragment(poll, "Free the press", "ការបោះឆ្នោត")


def test_board_polling_interval_is_a_setting(make_app):
    app = make_app(IDEAS_BOARD_POLL_SECONDS=3)
    with app.app_context():
        make_event(IDEAS_OPEN, slug="live", starts_in=-timedelta(minutes=10))
    assert 'data-hx-trigger="every 3s"' in app.test_client().get("/s/live/ideas").text


# ---------------------------------------------------------------- the moderation queue


@pytest.fixture
def queue(csrf_app):
    with csrf_app.app_context():
        event = make_event(IDEAS_OPEN)
        ideas = [add_idea(event, title=f"Pending idea {n}") for n in range(3)]
        return event.id, [(i.id, i.revision) for i in ideas]


def test_queue_table_fragment_shows_the_ideas(csrf_app, queue):
    event_id, _ideas = queue
    tab = Htmx(sign_in(csrf_app, "moderator"), f"/moderate/{event_id}")
    response = tab.get(f"/moderate/{event_id}?status=pending", target="queue")
    assert_fragment(response, 'id="queue"', "Pending idea 0", "Pending idea 2", "3 ideas")


def test_queue_row_action_answers_the_new_row(csrf_app, queue):
    event_id, ideas = queue
    idea_id, revision = ideas[1]
    tab = Htmx(sign_in(csrf_app, "moderator"), f"/moderate/{event_id}")
    response = tab.post(
        f"/moderate/{event_id}/ideas/{idea_id}/theme",
        {"revision": revision, "theme_id": "", "next": f"/moderate/{event_id}"},
        target=f"idea-row-{idea_id}",
    )
    assert_fragment(response, f'id="idea-row-{idea_id}"', "Pending idea 1", "Theme set.")
    assert response.text.lstrip().startswith("<tr")


def test_queue_approve_answers_the_rows_new_status_line(csrf_app, queue):
    event_id, ideas = queue
    idea_id, revision = ideas[1]
    tab = Htmx(sign_in(csrf_app, "moderator"), f"/moderate/{event_id}")
    response = tab.post(
        f"/moderate/{event_id}/ideas/{idea_id}/approve",
        {"revision": revision, "next": f"/moderate/{event_id}"},
        target=f"idea-row-{idea_id}",
    )
    # The row stays where it is; its status line, message and revision are swapped by id.
    assert_fragment(response, f'id="idea-status-{idea_id}"', "Approved", 'data-hx-swap-oob="true"')
    assert response.headers["HX-Reswap"] == "none"
    assert "<tr" not in response.text


def test_queue_bulk_action_answers_the_table(csrf_app, queue):
    event_id, ideas = queue
    tab = Htmx(sign_in(csrf_app, "moderator"), f"/moderate/{event_id}")
    response = tab.post(
        f"/moderate/{event_id}/bulk",
        {"action": "approve", "ids": [f"{i}:{r}" for i, r in ideas[:2]], "status": "all"},
        target="queue",
        trigger="bulk-form",
    )
    assert_fragment(response, 'id="queue"', "Approved 2 ideas.", "Pending idea 0")


def test_a_post_without_the_csrf_header_is_refused(csrf_app, queue):
    event_id, ideas = queue
    client = sign_in(csrf_app, "moderator")
    response = client.post(
        f"/moderate/{event_id}/ideas/{ideas[0][0]}/approve",
        data={"revision": ideas[0][1]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400


# ---------------------------------------------------------------- organizer pages


def test_registrants_table_fragment_shows_the_matches(csrf_app):
    with csrf_app.app_context():
        event = make_event(IDEAS_OPEN)
        make_registrant(event, email="dara@example.org", name="Sok Dara")
        make_registrant(event, email="vanna@example.org", name="Chan Vanna")
        event_id = event.id
    page_url = f"/admin/events/{event_id}/registrants"
    tab = Htmx(sign_in(csrf_app, "admin"), page_url)
    response = tab.get(f"{page_url}?q=dara&status=&language=&country=", target="results")
    assert_fragment(response, 'id="results"', "dara@example.org", "1 registrant matches.")
    assert "vanna@example.org" not in response.text


@pytest.fixture
def outbox(csrf_app):
    with csrf_app.app_context():
        add_test_templates(csrf_app)
        event = make_event(IDEAS_OPEN)
        queue_many(event, 3, batch="plan-v1")
        failed = queue_note(event, "refused@example.org", key="refused")
        db.session.flush()
        failed.status, failed.attempts, failed.last_error = "failed", 1, "550 no such user"
        db.session.commit()
        return failed.id


def test_outbox_progress_fragment_shows_the_batch(csrf_app, outbox):
    tab = Htmx(sign_in(csrf_app, "admin"), "/admin/outbox")
    response = tab.get("/admin/outbox/progress?batch=plan-v1")
    assert_fragment(response, "plan-v1", "0 of 3 handled", '<progress max="3" value="0">')


def test_outbox_retry_answers_the_new_row(csrf_app, outbox):
    tab = Htmx(sign_in(csrf_app, "admin"), "/admin/outbox?status=failed")
    response = tab.post(
        f"/admin/outbox/{outbox}/retry", {"status": "failed"}, target=f"outbox-{outbox}"
    )
    assert_fragment(response, f'id="outbox-{outbox}"', "r***@example.org", "queued")
    with csrf_app.app_context():
        assert db.session.get(OutboxMessage, outbox).status == "queued"


# ---------------------------------------------------------------- the plan editor


@pytest.fixture
def plan(csrf_app):
    """A plan with two sections; the first has two items, one linked to an idea."""
    with csrf_app.app_context():
        event = make_event(CONCLUDED)
        linked = make_idea(event, "Free all political prisoners", theme=event.themes[0])
        make_idea(event, "Fund exiled journalists", theme=event.themes[1])
        plan = Plan(event=event, intro={})
        db.session.add(plan)
        first = PlanSection(plan=plan, position=0, title={"en": "Justice"}, body={})
        second = PlanSection(plan=plan, position=1, title={"en": "Media"}, body={})
        one = PlanItem(section=first, position=0, what={"en": "Release them"}, who={})
        two = PlanItem(section=first, position=1, what={"en": "Watch the trials"}, who={})
        one.ideas.append(linked)
        db.session.add_all([first, second, one, two])
        db.session.commit()
        ids = dict(event=event.id, first=first.id, second=second.id, one=one.id, two=two.id)
        ids["idea"] = linked.id
        ids["other_idea"] = db.session.scalar(
            sa.select(sa.func.max(workflow.Idea.id)).where(workflow.Idea.event_id == event.id)
        )
        return ids


def editor_tab(csrf_app, plan):
    return Htmx(sign_in(csrf_app, "admin"), f"/admin/events/{plan['event']}/plan")


def test_moving_a_section_answers_the_sections(csrf_app, plan):
    tab = editor_tab(csrf_app, plan)
    response = tab.post(
        f"{tab.page_url}/sections/{plan['second']}/move",
        {"direction": "up"},
        target="plan-sections",
        trigger=f"section-{plan['second']}-up",
    )
    assert_fragment(response, 'id="plan-sections"', "Release them", "Watch the trials")
    assert response.text.index(f'id="section-{plan["second"]}"') < response.text.index(
        f'id="section-{plan["first"]}"'
    )


@pytest.mark.parametrize("action", ["move", "delete", "add", "edit"])
def test_item_actions_answer_the_sections_items(csrf_app, plan, action):
    tab = editor_tab(csrf_app, plan)
    target = f"section-{plan['first']}-items"
    base = tab.page_url
    if action == "move":
        response = tab.post(
            f"{base}/items/{plan['two']}/move",
            {"direction": "up"},
            target=target,
            trigger=f"item-{plan['two']}-up",
        )
        assert response.text.index("Watch the trials") < response.text.index("Release them")
    elif action == "delete":
        response = tab.post(f"{base}/items/{plan['two']}/delete", target=target)
        assert "Watch the trials" not in response.text
    elif action == "add":
        response = tab.post(f"{base}/sections/{plan['first']}/items", target=target)
        assert response.text.count('class="plan-edit-item"') == 3
    else:
        response = tab.get(
            f"{base}/items/{plan['one']}/edit", target=target, trigger=f"item-{plan['one']}-edit"
        )
    assert_fragment(response, f'id="{target}"', "Release them", "Free all political prisoners")


def test_searching_ideas_answers_the_results(csrf_app, plan):
    tab = editor_tab(csrf_app, plan)
    item = plan["one"]
    response = tab.get(
        f"{tab.page_url}/items/{item}/ideas?q=journalists",
        target=f"item-{item}-results",
        trigger=f"item-{item}-q",
    )
    assert_fragment(response, "Fund exiled journalists")
    assert "Free all political prisoners" not in response.text


def test_linking_and_unlinking_an_idea_answer_the_items_ideas(csrf_app, plan):
    tab = editor_tab(csrf_app, plan)
    item, other = plan["one"], plan["other_idea"]
    linked = tab.post(
        f"{tab.page_url}/items/{item}/ideas",
        {"idea_id": other, "q": "journalists"},
        target=f"item-{item}-ideas",
    )
    assert_fragment(linked, f'id="item-{item}-ideas"', "Fund exiled journalists")
    assert 'id="unused-ideas"' in linked.text and "Ideas not used yet (0)" in linked.text
    unlinked = tab.post(
        f"{tab.page_url}/items/{item}/ideas/{other}/unlink", target=f"item-{item}-ideas"
    )
    assert_fragment(unlinked, f'id="item-{item}-ideas"', "Ideas not used yet (1)")
