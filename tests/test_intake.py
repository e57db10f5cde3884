"""Registrations and ideas as intake (app/intake.py): the visitor's request keeps what they
sent and answers at once; the worker makes the registration or idea and its mail. These
tests use a client that does NOT run the intake step after each request (the harness's
support.Client does), to see each side alone."""

import threading
import time

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from registration_helpers import deliver, form, links, mails_to, path_of, smtp_config
from world import IDEAS_OPEN, make_event

from app import intake
from app.extensions import db
from app.models import Idea, OutboxMessage, Registration, Submission
from app.registration import domain
from app.registration.purge import purge

IDEA = {
    "title": "Free the political prisoners",
    "body": "First paragraph.\r\n\r\nSecond paragraph.",
    "language": "en",
    "display": "anonymous",
    "email": "visitor@example.org",
    "theme": "",
}


@pytest.fixture
def mail_app(make_app, smtp):
    app = make_app(**smtp_config(smtp))
    with app.app_context():
        yield app


@pytest.fixture
def bare(mail_app):
    """A test client without the harness's intake step."""
    intake.arrived.clear()
    return FlaskClient(mail_app, mail_app.response_class, use_cookies=True)


def count(model):
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_request_keeps_the_form_and_the_worker_registers_and_mails(bare, smtp):
    make_event()
    response = bare.post("/s/planning/register", data=form(email="Dara@Example.org"))
    assert response.status_code == 302
    assert response.location.endswith("/s/planning/registered")
    # Nothing made yet, nothing mailed: the visitor's request only kept what they sent.
    assert (count(Submission), count(Registration), count(OutboxMessage)) == (1, 0, 0)

    deliver()  # `sala worker`: takes the submission, then sends its mail in the same run
    assert (count(Submission), count(Registration)) == (0, 1)
    [mail] = mails_to(smtp, "Dara@Example.org")
    page = bare.get(path_of(links(mail, "confirm")[0]))
    assert page.status_code == 200 and "Confirm" in page.text


def test_new_known_and_pending_addresses_get_the_same_answer_after_the_same_work(bare, smtp):
    """No enumeration by timing: the request does the same statements for every address."""
    event = make_event()
    domain.register(event, email="known@example.org", name="Known", language="en")
    db.session.commit()
    registration = db.session.scalar(sa.select(Registration))
    registration.status = "confirmed"
    db.session.commit()
    statements = []

    def note(*_args):
        statements.append(1)

    answers = {}
    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        for address in ("new@example.org", "known@example.org", "KNOWN@example.org"):
            bare.post("/s/planning/register", data=form(email=address))  # facts cached
            statements.clear()
            response = bare.post("/s/planning/register", data=form(email=address))
            answer = (response.status_code, response.location, response.data)
            answers[address] = (*answer, len(statements))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    assert len(set(answers.values())) == 1, answers
    assert answers["new@example.org"][3] == 1  # the one INSERT

    deliver()
    # Each form sent is one mail, as before: the new address gets its confirmation link
    # again for its second form; the known one (its first confirmation link, then four
    # forms) is told four times that it is known.
    assert len(mails_to(smtp, "new@example.org")) == 2
    assert len(mails_to(smtp, "known@example.org")) == 5


def test_an_idea_from_the_form_is_kept_then_made_and_its_confirmation_mailed(bare, smtp):
    make_event(IDEAS_OPEN)
    response = bare.post("/s/s1/ideas/new", data=IDEA)
    assert response.status_code == 303 and response.location.endswith("/s/s1/ideas/sent")
    assert (count(Submission), count(Idea)) == (1, 0)
    sent = bare.get(response.location)
    assert "we sent you an email" in sent.text

    deliver()
    idea = db.session.scalar(sa.select(Idea))
    assert idea.status == "unconfirmed" and idea.body == "First paragraph.\n\nSecond paragraph."
    assert count(Submission) == 0
    [mail] = mails_to(smtp, "visitor@example.org")
    assert "/ideas/confirm/" in smtp.text(mail)


def test_the_honeypot_keeps_nothing_and_answers_the_same(bare):
    make_event(IDEAS_OPEN)
    make_event(slug="other")
    registration = bare.post("/s/other/register", data=form(website="http://spam.example"))
    idea = bare.post("/s/s1/ideas/new", data=dict(IDEA, website="http://spam.example"))
    assert registration.status_code == 302 and idea.status_code == 303
    assert count(Submission) == 0


def test_a_form_with_a_problem_is_answered_as_before_and_nothing_is_kept(bare):
    make_event()
    response = bare.post("/s/planning/register", data=form(email="not an address", name="Sok"))
    assert response.status_code == 200
    assert "This does not look like an email address" in response.text
    assert 'value="Sok"' in response.text  # the rest of the form kept
    assert count(Submission) == 0


def test_a_closed_session_answers_closed_even_from_the_cached_facts(bare, mail_app):
    event = make_event()
    assert bare.post("/s/planning/register", data=form()).status_code == 302
    event.registration_closes_at = event.created_at  # closed now, in this process
    db.session.commit()
    response = bare.post("/s/planning/register", data=form(email="late@example.org"))
    assert "Registration for this session is closed." in response.text
    assert count(Submission) == 1


def test_erasing_a_registrant_deletes_what_they_sent_that_still_waits(bare, mail_app):
    event = make_event(IDEAS_OPEN)
    domain.register(event, email="dara@example.org", name="Dara", language="en")
    db.session.commit()
    bare.post("/s/s1/register", data=form(email="DARA@example.org"))
    bare.post("/s/s1/ideas/new", data=dict(IDEA, email="dara@example.org"))
    bare.post("/s/s1/ideas/new", data=dict(IDEA, email="someone@example.org"))
    assert count(Submission) == 3
    registration = db.session.scalar(sa.select(Registration))
    domain.erase(registration)
    db.session.commit()
    assert count(Submission) == 1  # someone else's idea stays


def test_the_purge_deletes_the_sessions_waiting_submissions(bare, mail_app):
    from world import CONCLUDED

    event = make_event(CONCLUDED)
    data = dict(form(), country="", affiliation="")
    db.session.add(Submission(kind="registration", event_id=event.id, data=data))
    db.session.commit()
    purge(event, force=True)
    db.session.commit()
    assert count(Submission) == 0


def test_one_bad_submission_does_not_stop_the_others_and_is_dropped_in_the_end(bare, mail_app):
    event = make_event()
    db.session.add(Submission(kind="registration", event_id=event.id, data={"email": "x"}))
    db.session.commit()
    bare.post("/s/planning/register", data=form(email="fine@example.org"))
    for _round in range(intake.MAX_ATTEMPTS):
        intake.step()
    assert db.session.scalar(sa.select(Registration.email)) == "fine@example.org"
    assert count(Submission) == 0


def test_the_waiting_worker_wakes_at_once_when_a_form_arrives(bare, mail_app):
    make_event()
    stop = threading.Event()
    woke = {}

    def wait():
        with mail_app.app_context():
            started = time.monotonic()
            woke["found"] = intake.wait(stop, 30)
            woke["after"] = time.monotonic() - started

    intake.arrived.clear()
    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.3)
    bare.post("/s/planning/register", data=form())
    waiter.join(20)
    stop.set()
    assert woke["found"] is True and woke["after"] < 5
