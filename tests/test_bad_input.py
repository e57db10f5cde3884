"""Bad input from a URL, a query string or a form is answered as a visitor expects (a 404,
the first page, no filter, a message next to the field), never a 500. PostgreSQL refuses
2147483648 and more against an INTEGER column, SQLite 2**63 and more."""

import sqlalchemy as sa
from world import World, login

from app.extensions import db
from app.models import Idea

HUGE = ["2147483648", "99999999999999999999", "9" * 5000]
EVERY_NUMBER = HUGE + ["-1", "0", "١", "²", "1e3", "%00"]


def test_a_number_no_row_can_have_in_a_url_is_a_404(app, client):
    world = World()
    login(client, world.organizer.email)
    e = world.event.id
    paths = [
        "/s/open/plan/v{n}",
        "/admin/events/{n}",
        "/admin/events/{n}/registrants",
        "/admin/events/{e}/plan/items/{n}/edit",
        "/moderate/{n}",
    ]
    for number in HUGE + ["-1", "١"]:
        for path in paths:
            url = path.format(n=number, e=e)
            assert client.get(url).status_code == 404, url
    for path in [f"/moderate/{e}/ideas/{{n}}/approve", "/admin/outbox/{n}/retry"]:
        for number in HUGE:
            url = path.format(n=number)
            assert client.post(url).status_code == 404, url


def test_a_number_out_of_range_in_a_query_is_no_filter_or_the_first_page(app, client):
    world = World()
    login(client, world.organizer.email)
    e = world.event.id
    pages = {
        "/s/open/ideas": "An idea",
        f"/moderate/{e}": "An idea",
        f"/admin/events/{e}/ideas": "An idea",
        f"/admin/events/{e}/registrants": "known@example.org",
        "/admin/audit": "org@example.org",
        f"/admin/events/{e}/plan": "An idea",
    }
    workflow_status = {"status": "all"}
    for number in EVERY_NUMBER:
        for path, shown in pages.items():
            for arg in ("page", "theme", "edit"):
                query = {arg: number, **(workflow_status if "moderate" in path else {})}
                response = client.get(path, query_string=query)
                where = f"{path}?{arg}={number!r}"
                assert response.status_code == 200, where
                assert shown in response.text, where


def test_an_idea_number_out_of_range_in_the_plan_search_finds_nothing(app, client):
    world = World()
    login(client, world.organizer.email)
    url = f"/admin/events/{world.event.id}/plan/items/{world.item.id}/ideas"
    htmx = {"HX-Request": "true"}  # the results alone
    for number in HUGE + ["²", "#²"]:
        response = client.get(url, query_string={"q": "#" + number}, headers=htmx)
        assert response.status_code == 200, number
        assert world.idea.title not in response.text, number
    found = client.get(url, query_string={"q": f"#{world.idea.id}"}, headers=htmx)
    assert world.idea.title in found.text


def test_moderation_forms_with_numbers_out_of_range_change_nothing(app, client):
    world = World()
    login(client, world.moderator.email)
    e, idea = world.event.id, world.idea
    before = (idea.status, idea.theme_id, idea.merged_into_id, idea.revision)
    base = f"/moderate/{e}/ideas/{idea.id}"
    for number in HUGE + ["²"]:
        answer = client.post(base + "/theme", data={"theme_id": number, "revision": idea.revision})
        assert answer.status_code in (302, 409, 422), number
        answer = client.post(base + "/merge", data={"into": number, "revision": idea.revision})
        assert answer.status_code in (302, 409, 422), number
        answer = client.post(
            f"/moderate/{e}/bulk",
            data={"action": "reject", "ids": [f"{number}:1", f"{idea.id}:{number}"]},
        )
        assert answer.status_code == 302, number
    db.session.expire_all()
    idea = db.session.get(Idea, idea.id)
    assert (idea.status, idea.theme_id, idea.merged_into_id, idea.revision) == before


def test_linking_an_idea_number_out_of_range_to_a_plan_item_is_refused(app, client):
    world = World()
    login(client, world.organizer.email)
    url = f"/admin/events/{world.event.id}/plan/items/{world.item.id}/ideas"
    for number in HUGE + ["²"]:
        assert client.post(url, data={"idea_id": number}).status_code == 400, number
    linked = db.session.execute(sa.text("SELECT count(*) FROM plan_item_idea")).scalar()
    assert linked == 1  # the one World's draft made
