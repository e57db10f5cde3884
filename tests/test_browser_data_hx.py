"""In Chromium, with CSRF protection on: htmx reads the data-hx-* attributes (written so for
valid HTML): an inline action carries the CSRF token of <body data-hx-headers> as a header,
and the row changes in place, without a page load."""

import re

import pytest
import sqlalchemy as sa
from ideas_support import add_idea
from support import PASSWORD, LiveServer, PageWatch, create_user
from world import IDEAS_OPEN, make_event

from app.extensions import db
from app.models import Idea

pytestmark = pytest.mark.browser


@pytest.fixture
def csrf_server(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    server = LiveServer(app).start()
    app.config["BASE_URL"] = server.url
    with app.app_context():
        yield server
    server.stop()


def test_an_inline_approval_sends_the_csrf_token_from_data_hx_headers(browser, csrf_server):
    event = make_event(IDEAS_OPEN)
    idea = add_idea(event, title="Free the press")
    create_user("mod@example.org", "moderator")
    context = browser.new_context(base_url=csrf_server.url)
    page = context.new_page()
    page.watch = PageWatch(page)
    page.goto("/login")
    page.fill("input[name=email]", "mod@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/moderate/{event.id}$"))
    assert page.locator("body").get_attribute("data-hx-headers")
    assert page.locator("[hx-post], [hx-get], [hx-headers]").count() == 0
    page.evaluate("window.__stillHere = true")
    with page.expect_response(re.compile(r"/ideas/\d+/approve$")) as answer:
        page.locator(f"#idea-row-{idea.id}").get_by_role(
            "button", name=re.compile("^Approve")
        ).click()
    assert answer.value.status == 200
    # htmx read <body data-hx-headers>: the token went as a header, as Flask-WTF reads it.
    assert answer.value.request.header_value("x-csrftoken")
    page.locator(f"#idea-row-{idea.id} .row-status[data-status=approved]").wait_for()
    assert page.evaluate("window.__stillHere") is True  # swapped in place, no page load
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).status == "approved"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Idea)) == 1
    page.watch.assert_clean()
    context.close()
