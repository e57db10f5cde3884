"""How long the registration paths take: POST /register, confirming, and the worker's
release sweep (join details with their .ics for many confirmed registrants at once).

    .venv/bin/python bench/registration.py [registrants] [database URL]

Prints a table; SQLite in a temporary directory unless a URL is given."""

import re
import sys
import tempfile
import time
from datetime import timedelta

import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import Event, OutboxMessage, Registration, utcnow
from app.registration.domain import release_due


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    tmp = tempfile.mkdtemp()
    url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{tmp}/bench.sqlite"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-only-secret-key-never-for-production",
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "BASE_URL": "http://sala.test",
            "MAIL_FILE_DIR": f"{tmp}/mail",
        }
    )
    rows = []
    with app.app_context():
        db.drop_all()
        db.create_all()
        event = Event(
            slug="bench",
            state="published",
            starts_at=utcnow() + timedelta(days=3),
            texts={"en": {"title": "Bench", "summary": "A session."}},
            join_release="before_start",
            join_release_hours=24,
            join_url="https://zoom.example.invalid/j/1",
        )
        db.session.add(event)
        db.session.commit()
        client = app.test_client()
        n = min(count, 300)
        start = time.perf_counter()
        for i in range(n):
            client.post(
                "/s/bench/register",
                data={
                    "email": f"p{i}@example.org",
                    "name": f"P{i}",
                    "language": "en",
                    "consent": "y",
                },
            )
        rows.append(("POST /s/<slug>/register", n, time.perf_counter() - start))
        tokens = [
            re.search(r"/r/confirm/(\S+)", m.body_text).group(1)
            for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))
        ]
        start = time.perf_counter()
        for token in tokens:
            client.post(f"/r/confirm/{token}")
        rows.append(("POST /r/confirm/<token>", len(tokens), time.perf_counter() - start))
        # Many more confirmed registrants, straight into the table.
        now = utcnow()
        db.session.execute(
            sa.insert(Registration),
            [
                dict(
                    event_id=event.id,
                    email=f"q{i}@example.org",
                    email_key=f"q{i}@example.org",
                    name=f"Q{i}",
                    language="en",
                    status="confirmed",
                    confirmed_at=now,
                    created_at=now,
                    updated_at=now,
                )
                for i in range(count)
            ],
        )
        event.starts_at = utcnow() + timedelta(hours=20)  # the release time has come
        db.session.commit()
        total, rounds = 0, 0
        start = time.perf_counter()
        while True:
            queued = release_due()
            db.session.commit()
            rounds += 1
            if not queued:
                break
            total += queued
        rows.append((f"release sweep ({rounds} worker rounds)", total, time.perf_counter() - start))
    print(f"{'what':<40} {'items':>7} {'seconds':>9} {'ms/item':>9}")
    for what, items, seconds in rows:
        print(f"{what:<40} {items:>7} {seconds:>9.2f} {1000 * seconds / max(items, 1):>9.2f}")


if __name__ == "__main__":
    main()
