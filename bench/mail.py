"""Mail benchmark: the worker (`sala worker --once` logic: claims, handed-before-send
commits, one SMTP connection per batch, results) against a bare smtplib loop that sends the
same messages over one connection, both to the same local SMTP sink, in the same run.

    .venv/bin/python bench/mail.py            # 10,000 messages, prints a table
    .venv/bin/python bench/mail.py --quick    # 300 messages: checks every one arrives once
    .venv/bin/python bench/mail.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench
    (a database of its own: the tables are created if missing; its outbox must be empty)

The sink (bench/smtp_sink.py) runs in its own process, so it does not share the
interpreter with what is measured. The bare loop sends the very bytes the worker would send
(`app.outbox.to_mime`), built before its clock starts; the worker builds each message itself
(as in production), so the comparison is strict.

Exit status 1 when a message is missing or arrives twice.
"""

import argparse
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import sqlalchemy as sa  # noqa: E402
from mailtools import add_test_templates, make_event  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Event, OutboxMessage, utcnow  # noqa: E402
from app.outbox import mail_url, render_mail, to_mime  # noqa: E402
from app.worker import Worker  # noqa: E402

GOAL = 0.5


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sink(port, out):
    sink = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "smtp_sink.py"), "--port", str(port), "--out", out],
        stdout=subprocess.PIPE,
        text=True,
    )
    if sink.stdout.readline().strip() != "ready":
        raise SystemExit("the SMTP sink did not start")
    return sink


def received(path):
    return Path(path).read_text().splitlines()


def queue(count, prefix):
    """`count` rendered messages, inserted in bulk (rendering is not what is measured)."""
    event = make_event(f"bench-{prefix}")
    context = {
        "note": "The Plan of Action is published.",
        "event_url": mail_url("public.event", slug=event.slug),
        "manage_url": mail_url("public.event", slug=event.slug, manage="1"),
        "event": event,
    }
    subject, text, html = render_mail("test_note", "en", **context)
    now = utcnow()
    rows = [
        dict(
            idempotency_key=f"bench:{prefix}:{n}",
            recipient=f"{prefix}-{n}@example.org",
            language="en",
            subject=subject,
            body_text=text,
            body_html=html,
            attachments=[],
            kind="test_note",
            batch=f"bench-{prefix}",
            event_id=event.id,
            due_at=now,
        )
        for n in range(count)
    ]
    for start in range(0, count, 1000):
        db.session.execute(sa.insert(OutboxMessage), rows[start : start + 1000])
    db.session.commit()


def bare_loop(app, port, messages):
    """Plain smtplib over one connection; returns (messages, seconds)."""
    sender = app.config["MAIL_DEFAULT_SENDER"]
    prepared = [(m.recipient, to_mime(m, sender)[1]) for m in messages]  # before the clock
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for recipient, data in prepared:
            smtp.sendmail("sala@localhost", [recipient], data)
    return len(prepared), time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description="Mail worker vs. bare smtplib.")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="300 messages, correctness only")
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    parser.add_argument("--batch", type=int, default=None, help="worker batch size")
    args = parser.parse_args()
    count = 300 if args.quick else args.count

    tmp = Path(tempfile.mkdtemp(prefix="sala-bench-mail-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite'}"
    port, out = free_port(), str(tmp / "received.txt")
    Path(out).touch()
    sink = start_sink(port, out)
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "EMAIL_PROVIDER": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
            "MAIL_FILE_DIR": str(tmp / "mail"),
            "BASE_URL": "http://sala.test",
        }
    )
    add_test_templates(app)
    failures = []
    try:
        with app.app_context():
            db.create_all()
            if db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)):
                raise SystemExit("the database's outbox is not empty: use a database of its own")

            # 1. The bare loop, over copies of the same messages.
            queue(count, "bare")
            bare_messages = db.session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.batch == "bench-bare")
            ).all()
            bare_sent, bare_seconds = bare_loop(app, port, bare_messages)
            db.session.execute(sa.delete(OutboxMessage))
            db.session.commit()
            before = len(received(out))

            # 2. The worker, over the outbox.
            queue(count, "worker")
            started = time.perf_counter()
            stats = Worker(app, batch_size=args.batch).run(once=True)
            worker_seconds = time.perf_counter() - started

            # 3. Every message arrived, exactly once, and the outbox says so.
            time.sleep(0.2)
            arrivals = Counter(received(out)[before:])
            expected = {f"worker-{n}@example.org" for n in range(count)}
            missing = expected - set(arrivals)
            twice = [address for address, n in arrivals.items() if n > 1]
            unexpected = set(arrivals) - expected
            statuses = Counter(db.session.scalars(sa.select(OutboxMessage.status)))
            if missing:
                failures.append(f"{len(missing)} messages never arrived")
            if twice:
                failures.append(f"{len(twice)} messages arrived more than once")
            if unexpected:
                failures.append(f"{len(unexpected)} unexpected recipients")
            if statuses != Counter({"sent": count}):
                failures.append(f"outbox statuses: {dict(statuses)}")
            if stats.sent != count:
                failures.append(f"worker reported {stats.sent} sent")
            dialect = db.engine.dialect.name
            db.session.execute(sa.delete(OutboxMessage))  # leave the database as found
            db.session.execute(sa.delete(Event).where(Event.slug.like("bench-%")))
            db.session.commit()
            db.engine.dispose()
    finally:
        sink.terminate()
        sink.wait(10)

    bare_rate = bare_sent / bare_seconds
    worker_rate = count / worker_seconds
    ratio = worker_rate / bare_rate
    print(f"mail benchmark: {count} messages, database {dialect}, sink bench/smtp_sink.py")
    print(f"{'':<34}{'messages':>10}{'seconds':>10}{'msg/s':>10}")
    bare = "bare smtplib loop (one conn.)"
    print(f"{bare:<34}{bare_sent:>10}{bare_seconds:>10.2f}{bare_rate:>10.0f}")
    print(f"{'sala worker --once logic':<34}{count:>10}{worker_seconds:>10.2f}{worker_rate:>10.0f}")
    print(f"{'ratio worker / bare':<34}{ratio:>30.2f}   (goal >= {GOAL})")
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print(f"delivery check: all {count} arrived exactly once, all marked sent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
