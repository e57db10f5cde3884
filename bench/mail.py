"""Mail benchmark: the worker (`sala worker --once` logic: claims, handed-before-send
commits, one SMTP connection kept across batches while the queue has mail, results)
against a bare smtplib loop that sends the
same messages over one connection, both to the same local SMTP sink, in the same run.

    .venv/bin/python bench/mail.py            # 10,000 messages, prints a table
    .venv/bin/python bench/mail.py --quick    # 300 messages: checks every one arrives once
    .venv/bin/python bench/mail.py --rounds 6 --against main   # main's worker vs this one
    .venv/bin/python bench/mail.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench
    (a database of its own: the tables are created if missing; its outbox must be empty)

The sink (bench/smtp_sink.py) runs in its own process, so it does not share the
interpreter with what is measured. The bare loop sends the very bytes the worker would send
(`app.mail.mime.to_mime`), built before its clock starts; the worker builds each message itself
(as in production), so the comparison is strict. The two alternate in rounds (--rounds, 10),
so a change in the machine's load falls on both alike. A last line shows what the outbox
alone costs: the same worker with a provider that sends nothing.

With ``--against REV`` each round runs twice, in fresh processes, alternating: the worker
of `REV` (exported with ``git archive``) and this checkout's, each against its own bare loop
in the same process; the table adds the worker's CPU per message (``time.process_time``,
which moves less with the machine's load than msg/s).

Exit status 1 when a message is missing or arrives twice.
"""

import argparse
import json
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
# --root DIR: measure the app of another tree (an exported commit, for --against).
ROOT = Path(sys.argv[sys.argv.index("--root") + 1]).resolve() if "--root" in sys.argv else HERE
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import sqlalchemy as sa  # noqa: E402
from mailtools import add_test_templates  # noqa: E402
from world import MAIL_TEST, make_event  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.mail.mime import to_mime  # noqa: E402
from app.mail.outbox import mail_url, render_mail  # noqa: E402
from app.mail.worker import Worker  # noqa: E402
from app.models import Event, OutboxMessage, utcnow  # noqa: E402
from app.plugins import hookimpl, plugin_state  # noqa: E402

GOAL = 0.7


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sink(port, out):
    sink = subprocess.Popen(
        [sys.executable, str(HERE / "bench" / "smtp_sink.py"), "--port", str(port), "--out", out],
        stdout=subprocess.PIPE,
        text=True,
    )
    if sink.stdout.readline().strip() != "ready":
        raise SystemExit("the SMTP sink did not start")
    return sink


def received(path):
    return Path(path).read_text().splitlines()


def queue(count, prefix, due=True):
    """`count` rendered messages, inserted in bulk (rendering is not what is measured)."""
    event = make_event(MAIL_TEST, slug=f"bench-{prefix}")
    context = {
        "note": "The Plan of Action is published.",
        "event_url": mail_url("public.event", slug=event.slug),
        "manage_url": mail_url("public.event", slug=event.slug, manage="1"),
        "event": event,
    }
    subject, text, html = render_mail("test_note", "en", **context)
    due_at = utcnow() if due else utcnow() + timedelta(days=1)
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
            due_at=due_at,
        )
        for n in range(count)
    ]
    for start in range(0, count, 1000):
        db.session.execute(sa.insert(OutboxMessage), rows[start : start + 1000])
    db.session.commit()
    return db.session.scalars(
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.batch == f"bench-{prefix}")
        .order_by(OutboxMessage.id)
    ).all()


def bare_loop(port, prepared):
    """Plain smtplib over one connection; returns seconds."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for recipient, data in prepared:
            smtp.sendmail("sala@localhost", [recipient], data)
    return time.perf_counter() - started


def worker_round(app, ids, batch):
    """Make `ids` due and run the `sala worker --once` logic over them; returns seconds."""
    db.session.execute(
        sa.update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(due_at=utcnow())
    )
    db.session.commit()
    started, cpu = time.perf_counter(), time.process_time()
    stats = Worker(app, batch_size=batch).run(once=True)
    seconds = time.perf_counter() - started
    CPU.append(time.process_time() - cpu)
    if stats.sent != len(ids):
        raise SystemExit(f"the worker sent {stats.sent} of {len(ids)}")
    return seconds


CPU = []  # the worker's own CPU seconds of each worker_round


class NullConnection:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send(self, message):
        return "null"


class NullProvider:
    """A provider that sends nothing: what the outbox itself costs."""

    @hookimpl
    def sala_email_provider(self, name, app):
        if name == "bench-null":
            return self

    def open(self):
        return NullConnection()


def compare(args):
    """`args.against` against this checkout: per round, one process of each, alternating."""
    sys.path.insert(0, str(HERE / "bench"))
    from moderation import export_commit

    per_round = -(-(300 if args.quick else args.count) // max(1, args.rounds))
    totals = {}
    with tempfile.TemporaryDirectory() as other:
        export_commit(args.against, other)
        for _ in range(max(1, args.rounds)):
            for label, root in ((args.against, other), ("this", str(HERE))):
                command = [sys.executable, __file__, "--count", str(per_round), "--rounds", "1"]
                command += ["--json", "--root", root]
                if args.database_url:
                    command += ["--database-url", args.database_url]
                if args.batch:
                    command += ["--batch", str(args.batch)]
                done = subprocess.run(command, cwd=root, capture_output=True, text=True)
                if done.returncode:
                    raise SystemExit(f"{label}: {done.stdout}{done.stderr}")
                result = json.loads(done.stdout.strip().splitlines()[-1])
                total = totals.setdefault(label, Counter())
                total.update({k: result[k] for k in ("count", "bare", "worker", "worker_cpu")})
                total["null"] += result["null"] or 0
                dialect = result["dialect"]
    labels = (args.against, "this")
    print(
        f"mail benchmark: {per_round} messages a round, {args.rounds} alternating round(s) of "
        f"{args.against} and this checkout (fresh processes), database {dialect}"
    )
    print(f"{'':<38}" + "".join(f"{label:>12}" for label in labels))
    lines = [
        ("bare smtplib loop, msg/s", lambda t: t["count"] / t["bare"], "{:>12.0f}"),
        ("sala worker (SMTP), msg/s", lambda t: t["count"] / t["worker"], "{:>12.0f}"),
        ("  worker CPU, ms a message", lambda t: t["worker_cpu"] / t["count"] * 1e3, "{:>12.2f}"),
        ("  outbox alone (no-op provider), msg/s", lambda t: t["count"] / t["null"], "{:>12.0f}"),
        ("ratio worker / bare", lambda t: t["bare"] / t["worker"], "{:>12.2f}"),
    ]
    for name, value, form in lines:
        print(f"{name:<38}" + "".join(form.format(value(totals[label])) for label in labels))
    print(f"(goal: ratio >= {GOAL}; every message of every round arrived exactly once)")
    return 0


def main():
    parser = argparse.ArgumentParser(description="Mail worker vs. bare smtplib.")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="300 messages, correctness only")
    parser.add_argument("--rounds", type=int, default=10, help="bare and worker alternate")
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    parser.add_argument("--batch", type=int, default=None, help="worker batch size")
    parser.add_argument("--against", metavar="REV", help="also measure this commit (git)")
    parser.add_argument("--root", help=argparse.SUPPRESS)  # read at import (see ROOT)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.against:
        return compare(args)
    count = 300 if args.quick else args.count
    rounds = 1 if args.quick else max(1, args.rounds)

    tmp = Path(tempfile.mkdtemp(prefix="sala-bench-mail-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite'}"
    port, out = free_port(), str(tmp / "received.txt")
    Path(out).touch()
    sink = start_sink(port, out)
    app = create_app(
        {
            "SECRET_KEY": "bench-only-secret-key-never-for-production",
            "SQLALCHEMY_DATABASE_URI": url,
            "EMAIL_PROVIDER": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
            "MAIL_FILE_DIR": str(tmp / "mail"),
            "BASE_URL": "http://sala.test",
        }
    )
    add_test_templates(app)
    plugin_state(app).manager.register(NullProvider(), name="bench-null")
    failures = []
    bare_seconds = worker_seconds = 0.0
    try:
        with app.app_context():
            db.create_all()
            if db.engine.dialect.name == "postgresql":
                # Earlier runs' deleted rows, not yet vacuumed on a busy machine, would make
                # every round's queries scan them: start each run from a clean table.
                with db.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT"
                ) as connection:
                    connection.exec_driver_sql("VACUUM ANALYZE outbox_message")
            if db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)):
                raise SystemExit("the database's outbox is not empty: use a database of its own")

            # The bare loop sends copies of the same messages (to other addresses); its MIME
            # bytes are built before any clock starts.
            sender = app.config["MAIL_DEFAULT_SENDER"]
            bare_ids = queue(count, "bare", due=False)
            prepared = [
                (m.recipient, to_mime(m, sender)[1])
                for m in db.session.scalars(
                    sa.select(OutboxMessage).where(OutboxMessage.id.in_(bare_ids))
                )
            ]
            worker_ids = queue(count, "worker", due=False)
            before = len(received(out))

            # Alternate bare and worker in rounds, so a change in the machine's load (other
            # processes) falls on both alike.
            size = -(-count // rounds)
            for start in range(0, count, size):
                bare_seconds += bare_loop(port, prepared[start : start + size])
                worker_seconds += worker_round(app, worker_ids[start : start + size], args.batch)

            # Every worker message arrived, exactly once, and the outbox says so.
            time.sleep(0.2)
            arrivals = Counter(a for a in received(out)[before:] if a.startswith("worker-"))
            expected = {f"worker-{n}@example.org" for n in range(count)}
            missing = expected - set(arrivals)
            twice = [address for address, n in arrivals.items() if n > 1]
            unexpected = set(arrivals) - expected
            statuses = Counter(
                db.session.scalars(
                    sa.select(OutboxMessage.status).where(OutboxMessage.batch == "bench-worker")
                )
            )
            if missing:
                failures.append(f"{len(missing)} messages never arrived")
            if twice:
                failures.append(f"{len(twice)} messages arrived more than once")
            if unexpected:
                failures.append(f"{len(unexpected)} unexpected recipients")
            if statuses != Counter({"sent": count}):
                failures.append(f"outbox statuses: {dict(statuses)}")

            # What the outbox alone costs: the worker with a provider that sends nothing.
            null_seconds = None
            if not args.quick:
                app.config["EMAIL_PROVIDER"] = "bench-null"
                null_ids = queue(count, "null", due=False)
                null_seconds = worker_round(app, null_ids, args.batch)

            dialect = db.engine.dialect.name
            db.session.execute(sa.delete(OutboxMessage))  # leave the database as found
            db.session.execute(sa.delete(Event).where(Event.slug.like("bench-%")))
            db.session.commit()
            db.engine.dispose()
    finally:
        sink.terminate()
        sink.wait(10)

    if args.json:
        print(
            json.dumps(
                dict(
                    count=count,
                    dialect=dialect,
                    bare=bare_seconds,
                    worker=worker_seconds,
                    worker_cpu=sum(CPU[:-1] if null_seconds is not None else CPU),
                    null=null_seconds,
                    failures=failures,
                )
            )
        )
        return 1 if failures else 0
    bare_rate = count / bare_seconds
    worker_rate = count / worker_seconds
    ratio = worker_rate / bare_rate
    print(
        f"mail benchmark: {count} messages in {rounds} alternating round(s), database "
        f"{dialect}, SMTP sink bench/smtp_sink.py (its own process)"
    )
    print(f"{'':<38}{'messages':>10}{'seconds':>10}{'msg/s':>10}")
    rows = [
        ("bare smtplib loop (one connection)", count, bare_seconds),
        ("sala worker --once logic (SMTP)", count, worker_seconds),
    ]
    if null_seconds is not None:
        rows.append(("  outbox alone (no-op provider)", count, null_seconds))
    for label, n, seconds in rows:
        print(f"{label:<38}{n:>10}{seconds:>10.2f}{n / seconds:>10.0f}")
    print(f"{'ratio worker / bare':<38}{ratio:>30.2f}   (goal >= {GOAL})")
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print(f"delivery check: all {count} arrived exactly once, all marked sent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
