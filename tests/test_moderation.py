"""The moderation plugin over HTTP: the queue, every inline action (htmx and plain form),
two moderators at once, undo, merge, bulk, stale and foreign ids, sign-in landing."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g
from ideas_support import add_idea, make_registrant
from support import Auth, create_user
from world import IDEAS_OPEN, make_event

from app.extensions import db
from app.ideas import workflow
from app.mail import worker
from app.models import AuditEntry, Idea, OutboxMessage, Theme, utcnow
from app.plugins import hookimpl, plugin_state

HX = {"HX-Request": "true"}


class Recorder:
    def __init__(self):
        self.calls = []

    @hookimpl
    def sala_idea_submitted(self, idea):
        self.calls.append(("submitted", idea.id))

    @hookimpl
    def sala_idea_moderated(self, idea, action, actor):
        self.calls.append((action, idea.id, actor.email))


@pytest.fixture
def recorder(app):
    rec = Recorder()
    plugin_state(app).manager.register(rec)
    return rec


@pytest.fixture
def mod(client, moderator_user):
    Auth(client).login(moderator_user.email)
    return client


def act(client, idea, action, htmx=True, revision=None, **data):
    # The tests hold an app context open, which requests reuse: forget the user Flask-Login
    # cached on `g` by the previous request, so each client acts as itself.
    g.pop("_login_user", None)
    data.setdefault("revision", idea.revision if revision is None else revision)
    return client.post(
        f"/moderate/{idea.event_id}/ideas/{idea.id}/{action}",
        data=data,
        headers=HX if htmx else {},
    )


def fresh(idea):
    db.session.expire_all()
    return db.session.get(Idea, idea.id)


def row_of(html, idea_id):
    match = re.search(rf'<tr class="idea-row[^"]*" id="idea-row-{idea_id}".*?</tr>', html, re.S)
    assert match, html
    return match.group(0)


def test_new_ideas_start_pending_and_the_hooks_hear_of_it(app, recorder):
    event = make_event(IDEAS_OPEN)
    idea = add_idea(event)
    assert idea.status == "pending"
    assert ("submitted", idea.id) in recorder.calls


def test_without_the_plugin_ideas_are_received_for_organizers_only(make_app):
    app = make_app(PLUGINS="smtp")
    with app.app_context():
        event = make_event(IDEAS_OPEN)
        idea = add_idea(event)
        assert idea.status == "received"
        client = app.test_client()
        assert client.get("/moderate/").status_code == 404


def test_moderator_lands_on_the_queue_and_sees_the_nav_link(client, moderator_user):
    event = make_event(IDEAS_OPEN)
    response = Auth(client).login(moderator_user.email)
    assert response.headers["Location"] == "/moderate/"  # MODERATOR_HOME
    # With one published session, the picker goes straight to its queue.
    picker = client.get("/moderate/")
    assert picker.headers["Location"] == f"/moderate/{event.id}"
    page = client.get(picker.headers["Location"])
    assert 'href="/moderate/"' in page.text  # the nav link
    assert "Moderation" in page.text


def test_organizer_still_lands_on_the_organizer_pages(client, admin_user):
    response = Auth(client).login(admin_user.email)
    assert response.headers["Location"].endswith("/admin/")


def test_queue_needs_a_signed_in_moderator(client):
    event = make_event(IDEAS_OPEN)
    assert 'href="/moderate/"' not in client.get("/").text
    response = client.get(f"/moderate/{event.id}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_queue_lists_pending_oldest_first_with_filters_and_search(mod):
    event = make_event(IDEAS_OPEN)
    now = utcnow()
    themes = event.themes
    newer = add_idea(event, title="Newer idea", created_at=now - timedelta(hours=1))
    older = add_idea(
        event, title="Older idea", created_at=now - timedelta(hours=5), theme_id=themes[0].id
    )
    khmer = add_idea(event, title="គំនិតខ្មែរ", language="km", created_at=now - timedelta(hours=3))
    approved = add_idea(event, title="Approved one", status="approved")
    page = mod.get(f"/moderate/{event.id}").text
    assert page.index("Older idea") < page.index("គំនិតខ្មែរ") < page.index("Newer idea")
    assert "Approved one" not in page
    themed = mod.get(f"/moderate/{event.id}?theme={themes[0].id}").text
    assert "Older idea" in themed and "Newer idea" not in themed
    in_khmer = mod.get(f"/moderate/{event.id}?language=km").text
    assert "គំនិតខ្មែរ" in in_khmer and "Older idea" not in in_khmer
    found = mod.get(f"/moderate/{event.id}?q=newer").text
    assert "Newer idea" in found and "Older idea" not in found
    assert "Approved one" in mod.get(f"/moderate/{event.id}?status=approved").text
    # % and _ are searched as themselves.
    assert "Newer idea" not in mod.get(f"/moderate/{event.id}?q=%25").text
    assert {newer.id, older.id, khmer.id, approved.id}


def oob_parts(html):
    """{id or target: element} of an answer's out-of-band parts (htmx swaps them where the
    page has that id, or into every element the `outerHTML:selector` names)."""
    parts = {}
    for match in re.finditer(r'<(\w+)[^>]*?data-hx-swap-oob="([^"]+)"[^>]*>', html):
        tag = match.group(0)
        key = match.group(2)
        if key == "true":
            key = re.search(r'id="([^"]+)"', tag).group(1)
        if match.group(1) == "input":  # no end tag
            parts[key] = tag
        else:
            parts[key] = html[match.start() : html.find(f"</{match.group(1)}>", match.end())]
    return parts


def test_approve_inline_answers_the_new_status_line(mod, moderator_user, recorder):
    event = make_event(IDEAS_OPEN)
    idea = add_idea(event, title="Approve me")
    revision = idea.revision
    page = mod.get(f"/moderate/{event.id}").text
    response = act(mod, idea, "approve")
    assert response.status_code == 200
    assert "<html" not in response.text and "<tr" not in response.text
    # htmx leaves the row in place and swaps what changed: status, message, revision.
    assert response.headers["HX-Reswap"] == "none"
    parts = oob_parts(response.text)
    assert set(parts) == {
        f"idea-status-{idea.id}",
        f"idea-message-{idea.id}",
        f"outerHTML:#idea-row-{idea.id} input[name=revision]",
        f"select-{idea.id}",
    }
    # Each part replaces an element the row has.
    row = row_of(page, idea.id)
    for key in parts:
        if key.startswith("outerHTML:"):
            assert row.count('name="revision"') >= 6  # one in each of the row's forms
        else:
            assert f'id="{key}"' in row
    status = parts[f"idea-status-{idea.id}"]
    assert 'data-status="approved"' in status and f"by {moderator_user.name} at" in status
    assert "Approved: it is now on the public board." in parts[f"idea-message-{idea.id}"]
    assert f'value="{revision + 1}"' in parts[f"outerHTML:#idea-row-{idea.id} input[name=revision]"]
    assert f'value="{idea.id}:{revision + 1}"' in parts[f"select-{idea.id}"]
    assert "HX-Request" in response.headers["Vary"]
    idea = fresh(idea)
    assert idea.status == "approved"
    assert idea.moderated_by_id == moderator_user.id
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "idea.approve"))
    assert entry.actor_id == moderator_user.id
    assert entry.detail["before"]["status"] == "pending"
    assert ("approve", idea.id, moderator_user.email) in recorder.calls


@pytest.mark.parametrize("action", ["approve", "theme", "discuss"])
def test_the_row_after_an_action_is_drawn_without_reading_the_database_again(mod, action):
    """Issue 21: the answer to a moderator's click is drawn from what the action holds. Every
    read happens before the commit; nothing is reloaded after it (it used to read the idea,
    its moderator and the session's themes back, a quarter of the request)."""
    event = make_event(IDEAS_OPEN)
    event.themes.append(Theme(position=0, labels={"en": "Land", "km": "ដីធ្លី"}))
    db.session.commit()
    theme_id = event.themes[0].id
    idea = add_idea(event, title="Held, not reloaded")
    revision = idea.revision
    data = {"theme_id": str(theme_id)} if action == "theme" else {}
    seen = []
    engine = db.engine
    record_sql = lambda conn, cursor, statement, *args: seen.append(statement.split()[0])  # noqa: E731
    record_commit = lambda conn: seen.append("COMMIT")  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", record_sql)
    sa.event.listen(engine, "commit", record_commit)
    try:
        g.pop("_login_user", None)
        response = mod.post(
            f"/moderate/{event.id}/ideas/{idea.id}/{action}?lang=km",
            data={"revision": revision, **data},
            headers=HX,
        )
    finally:
        sa.event.remove(engine, "before_cursor_execute", record_sql)
        sa.event.remove(engine, "commit", record_commit)
    assert response.status_code == 200
    if action == "approve":
        # The status line alone (the row stays), in the moderator's language.
        state = response.text
        assert f'name="revision" value="{revision + 1}"' in state
        assert 'data-status="approved"' in state and "បានអនុម័ត" in state
    else:
        row = row_of(response.text, idea.id)
        # The row is whole and in the moderator's language: status, theme, author, buttons.
        assert f'name="revision" value="{revision + 1}"' in row
        assert "ដីធ្លី" in row and "អនុម័ត" in row
        assert f'data-status="{fresh(idea).status}"' in row
    assert "UPDATE" in seen  # the action itself
    last_commit = len(seen) - 1 - seen[::-1].index("COMMIT")
    assert "UPDATE" not in seen[last_commit:]
    assert seen[last_commit + 1 :] == [], seen


def test_approve_without_javascript_redirects_back_to_the_queue(mod):
    event = make_event(IDEAS_OPEN)
    idea = add_idea(event)
    queue = f"/moderate/{event.id}?status=pending&q=An"
    response = act(mod, idea, "approve", htmx=False, next=queue)
    assert response.status_code == 302
    assert response.headers["Location"] == queue
    page = mod.get(queue).text
    assert f"Idea #{idea.id}: Approved" in page
    assert fresh(idea).status == "approved"
    # A `next` to another site is ignored.
    other = add_idea(event)
    response = act(mod, other, "approve", htmx=False, next="//evil.example/x")
    assert response.headers["Location"] == f"/moderate/{event.id}"


def test_reject_with_a_reason_tells_the_author_kindly_in_their_language(mail_app, smtp):
    client = mail_app.test_client()
    moderator = create_user("m@example.org", "moderator")
    Auth(client).login(moderator.email)
    event = make_event(IDEAS_OPEN)
    registration, _token = make_registrant(event, language="km")
    idea = add_idea(event, registration=registration, language="en")
    worker.run_once()
    smtp.messages.clear()
    response = act(client, idea, "reject", reason="off_topic", note="Please send it to our forum.")
    assert response.status_code == 200
    assert 'data-status="rejected"' in response.text
    idea = fresh(idea)
    assert idea.status == "rejected"
    assert idea.moderation_note == "Please send it to our forum."
    worker.run_once()
    [mail] = smtp.to("reg@example.org")
    assert mail["Content-Language"] == "km"
    assert "Please send it to our forum." in smtp.text(mail)


def test_no_rejection_mail_when_the_organizer_turned_it_off(mod):
    event = make_event(IDEAS_OPEN, notify_rejected_authors=False)
    idea = add_idea(event)
    act(mod, idea, "reject")
    assert fresh(idea).status == "rejected"
    kinds = db.session.scalars(sa.select(OutboxMessage.kind)).all()
    assert "idea_rejected" not in kinds


def test_reject_with_an_unknown_reason_is_refused_with_a_message(mod):
    event = make_event(IDEAS_OPEN)
    idea = add_idea(event)
    response = act(mod, idea, "reject", reason="<forged>")
    assert response.status_code == 422
    assert "Choose a reason from the list" in response.text
    assert fresh(idea).status == "pending"


def test_edit_keeps_the_original_in_the_audit_log(mod):
    event = make_event(IDEAS_OPEN)
    idea = add_idea(event, title="Teh title", body="Original body")
    response = act(mod, idea, "edit", title="The title", body="Fixed body")
    assert response.status_code == 200
    assert "The title" in response.text
    idea = fresh(idea)
    assert (idea.title, idea.body, idea.status) == ("The title", "Fixed body", "pending")
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "idea.edit"))
    assert entry.detail["before"]["title"] == "Teh title"
    assert entry.detail["before"]["body"] == "Original body"


def test_edit_over_the_limit_keeps_what_the_moderator_typed(mod):
    event = make_event(IDEAS_OPEN)
    idea = add_idea(event)
    typed = "y" * 4001
    response = act(mod, idea, "edit", title="ok", body=typed)
    assert response.status_code == 422
    assert "at most 150 characters and the text 4000" in response.text
    assert typed in response.text
    assert fresh(idea).body == "Some text."


def test_set_theme_and_refuse_a_theme_of_another_session(mod):
    event = make_event(IDEAS_OPEN)
    other = make_event(IDEAS_OPEN, slug="s2")
    idea = add_idea(event)
    theme = event.themes[1]
    response = act(mod, idea, "theme", theme_id=theme.id)
    assert response.status_code == 200
    assert "Justice" in response.text
    assert fresh(idea).theme_id == theme.id
    foreign = db.session.scalar(sa.select(Theme).where(Theme.event_id == other.id))
    response = act(mod, fresh(idea), "theme", theme_id=foreign.id)
    assert response.status_code == 422
    assert fresh(idea).theme_id == theme.id


def test_merge_points_to_the_survivor_which_speaks_for_both(mod, client):
    event = make_event(IDEAS_OPEN)
    survivor = add_idea(event, title="Survivor", status="approved")
    duplicate = add_idea(event, title="Duplicate")
    response = act(mod, duplicate, "merge", into=survivor.id)
    assert response.status_code == 200
    assert f"merged into #{survivor.id}" in response.text
    duplicate = fresh(duplicate)
    assert duplicate.status == "merged" and duplicate.merged_into_id == survivor.id
    queue = mod.get(f"/moderate/{event.id}?status=approved").text
    assert "speaks for 2 ideas" in row_of(queue, survivor.id)
    board = client.get("/s/s1/ideas").text
    assert "speaks for 1 more idea" in board
    assert "Duplicate" not in board


def test_merge_into_itself_another_session_or_nowhere_is_refused(mod):
    event = make_event(IDEAS_OPEN)
    other = make_event(IDEAS_OPEN, slug="s2")
    idea = add_idea(event)
    foreign = add_idea(other)
    for into in (idea.id, foreign.id, 99999, ""):
        response = act(mod, fresh(idea), "merge", into=into)
        assert response.status_code == 422, into
    assert fresh(idea).status == "pending"


def test_discussed_with_a_short_note(mod, client):
    event = make_event(IDEAS_OPEN)
    idea = add_idea(event, status="approved")
    response = act(mod, idea, "discuss", note="Raised by the second panel.")
    assert response.status_code == 200
    idea = fresh(idea)
    assert idea.status == "discussed" and idea.discussed_at is not None
    assert "Raised by the second panel." in client.get("/s/s1/ideas").text


def test_undo_takes_back_the_last_actions_one_by_one(mod):
    event = make_event(IDEAS_OPEN)
    idea = add_idea(event, title="Original")
    act(mod, idea, "approve")
    act(mod, fresh(idea), "edit", title="Edited", body="Some text.")
    response = act(mod, fresh(idea), "undo")
    assert response.status_code == 200
    assert (fresh(idea).title, fresh(idea).status) == ("Original", "approved")
    act(mod, fresh(idea), "undo")
    assert fresh(idea).status == "pending"
    response = act(mod, fresh(idea), "undo")
    assert response.status_code == 422
    assert "nothing to undo" in response.text


def test_undo_a_rejection_cancels_the_mail_not_sent_yet(mod):
    event = make_event(IDEAS_OPEN)
    idea = add_idea(event)
    act(mod, idea, "reject")
    message = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "idea_rejected")
    )
    assert message.status == "queued"
    act(mod, fresh(idea), "undo")
    db.session.expire_all()
    assert fresh(idea).status == "pending"
    assert db.session.get(OutboxMessage, message.id).status == "cancelled"


def test_undo_a_merge_restores_both(mod):
    event = make_event(IDEAS_OPEN)
    survivor = add_idea(event, status="approved")
    duplicate = add_idea(event)
    act(mod, duplicate, "merge", into=survivor.id)
    act(mod, fresh(duplicate), "undo")
    duplicate = fresh(duplicate)
    assert duplicate.status == "pending" and duplicate.merged_into_id is None


def test_two_moderators_the_second_sees_what_happened_instead_of_overwriting(app, moderator_user):
    other = create_user("second@example.org", "moderator")
    first, second = app.test_client(), app.test_client()
    Auth(first).login(moderator_user.email)
    Auth(second).login(other.email)
    event = make_event(IDEAS_OPEN)
    idea = add_idea(event)
    seen = idea.revision  # both opened the queue and saw this revision
    assert act(first, idea, "approve", revision=seen).status_code == 200
    response = act(second, idea, "reject", revision=seen)
    assert response.status_code == 409
    assert "Already approved by moderator at" in response.text
    assert "Nothing was overwritten" in response.text
    assert 'role="alert"' in response.text
    assert fresh(idea).status == "approved"
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "idea.reject")
        )
        == 0
    )
    # Without JavaScript: the same message, after a redirect back to the queue.
    response = act(second, fresh(idea), "reject", htmx=False, revision=seen)
    assert response.status_code == 302
    g.pop("_login_user", None)
    assert "Already approved by moderator" in second.get(response.headers["Location"]).text


def test_stale_or_forged_ids_answer_a_clear_404(mod):
    event = make_event(IDEAS_OPEN)
    response = mod.post(
        f"/moderate/{event.id}/ideas/99999/approve", data={"revision": 1}, headers=HX
    )
    assert response.status_code == 404
    assert "This idea does not exist in this session" in response.text
    assert response.text.lstrip().startswith("<tr")
    plain = mod.post(f"/moderate/{event.id}/ideas/99999/approve", data={"revision": 1})
    assert plain.status_code == 404
    assert "This idea does not exist in this session" in plain.text
    idea = add_idea(event)
    assert act(mod, idea, "explode").status_code == 404
    assert act(mod, idea, "approve", revision="not-a-number").status_code == 409
    assert mod.post(f"/moderate/{event.id}/ideas/abc/approve").status_code == 404


def test_another_sessions_idea_is_404(mod):
    event = make_event(IDEAS_OPEN)
    other = make_event(IDEAS_OPEN, slug="s2")
    foreign = add_idea(other)
    response = mod.post(
        f"/moderate/{event.id}/ideas/{foreign.id}/approve",
        data={"revision": foreign.revision},
        headers=HX,
    )
    assert response.status_code == 404
    assert fresh(foreign).status == "pending"


def test_bulk_approve_skips_what_changed_meanwhile(mod):
    event = make_event(IDEAS_OPEN)
    ideas = [add_idea(event, title=f"Bulk {i}") for i in range(3)]
    workflow.reject(ideas[2], None, ideas[2].revision)  # another moderator got there first
    db.session.commit()
    values = [f"{i.id}:{i.revision - (1 if n == 2 else 0)}" for n, i in enumerate(ideas)]
    response = mod.post(
        f"/moderate/{event.id}/bulk", data={"action": "approve", "ids": values}, headers=HX
    )
    assert response.status_code == 200
    assert "Approved 2 ideas." in response.text
    assert f"#{ideas[2].id}" in response.text
    assert [fresh(i).status for i in ideas] == ["approved", "approved", "rejected"]


def test_bulk_reject_without_javascript(mod):
    event = make_event(IDEAS_OPEN)
    ideas = [add_idea(event) for _ in range(2)]
    response = mod.post(
        f"/moderate/{event.id}/bulk",
        data={"action": "reject", "ids": [f"{i.id}:{i.revision}" for i in ideas]},
    )
    assert response.status_code == 302
    assert "Rejected 2 ideas." in mod.get(response.headers["Location"]).text
    assert {fresh(i).status for i in ideas} == {"rejected"}


def test_every_action_is_in_the_audit_log_with_who_and_when(mod, moderator_user):
    event = make_event(IDEAS_OPEN)
    idea = add_idea(event)
    survivor = add_idea(event)
    act(mod, idea, "theme", theme_id=event.themes[0].id)
    act(mod, fresh(idea), "edit", title="New", body="New body")
    act(mod, fresh(idea), "approve")
    act(mod, fresh(idea), "discuss", note="n")
    act(mod, fresh(idea), "undo")
    act(mod, fresh(idea), "reject")
    act(mod, fresh(idea), "merge", into=survivor.id)
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.target_id == idea.id, AuditEntry.action.like("idea.%"))
        .where(AuditEntry.actor_id == moderator_user.id)
        .order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == [
        "idea.theme",
        "idea.edit",
        "idea.approve",
        "idea.discuss",
        "idea.undo",
        "idea.reject",
        "idea.merge",
    ]
    assert all(e.at is not None for e in entries)


def test_the_revision_check_holds_when_both_requests_read_the_same_row(app, moderator_user):
    """Two requests that loaded the idea at the same moment: the second write finds the
    revision already bumped in the database and changes nothing."""
    event = make_event(IDEAS_OPEN)
    idea = add_idea(event)
    seen = idea.revision
    with db.engine.begin() as conn:  # the other moderator's request commits first
        conn.execute(
            sa.update(Idea).where(Idea.id == idea.id).values(revision=seen + 1, status="approved")
        )
    assert idea.revision == seen  # this request still holds the old row in memory
    with pytest.raises(workflow.Conflict):
        workflow.reject(idea, moderator_user, seen)
    db.session.rollback()
    assert fresh(idea).status == "approved"


def test_a_row_shows_its_own_text_theme_and_revision_in_every_form(mod):
    """The forms of a row are drawn once per page and each row's own values put in: each
    row's forms carry that row's id, revision, text (escaped) and chosen theme."""
    event = make_event(IDEAS_OPEN)
    themed = add_idea(event, title='Say "yes" <now>', body="A & B", theme_id=event.themes[1].id)
    plain = add_idea(event, title="Plain")
    page = mod.get(f"/moderate/{event.id}").text
    row = row_of(page, themed.id)
    assert row.count(f'name="revision" value="{themed.revision}"') >= 6
    assert f'action="/moderate/{event.id}/ideas/{themed.id}/approve"' in row
    assert 'value="Say &#34;yes&#34; &lt;now&gt;"' in row
    assert ">A &amp; B</textarea>" in row
    assert f'<option value="{event.themes[1].id}" selected>' in row
    other = row_of(page, plain.id)
    assert f'action="/moderate/{event.id}/ideas/{plain.id}/reject"' in other
    assert " selected>" not in other.split('name="theme_id"')[1].split("</select>")[0]


def test_the_queue_shows_a_change_that_kept_the_revision(mod, moderator_user):
    """Rows are drawn once and kept by everything they show: a change that does not touch
    the idea's revision (its moderator's name, a theme's label) shows all the same."""
    event = make_event(IDEAS_OPEN)
    idea = add_idea(event, title="Kept row", theme_id=event.themes[0].id)
    act(mod, idea, "approve")
    queue = f"/moderate/{event.id}?status=approved"
    row = row_of(mod.get(queue).text, idea.id)
    assert f"by {moderator_user.name} at" in row
    assert row == row_of(mod.get(queue).text, idea.id)
    moderator_user.name = "Renamed Moderator"
    event.themes[0].labels = {"en": "Renamed theme"}
    db.session.commit()
    g.pop("_login_user", None)
    row = row_of(mod.get(queue).text, idea.id)
    assert "by Renamed Moderator at" in row and "Renamed theme" in row
