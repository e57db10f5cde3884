"""The Plan of Action over HTTP: drafting, editing, publishing versions, the public page."""

import re

import pytest
import sqlalchemy as sa
from plan_helpers import PUBLISH_AND_MAIL, PUBLISH_QUIETLY, make_idea
from support import PASSWORD, create_user
from world import CONCLUDED, make_event

from app.extensions import db
from app.models import AuditEntry, Event, OutboxMessage, Plan, PlanItem, PlanVersion
from app.plugins import hookimpl

HX = {"HX-Request": "true"}


@pytest.fixture
def event(app):
    return make_event(CONCLUDED)


@pytest.fixture
def organizer(client, auth, admin_user):
    auth.login(admin_user.email)
    return client


def plan_url(event, rest=""):
    return f"/admin/events/{event.id}/plan{rest}"


def the_plan(event):
    db.session.expire_all()
    return db.session.scalar(sa.select(Plan).where(Plan.event_id == event.id))


def fill_plan(client, event, langs=("en", "km")):
    """Write every required text of the plan in `langs` through the editor's forms."""
    plan = the_plan(event)
    data = {f"intro-intro_{lang}": f"Intro in {lang}" for lang in langs}
    assert client.post(plan_url(event, "/intro"), data=data).status_code == 302
    for section in the_plan(event).sections:
        data = {f"section-{section.id}-title_{lang}": f"Section {lang}" for lang in langs}
        client.post(plan_url(event, f"/sections/{section.id}"), data=data)
        for item in section.items:
            key = f"item-{item.id}"
            data = {f"{key}-what_{lang}": f"Do {item.id} ({lang})" for lang in langs}
            data[f"{key}-status"] = "agreed"
            data[f"{key}-due"] = "March 2024"
            client.post(plan_url(event, f"/items/{item.id}"), data=data)
    return plan


def test_editor_is_for_organizers_only(client, auth, event, moderator_user):
    assert client.get(plan_url(event)).status_code == 302  # sign in first
    auth.login(moderator_user.email)
    assert client.get(plan_url(event)).status_code == 403


def test_start_from_the_ideas_drafts_a_section_per_theme(organizer, event):
    rights, media = event.themes
    make_idea(event, "Free all political prisoners", status="discussed", theme=rights)
    make_idea(event, "Fund exiled journalists", status="approved", theme=media)
    make_idea(event, "A pending idea", status="pending", theme=media)
    make_idea(event, "A rejected idea", status="rejected", theme=rights)

    page = organizer.get(plan_url(event)).get_data(as_text=True)
    assert "Ideas not used yet (2)" in page
    organizer.post(plan_url(event, "/draft-from-ideas"))
    # Twice: nothing is added twice.
    organizer.post(plan_url(event, "/draft-from-ideas"))

    plan = the_plan(event)
    assert [s.title["en"] for s in plan.sections] == ["Human rights", "Free media"]
    assert plan.sections[0].title["km"] == "សិទ្ធិមនុស្ស"
    assert [[i.what["en"] for i in s.items] for s in plan.sections] == [
        ["Free all political prisoners"],
        ["Fund exiled journalists"],
    ]
    page = organizer.get(plan_url(event)).get_data(as_text=True)
    assert "Ideas not used yet (0)" in page
    assert "A pending idea" not in page and "A rejected idea" not in page
    # The Khmer "what" of a drafted item is empty, and says so.
    assert page.count("not yet translated") >= 2


def test_autosave_with_htmx_answers_a_small_status_and_updates_the_marks(organizer, event):
    make_idea(event, "Free all political prisoners", theme=event.themes[0])
    organizer.post(plan_url(event, "/draft-from-ideas"))
    item = the_plan(event).sections[0].items[0]
    key = f"item-{item.id}"
    response = organizer.post(
        plan_url(event, f"/items/{item.id}"),
        data={
            f"{key}-what_en": "Free every political prisoner",
            f"{key}-what_km": "ដោះលែងអ្នកទោសនយោបាយទាំងអស់",
            f"{key}-who_en": "Partner organizations",
            f"{key}-due": "2024",
            f"{key}-status": "under_way",
        },
        headers=HX,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Saved at" in html and "<html" not in html
    assert "HX-Request" in response.headers["Vary"]
    # The Khmer "what" mark is cleared out of band; the Khmer "who" still says it is missing.
    assert re.search(rf'id="{key}-what-km-mark" data-hx-swap-oob="true">\s*</span>', html)
    who_mark = rf'id="{key}-who-km-mark" data-hx-swap-oob="true"><span class="untranslated">'
    assert re.search(who_mark, html)
    item = db.session.get(PlanItem, item.id)
    db.session.refresh(item)
    assert item.what["km"] == "ដោះលែងអ្នកទោសនយោបាយទាំងអស់"
    assert item.status == "under_way" and item.due == "2024"


def test_too_long_text_is_refused_next_to_the_field_and_keeps_what_was_typed(organizer, event):
    make_idea(event, "Short idea", theme=event.themes[0])
    organizer.post(plan_url(event, "/draft-from-ideas"))
    item = the_plan(event).sections[0].items[0]
    key = f"item-{item.id}"
    typed = "x" * 2001
    response = organizer.post(
        plan_url(event, f"/items/{item.id}"),
        data={f"{key}-what_en": typed, f"{key}-status": "proposed"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please keep this under 2000 characters." in html
    assert typed in html
    assert f'aria-describedby="{key}-what_en-error"' in html
    # With htmx: the status line says what is wrong, in a 200 so htmx shows it.
    response = organizer.post(
        plan_url(event, f"/items/{item.id}"),
        data={f"{key}-what_en": typed, f"{key}-status": "proposed"},
        headers=HX,
    )
    assert response.status_code == 200
    assert "Not saved" in response.get_data(as_text=True)
    assert db.session.get(PlanItem, item.id).what["en"] == "Short idea"


def test_reorder_items_and_sections_with_buttons_with_and_without_htmx(organizer, event):
    for title in ("First", "Second", "Third"):
        make_idea(event, title, theme=event.themes[0])
    make_idea(event, "Media idea", theme=event.themes[1])
    organizer.post(plan_url(event, "/draft-from-ideas"))
    section = the_plan(event).sections[0]
    third = section.items[2]
    response = organizer.post(
        plan_url(event, f"/items/{third.id}/move"), data={"direction": "up"}, headers=HX
    )
    fragment = response.get_data(as_text=True)
    assert fragment.strip().startswith(f'<div id="section-{section.id}-items"')
    assert fragment.index("Third") < fragment.index("Second")
    organizer.post(plan_url(event, f"/items/{third.id}/move"), data={"direction": "up"})
    assert [i.what["en"] for i in the_plan(event).sections[0].items] == [
        "Third",
        "First",
        "Second",
    ]
    media = the_plan(event).sections[1]
    response = organizer.post(
        plan_url(event, f"/sections/{media.id}/move"), data={"direction": "up"}
    )
    assert response.status_code == 302 and response.location.endswith(f"#section-{media.id}")
    assert [s.title["en"] for s in the_plan(event).sections] == ["Free media", "Human rights"]
    # Only the ends are disabled: the first "up" and the last "down" of each list.
    page = organizer.get(plan_url(event)).get_data(as_text=True)
    disabled = re.findall(r'id="((?:item|section)-\d+-(?:up|down))"[^>]*\bdisabled\b', page)
    items = the_plan(event).sections[1].items
    assert sorted(disabled) == sorted(
        [
            f"section-{media.id}-up",
            f"section-{section.id}-down",
            f"item-{media.items[0].id}-up",
            f"item-{media.items[0].id}-down",
            f"item-{items[0].id}-up",
            f"item-{items[-1].id}-down",
        ]
    )


def test_link_ideas_by_search_and_the_side_panel_follows(organizer, event):
    idea_a = make_idea(event, "Sanctions on officials", status="discussed")
    idea_b = make_idea(event, "Sanctions on businesses", status="approved")
    hidden = make_idea(event, "Sanctions pending review", status="pending")
    organizer.post(plan_url(event, "/sections"))
    section = the_plan(event).sections[0]
    organizer.post(plan_url(event, f"/sections/{section.id}/items"))
    item = the_plan(event).sections[0].items[0]

    found = organizer.get(plan_url(event, f"/items/{item.id}/ideas?q=sanctions"), headers=HX)
    html = found.get_data(as_text=True)
    assert "Sanctions on officials" in html and "Sanctions on businesses" in html
    assert hidden.title not in html
    # Without JS, the same search is a page of its own.
    page = organizer.get(plan_url(event, f"/items/{item.id}/ideas?q=officials"))
    assert "<html" in page.get_data(as_text=True)
    assert "Sanctions on officials" in page.get_data(as_text=True)

    response = organizer.post(
        plan_url(event, f"/items/{item.id}/ideas"),
        data={"idea_id": idea_a.id, "q": "sanctions"},
        headers=HX,
    )
    html = response.get_data(as_text=True)
    assert f'id="item-{item.id}-ideas"' in html
    assert 'id="unused-ideas"' in html and 'data-hx-swap-oob="true"' in html
    assert "Ideas not used yet (1)" in html
    organizer.post(plan_url(event, f"/items/{item.id}/ideas"), data={"idea_id": idea_b.id})
    assert {i.id for i in db.session.get(PlanItem, item.id).ideas} == {idea_a.id, idea_b.id}
    # A pending idea cannot be linked.
    assert (
        organizer.post(
            plan_url(event, f"/items/{item.id}/ideas"), data={"idea_id": hidden.id}
        ).status_code
        == 400
    )
    organizer.post(plan_url(event, f"/items/{item.id}/ideas/{idea_a.id}/unlink"))
    db.session.expire_all()
    assert [i.id for i in db.session.get(PlanItem, item.id).ideas] == [idea_b.id]


def test_publishing_with_a_missing_language_says_exactly_what_is_missing(organizer, event):
    make_idea(event, "Free all political prisoners", theme=event.themes[0])
    organizer.post(plan_url(event, "/draft-from-ideas"))
    fill_plan(organizer, event, langs=("en",))
    item = the_plan(event).sections[0].items[0]
    response = organizer.post(plan_url(event, "/publish"), data=PUBLISH_QUIETLY)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Introduction: the introduction is missing in Khmer." in html
    assert "Section 1 “Section en”: the title is missing in Khmer." in html
    assert f"Item 1.1 “Do {item.id} (en)”: “what” is missing in Khmer." in html
    assert "missing in English" not in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanVersion)) == 0
    assert db.session.get(Event, event.id).state == "concluded"


def test_french_is_offered_but_not_required_unless_configured(organizer, client, event, app):
    """LANGUAGES offers French; PLAN_REQUIRED_LANGUAGES (en, km by default) decides what a
    plan needs before publishing. The French page then falls back visibly."""
    assert "fr" in app.config["LANGUAGES"]
    make_idea(event, "Free all political prisoners", theme=event.themes[0])
    organizer.post(plan_url(event, "/draft-from-ideas"))
    fill_plan(organizer, event)  # en and km only
    editor = organizer.get(plan_url(event)).get_data(as_text=True)
    assert 'name="intro-intro_fr"' in editor  # French can be written...
    app.config["PLAN_REQUIRED_LANGUAGES"] = None  # ...and, if every language is required:
    refused = organizer.post(plan_url(event, "/publish"), data=PUBLISH_QUIETLY)
    assert refused.status_code == 422
    assert "Introduction: the introduction is missing in French." in refused.get_data(as_text=True)
    app.config["PLAN_REQUIRED_LANGUAGES"] = ["en", "km"]
    assert organizer.post(plan_url(event, "/publish"), data=PUBLISH_QUIETLY).status_code == 302
    french = client.get(f"/s/{event.slug}/plan?lang=fr").get_data(as_text=True)
    assert '<html lang="fr">' in french
    assert "Plan d’action" in french
    assert re.search(r'class="plan-intro plan-fallback" lang="en"><p>Intro in en</p>', french)
    assert "Pas encore traduit" in french


def test_publish_versions_freeze_the_snapshot_and_say_what_changed(organizer, client, event, app):
    published = []

    class Listener:
        @hookimpl
        def sala_plan_published(self, plan_version):
            published.append(plan_version.number)

    app.extensions["sala.plugins"].manager.register(Listener())
    make_idea(event, "Free all political prisoners", theme=event.themes[0])
    organizer.post(plan_url(event, "/draft-from-ideas"))
    fill_plan(organizer, event)
    assert client.get(f"/s/{event.slug}/plan").status_code == 404  # not yet

    response = organizer.post(plan_url(event, "/publish"), data=PUBLISH_QUIETLY)
    assert response.status_code == 302
    assert published == [1]
    assert db.session.get(Event, event.id).state == "plan_published"
    assert the_plan(event).status == "published"
    audit = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "plan.publish"))
    assert audit is not None and audit.detail["number"] == 1

    item = the_plan(event).sections[0].items[0]
    key = f"item-{item.id}"
    organizer.post(
        plan_url(event, f"/items/{item.id}"),
        data={
            f"{key}-what_en": "Changed after v1",
            f"{key}-what_km": "កែប្រែ",
            f"{key}-status": "done",
        },
    )
    assert the_plan(event).status == "draft"
    # The published version does not change with the draft.
    v1 = client.get(f"/s/{event.slug}/plan?lang=en").get_data(as_text=True)
    assert f"Do {item.id} (en)" in v1 and "Changed after v1" not in v1

    # Version 2 needs its change note... optional, but written here in both languages.
    organizer.post(
        plan_url(event, "/publish"),
        data={
            "publish-note_en": "Item one is done.",
            "publish-note_km": "ចំណុចទីមួយបានបញ្ចប់។",
            **PUBLISH_QUIETLY,
        },
    )
    assert published == [1, 2]
    latest = client.get(f"/s/{event.slug}/plan?lang=en").get_data(as_text=True)
    assert "Changed after v1" in latest
    assert "What changed in version 2" in latest and "Item one is done." in latest
    assert "1 action item changed" in latest
    assert f"/s/{event.slug}/plan/v1" in latest and f"/s/{event.slug}/plan/v2" in latest
    old = client.get(f"/s/{event.slug}/plan/v1?lang=en").get_data(as_text=True)
    assert "Changed after v1" not in old and f"Do {item.id} (en)" in old
    assert "This is an earlier version." in old
    # The session's public page points to the latest version.
    session_page = client.get(f"/s/{event.slug}?lang=en").get_data(as_text=True)
    assert "Read the Plan of Action (version 2)" in session_page
    assert f'href="/s/{event.slug}/plan"' in session_page
    khmer = client.get(f"/s/{event.slug}/plan/v2?lang=km").get_data(as_text=True)
    assert "ចំណុចទីមួយបានបញ្ចប់។" in khmer and "កែប្រែ" in khmer
    assert client.get(f"/s/{event.slug}/plan/v3").status_code == 404


def test_public_page_falls_back_visibly_and_links_source_ideas(organizer, client, event):
    idea = make_idea(event, "Free all political prisoners", theme=event.themes[0])
    organizer.post(plan_url(event, "/draft-from-ideas"))
    fill_plan(organizer, event)
    organizer.post(plan_url(event, "/publish"), data=PUBLISH_QUIETLY)
    # A later edit leaves the Khmer "who" out: the preview falls back to English, marked.
    item = the_plan(event).sections[0].items[0]
    key = f"item-{item.id}"
    organizer.post(
        plan_url(event, f"/items/{item.id}"),
        data={
            f"{key}-what_en": "What en",
            f"{key}-what_km": "អ្វី",
            f"{key}-who_en": "The coalition",
            f"{key}-status": "agreed",
        },
    )
    preview = organizer.get(plan_url(event, "/preview?lang=km")).get_data(as_text=True)
    assert '<html lang="km">' in preview
    assert re.search(r'<span class=" plan-fallback" lang="en">The coalition</span>', preview)
    assert "untranslated-note" in preview
    public = client.get(f"/s/{event.slug}/plan?lang=km").get_data(as_text=True)
    assert "The coalition" not in public  # the draft is not public
    assert idea.title in public  # the source idea, one click away on the board
    assert f'href="/s/{event.slug}/ideas#idea-{idea.id}"' in public


def test_plan_page_has_print_header_and_permanent_link(organizer, client, event):
    make_idea(event, "Free all political prisoners", theme=event.themes[0])
    organizer.post(plan_url(event, "/draft-from-ideas"))
    fill_plan(organizer, event)
    organizer.post(plan_url(event, "/publish"), data=PUBLISH_QUIETLY)
    html = client.get(f"/s/{event.slug}/plan?lang=en").get_data(as_text=True)
    assert "Version 1, published" in html
    assert f"http://localhost/s/{event.slug}/plan/v1" in html
    assert "Cambodia after the election" in html
    css = client.get("/static/css/sala.css").get_data(as_text=True)
    assert "/* plan */" in css and "size: A4" in css


def prepare_mailouts():
    from app.mail.mailout import advance_all

    while advance_all():
        pass


def test_double_publish_click_does_not_double_the_mail(organizer, event):
    """Sending a version twice (a double click on "send") queues nothing twice."""
    from plan_helpers import make_registration

    make_registration(event, "reader@example.org")
    make_idea(event, "Free all political prisoners", theme=event.themes[0])
    organizer.post(plan_url(event, "/draft-from-ideas"))
    fill_plan(organizer, event)
    organizer.post(plan_url(event, "/publish"), data=PUBLISH_AND_MAIL)
    organizer.post(plan_url(event, "/versions/1/send"))
    prepare_mailouts()  # the worker's step before it sends
    organizer.post(plan_url(event, "/versions/1/send"))
    prepare_mailouts()
    rows = db.session.scalars(sa.select(OutboxMessage)).all()
    assert [(m.recipient, m.kind) for m in rows] == [("reader@example.org", "plan_published")]
    page = organizer.get(plan_url(event)).get_data(as_text=True)
    assert "0 sent, 1 waiting, 0 failed" in page


@pytest.mark.parametrize("plugins", [None, "smtp"])
def test_source_ideas_link_to_the_board_only_when_ideas_are_public(make_app, plugins):
    """With the moderation plugin the board shows approved ideas, and each source idea links
    to its place there; without it nothing is public, so the title is shown in a <details>."""
    app = make_app(PLUGINS=plugins)
    with app.app_context():
        event = make_event(CONCLUDED)
        idea = make_idea(event, "Free all political prisoners", theme=event.themes[0])
        create_user("organizer@example.org", "admin")
        client = app.test_client()
        client.post("/login", data={"email": "organizer@example.org", "password": PASSWORD})
        client.post(plan_url(event, "/draft-from-ideas"))
        fill_plan(client, event)
        assert client.post(plan_url(event, "/publish"), data=PUBLISH_QUIETLY).status_code == 302
        html = client.get(f"/s/{event.slug}/plan?lang=en").get_data(as_text=True)
        link = f'<a href="/s/{event.slug}/ideas#idea-{idea.id}" lang="en">{idea.title}</a>'
        if plugins is None:
            assert link in html and "<details" not in html
        else:
            assert link not in html and "<details" in html and idea.title in html
