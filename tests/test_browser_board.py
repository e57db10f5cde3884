"""In Chromium: the public idea board during a live session updates itself. A moderator
approves an idea while a visitor has the board open; after one polling cycle the visitor
sees it, without reloading."""

from datetime import timedelta

import pytest
from ideas_support import add_idea
from support import create_user
from world import IDEAS_OPEN, make_event

from app.extensions import db
from app.ideas import workflow

pytestmark = pytest.mark.browser


def test_live_board_shows_a_newly_approved_idea_without_a_reload(app, page, live_server):
    app.config["IDEAS_BOARD_POLL_SECONDS"] = 1  # the page keeps its default of 15 s
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    event = make_event(IDEAS_OPEN, slug="live", starts_in=-timedelta(minutes=10))
    add_idea(event, title="Free the press", status="approved")
    waiting = add_idea(event, title="Release every prisoner of conscience")
    assert waiting.status == "pending"
    moderator = create_user("mod@example.org", "moderator")

    page.goto("/s/live/ideas")
    board = page.locator("#idea-board")
    board.get_by_text("Free the press").wait_for()
    assert board.get_by_text("Release every prisoner of conscience").count() == 0
    loads = []
    page.on("load", lambda: loads.append(page.url))
    polled = []
    page.on("response", lambda r: "/s/live/ideas" in r.url and polled.append(r.status))

    workflow.approve(waiting, moderator, waiting.revision)
    db.session.commit()

    # One polling cycle (1 s here), with a generous ceiling for a busy machine.
    board.get_by_text("Release every prisoner of conscience").wait_for(timeout=60_000)
    assert board.get_by_text("Free the press").count() == 1
    assert loads == []  # updated in place, not reloaded
    assert polled and set(polled) == {200}
    page.watch.assert_clean()
