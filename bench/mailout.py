"""Plan mail-out benchmark (issue 20.4): the Plan of Action published to 20,000 registrants.
The organizer's request only records the mail-out; `sala worker --once` (its own process,
as in production) renders and queues the mails in batches and sends them to a local SMTP
sink (aiosmtpd, bench/smtp_sink.py, its own process). Beside it, a bare smtplib loop sends
the same number of messages of the same size over one connection.

    .venv/bin/python bench/mailout.py                # 20,000 registrants, prints a table
    .venv/bin/python bench/mailout.py --quick        # 300: checks each arrives exactly once
    .venv/bin/python bench/mailout.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench
    (a database of its own, with no tables yet or empty ones)

Measured: the publish request; time to queued (from the request until the last batch is
written to the outbox, polled every 0.1 s; the worker starts right after the request, and
its start-up counts); time to sent (until the worker, having sent everything, exits); the
worker process's peak memory (ru_maxrss), and its memory once the app is loaded.
Exit status 1 when a registrant gets no mail or two.
"""

import argparse
import json
import resource
import smtplib
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

import sqlalchemy as sa  # noqa: E402
from mail import free_port, received, start_sink  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.mail.mime import to_mime  # noqa: E402
from app.models import (  # noqa: E402
    Event,
    Mailout,
    OutboxMessage,
    PlanItem,
    PlanSection,
    Registration,
    utcnow,
)

SECTIONS, ITEMS = 4, 5  # a plan of 20 action items: a mail of a realistic size


def make_app(url, port, tmp):
    return create_app(
        {
            "SECRET_KEY": "bench-only-secret-key-never-for-production",
            "SQLALCHEMY_DATABASE_URI": url,
            "EMAIL_PROVIDER": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
            "MAIL_FILE_DIR": str(Path(tmp) / "mail"),
            "BASE_URL": "http://sala.test",
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
        }
    )


def rss_mb():
    """The process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def worker_main(url, port, tmp):
    """The child: `sala worker --once` (its own function), then its memory as JSON."""
    app = make_app(url, port, tmp)
    with app.app_context():
        loaded = rss_mb()
        from app.mail.worker import run_worker

        stats = run_worker(once=True, echo=lambda line: None)
    report = {"loaded_mb": loaded, "peak_mb": rss_mb(), "end_mb": current_rss_mb()}
    print(json.dumps({**report, "sent": stats.sent}))


def build_session(count):
    from world import CONCLUDED, make_event

    from app.plan import service

    event = make_event(CONCLUDED, slug="bench-mailout")
    now = utcnow()
    rows = [
        dict(
            event_id=event.id,
            email=f"reader-{n}@example.org",
            email_key=f"reader-{n}@example.org",
            name=f"Reader {n}",
            language="km" if n % 3 == 0 else "en",
            status="confirmed",
            confirmed_at=now,
            created_at=now,
            updated_at=now,
        )
        for n in range(count)
    ]
    for start in range(0, count, 2000):
        db.session.execute(sa.insert(Registration), rows[start : start + 2000])
    plan = service.get_plan(event)
    plan.intro = {
        "en": "This plan gathers **what we agreed** at the session. " * 4,
        "km": "ផែនការនេះប្រមូលផ្តុំអ្វីដែលយើងបានឯកភាពនៅក្នុងកិច្ចប្រជុំ។ " * 4,
    }
    for s in range(SECTIONS):
        section = PlanSection(
            plan=plan, position=s, title={"en": f"Section {s}", "km": f"ផ្នែក {s}"}, body={}
        )
        db.session.add(section)
        for i in range(ITEMS):
            db.session.add(
                PlanItem(
                    section=section,
                    position=i,
                    what={
                        "en": f"Action {s}.{i}: free the prisoners and reopen the newspapers",
                        "km": f"សកម្មភាព {s}.{i}៖ ដោះលែងអ្នកទោស និងបើកកាសែតឡើងវិញ",
                    },
                    who={"en": "The coalition", "km": "សម្ព័ន្ធភាព"},
                    due="2024",
                    status="agreed",
                )
            )
    db.session.commit()
    return event


def publish(app, event):
    """The organizer's request: publish version 1 and send it. Returns (when it started,
    seconds it took)."""
    from support import Auth, create_user

    create_user("bench-organizer@example.org", "admin")
    client = app.test_client()
    Auth(client).login("bench-organizer@example.org")
    started = time.perf_counter()
    response = client.post(
        f"/admin/events/{event.id}/plan/publish", data={"publish-mail": "send", "confirm": "yes"}
    )
    seconds = time.perf_counter() - started
    if response.status_code != 302:
        raise SystemExit(f"publishing answered {response.status_code}")
    return started, seconds


def sample_mime(event):
    """The bytes of one plan mail as the worker sends them, for the bare loop."""
    from app.mail.outbox import render_mail
    from app.plan import service

    version = service.get_version(event)[1]
    subject, text, html = render_mail(
        "plan_published",
        "en",
        version=version,
        snapshot=version.snapshot,
        changes=None,
        event=event,
        registration=None,
    )
    message = OutboxMessage(
        id=0,
        recipient="bare@example.org",
        language="en",
        subject=subject,
        body_text=text,
        body_html=html,
        attachments=[],
        idempotency_key="bench-bare",
    )
    from flask import current_app

    return to_mime(message, current_app.config["MAIL_DEFAULT_SENDER"])[1]


def bare_loop(port, data, count):
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for n in range(count):
            smtp.sendmail("sala@localhost", [f"bare-{n}@example.org"], data)
    return time.perf_counter() - started


def run_worker_process(url, port, tmp, started):
    """Start the worker; poll the mail-out until it is fully queued. Returns (seconds to
    queued, seconds to sent, the worker's report), both counted from `started` (the
    publish request)."""
    worker = subprocess.Popen(
        [sys.executable, __file__, "--worker", url, str(port), tmp],
        stdout=subprocess.PIPE,
        text=True,
    )
    to_queued = None
    while worker.poll() is None:
        if to_queued is None:
            db.session.rollback()
            if db.session.scalar(sa.select(Mailout.status)) == "done":
                to_queued = time.perf_counter() - started
        time.sleep(0.1)
    to_sent = time.perf_counter() - started
    if worker.returncode != 0:
        raise SystemExit("the worker failed")
    report = json.loads(worker.stdout.read().strip().splitlines()[-1])
    return to_queued or to_sent, to_sent, report


def main():
    parser = argparse.ArgumentParser(description="Plan mail-out vs. bare smtplib.")
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="300 registrants, correctness")
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        url, port, tmp = args.worker
        worker_main(url, int(port), tmp)
        return 0
    count = 300 if args.quick else args.count

    tmp = tempfile.mkdtemp(prefix="sala-bench-mailout-")
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
    port, out = free_port(), str(Path(tmp) / "received.txt")
    Path(out).touch()
    sink = start_sink(port, out)
    app = make_app(url, port, tmp)
    failures = []
    try:
        with app.app_context():
            db.create_all()
            if db.session.scalar(sa.select(sa.func.count()).select_from(Event)):
                raise SystemExit("the database is not empty: use a database of its own")
            dialect = db.engine.dialect.name
            event = build_session(count)
            started, request_seconds = publish(app, event)
            queued_in_request = db.session.scalar(
                sa.select(sa.func.count()).select_from(OutboxMessage)
            )
            db.session.commit()
            to_queued, to_sent, report = run_worker_process(url, port, tmp, started)

            arrivals = Counter(a for a in received(out) if a.startswith("reader-"))
            expected = {f"reader-{n}@example.org" for n in range(count)}
            if set(arrivals) != expected:
                failures.append(f"{len(expected - set(arrivals))} registrants got no mail")
            if any(n > 1 for n in arrivals.values()):
                failures.append("a registrant got the plan twice")
            statuses = Counter(db.session.scalars(sa.select(OutboxMessage.status)))
            if statuses != Counter({"sent": count}):
                failures.append(f"outbox statuses: {dict(statuses)}")

            data = sample_mime(event)
            bare_seconds = bare_loop(port, data, count)
            db.session.remove()
            db.engine.dispose()
    finally:
        sink.terminate()
        sink.wait(10)

    print(
        f"plan mail-out: {count} registrants, database {dialect}, SMTP sink "
        f"bench/smtp_sink.py (aiosmtpd, its own process), plan mail ~{len(data) // 1024} KB"
    )
    print("| what | mails | request s | to queued s | to sent s | mails/s | peak MB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(
        f"| publish + `sala worker --once` | {count} | {request_seconds:.2f} | {to_queued:.1f} "
        f"| {to_sent:.1f} | {count / to_sent:.0f} | {report['peak_mb']:.0f} "
        f"(after loading: {report['loaded_mb']:.0f}, at the end: {report['end_mb']:.0f}) |"
    )
    print(
        f"| bare smtplib loop, one connection | {count} |  |  | {bare_seconds:.1f} "
        f"| {count / bare_seconds:.0f} |  |"
    )
    print(f"mails written by the publish request itself: {queued_in_request}")
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print(f"delivery check: all {count} registrants got the plan exactly once, all marked sent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
