"""Privacy of the people who take part (issue 14): personal pages are never cached, manage
links end and are replaced, no personal data in any log line, files readable by their owner
only. The URL map is walked, so a route added later is covered."""

from test_security import PUBLIC
from world import World, login, url_for_rule


def is_static(endpoint):
    return (
        endpoint == "static"
        or endpoint.endswith(".static")
        or endpoint.startswith("branding_assets.")
    )


def get_rules(app):
    return [r for r in app.url_map.iter_rules() if "GET" in r.methods and not is_static(r.endpoint)]


# ---------------------------------------------------------------- Cache-Control: no-store


def test_every_personal_and_organizer_page_is_never_stored_by_a_cache(app):
    world = World()
    anonymous = app.test_client()
    # The public pages stay cacheable for anonymous visitors.
    public = anonymous.get(f"/s/{world.event.slug}")
    assert public.status_code == 200
    assert "no-store" not in public.headers.get("Cache-Control", "")
    personal = []
    for rule in get_rules(app):
        if "token" in rule.arguments:
            url = url_for_rule(app, rule, world)
            response = anonymous.get(url)
            assert response.headers.get("Cache-Control") == "no-store", (url, response.status)
            personal.append(rule.endpoint)
    # A manage link in the query (an idea sent from one's manage page) is personal too.
    response = anonymous.get(f"/s/{world.event.slug}/ideas/new?t={world.manage_token}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert {"registration.manage", "ideas.status", "registration.confirm"} <= set(personal)

    organizer = app.test_client()
    login(organizer, world.organizer.email)
    organizer_pages = []
    for rule in get_rules(app):
        if rule.endpoint not in PUBLIC:
            url = url_for_rule(app, rule, world)
            response = organizer.get(url)
            assert response.status_code < 500, url
            assert response.headers.get("Cache-Control") == "no-store", (url, response.status)
            organizer_pages.append(rule.endpoint)
    assert {"admin.registrants", "admin.registrants_csv", "admin.purge_export"} <= set(
        organizer_pages
    )
    assert "moderation.index" in organizer_pages
