"""Sending an idea: the form, email confirmation, receipt with a private status link,
withdrawal, a registrant's manage link, the ideas window, limits and bad input."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from ideas_support import add_idea, link_in, make_registrant
from world import IDEAS_OPEN, make_event

from app.extensions import db
from app.mail import worker
from app.models import AuditEntry, Idea, utcnow

FORM = {
    "title": "Free the political prisoners",
    "body": "First paragraph.\n\nSecond paragraph.",
    "language": "en",
    "display": "anonymous",
    "email": "visitor@example.org",
    "theme": "",
}


def post_idea(client, slug="s1", query="", **changes):
    """Send the form as a browser does: a sent idea is answered by a redirect to the page
    that asks to confirm it by mail."""
    return client.post(
        f"/s/{slug}/ideas/new{query}", data=dict(FORM, **changes), follow_redirects=True
    )


def test_visitor_confirms_by_link_then_follows_and_withdraws_the_idea(mail_app, smtp):
    client = mail_app.test_client()
    make_event(IDEAS_OPEN)
    response = post_idea(client)
    assert response.status_code == 200
    assert "we sent you an email" in response.text
    idea = db.session.scalar(sa.select(Idea))
    assert idea.status == "unconfirmed"

    worker.run_once()
    [confirm_mail] = smtp.to("visitor@example.org")
    confirm_url = link_in(smtp.text(confirm_mail), "/ideas/confirm/")
    path = confirm_url.split("sala.test", 1)[1]
    # Opening the link (a mail scanner may) changes nothing; the button confirms.
    page = client.get(path)
    assert "Confirm my idea" in page.text
    assert db.session.get(Idea, idea.id).status == "unconfirmed"
    done = client.post(path)
    assert "your idea is confirmed" in done.text
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).status == "pending"  # the moderation plugin's answer

    worker.run_once()
    receipt = [m for m in smtp.to("visitor@example.org") if "received your idea" in m["Subject"]]
    assert len(receipt) == 1
    text = smtp.text(receipt[0])
    assert "Second paragraph." in text
    status_path = link_in(text, "/ideas/status/").split("sala.test", 1)[1]
    status = client.get(status_path)
    assert "pending review" in status.text
    assert "visitor@example.org" not in status.text

    withdrawn = client.post(status_path + "/withdraw", follow_redirects=True)
    assert "withdrawn" in withdrawn.text
    assert "Withdraw my idea" not in withdrawn.text
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).status == "withdrawn"
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["idea.submit", "idea.confirm", "idea.withdraw"]


def test_confirm_link_used_twice_says_so_kindly(client):
    make_event(IDEAS_OPEN)
    post_idea(client)
    idea = db.session.scalar(sa.select(Idea))
    from app.models import LinkToken

    _row, raw = LinkToken.issue("idea_confirm", idea)
    db.session.commit()
    client.post(f"/ideas/confirm/{raw}")
    again = client.post(f"/ideas/confirm/{raw}")
    assert again.status_code == 200
    assert "already confirmed" in again.text
    assert client.get("/ideas/confirm/forged-token").status_code == 404


def test_registrant_submits_as_themselves_through_the_manage_link(mail_app, smtp):
    client = mail_app.test_client()
    event = make_event(IDEAS_OPEN)
    registration, token = make_registrant(event)
    form_page = client.get(f"/s/s1/ideas/new?t={token}")
    assert 'name="email"' not in form_page.text
    assert 'value="Sok Dara"' in form_page.text
    data = {k: v for k, v in FORM.items() if k != "email"}
    response = client.post(
        f"/s/s1/ideas/new?t={token}", data=dict(data, display="initials", name="Sok Dara")
    )
    assert "Your idea is received" in response.text
    idea = db.session.scalar(sa.select(Idea))
    assert idea.registration_id == registration.id
    assert idea.status == "pending"
    worker.run_once()
    # Besides their join details, the registrant gets the receipt with the status link.
    [receipt] = [m for m in smtp.to("reg@example.org") if "/ideas/status/" in smtp.text(m)]
    assert receipt["Content-Language"] == "km"  # the registrant's own language
    assert "/ideas/status/" in smtp.text(receipt)


def test_a_manage_link_of_another_session_or_a_forged_one_is_refused(client):
    make_event(IDEAS_OPEN)
    other = make_event(IDEAS_OPEN, slug="s2")
    _registration, token = make_registrant(other)
    assert client.get(f"/s/s1/ideas/new?t={token}").status_code == 404
    assert client.get("/s/s1/ideas/new?t=forged").status_code == 404
    assert client.post("/s/s1/ideas/new?t=forged", data=FORM).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Idea.id))) == 0


def test_closed_window_says_so_and_shows_no_form(client):
    now = utcnow()
    make_event(IDEAS_OPEN, ideas_close_at=now - timedelta(hours=1))
    page = client.get("/s/s1/ideas/new")
    assert "Sending ideas for this session is closed." in page.text
    assert 'name="body"' not in page.text
    assert "Sending ideas for this session is closed." in client.get("/s/s1").text
    post_idea(client)
    assert db.session.scalar(sa.select(sa.func.count(Idea.id))) == 0


def test_window_not_yet_open_says_when(client):
    make_event(IDEAS_OPEN, slug="later")
    from app.models import Event

    event = db.session.scalar(sa.select(Event))
    event.ideas_open_at = utcnow() + timedelta(days=2)
    db.session.commit()
    page = client.get("/s/later/ideas/new")
    assert "Ideas can be sent from" in page.text
    assert 'name="body"' not in page.text


def test_session_page_has_the_compact_idea_form(client):
    make_event(IDEAS_OPEN)
    page = client.get("/s/s1")
    assert 'class="idea-box"' in page.text
    assert 'action="/s/s1/ideas/new"' in page.text


def test_body_over_the_limit_keeps_the_text_and_says_why(client):
    make_event(IDEAS_OPEN)
    long_body = "ក" * 3990 + " too long now " + "x" * 20
    response = post_idea(client, body=long_body)
    assert response.status_code == 200
    assert "at most 4000 characters" in response.text
    assert long_body in response.text  # kept in the textarea
    assert 'aria-invalid="true"' in response.text
    assert db.session.scalar(sa.select(sa.func.count(Idea.id))) == 0


def test_title_over_the_limit_and_missing_name_are_explained(client):
    make_event(IDEAS_OPEN)
    response = post_idea(client, title="t" * 151, display="name", name="")
    assert "at most 150 characters" in response.text
    assert "Give a name to be shown by name or initials." in response.text
    assert db.session.scalar(sa.select(sa.func.count(Idea.id))) == 0


def test_honeypot_keeps_nothing_but_looks_the_same(client):
    make_event(IDEAS_OPEN)
    response = post_idea(client, website="http://spam.example")
    assert "we sent you an email" in response.text
    assert db.session.scalar(sa.select(sa.func.count(Idea.id))) == 0


def test_limit_per_address_answers_as_usual_and_keeps_nothing_more(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_PUBLIC_POST="100 per minute",
        MAILBOX_MAIL_LIMIT="2 per hour",
    )
    with app.app_context():
        client = app.test_client()
        make_event(IDEAS_OPEN)
        answers = [post_idea(client) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert all("we sent you an email" in a.text for a in answers)
        assert post_idea(client, email="other@example.org").status_code == 200
        authors = db.session.scalars(sa.select(Idea.author_email)).all()
        assert sorted(authors) == ["other@example.org"] + ["visitor@example.org"] * 2


def test_rate_limit_per_registrant_link(make_app):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_PUBLIC_POST="100 per minute",
        IDEAS_RATE_LIMIT_PER_ADDRESS="2 per hour",
    )
    with app.app_context():
        client = app.test_client()
        event = make_event(IDEAS_OPEN)
        _registration, raw = make_registrant(event)
        codes = [post_idea(client, query=f"?t={raw}").status_code for _ in range(3)]
        assert codes == [200, 200, 429]


BAD_INPUT = [
    ("<script>alert('x')</script>", "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
    ('<img src=x onerror="alert(1)"><b>bold</b>', "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;"),
    ("គំនិតរបស់ខ្ញុំ 🇰🇭🙏 សេរីភាព ✊🏽", "គំនិតរបស់ខ្ញុំ 🇰🇭🙏 សេរីភាព ✊🏽"),
    ("حقوق الإنسان للجميع \u202eevil\u202c", "حقوق الإنسان للجميع \u202eevil\u202c"),
    ("zero\u200bwidth\u200c\u200djoin\ufeff", "zero\u200bwidth\u200c\u200djoin\ufeff"),
    ("W" * 600, "W" * 600),
]


@pytest.mark.parametrize(("text", "rendered"), BAD_INPUT)
def test_bad_input_is_stored_exactly_and_rendered_escaped(client, moderator_user, text, rendered):
    make_event(IDEAS_OPEN)
    response = post_idea(client, title=text[:150], body=text, display="name", name=text[:200])
    assert response.status_code == 200
    idea = db.session.scalar(sa.select(Idea))
    assert idea.body == text
    assert idea.title == text[:150].strip()
    assert idea.author_name == text[:200].strip()
    from app.ideas import workflow

    workflow.confirm(idea)
    workflow.approve(idea, moderator_user, idea.revision)
    db.session.commit()
    board = client.get("/s/s1/ideas").text
    assert rendered in board
    assert "<script>alert" not in board
    assert "<b>bold</b>" not in board
    assert 'onerror="alert' not in board


def test_links_are_clickable_only_for_http_and_https(client, moderator_user):
    event = make_event(IDEAS_OPEN)
    body = (
        "See https://example.org/report?a=1&b=2. Also http://example.net/x\n"
        'Not this: javascript:alert(1) nor <a href="https://evil.example">x</a>'
    )
    add_idea(event, body=body, status="approved")
    board = client.get("/s/s1/ideas").text
    assert (
        '<a href="https://example.org/report?a=1&amp;b=2" rel="nofollow noopener noreferrer">'
        in board
    )
    assert '<a href="http://example.net/x" rel="nofollow noopener noreferrer">' in board
    assert 'href="javascript' not in board
    assert '<a href="https://evil.example">' not in board
    assert "&lt;a href=" in board


@pytest.mark.parametrize(
    ("display", "shown", "hidden"),
    [
        ("name", "Sok Dara", None),
        ("initials", "S. D.", "Sok Dara"),
        ("anonymous", "Anonymous", "Sok Dara"),
    ],
)
def test_author_is_shown_as_they_chose_and_the_email_never(client, display, shown, hidden):
    event = make_event(IDEAS_OPEN)
    add_idea(
        event,
        author_name="Sok Dara",
        display=display,
        status="approved",
        author_email="secret-address@example.org",
    )
    board = client.get("/s/s1/ideas").text
    assert shown in board
    if hidden:
        assert hidden not in board
    assert "secret-address" not in board
