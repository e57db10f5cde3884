"""Two people confirming for the last seat at the same moment never both get it, and none
of them gets an error: concurrent HTTP requests against a live server, on SQLite (where
each writing request takes the write lock up front: app/sqlite.py) and on PostgreSQL (where
the session's row is locked before seats are counted)."""

import threading
import urllib.request

import sqlalchemy as sa
from registration_helpers import LiveServer
from world import make_event

from app.extensions import db
from app.models import LinkToken, Registration

CONFIRMERS = 4
ROUNDS = 5


def post(url, barrier, results):
    barrier.wait()
    request = urllib.request.Request(url, data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        results.append(response.status)


def test_concurrent_confirmations_never_overfill_the_session(app):
    server = LiveServer(app).start()
    try:
        for round_ in range(ROUNDS):
            event = make_event(slug=f"race-{round_}", capacity=1, waitlist_enabled=True)
            urls = []
            for i in range(CONFIRMERS):
                email = f"p{i}@example.org"
                reg = Registration(event=event, email=email, email_key=email, name=f"P{i}")
                db.session.add(reg)
                db.session.flush()
                _, raw = LinkToken.issue("confirm", reg)
                urls.append(f"{server.url}/r/confirm/{raw}")
            db.session.commit()
            barrier = threading.Barrier(CONFIRMERS)
            results = []
            threads = [threading.Thread(target=post, args=(url, barrier, results)) for url in urls]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert results == [200] * CONFIRMERS
            db.session.expire_all()
            statuses = db.session.scalars(
                sa.select(Registration.status).where(Registration.event_id == event.id)
            ).all()
            assert sorted(statuses) == ["confirmed"] + ["waitlisted"] * (CONFIRMERS - 1)
    finally:
        server.stop()
