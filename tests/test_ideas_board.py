"""The public idea board and the organizer's overview and export."""

import csv
import io
import json
from datetime import timedelta

import sqlalchemy as sa
from ideas_support import add_idea
from support import Auth
from world import IDEAS_OPEN, make_event

from app.extensions import db
from app.models import Event, Idea, utcnow


def test_board_shows_only_reviewed_ideas(client):
    event = make_event(IDEAS_OPEN)
    for status in Idea.STATUSES:
        if status != "unconfirmed":
            add_idea(event, title=f"Idea {status}", status=status)
    board = client.get("/s/s1/ideas").text
    assert "Idea approved" in board and "Idea discussed" in board
    for hidden in ("received", "pending", "rejected", "merged", "withdrawn"):
        assert f"Idea {hidden}" not in board


def test_without_the_moderation_plugin_nothing_is_public(make_app):
    app = make_app(PLUGINS="smtp")
    with app.app_context():
        event = make_event(IDEAS_OPEN)
        add_idea(event, title="Received idea")
        add_idea(event, title="Approved earlier", status="approved")
        client = app.test_client()
        board = client.get("/s/s1/ideas")
        assert board.status_code == 200
        assert "not shown publicly" in board.text
        assert "Received idea" not in board.text and "Approved earlier" not in board.text
        assert "Ideas shared so far" not in client.get("/s/s1").text


def test_the_public_board_is_a_setting_not_a_question_of_which_plugins_run(make_app):
    """IDEAS_PUBLIC_BOARD decides; the moderation plugin only sets its default."""
    for plugins, public in (("moderation,smtp", False), ("smtp", True)):
        app = make_app(PLUGINS=plugins, IDEAS_PUBLIC_BOARD=public)
        with app.app_context():
            event = make_event(slug=f"s-{public}")
            add_idea(event, title="Approved earlier", status="approved")
            board = app.test_client().get(f"/s/s-{public}/ideas").text
            assert ("Approved earlier" in board) is public
            assert ("not shown publicly" in board) is not public


def test_board_polls_only_while_the_session_is_live(client):
    make_event(IDEAS_OPEN, slug="live", starts_in=-timedelta(minutes=10))
    make_event(IDEAS_OPEN, slug="later")
    live = client.get("/s/live/ideas").text
    assert 'data-hx-trigger="every 15s"' in live
    assert "htmx.min.js" in live
    assert "js/idea-board.js" in live  # skips refreshes while the tab is hidden
    assert client.get("/static/js/idea-board.js").status_code == 200
    assert 'data-hx-trigger="every 15s"' not in client.get("/s/later/ideas").text
    poll = client.get("/s/live/ideas", headers={"HX-Request": "true"})
    assert poll.status_code == 200
    assert poll.text.lstrip().startswith('<div id="idea-board"')
    assert "HX-Request" in poll.headers["Vary"]
    # After the session, a poll answers 286: htmx stops polling.
    event = db.session.scalar(sa.select(Event).where(Event.slug == "live"))
    event.starts_at = utcnow() - timedelta(hours=5)
    db.session.commit()
    stopped = client.get("/s/live/ideas", headers={"HX-Request": "true"})
    assert stopped.status_code == 286
    assert "data-hx-trigger" not in stopped.text


def test_board_filters_by_theme_and_sorts(client):
    event = make_event(IDEAS_OPEN)
    now = utcnow()
    elections, justice = event.themes
    old = add_idea(
        event,
        title="Old elections idea",
        theme_id=elections.id,
        status="approved",
        created_at=now - timedelta(days=2),
    )
    add_idea(
        event,
        title="New justice idea",
        theme_id=justice.id,
        status="approved",
        created_at=now - timedelta(hours=1),
    )
    newest = client.get("/s/s1/ideas").text
    assert newest.index("New justice idea") < newest.index("Old elections idea")
    only = client.get(f"/s/s1/ideas?theme={justice.id}").text
    assert "New justice idea" in only and "Old elections idea" not in only
    old = db.session.get(Idea, old.id)
    old.status, old.discussed_at = "discussed", now
    db.session.commit()
    discussed = client.get("/s/s1/ideas?sort=discussed").text
    assert discussed.index("Old elections idea") < discussed.index("New justice idea")
    assert "Elections (1)" in newest


def test_board_in_khmer_keeps_the_page_language(client):
    event = make_event(IDEAS_OPEN)
    add_idea(event, title="គំនិតសម្រាប់កម្ពុជា", language="km", status="approved")
    page = client.get("/s/s1/ideas?lang=km").text
    assert '<html lang="km">' in page
    assert "គំនិតសម្រាប់កម្ពុជា" in page
    assert 'lang="km"' in page


# ---------------------------------------------------------------- the organizer's side


def test_overview_counts_by_status_and_theme_and_draws_a_chart(client, admin_user):
    Auth(client).login(admin_user.email)
    event = make_event(IDEAS_OPEN)
    now = utcnow()
    add_idea(
        event, status="approved", theme_id=event.themes[0].id, created_at=now - timedelta(days=2)
    )
    add_idea(event, status="approved", theme_id=event.themes[0].id, created_at=now)
    add_idea(event, created_at=now)
    page = client.get(f"/admin/events/{event.id}/ideas").text
    assert 'data-status="approved">2<' in page
    assert 'data-status="pending">1<' in page
    assert f'data-theme="{event.themes[0].id}">2<' in page
    assert 'data-theme="none">1<' in page
    assert "<svg" in page and 'class="bar"' in page
    assert page.count('class="bar"') == 3  # two days ago, yesterday (0), today
    admin_page = client.get(f"/admin/events/{event.id}").text
    assert f'href="/admin/events/{event.id}/ideas"' in admin_page  # the tab
    assert f'href="/moderate/{event.id}"' in admin_page  # the plugin's admin_event slot


def test_overview_is_for_organizers_only(client, moderator_user):
    event = make_event(IDEAS_OPEN)
    assert client.get(f"/admin/events/{event.id}/ideas").status_code == 302
    Auth(client).login(moderator_user.email)
    assert client.get(f"/admin/events/{event.id}/ideas").status_code == 403
    assert client.get(f"/admin/events/{event.id}/ideas.csv").status_code == 403


def test_csv_export_has_approved_ideas_and_runs_no_formulas(client, admin_user):
    Auth(client).login(admin_user.email)
    event = make_event(IDEAS_OPEN)
    add_idea(event, title='=HYPERLINK("http://evil")', body="+1 -2 @x", status="approved")
    add_idea(event, title="Khmer ខ្មែរ", status="discussed", display="name", author_name="Sok")
    add_idea(event, title="Still pending")
    response = client.get(f"/admin/events/{event.id}/ideas.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert [r["title"] for r in rows] == ['\'=HYPERLINK("http://evil")', "Khmer ខ្មែរ"]
    assert rows[0]["body"] == "'+1 -2 @x"
    assert rows[1]["author"] == "Sok"
    assert "author@example.org" not in response.text


def test_json_export(client, admin_user):
    Auth(client).login(admin_user.email)
    event = make_event(IDEAS_OPEN)
    survivor = add_idea(event, title="Survivor", status="approved")
    add_idea(event, title="Dup", status="merged", merged_into_id=survivor.id)
    data = json.loads(client.get(f"/admin/events/{event.id}/ideas.json").text)
    assert data["event"] == "s1"
    assert [i["title"] for i in data["ideas"]] == ["Survivor"]
    assert data["ideas"][0]["speaks_for"] == 2
