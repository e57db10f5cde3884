"""Two cancellations at the same moment, each in its own thread with its own database
connection (SQLite or PostgreSQL): the status is read again under the session's lock, so a
freed seat always goes to the waitlist and a double-clicked Cancel cancels (and mails) once."""

import threading

import sqlalchemy as sa
from world import make_event

from app.extensions import db
from app.models import OutboxMessage, Registration, utcnow
from app.registration import domain

WAIT = 60  # seconds: a generous ceiling, never a measure


def add(event, email, status, minutes_ago):
    from datetime import timedelta

    registration = Registration(
        event=event,
        email=email,
        email_key=email,
        name=email.split("@")[0],
        language="en",
        status=status,
        confirmed_at=utcnow() - timedelta(minutes=minutes_ago),
    )
    db.session.add(registration)
    db.session.commit()
    return registration.id


class Canceller(threading.Thread):
    """Loads a registration in its own app context (a request reading the manage page),
    waits for `go`, then cancels it and commits, as the Cancel button does."""

    def __init__(self, app, registration_id, go):
        super().__init__(daemon=True)
        self.app, self.registration_id, self.go = app, registration_id, go
        self.loaded = threading.Event()
        self.error = None

    def run(self):
        try:
            with self.app.app_context():
                registration = db.session.get(Registration, self.registration_id)
                assert registration.status != "cancelled"  # what the request saw
                self.loaded.set()
                assert self.go.wait(WAIT)
                domain.cancel(registration)
                db.session.commit()
        except Exception as exc:  # reported by the test, not lost in the thread
            self.error = exc
            self.loaded.set()


def statuses(event):
    db.session.expire_all()
    return dict(
        db.session.execute(
            sa.select(Registration.email, Registration.status).where(
                Registration.event_id == event.id
            )
        ).all()
    )


def mails(kind, registration_id=None):
    query = sa.select(sa.func.count()).where(OutboxMessage.kind == kind)
    if registration_id is not None:
        query = query.where(OutboxMessage.registration_id == registration_id)
    return db.session.scalar(query)


def test_the_first_in_line_cancelling_as_the_seat_holder_cancels_leaves_no_seat_empty(app):
    event = make_event(slug="one-seat", capacity=1, waitlist_enabled=True)
    holder = add(event, "holder@example.org", "confirmed", 30)
    first = add(event, "first@example.org", "waitlisted", 20)
    add(event, "second@example.org", "waitlisted", 10)
    add(event, "third@example.org", "waitlisted", 5)

    # The first in line opened their page and pressed Cancel while still waitlisted; the
    # seat holder's cancellation (which promotes them) lands before theirs does.
    go = threading.Event()
    late = Canceller(app, first, go)
    late.start()
    assert late.loaded.wait(WAIT) and late.error is None
    with app.app_context():
        domain.cancel(db.session.get(Registration, holder))
        db.session.commit()
    go.set()
    late.join(WAIT)
    assert late.error is None, late.error

    assert statuses(event) == {
        "holder@example.org": "cancelled",
        "first@example.org": "cancelled",
        "second@example.org": "confirmed",
        "third@example.org": "waitlisted",
    }
    assert mails("registration_promoted") == 2  # first (then gone), then second


def test_a_double_clicked_cancel_cancels_and_mails_once(app):
    event = make_event(slug="double", capacity=1, waitlist_enabled=True)
    seat = add(event, "seat@example.org", "confirmed", 30)
    add(event, "next@example.org", "waitlisted", 20)
    add(event, "after@example.org", "waitlisted", 10)

    go = threading.Event()
    clicks = [Canceller(app, seat, go) for _ in range(2)]
    for click in clicks:
        click.start()
    for click in clicks:
        assert click.loaded.wait(WAIT) and click.error is None
    go.set()  # both requests read "confirmed"; now both cancel at once
    for click in clicks:
        click.join(WAIT)
        assert click.error is None, click.error

    assert statuses(event) == {
        "seat@example.org": "cancelled",
        "next@example.org": "confirmed",
        "after@example.org": "waitlisted",
    }
    assert mails("registration_cancelled", seat) == 1
    assert mails("registration_promoted") == 1
