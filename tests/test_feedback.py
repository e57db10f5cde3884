"""The feedback form after a session (issue 17 §3): the organizer writes questions in each
language and opens the form; a registrant answers once from their personal page, anonymous
by default; the organizer reads counts, a chart and the free texts, and exports a CSV; the
answers forget their people with the session's personal data."""

import csv
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g
from ideas_support import make_registrant
from support import Auth
from world import IDEAS_OPEN, make_event

from app.extensions import db
from app.feedback.models import FeedbackAnswer, FeedbackResponse, FeedbackSubmission
from app.registration import domain
from app.registration.purge import purge


def bar(label, count):
    """A row of a chart as the organizer reads it: the answer, then how many gave it."""
    return re.compile(rf"<dt>{re.escape(label)}</dt><dd>.*?<span class=\"count\">{count}</span>")


@pytest.fixture
def event(app):
    return make_event(IDEAS_OPEN, state="concluded", starts_in=-timedelta(days=1))


@pytest.fixture
def organizer(client, admin_user):
    Auth(client).login(admin_user.email)
    return client


def url(event, rest=""):
    return f"/admin/events/{event.id}/feedback{rest}"


def as_user(client):
    g.pop("_login_user", None)
    return client


def add_questions(organizer, event):
    """A rating, a choice and a free text, in English and Khmer; then the form is opened."""
    posts = [
        {
            "kind": "rating",
            "prompt_en": "How useful was the session?",
            "prompt_km": "តើកិច្ចប្រជុំនេះមានប្រយោជន៍កម្រិតណា?",
        },
        {
            "kind": "choice",
            "prompt_en": "Will you join the next one?",
            "prompt_km": "តើអ្នកនឹងចូលរួមលើកក្រោយទេ?",
            "options_en": "Yes\nMaybe\nNo",
            "options_km": "បាទ/ចាស\nប្រហែល\nទេ",
        },
        {"kind": "text", "prompt_en": "What should we change?", "prompt_km": "តើយើងគួរកែប្រែអ្វីខ្លះ?"},
    ]
    for data in posts:
        response = as_user(organizer).post(url(event, "/questions"), data=data)
        assert response.status_code == 302, response.get_data(as_text=True)
    response = as_user(organizer).post(
        url(event, "/settings"), data={"is_open": "y", "anonymous": "y"}
    )
    assert response.status_code == 302


def feedback_link(client, token):
    page = client.get(f"/r/manage/{token}").get_data(as_text=True)
    match = re.search(r'href="(/r/manage/[^"]+/feedback)"', page)
    return match.group(1) if match else None


def question_ids(html):
    return re.findall(r'name="q(\d+)"', html)


def test_a_registrant_answers_in_khmer_and_the_organizer_sees_counts_chart_and_csv(
    event, organizer, client
):
    add_questions(organizer, event)
    registration, token = make_registrant(event, language="km")
    link = feedback_link(as_user(client), token)
    assert link
    form = client.get(f"{link}?lang=km").get_data(as_text=True)
    assert "តើកិច្ចប្រជុំនេះមានប្រយោជន៍កម្រិតណា?" in form and "ប្រហែល" in form
    rating, choice, text = dict.fromkeys(question_ids(form)).keys()
    response = client.post(
        link, data={f"q{rating}": "4", f"q{choice}": "1", f"q{text}": "=Longer Q&A, please"}
    )
    assert response.status_code == 302
    thanks = client.get(link).get_data(as_text=True)
    assert "<form" not in thanks.split("<main", 1)[1].split("</main>")[0]
    # Once only: a second post changes nothing.
    client.post(link, data={f"q{rating}": "1"})
    assert db.session.scalar(sa.select(sa.func.count(FeedbackResponse.id))) == 1
    # Anonymous by default: nothing links the answers to the registrant.
    assert db.session.scalar(sa.select(FeedbackResponse.registration_id)) is None
    assert "Thank you for your feedback" in client.get(f"/r/manage/{token}?lang=en").get_data(
        as_text=True
    )

    page = as_user(organizer).get(url(event)).get_data(as_text=True)
    assert "1 person answered." in page
    assert 'class="hchart-figure"' in page
    assert bar("4", 1).search(page) and bar("Maybe", 1).search(page)
    assert "average 4.0 of 5" in page
    assert "=Longer Q&amp;A, please" in page
    exported = as_user(organizer).get(url(event, ".csv"))
    assert exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert rows[0] == [
        "response",
        "language",
        "How useful was the session?",
        "Will you join the next one?",
        "What should we change?",
    ]
    assert rows[1] == ["1", "km", "4", "Maybe", "'=Longer Q&A, please"]
    assert registration.email not in exported.get_data(as_text=True)


def test_bad_answers_are_told_next_to_the_question_and_the_rest_is_kept(event, organizer, client):
    add_questions(organizer, event)
    _registration, token = make_registrant(event, language="en")
    link = feedback_link(as_user(client), token)
    rating, choice, text = dict.fromkeys(question_ids(client.get(link).get_data(as_text=True)))
    response = client.post(
        link, data={f"q{rating}": "9", f"q{choice}": "7", f"q{text}": "x" * 2001}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(rf'id="q{rating}-error"><p>Choose a number from 1 to 5.', html)
    assert re.search(rf'id="q{choice}-error"><p>Choose one of the answers offered.', html)
    assert re.search(rf'id="q{text}-error"><p>Your answer can have at most 2000', html)
    assert "x" * 2001 + "</textarea>" in html
    empty = client.post(link, data={})
    assert empty.status_code == 422
    assert "Answer at least one question" in empty.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(FeedbackResponse.id))) == 0


def test_bad_answers_are_told_in_khmer(event, organizer, client):
    add_questions(organizer, event)
    _registration, token = make_registrant(event, language="km")
    link = feedback_link(as_user(client), token)
    html = client.get(f"{link}?lang=km").get_data(as_text=True)
    rating = question_ids(html)[0]
    html = client.post(link, data={f"q{rating}": "0"}).get_data(as_text=True)
    message = re.search(rf'id="q{rating}-error"><p>(.*?)</p>', html).group(1)
    assert re.search("[\u1780-\u17ff]", message), message


def test_a_closed_form_is_neither_linked_nor_answerable(event, organizer, client):
    add_questions(organizer, event)
    as_user(organizer).post(url(event, "/settings"), data={"anonymous": "y"})  # closed
    _registration, token = make_registrant(event)
    assert feedback_link(as_user(client), token) is None
    page = client.get(f"/r/manage/{token}/feedback")
    assert "is not open" in page.get_data(as_text=True)
    assert client.get("/r/manage/not-a-token/feedback").status_code == 404


def test_bad_questions_are_told_next_to_the_field_and_kept(event, organizer):
    response = as_user(organizer).post(
        url(event, "/questions"),
        data={
            "kind": "choice",
            "prompt_en": "",
            "prompt_km": "សំណួរ",
            "options_en": "Only one",
            "options_km": "មួយ\nពីរ",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="prompt_en-error"><p>Write the question in English', html)
    assert re.search(r'id="options_en-error"><p>Give from 2 to 10 answers', html)
    assert "សំណួរ" in html  # what was typed is kept
    response = as_user(organizer).post(
        url(event, "/questions"),
        data={"kind": "choice", "prompt_en": "Q", "options_en": "A\nB", "options_km": "ក"},
    )
    assert response.status_code == 422
    assert re.search(
        r'id="options_km-error"><p>Give as many answers as in English \(2\)',
        response.get_data(as_text=True),
    )
    response = as_user(organizer).post(url(event, "/questions"), data={"kind": "poll"})
    assert response.status_code == 422
    assert "Choose a kind of question from the list." in response.get_data(as_text=True)


def test_named_answers_show_who_and_a_form_answered_anonymously_stays_so(event, organizer, client):
    add_questions(organizer, event)
    as_user(organizer).post(url(event, "/settings"), data={"is_open": "y"})  # not anonymous
    registration, token = make_registrant(event, name="Sok Dara", language="en")
    link = feedback_link(as_user(client), token)
    html = client.get(link).get_data(as_text=True)
    assert "The organizers see your answers with your name" in html
    client.post(link, data={f"q{question_ids(html)[0]}": "5"})
    exported = as_user(organizer).get(url(event, ".csv")).get_data(as_text=True)
    assert "Sok Dara" in exported and registration.email in exported

    other = make_event(IDEAS_OPEN, slug="s2", state="concluded", starts_in=-timedelta(days=1))
    add_questions(organizer, other)
    _r, token2 = make_registrant(other, email="b@example.org")
    link2 = feedback_link(as_user(client), token2)
    client.post(link2, data={f"q{question_ids(client.get(link2).get_data(as_text=True))[0]}": "3"})
    response = as_user(organizer).post(url(other, "/settings"), data={"is_open": "y"})
    assert response.status_code == 422
    assert "stays anonymous" in response.get_data(as_text=True)


def test_answers_forget_their_people_with_the_sessions_personal_data(event, organizer, client):
    add_questions(organizer, event)
    as_user(organizer).post(url(event, "/settings"), data={"is_open": "y"})  # named
    registration, token = make_registrant(event, name="Sok Dara")
    link = feedback_link(as_user(client), token)
    rating, choice, text = dict.fromkeys(question_ids(client.get(link).get_data(as_text=True)))
    client.post(link, data={f"q{rating}": "2", f"q{text}": "Sok Dara here, call me"})
    other, token2 = make_registrant(event, email="c@example.org", name="Chan Thy")
    link2 = feedback_link(as_user(client), token2)
    client.post(link2, data={f"q{rating}": "5", f"q{text}": "Thanks"})

    domain.erase(registration)
    db.session.commit()
    page = as_user(organizer).get(url(event)).get_data(as_text=True)
    assert "call me" not in page and "Thanks" in page
    assert "2 people answered." in page and bar("2", 1).search(page)  # counts stay
    assert "Sok Dara" not in as_user(organizer).get(url(event, ".csv")).get_data(as_text=True)

    purge(event, force=True)
    db.session.commit()
    assert db.session.scalars(sa.select(FeedbackAnswer.text)).all() == ["", "", "", ""]
    assert db.session.scalars(sa.select(FeedbackResponse.registration_id)).all() == [None, None]
    assert db.session.scalar(sa.select(sa.func.count(FeedbackSubmission.id))) == 0
    page = as_user(organizer).get(url(event)).get_data(as_text=True)
    assert bar("5", 1).search(page)
