"""No id twice on a page: labels, aria-describedby and the skip link point at ids, and a
repeated one (several forms each with id="csrf_token") sends them to the wrong element.
Every page an anonymous visitor or an organizer can open, found by walking the URL map."""

from collections import Counter
from html.parser import HTMLParser

import pytest
from world import World, login, url_for_rule


class Ids(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.ids = Counter()
        self.feed(html)

    def handle_starttag(self, _tag, attrs):
        for name, value in attrs:
            if name == "id":
                self.ids[value] += 1


@pytest.fixture
def app(make_app):
    # CSRF on, as in production: the hidden token field is what repeated an id.
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app


def html_pages(app, client, world):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint.endswith("static"):
            continue
        url = url_for_rule(app, rule, world)
        response = client.get(url)
        if response.status_code == 200 and response.mimetype == "text/html":
            yield url, response.text


def repeated_ids(app, client, world):
    pages = list(html_pages(app, client, world))
    assert len(pages) > 10
    return {url: [name for name, n in Ids(html).ids.items() if n > 1] for url, html in pages}


def test_no_page_repeats_an_id_for_a_visitor(app, client):
    world = World()
    found = repeated_ids(app, client, world)
    assert f"/r/manage/{world.manage_token}" in found  # three forms on one page
    assert {url: ids for url, ids in found.items() if ids} == {}


def test_no_page_repeats_an_id_for_an_organizer(app, client):
    world = World()
    login(client, world.organizer.email)
    found = repeated_ids(app, client, world)
    assert f"/admin/events/{world.event.id}/registrants" in found
    assert {url: ids for url, ids in found.items() if ids} == {}
