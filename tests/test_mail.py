"""Email delivery: the outbox, the worker, the SMTP and file providers, against a real SMTP
server on loopback (aiosmtpd) and the test database (SQLite, or PostgreSQL with
TEST_DATABASE_URL)."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import sqlalchemy as sa
from mailtools import add_test_templates, queue_many, queue_note
from support import READY_CEILING
from world import KM_MAIL_TITLE, MAIL_TEST, make_event

from app.extensions import db
from app.mail.outbox import enqueue
from app.mail.worker import Worker, retry_delay
from app.models import AuditEntry, MailPause, OutboxMessage, utcnow

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def event(app):
    add_test_templates(app)
    found = make_event(MAIL_TEST)
    db.session.commit()
    return found


@pytest.fixture
def mail_event(mail_app):
    add_test_templates(mail_app)
    found = make_event(MAIL_TEST)
    db.session.commit()
    return found


def outbox(**where):
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return db.session.scalars(query).all()


def by_recipient():
    db.session.expire_all()
    return {m.recipient: m for m in outbox()}


def run_worker(**kwargs):
    stats = Worker(**kwargs).run(once=True)
    db.session.expire_all()
    return stats


def pass_time():
    """Time passes: every message waiting for a retry becomes due, and a pause ends."""
    past = utcnow() - timedelta(seconds=1)
    db.session.execute(sa.update(OutboxMessage).values(due_at=past))
    db.session.execute(sa.update(MailPause).values(until=past))
    db.session.commit()


def delivered_to(smtp):
    return sorted(m["To"] for m in smtp.messages)


# ---------------------------------------------------------------- what arrives


def test_smtp_mail_arrives_with_headers_both_parts_language_and_working_links(
    mail_app, mail_event, smtp
):
    queue_note(mail_event, "reader@example.org", language="en", note="See you there.")
    queue_note(mail_event, "khmer.reader@example.org", language="km", note="សូមស្វាគមន៍")
    db.session.commit()

    stats = run_worker()

    assert stats.sent == 2
    assert {m.status for m in outbox()} == {"sent"}
    en, km = smtp.to("reader@example.org")[0], smtp.to("khmer.reader@example.org")[0]
    assert en["From"] == "Sala <sala@localhost>"
    assert en["Subject"] == "Your registration: Mail test session"
    assert en["Content-Language"] == "en" and km["Content-Language"] == "km"
    assert en["Auto-Submitted"] == "auto-generated"
    assert en["Message-ID"]

    text, html = smtp.text(en), smtp.html(en)
    assert "See you there." in text and "See you there." in html
    # Site, session and its time in the session's time zone (12:00 UTC is 19:00 there).
    assert "Sala · Mail test session" in text
    assert "November 1, 2023" in text and "(Phnom Penh time)" in text
    assert re.search(r"7:00\sPM \(", text)  # no seconds, no "+0700"; CLDR's narrow space
    assert "Test note: you registered for this session." in text
    assert "Manage or cancel your registration: http://sala.test/s/mail-test?manage=1" in text
    assert '<html lang="en">' in html
    assert 'href="http://sala.test/s/mail-test?manage=1"' in html
    # No remote images, no tracking pixels.
    assert not re.search(r"<img[^>]+src=\"?https?:", html, re.I)

    assert KM_MAIL_TITLE in km["Subject"]
    assert KM_MAIL_TITLE in smtp.text(km) and "វិច្ឆិកា" in smtp.text(km)  # the month, in Khmer
    assert '<html lang="km">' in smtp.html(km)

    # Every link in both parts is absolute and answers.
    client = mail_app.test_client()
    links = set(re.findall(r"https?://[^\s\"<>]+", text + html))
    assert links
    for link in links:
        assert link.startswith("http://sala.test/")
        assert client.get(link.removeprefix("http://sala.test")).status_code == 200, link


def test_file_provider_writes_eml_and_prints_its_path(app, event):
    queue_note(event, "reader@example.org", note="Written to a file.")
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["worker", "--once"])

    assert result.exit_code == 0, result.output
    paths = re.findall(r"Mail written to (\S+\.eml)", result.output)
    assert len(paths) == 1
    assert Path(paths[0]).parent == Path(app.config["MAIL_FILE_DIR"])
    mail = message_from_bytes(Path(paths[0]).read_bytes(), policy=policy.default)
    assert mail["To"] == "reader@example.org"
    assert "Written to a file." in mail.get_body(("plain",)).get_content()
    assert "Written to a file." in mail.get_body(("html",)).get_content()
    assert "Sent 1, failed 0, left 0." in result.output
    assert outbox()[0].status == "sent" and outbox()[0].provider_id == paths[0]


# ---------------------------------------------------------------- the outbox transaction


def test_rolled_back_transaction_leaves_no_row(app, event):
    queue_note(event, "reader@example.org")
    db.session.flush()
    assert len(outbox()) == 1  # visible inside the transaction
    db.session.rollback()
    assert outbox() == []
    assert run_worker().sent == 0


def test_a_repeated_event_leaves_one_message(app, event):
    first = queue_note(event, "reader@example.org", key="confirm:42")
    db.session.commit()
    again = queue_note(event, "reader@example.org", key="confirm:42")  # a double click
    db.session.commit()
    assert again.id == first.id
    assert len(outbox()) == 1


def test_losing_the_idempotency_race_keeps_the_rest_of_the_transaction(app, event):
    """Another request queued the same key and committed while this one was working (a
    double-clicked link). This one's insert meets the unique key: it must not become an
    error page, nor roll back the request's own change."""
    with db.engine.begin() as other:
        other.execute(
            sa.insert(OutboxMessage).values(
                idempotency_key="confirm:7",
                recipient="reader@example.org",
                language="en",
                subject="from the other request",
                body_text="x",
                body_html="",
                attachments=[],
                status="queued",
                attempts=0,
                due_at=utcnow(),
                claimed_by="",
                last_error="",
                provider_id="",
                kind="test_note",
                batch="",
                created_at=utcnow(),
            )
        )
    # The request's own change, in the same transaction as its mail. (Made after the other
    # commit: on SQLite a pending write would hold the lock the other needs.)
    db.session.add(AuditEntry(action="registration.confirm", detail={}))
    message = queue_note(event, "reader@example.org", key="confirm:7")
    db.session.commit()

    assert message.subject == "from the other request"
    assert len(outbox()) == 1
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "registration.confirm")
        )
        == 1
    )


# ---------------------------------------------------------------- failures


def test_one_recipient_refused_for_good_fails_with_the_reason_the_others_arrive(
    mail_app, mail_event, smtp
):
    smtp.refuse["nobody@example.org"] = (550, "5.1.1 no such user")
    for address in ("a@example.org", "nobody@example.org", "b@example.org"):
        queue_note(mail_event, address)
    queue_note(mail_event, "not an address", key="malformed")
    db.session.commit()

    stats = run_worker()

    assert delivered_to(smtp) == ["a@example.org", "b@example.org"]
    messages = by_recipient()
    assert messages["a@example.org"].status == "sent"
    assert messages["b@example.org"].status == "sent"
    refused = messages["nobody@example.org"]
    assert refused.status == "failed" and refused.attempts == 1
    assert "550" in refused.last_error and "no such user" in refused.last_error
    malformed = messages["not an address"]
    assert malformed.status == "failed" and malformed.attempts == 1
    assert malformed.last_error
    assert (stats.sent, stats.failed) == (2, 2)
    # Failed for good: a later run does not try again.
    pass_time()
    run_worker()
    assert len(smtp.messages) == 2


def test_temporary_refusal_is_retried_with_growing_delays_then_fails(make_app, smtp, monkeypatch):
    app = make_app(
        EMAIL_PROVIDER="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_MAX_ATTEMPTS=3,
    )
    with app.app_context():
        add_test_templates(app)
        queue_note(make_event(MAIL_TEST), "busy@example.org")
        db.session.commit()
        smtp.refuse["busy@example.org"] = (451, "4.3.0 try again later")

        delays = []
        for _attempt in range(2):
            before = utcnow()
            assert run_worker().retried == 1
            message = outbox()[0]
            assert message.status == "queued"
            assert "451" in message.last_error
            delays.append((message.due_at - before).total_seconds())
            assert run_worker().claimed == 0  # not due yet
            pass_time()
        assert delays[1] > delays[0] >= retry_delay(1, app.config["MAIL_RETRY_BASE_SECONDS"]) - 1

        run_worker()  # the third and last attempt
        message = outbox()[0]
        assert message.status == "failed" and message.attempts == 3
        assert "451 4.3.0 try again later" in message.last_error

        del smtp.refuse["busy@example.org"]  # the organizer retries by hand once it is fixed
        from app.mail.outbox import retry

        assert retry(message)
        db.session.commit()
        run_worker()
        assert outbox()[0].status == "sent"
        assert delivered_to(smtp) == ["busy@example.org"]


def test_smtp_server_down_during_a_run_loses_nothing_and_later_sends_each_once(
    mail_app, mail_event, smtp
):
    queue_many(mail_event, 10)
    original = smtp.handle_DATA

    async def shut_down_after_four(server, session, envelope):
        if len(smtp.messages) >= 4:  # the server goes away in the middle of the run
            threading.Thread(target=smtp.stop).start()
            return "421 4.3.2 shutting down"
        return await original(server, session, envelope)

    smtp.handle_DATA = shut_down_after_four
    stats = run_worker()

    assert stats.sent == 4 and stats.provider_error
    statuses = [m.status for m in outbox()]
    assert statuses.count("sent") == 4
    assert statuses.count("queued") == 6  # nothing lost, nothing failed
    assert "shutting down" in db.session.get(MailPause, 1).reason  # the queue says why it waits

    # Still down: the next run sends nothing and loses nothing.
    for _ in range(20):
        if smtp.controller is None:
            break
        time.sleep(0.05)
    pass_time()
    assert run_worker().sent == 0
    assert len(outbox(status="queued")) == 6

    # Back up: each message arrives exactly once.
    smtp.handle_DATA = original
    smtp.start()
    pass_time()
    run_worker()
    expected = sorted(f"person-{n}@example.org" for n in range(10))
    assert delivered_to(smtp) == expected
    assert {m.status for m in outbox()} == {"sent"}


# ---------------------------------------------------------------- several workers


def start_worker_process(app, smtp, tmp_path, *args, **settings):
    """A real `sala worker` process; `settings` become SALA_* variables."""
    env = dict(
        os.environ,
        SALA_SECRET_KEY="test-secret-" + "k" * 32,
        SALA_SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        SALA_EMAIL_PROVIDER="smtp",
        SALA_MAIL_SERVER="127.0.0.1",
        SALA_MAIL_PORT=str(smtp.port),
        SALA_MAIL_FILE_DIR=str(tmp_path / "mail"),
        SALA_BASE_URL="http://sala.test",
        PYTHONUNBUFFERED="1",
        **{f"SALA_{name}": str(value) for name, value in settings.items()},
    )
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "sala"), "worker", "--idle", "0.2", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def process_output(process):
    if process.poll() is None:
        process.kill()
    return process.communicate()[0]


def test_one_smtp_connection_carries_every_batch_while_the_queue_has_mail(
    mail_app, mail_event, smtp
):
    """Issue 21: the worker keeps its SMTP connection from one batch to the next while
    there is mail (it used to open one per batch), and closes it once the queue is empty,
    before it waits."""
    peers = []
    handle_data = smtp.handle_DATA

    async def counting(server, session, envelope):
        peers.append(session.peer)  # the client's address and port: one per connection
        return await handle_data(server, session, envelope)

    smtp.handle_DATA = counting
    queue_many(mail_event, 25)
    worker = Worker(batch_size=10)
    stats = worker.run(once=True)
    assert stats.sent == 25 and len(smtp.messages) == 25
    assert len(set(peers)) == 1, f"{len(set(peers))} connections for 3 batches"
    assert worker._connection is None  # closed when the queue ran dry

    queue_many(mail_event, 5, prefix="later")  # after the wait: a connection of its own
    assert worker.run(once=True).sent == 5
    assert len(set(peers)) == 2


def test_two_worker_processes_share_the_queue_and_send_each_once(
    mail_app, mail_event, smtp, tmp_path
):
    queue_many(mail_event, 200)
    processes = [
        start_worker_process(mail_app, smtp, tmp_path, "--once", "--batch", "20") for _ in range(2)
    ]
    outputs = []
    for process in processes:
        outputs.append(process.communicate(timeout=120)[0])
        assert process.returncode == 0, outputs[-1]

    expected = sorted(f"person-{n}@example.org" for n in range(200))
    assert delivered_to(smtp) == expected
    assert {m.status for m in outbox()} == {"sent"}
    assert any(re.search(r"Sent \d+, failed 0, left \d+\.", out) for out in outputs), outputs


@pytest.mark.postgres
def test_two_workers_on_postgresql_deliver_exactly_1000(mail_app, smtp):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (FOR UPDATE SKIP LOCKED): set TEST_DATABASE_URL")
    add_test_templates(mail_app)
    event = make_event(MAIL_TEST)
    queue_many(event, 1000)
    start = threading.Barrier(2)
    results, errors = {}, []

    def work(name):
        try:
            with mail_app.app_context():  # its own session and database connection
                worker = Worker(name=name, batch_size=25)
                start.wait(30)
                results[name] = worker.run(once=True)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)

    assert errors == []
    recipients = [m["To"] for m in smtp.messages]
    assert len(recipients) == 1000
    assert len(set(recipients)) == 1000
    assert results["w1"].sent + results["w2"].sent == 1000
    assert results["w1"].sent and results["w2"].sent  # both really worked
    db.session.expire_all()
    assert {m.status for m in outbox()} == {"sent"}
    assert {m.claimed_by for m in outbox()} == {"w1", "w2"}


# ---------------------------------------------------------------- the loop


def test_worker_loop_stops_cleanly_on_sigterm(mail_app, mail_event, smtp, tmp_path):
    queue_many(mail_event, 3)
    process = start_worker_process(mail_app, smtp, tmp_path)
    deadline = time.monotonic() + READY_CEILING  # a ceiling, not a timing
    while len(smtp.messages) < 3 and time.monotonic() < deadline:
        assert process.poll() is None, process_output(process)  # it did not start
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=30)[0]
    assert process.returncode == 0, output
    assert "Sent 3, failed 0, left 0." in output
    assert len(smtp.messages) == 3


def test_dev_server_sends_mail_in_process_only_when_configured(make_app, tmp_path):
    plain = make_app()
    plain.test_client().get("/")
    assert "sala.worker_thread" not in plain.extensions

    app = make_app(RUN_WORKER_IN_PROCESS=1, MAIL_FILE_DIR=str(tmp_path / "dev-mail"))
    add_test_templates(app)
    with app.app_context():
        queue_note(make_event(MAIL_TEST, slug="dev-mail"), "dev@example.org", key="dev")
        db.session.commit()
    try:
        app.test_client().get("/")
        app.test_client().get("/")
        thread = app.extensions["sala.worker_thread"]
        assert thread.is_alive()
        deadline = time.monotonic() + READY_CEILING  # a ceiling, not a timing
        while not list((tmp_path / "dev-mail").glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(list((tmp_path / "dev-mail").glob("*.eml"))) == 1
    finally:
        app.extensions["sala.worker"].stop.set()
        app.extensions["sala.worker_thread"].join(10)
    assert not app.extensions["sala.worker_thread"].is_alive()


def test_plugins_worker_tick_runs_at_the_start_of_every_round(app, event):
    from app.plugins import hookimpl

    seen = []

    class Ticker:
        @hookimpl
        def sala_worker_tick(self, app):
            seen.append(len(outbox(status="sent")))

    from app.plugins import plugin_state

    plugin_state(app).manager.register(Ticker(), name="ticker")
    queue_many(event, 3)
    run_worker(batch_size=2)
    assert seen[:3] == [0, 2, 3]


def test_enqueue_renders_in_the_recipients_language(app, event):
    message = enqueue(
        "test_note",
        to="k@example.org",
        language="km",
        key="km",
        event=event,
        context={"note": "n", "event_url": "http://sala.test/s/mail-test"},
    )
    assert KM_MAIL_TITLE in message.subject
    assert 'lang="km"' in message.body_html


# ---------------------------------------------------------------- the MIME we write


def test_mime_roundtrips_khmer_attachments_and_refuses_header_injection(app, event):
    from app.mail.mime import MalformedMessage, to_mime

    message = queue_note(event, "k@example.org", language="km", note="សូមស្វាគមន៍ " * 200)
    message.attachments = [
        {"filename": "session.ics", "content_type": "text/calendar", "data": "BEGIN:VCALENDAR"},
        {
            "filename": "ផែនការ.pdf",
            "content_type": "application/pdf",
            "data": "JVBERi0=",
            "encoding": "base64",
        },
    ]
    message_id, data = to_mime(message, "សាលា <sala@example.org>")

    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    mail = message_from_bytes(data, policy=policy.default)
    assert mail["Message-ID"] == message_id
    assert mail["Subject"] == message.subject and KM_MAIL_TITLE in mail["Subject"]
    assert mail["From"].addresses[0].display_name == "សាលា"
    assert mail["To"] == "k@example.org"
    assert mail.get_body(("plain",)).get_content().startswith("សូមស្វាគមន៍ សូមស្វាគមន៍")
    assert 'lang="km"' in mail.get_body(("html",)).get_content()
    files = {part.get_filename(): part.get_content() for part in mail.iter_attachments()}
    assert files == {"session.ics": "BEGIN:VCALENDAR", "ផែនការ.pdf": b"%PDF-"}

    message.subject = "Hello\r\nBcc: everyone@example.org"
    with pytest.raises(MalformedMessage):
        to_mime(message, "sala@example.org")
