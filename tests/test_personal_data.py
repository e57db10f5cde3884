"""Privacy of the people who take part (issue 14): personal pages are never cached, manage
links end and are replaced, no personal data in any log line, files readable by their owner
only. The URL map is walked, so a route added later is covered."""

import os
import stat

import pytest
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


# ---------------------------------------------------------------- manage links


def test_only_the_newest_manage_links_open_and_none_after_the_retention(mail_app, smtp):
    from datetime import timedelta

    from registration_helpers import deliver, form, links, make_event, path_of

    from app.extensions import db
    from app.models import utcnow

    event = make_event()
    client = mail_app.test_client()
    client.post("/s/planning/register", data=form())
    deliver()
    client.post(path_of(links(smtp.to("dara@example.org")[0], "confirm")[0]))
    for _ in range(3):  # "you are already registered", each with a fresh link
        client.post("/s/planning/register", data=form())
    deliver()
    every = [path_of(url) for m in smtp.to("dara@example.org") for url in links(m, "manage")]
    manage = list(dict.fromkeys(every))  # in the order they were sent, each once
    assert len(manage) == 5  # confirmed, join details, three times "already registered"

    for old in manage[:2]:
        page = client.get(old)
        assert page.status_code == 410
        assert "This link has been replaced" in page.text
        assert "/s/planning" in page.text  # where to ask for a new one
        idea_box = client.get(f"/s/planning/ideas/new?t={old.rsplit('/', 1)[1]}")
        assert idea_box.status_code == 404
    for newest in manage[2:]:
        assert client.get(newest).status_code == 200

    # The session is over and its retention period has passed: no link opens any more.
    event.starts_at = utcnow() - timedelta(days=event.retention_days + 1)
    db.session.commit()
    page = client.get(manage[-1])
    assert page.status_code == 410
    assert "This link has expired" in page.text


# ---------------------------------------------------------------- files for their owner only


@pytest.fixture
def permissive_umask():
    old = os.umask(0)
    yield
    os.umask(old)


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_database_secrets_mail_and_exports_are_readable_by_their_owner_only(
    isolated_instance, permissive_umask
):
    from registration_helpers import deliver, form, make_event

    from app import create_app
    from app.extensions import db
    from app.registration import purge

    assert not isolated_instance.exists()
    app = create_app({"TESTING": True, "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        db.create_all()
        event = make_event()
        app.test_client().post("/s/planning/register", data=form())
        deliver()  # the file provider writes the mail under instance/mail
        export = purge.write_export(event)
        database = isolated_instance / "sala.sqlite"
        files = [
            database,
            database.with_name("sala.sqlite-wal"),
            database.with_name("sala.sqlite-shm"),
            isolated_instance / "secret_key",
            export,
            *(isolated_instance / "mail").glob("*.eml"),
        ]
        assert len(files) == 6  # one mail
        for path in files:
            assert mode(path) == 0o600, (path.name, oct(mode(path)))
        for folder in (isolated_instance, isolated_instance / "mail", export.parent):
            assert mode(folder) == 0o700, (folder.name, oct(mode(folder)))
        db.session.remove()
        db.engine.dispose()
