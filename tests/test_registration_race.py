"""Two people confirming for the last seat at the same moment never both get it. Run on
PostgreSQL (TEST_DATABASE_URL), with concurrent HTTP requests against a live server."""

import os
import threading
import urllib.request

import pytest
import sqlalchemy as sa
from registration_helpers import LiveServer, make_event

from app.extensions import db
from app.models import LinkToken, Registration

pytestmark = pytest.mark.postgres

CONFIRMERS = 4
ROUNDS = 5


@pytest.fixture
def pg_app(make_app):
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("the capacity race needs PostgreSQL: set TEST_DATABASE_URL")
    app = make_app()
    with app.app_context():
        yield app


def post(url, barrier, results):
    barrier.wait()
    request = urllib.request.Request(url, data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        results.append(response.status)


def test_concurrent_confirmations_never_overfill_the_session(pg_app):
    server = LiveServer(pg_app).start()
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
