"""The outbox under faults (issue 20, items 1 and 2), against a real SMTP server on loopback
(aiosmtpd) and a real `sala worker` process:

- a server that refuses the sender or wants a login (530, 550 at MAIL FROM) pauses the queue,
  says why on the outbox page and in the worker's output, and fails no mail; the pause ends
  after a growing delay or when the organizer says it is fixed;
- failed mail is retried all at once, by bulk send and by reason, from the page and the CLI;
- a worker killed with SIGKILL leaves the mails of the groups it had finished marked sent
  (a group's outcomes are committed with the next group's hand-over), the group in flight
  "unknown: may have been delivered", and a retry of it carries the same Message-ID."""

import asyncio
import re
import signal
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from mailtools import add_test_templates, queue_many, queue_note
from test_mail import by_recipient, delivered_to, outbox, pass_time, process_output, run_worker
from test_mail import start_worker_process as start_worker
from world import MAIL_TEST, make_event

from app.extensions import db
from app.mail import worker
from app.mail.outbox import retry, retry_failed
from app.mail.worker import IN_FLIGHT_UNKNOWN
from app.models import AuditEntry, MailPause, OutboxMessage, utcnow
from app.templating import local_time

SERVER_REFUSALS = {
    "530 login required": dict(auth_required=True),
    "550 sender refused": dict(refuse_sender=(550, "5.7.1 <sala@localhost>: Relaying denied")),
}


def refuse(smtp, how):
    """Make the test server refuse the way `how` (a key of SERVER_REFUSALS) says."""
    for name, value in SERVER_REFUSALS[how].items():
        setattr(smtp, name, value)
    smtp.stop()
    smtp.start()  # aiosmtpd reads its AUTH settings at start


def fix(smtp):
    smtp.auth_required, smtp.refuse_sender = False, None
    smtp.stop()
    smtp.start()


def pause():
    db.session.expire_all()
    return db.session.get(MailPause, 1)


@pytest.fixture
def mail_event(mail_app):
    add_test_templates(mail_app)
    found = make_event(MAIL_TEST)
    db.session.commit()
    return found


def sign_in_organizer(app):
    from support import Auth, create_user

    client = app.test_client()
    Auth(client).login(create_user("organizer@example.org", "admin").email)
    return client


# ---------------------------------------------------------------- the server refuses


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("how", SERVER_REFUSALS)
def test_a_server_level_refusal_pauses_the_queue_and_fails_no_mail(mail_app, mail_event, smtp, how):
    queue_many(mail_event, 30)
    refuse(smtp, how)
    code = how[:3]

    output = mail_app.test_cli_runner().invoke(args=["worker", "--once"]).output

    # Nothing is failed, nothing counted as a try: the server's settings are at fault.
    assert {(m.status, m.attempts) for m in outbox()} == {("queued", 0)}
    assert smtp.messages == []
    # The worker says why, and until when.
    assert "failed 30" not in output
    assert "Mail is paused" in output and code in output, output
    until = local_time(pause().until, "UTC", "medium", locale="en", zone=True)
    assert f"Sala tries again at {until};" in output  # in words, the zone said
    # So does the outbox page.
    page = sign_in_organizer(mail_app).get("/admin/outbox").text
    assert "Mail is paused" in page and code in page
    assert "It is fixed: send now" in page

    # Paused: the next rounds do not knock on the server again, and say why.
    fix(smtp)
    again = mail_app.test_cli_runner().invoke(args=["worker", "--once"]).output
    assert "Mail is paused" in again and "Nothing to send." not in again
    assert smtp.messages == []

    # The organizer fixed it and says so: everything goes, once.
    client = sign_in_organizer_again(mail_app)
    assert client.post("/admin/outbox/resume").status_code == 302
    assert pause() is None
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "outbox.resume"))
    run_worker()
    assert delivered_to(smtp) == sorted(f"person-{n}@example.org" for n in range(30))
    assert {m.status for m in outbox()} == {"sent"}


def sign_in_organizer_again(app):
    from support import Auth

    client = app.test_client()
    Auth(client).login("organizer@example.org")
    return client


def test_the_pause_grows_while_the_server_refuses_and_ends_by_itself_once_it_takes_mail(
    mail_app, mail_event, smtp
):
    queue_many(mail_event, 5)
    refuse(smtp, "550 sender refused")

    first = run_worker()
    waits = [pause().until - utcnow()]
    pass_time()  # the pause is over: the worker tries again, is refused again
    second = run_worker()
    waits.append(pause().until - utcnow())

    assert first.sent == second.sent == 0 and first.failed == second.failed == 0
    assert pause().tries == 2
    assert waits[1] > waits[0] + timedelta(seconds=30)  # it waits longer each time
    assert {(m.status, m.attempts) for m in outbox()} == {("queued", 0)}

    fix(smtp)
    pass_time()
    stats = run_worker()
    assert stats.sent == 5 and not stats.provider_error
    assert pause() is None  # the first mail that went through ended the pause


def test_only_a_recipients_own_refusal_fails_its_mail(mail_app, mail_event, smtp):
    smtp.refuse["person-2@example.org"] = (550, "5.1.1 <person-2@example.org>: no such user")
    queue_many(mail_event, 5)

    stats = run_worker()

    assert (stats.sent, stats.failed) == (4, 1)
    assert by_recipient()["person-2@example.org"].status == "failed"
    assert pause() is None


def test_a_server_that_goes_away_mid_batch_pauses_and_a_later_round_finishes(
    mail_app, mail_event, smtp
):
    """The connection fails after some messages: the queue pauses (with the reason), the
    messages already delivered stay sent, and none is failed."""
    queue_many(mail_event, 6)
    original = smtp.handle_DATA

    async def closing_after_two(server, session, envelope):
        if len(smtp.messages) >= 2:
            return "421 4.3.2 service shutting down"
        return await original(server, session, envelope)

    smtp.handle_DATA = closing_after_two
    stats = run_worker()

    assert stats.sent == 2 and "421" in stats.provider_error
    assert "421" in pause().reason
    assert [m.status for m in outbox()].count("failed") == 0
    smtp.handle_DATA = original
    pass_time()
    run_worker()
    assert delivered_to(smtp) == sorted(f"person-{n}@example.org" for n in range(6))


# ---------------------------------------------------------------- retry all at once


@pytest.fixture
def failures(mail_app, mail_event):
    """Five refused recipients of a bulk send, two malformed single mails, one unknown."""
    for number in range(5):
        message = queue_note(mail_event, f"gone-{number}@example.org", batch="plan-v1")
        message.status, message.attempts = "failed", 1
        message.last_error = f"550 5.1.1 <gone-{number}@example.org>: no such user"
    for number in range(2):
        message = queue_note(mail_event, f"typo-{number}@example.org")
        message.status, message.attempts = "failed", 1
        message.last_error = "malformed address: There must be something after the @-sign."
    message = queue_note(mail_event, "maybe@example.org", batch="plan-v1")
    message.status, message.last_error = "unknown", IN_FLIGHT_UNKNOWN
    db.session.commit()


def statuses():
    db.session.expire_all()
    return {m.recipient: m.status for m in outbox()}


def test_the_outbox_page_retries_failed_mail_by_bulk_send_and_reason(mail_app, failures, smtp):
    client = sign_in_organizer(mail_app)
    page = client.get("/admin/outbox").text
    assert "Retry these 5 mails" in page and "Retry these 2 mails" in page
    assert "Retry all failed mail" in page
    forms = re.findall(
        r'name="batch" value="([^"]*)">\s*<input type="hidden" name="reason" value="([^"]*)"', page
    )
    assert ("plan-v1", "550 5.1.1") in forms and ("", "malformed address") in forms

    response = client.post(
        "/admin/outbox/retry-failed", data={"batch": "plan-v1", "reason": "550 5.1.1"}
    )
    assert response.status_code == 302
    assert "5 failed mails are queued again." in client.get("/admin/outbox").text
    now = statuses()
    assert [now[f"gone-{n}@example.org"] for n in range(5)] == ["queued"] * 5
    assert now["typo-0@example.org"] == now["typo-1@example.org"] == "failed"
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "outbox.retry_failed")
    )
    assert entry.detail["count"] == 5 and entry.actor_label == "organizer@example.org"

    client.post("/admin/outbox/retry-failed")  # all the rest
    now = statuses()
    assert now["typo-0@example.org"] == now["typo-1@example.org"] == "queued"
    assert now["maybe@example.org"] == "unknown"  # may have arrived: never in a bulk retry


def test_sala_mail_retry_takes_a_batch_and_a_reason(mail_app, failures):
    runner = mail_app.test_cli_runner()

    result = runner.invoke(args=["mail", "retry", "--reason", "malformed address"])
    assert result.exit_code == 0, result.output
    assert "2 failed mails are queued again." in result.output
    assert statuses()["typo-0@example.org"] == "queued"
    assert statuses()["gone-0@example.org"] == "failed"

    result = runner.invoke(args=["mail", "retry", "--batch", "plan-v1"])
    assert "5 failed mails are queued again." in result.output
    assert set(statuses().values()) == {"queued", "unknown"}
    assert "0 failed mails are queued again." in runner.invoke(args=["mail", "retry"]).output


def test_sala_mail_resume_ends_a_pause(mail_app, mail_event, smtp):
    queue_many(mail_event, 1)
    refuse(smtp, "550 sender refused")
    run_worker()
    assert pause() is not None
    runner = mail_app.test_cli_runner()
    assert "no longer paused" in runner.invoke(args=["mail", "resume"]).output
    assert pause() is None
    assert "not paused" in runner.invoke(args=["mail", "resume"]).output


# ---------------------------------------------------------------- a worker killed


@pytest.mark.parametrize("group", [1, 4], ids=["one at a time", "in groups of up to 4"])
def test_worker_killed_mid_batch_keeps_what_it_delivered_and_marks_the_group_in_flight_unknown(
    mail_app, mail_event, smtp, tmp_path, group
):
    """`kill -9` of a real `sala worker` while the server holds the sixth of twelve mails.
    Messages are handed over in groups (MAIL_WORKER_GROUP at most), each group's hand-over
    committed with the outcomes of the one before: the mails of earlier groups are recorded
    as sent; the group of the sixth (the sixth alone, with groups of one) becomes "unknown"
    (never sent again by a retry of all failed mail); the rest go out once; when the
    organizer sends the sixth again, it carries the Message-ID of the first try."""
    queue_many(mail_event, 12)
    stuck, release = threading.Event(), threading.Event()
    first_try = {}
    original = smtp.handle_DATA

    async def hold_the_sixth(server, session, envelope):
        if envelope.rcpt_tos == ["person-5@example.org"] and not release.is_set():
            first_try["id"] = re.search(rb"Message-ID: (\S+)", envelope.content).group(1)
            stuck.set()
            while not release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.4.2 connection lost"
        return await original(server, session, envelope)

    smtp.handle_DATA = hold_the_sixth
    process = start_worker(mail_app, smtp, tmp_path, "--batch", "50", MAIL_WORKER_GROUP=group)
    try:
        assert stuck.wait(60), process_output(process)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        release.set()
        if process.poll() is None:
            process.kill()

    messages = by_recipient()
    person = [messages[f"person-{n}@example.org"] for n in range(12)]
    assert delivered_to(smtp) == [f"person-{n}@example.org" for n in range(5)]
    # The group in flight: handed over, its outcomes not recorded; the sixth among them.
    in_flight = [n for n, message in enumerate(person) if message.handed_at is not None]
    in_flight = [n for n in in_flight if person[n].status == "sending"]
    assert 5 in in_flight and in_flight == list(range(in_flight[0], in_flight[-1] + 1))
    assert len(in_flight) <= group
    assert [message.status for message in person[: in_flight[0]]] == ["sent"] * in_flight[0]
    assert all(message.handed_at is None for message in person[in_flight[-1] + 1 :])
    if group == 1:
        assert in_flight == [5]  # each outcome was recorded as it happened

    # The dead worker's claims expire; the next worker settles them.
    db.session.execute(
        sa.update(OutboxMessage).values(claimed_until=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    smtp.handle_DATA = original
    run_worker()

    messages = by_recipient()
    for n in in_flight:
        message = messages[f"person-{n}@example.org"]
        assert (message.status, message.last_error) == ("unknown", IN_FLIGHT_UNKNOWN)
    assert delivered_to(smtp) == sorted(
        [f"person-{n}@example.org" for n in range(12) if n not in in_flight]
        + [f"person-{n}@example.org" for n in in_flight if n < 5]
    )  # each once: the group in flight is not sent again
    assert retry_failed() == 0  # "retry all" does not double it

    page = sign_in_organizer(mail_app).get("/admin/outbox?status=unknown").text
    assert "unknown: may have been delivered" in page and "p***@example.org" in page

    assert retry(messages["person-5@example.org"])  # the organizer knows it did not arrive
    db.session.commit()
    run_worker()
    again = smtp.to("person-5@example.org")
    assert len(again) == 1 and again[0]["Message-ID"] == first_try["id"].decode()


def test_every_attempt_of_a_message_carries_the_same_message_id(mail_app, mail_event, smtp):
    """A receiver that got a message once can drop a later copy: the second attempt (after a
    temporary refusal at the end of DATA, when the server had the whole message) is
    written with the first attempt's Message-ID; another message has its own."""
    queue_many(mail_event, 2)
    seen = []
    original = smtp.handle_DATA

    async def refuse_the_first_try(server, session, envelope):
        seen.append(re.search(rb"Message-ID: (\S+)", envelope.content).group(1).decode())
        if len(seen) == 1:
            return "451 4.3.0 try again later"
        return await original(server, session, envelope)

    smtp.handle_DATA = refuse_the_first_try
    run_worker()
    pass_time()
    run_worker()

    first = smtp.to("person-0@example.org")[0]["Message-ID"]
    other = smtp.to("person-1@example.org")[0]["Message-ID"]
    assert seen[0] == first and first != other
    assert by_recipient()["person-0@example.org"].attempts == 2


# ---------------------------------------------------------------- the database goes away


@pytest.mark.postgres
def test_killed_database_connections_never_mark_delivered_mail_failed(mail_app, mail_event, smtp):
    """While the worker sends, every database connection but the killer's is terminated
    (`pg_terminate_backend`), after every third delivery. Rounds go on as the worker loop
    does (a failed round is rolled back, the next one starts); every mail arrives once and
    none that arrived is marked failed or unknown."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (pg_terminate_backend): set TEST_DATABASE_URL")
    queue_many(mail_event, 30)
    killer = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
    original = smtp.handle_DATA
    kills = []

    async def kill_connections_now_and_then(server, session, envelope):
        answer = await original(server, session, envelope)
        if len(smtp.messages) % 3 == 0:
            with killer.connect() as connection:
                kills.append(
                    connection.execute(
                        sa.text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        )
                    ).scalar()
                )
        return answer

    smtp.handle_DATA = kill_connections_now_and_then
    errors = []
    for _round in range(40):  # what `sala worker` does, without its waits
        try:
            if run_worker(batch_size=10).claimed == 0 and not outbox(status="sending"):
                break
        except sa.exc.DBAPIError as exc:
            errors.append(exc)
            db.session.rollback()
        db.session.execute(  # time passes: a claim left behind expires
            sa.update(OutboxMessage)
            .where(OutboxMessage.status == "sending")
            .values(claimed_until=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    killer.dispose()

    assert sum(kills) >= 5  # the connections really were killed
    assert delivered_to(smtp) == sorted(f"person-{n}@example.org" for n in range(30))
    assert {m.status for m in outbox()} == {"sent"}


def test_a_working_worker_renews_the_claims_of_its_batch(make_app, smtp):
    """Claims are short (a dead worker's batch returns within one period) because a live
    worker keeps renewing them: while the server is slow with the first mail, the last
    mail of the batch, not yet handed over, gets a later expiry before the second goes."""
    app = make_app(
        EMAIL_PROVIDER="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port,
        MAIL_WORKER_CLAIM_SECONDS=3,
    )  # fmt: skip
    with app.app_context():
        add_test_templates(app)
        queue_many(make_event(MAIL_TEST), 4)
        last = outbox()[-1].id
        reader = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
        expiries = []
        original = smtp.handle_DATA

        async def slow_first(server, session, envelope):
            with reader.connect() as connection:
                expiries.append(
                    connection.scalar(
                        sa.select(OutboxMessage.claimed_until).where(OutboxMessage.id == last)
                    )
                )
            if len(expiries) == 1:
                await asyncio.sleep(1.2)  # more than a third of the claim period
            return await original(server, session, envelope)

        smtp.handle_DATA = slow_first
        assert run_worker().sent == 4
        reader.dispose()

    assert expiries[1] > expiries[0]


def test_a_provider_turning_slow_mid_group_never_sends_on_an_expired_claim(
    make_app, smtp, monkeypatch
):
    """Messages go out in groups once the provider proved fast; when it turns slow in the
    middle of one, the rest of the group waits for the next hand-over, which renews the
    claims: no mail is given to the server while its claim has expired (another worker could
    have settled it), every mail arrives once, each counted as one try."""
    app = make_app(
        EMAIL_PROVIDER="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port,
        MAIL_WORKER_CLAIM_SECONDS=3, MAIL_WORKER_GROUP=10,
    )  # fmt: skip
    monkeypatch.setattr(worker, "GROUP_SHARE", 10_000)  # full groups (10) after the first
    with app.app_context():
        add_test_templates(app)
        queue_many(make_event(MAIL_TEST), 12)
        reader = sa.create_engine(db.engine.url, poolclass=sa.pool.NullPool)
        expired_when_sent = []
        original = smtp.handle_DATA

        async def slow_after_the_fourth(server, session, envelope):
            with reader.connect() as connection:
                until = connection.scalar(
                    sa.select(OutboxMessage.claimed_until).where(
                        OutboxMessage.recipient == envelope.rcpt_tos[0]
                    )
                )
            if until < utcnow():
                expired_when_sent.append(envelope.rcpt_tos[0])
            if len(smtp.messages) >= 4:
                await asyncio.sleep(0.6)  # a group of them takes longer than a claim
            return await original(server, session, envelope)

        smtp.handle_DATA = slow_after_the_fourth
        assert run_worker().sent == 12
        reader.dispose()
        assert expired_when_sent == []
        assert delivered_to(smtp) == sorted(f"person-{n}@example.org" for n in range(12))
        assert {(m.status, m.attempts) for m in outbox()} == {("sent", 1)}


# ---------------------------------------------------------------- upgrading


def test_upgrading_turns_mail_a_dead_worker_had_handed_over_into_unknown(tmp_path):
    """Earlier versions marked such mail failed; after the upgrade a "retry all failed"
    must not send it again, so it becomes unknown. Other failed mail stays failed."""
    import flask_migrate

    from app import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/u.db",
        }
    )
    old = "worker stopped after handing over; not resent to avoid a duplicate"
    # The table as it was then: the model has columns later migrations added.
    OUTBOX_AT_MAILOUT = sa.table(
        "outbox_message",
        *map(sa.column, (
            "idempotency_key", "recipient", "language", "subject", "body_text", "body_html",
            "kind", "batch", "status", "attempts", "due_at", "claimed_by",
            "last_error", "provider_id", "created_at",
        )),
        sa.column("attachments", sa.JSON),
    )  # fmt: skip
    with app.app_context():
        flask_migrate.upgrade(revision="b4c2e8f1a6d3")  # the last one before mail_pause
        for number, error in enumerate((old, "550 5.1.1 no such user")):
            db.session.execute(
                sa.insert(OUTBOX_AT_MAILOUT).values(
                    idempotency_key=f"k{number}", recipient=f"p{number}@example.org",
                    language="en", subject="s", body_text="t", body_html="", attachments=[],
                    kind="", batch="", status="failed", attempts=1, due_at=utcnow(),
                    claimed_by="", last_error=error, provider_id="", created_at=utcnow(),
                )
            )  # fmt: skip
        db.session.commit()

        flask_migrate.upgrade(revision="heads")  # the core's and the plugins'

        assert [(m.status, m.last_error) for m in outbox()] == [
            ("unknown", IN_FLIGHT_UNKNOWN),
            ("failed", "550 5.1.1 no such user"),
        ]
        assert retry_failed() == 1
        db.session.remove()
        db.engine.dispose()


def test_the_worker_loop_says_once_that_mail_is_paused_and_when_it_flows_again(
    mail_app, mail_event, smtp
):
    """`sala worker` (the loop) polls often while paused, but says so once; it says when
    mail flows again."""
    import time

    from support import READY_CEILING

    from app.mail.worker import ProgressPrinter, Worker

    queue_many(mail_event, 3)
    refuse(smtp, "550 sender refused")
    lines = []
    worker = Worker(on_progress=ProgressPrinter(lines.append))

    def loop():
        with mail_app.app_context():
            worker.run(idle=0.05)

    def wait_for(text):
        deadline = time.monotonic() + READY_CEILING  # a ceiling, not a timing
        while not any(text in line for line in lines) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any(text in line for line in lines), lines

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        wait_for("Mail is paused")
        time.sleep(0.5)  # about ten polls of the paused queue
        fix(smtp)
        mail_app.test_cli_runner().invoke(args=["mail", "resume"])
        wait_for("Mail is no longer paused.")
    finally:
        worker.stop.set()
        thread.join(60)

    assert sum("Mail is paused" in line for line in lines) == 1, lines
    assert "Sent 3, failed 0, left 0." in lines
    assert delivered_to(smtp) == [f"person-{n}@example.org" for n in range(3)]
