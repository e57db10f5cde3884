"""Mail-outs (issue 20.4): publishing the plan to many registrants, or announcing to them,
only records "send this to that audience"; the worker renders and queues the mails in
bounded batches, the pages show how far it got, and nobody else waits on SQLite's write
lock meanwhile. Every guarantee of the outbox holds: each registrant once, in their
language, none who cancelled or was erased before their batch."""

import re
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter

import pytest
import sqlalchemy as sa
from plan_helpers import PUBLISH_AND_MAIL
from registration_helpers import LiveServer
from support import Auth, create_user
from world import CONCLUDED, make_event

from app.extensions import db
from app.mail import unsubscribe
from app.mail.worker import Worker, run_once
from app.models import (
    LinkToken,
    Mailout,
    OutboxMessage,
    PlanItem,
    PlanSection,
    Registration,
    utcnow,
)
from app.plan import service
from app.registration import domain

BATCH = 40
PLAN_TEXT = {"them", "ដោះលែងពួកគេ"}  # words of the plan's one item, in English and Khmer


def add_registrants(event, count, prefix="person"):
    """`count` confirmed registrants, every other one reading Khmer, inserted in bulk."""
    now = utcnow()
    rows = [
        dict(
            event_id=event.id,
            email=f"{prefix}{n}@example.org",
            email_key=f"{prefix}{n}@example.org",
            name=f"Person {n}",
            language="km" if n % 2 else "en",
            status="confirmed",
            confirmed_at=now,
            created_at=now,
            updated_at=now,
        )
        for n in range(count)
    ]
    db.session.execute(sa.insert(Registration), rows)
    db.session.commit()
    return db.session.scalars(
        sa.select(Registration).where(Registration.event_id == event.id).order_by(Registration.id)
    ).all()


def ready_plan(event):
    """A plan complete in English and Khmer, ready to publish."""
    plan = service.get_plan(event)
    plan.intro = {"en": "What we agreed.", "km": "អ្វីដែលយើងបានឯកភាព។"}
    section = PlanSection(plan=plan, title={"en": "Rights", "km": "សិទ្ធិ"}, body={}, position=0)
    item = PlanItem(
        section=section,
        position=0,
        what={"en": "Free them", "km": "ដោះលែងពួកគេ"},
        who={},
        due="",
        status="agreed",
    )
    db.session.add_all([section, item])
    db.session.commit()
    return plan


def login(client):
    create_user("organizer@example.org", "admin")
    Auth(client).login("organizer@example.org")
    return client


def outbox_count(kind=None):
    query = sa.select(sa.func.count()).select_from(OutboxMessage)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return db.session.scalar(query)


def editor(client, event):
    return client.get(f"/admin/events/{event.id}/plan").get_data(as_text=True)


@pytest.fixture
def batched_app(make_app, smtp):
    app = make_app(
        EMAIL_PROVIDER="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_USE_TLS=False,
        MAIL_USE_SSL=False,
        MAIL_SUPPRESS_SEND=False,
        MAILOUT_BATCH=BATCH,
    )
    with app.app_context():
        yield app


def test_publishing_to_many_records_a_mailout_the_worker_queues_in_batches(batched_app, smtp):
    client = login(batched_app.test_client())
    event = make_event(CONCLUDED)
    registrants = add_registrants(event, 100)
    ready_plan(event)

    response = client.post(f"/admin/events/{event.id}/plan/publish", data=PUBLISH_AND_MAIL)
    assert response.status_code == 302
    # The request rendered no mail: it recorded what to send to whom.
    assert outbox_count() == 0
    [mailout] = db.session.scalars(sa.select(Mailout)).all()
    assert (mailout.kind, mailout.status, mailout.total) == ("plan", "preparing", 100)
    assert "Being prepared: 0 of 100 mails written" in editor(client, event)
    outbox_page = client.get("/admin/outbox").get_data(as_text=True)
    assert "Being prepared: 0 of 100 mails written" in outbox_page

    # One worker round queues one batch (and sends what it queued).
    Worker(batched_app).run_round()
    assert outbox_count() == BATCH
    page = editor(client, event)
    assert f"Being prepared: {BATCH} of 100 mails written" in page
    assert 'data-hx-get="/admin/outbox/progress?batch=plan' in page
    progress = client.get(
        f"/admin/outbox/progress?batch={service.batch_name(mailout_version(event))}",
        headers={"HX-Request": "true"},
    )
    assert progress.status_code == 200  # htmx keeps polling

    # Meanwhile one registrant cancels and another has their data erased; the organizer
    # clicks "send" again.
    cancelled, erased = registrants[70], registrants[90]
    domain.cancel(cancelled)
    domain.erase(erased)
    db.session.commit()
    client.post(f"/admin/events/{event.id}/plan/versions/1/send")
    run_once()

    plans = [m for m in smtp.messages if PLAN_TEXT & set(smtp.text(m).split())]
    received = Counter(m["To"] for m in plans)
    assert len(received) == 98 and set(received.values()) == {1}
    assert cancelled.email not in received and "person90@example.org" not in received
    for message in plans:
        n = int(message["To"].removeprefix("person").split("@")[0])
        assert message["Content-Language"] == ("km" if n % 2 else "en")
    page = editor(client, event)
    assert "Being prepared" not in page and "98 sent, 0 waiting, 0 failed" in page
    done = client.get(
        f"/admin/outbox/progress?batch={service.batch_name(mailout_version(event))}",
        headers={"HX-Request": "true"},
    )
    assert done.status_code == 286  # finished: htmx stops polling


def mailout_version(event):
    return service.get_version(event)[1]


def test_an_announcement_is_queued_by_the_worker_not_the_request(batched_app, smtp):
    client = login(batched_app.test_client())
    event = make_event()
    add_registrants(event, 60)
    url = f"/admin/events/{event.id}/announce"
    texts = {"subject_en": "News", "body_en": "Hello.", "subject_km": "ព័ត៌មាន", "body_km": "សួស្តី។"}
    preview = client.post(url, data={**texts, "action": "preview"})
    previewed = preview.text.split('name="previewed" value="')[1].split('"')[0]
    sent = client.post(url, data={**texts, "action": "send", "previewed": previewed})
    assert sent.status_code == 302
    assert outbox_count() == 0
    assert "Being prepared: 0 of 60 mails written" in client.get("/admin/outbox").text

    Worker(batched_app).run_round()
    assert outbox_count("registration_announcement") == BATCH
    run_once()
    subjects = Counter(m["Subject"] for m in smtp.messages)
    subjects = {subject: subjects[subject] for subject in ("News", "ព័ត៌មាន")}
    assert subjects == {"News": 30, "ព័ត៌មាន": 30}


def register_until(stop, url, results):
    """Register for another session, again and again, timing each answer."""
    n = 0
    while not stop.is_set():
        data = urllib.parse.urlencode(
            {"email": f"visitor{n}@example.org", "name": "V", "language": "en", "consent": "y"}
        ).encode()
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(url, data=data, timeout=60) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        results.append((status, time.perf_counter() - started))
        n += 1


def test_registrations_are_not_held_up_while_the_plan_goes_to_thousands(make_app):
    """On SQLite the plan's mail-out holds the write lock only a batch at a time: people
    registering for another session meanwhile get their answer promptly, never an error."""
    app = make_app(MAILOUT_BATCH=BATCH)
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the write lock is SQLite's")
        client = login(app.test_client())
        event = make_event(CONCLUDED)
        add_registrants(event, 2500)
        ready_plan(event)
        other = make_event(slug="next-session")
        server = LiveServer(app).start()
        stop, results = threading.Event(), []
        registering = threading.Thread(
            target=register_until, args=(stop, f"{server.url}/s/{other.slug}/register", results)
        )
        try:
            registering.start()
            time.sleep(0.3)
            published = client.post(f"/admin/events/{event.id}/plan/publish", data=PUBLISH_AND_MAIL)
            assert published.status_code == 302
            Worker(app).run(once=True)  # the file provider: prepares and "sends" all
        finally:
            stop.set()
            registering.join()
            server.stop()
        assert outbox_count("plan_published") == 2500
        statuses = Counter(status for status, _seconds in results)
        slowest = max(seconds for _status, seconds in results)
        assert set(statuses) == {200} and len(results) > 10, statuses
        assert slowest < 3.0, f"a registration waited {slowest:.1f} s"


@pytest.mark.parametrize("name", ["Dara <b>&\"'</b>", "សុខា  ចាន់", ""])
def test_the_plan_rendered_once_per_language_is_each_registrants_own_mail(app, name):
    """The mail-out renders the plan once per language and puts each registrant's name in:
    byte for byte the mail a render of its own gives, whatever the name holds."""
    from types import SimpleNamespace

    from plan_helpers import make_registration

    from app.mail.outbox import render_mail

    event = make_event(CONCLUDED)
    version = service.publish(ready_plan(event), send=False)
    db.session.commit()
    kind = service.PlanMailout()
    loaded = kind.load(SimpleNamespace(context={"version_id": version.id}))
    first = make_registration(event, "first@example.org", language="km", name="Someone")
    reader = make_registration(event, "reader@example.org", language="km", name=name)
    kind.mail(loaded, first)  # the render of the language is made (and kept) here
    subject, text, html = kind.mail(loaded, reader)["rendered"]
    # The personal links are the reader's own: a fresh manage link, their unsubscribe link.
    [manage_url] = re.findall(r"http://sala\.test/r/manage/[\w-]+", text)
    assert LinkToken.find(manage_url.rpartition("/")[2], "manage").subject_id == reader.id
    unsubscribe_url = unsubscribe.unsubscribe_url(reader)
    own = render_mail(
        "plan_published",
        "km",
        version=version,
        snapshot=version.snapshot,
        changes=None,
        event=event,
        registration=reader,
        manage_url=manage_url,
        unsubscribe_url=unsubscribe_url,
    )
    assert (subject, text, html) == own
    assert unsubscribe_url in text
    assert "Someone" not in text + html


def test_two_workers_preparing_one_mailout_share_it_batch_by_batch(make_app):
    """Two workers at once (threads with their own connections): each batch is taken by
    one of them, so every registrant is counted and queued once."""
    app = make_app(MAILOUT_BATCH=25)
    with app.app_context():
        event = make_event(CONCLUDED)
        add_registrants(event, 300)
        version = service.publish(ready_plan(event), send=True)
        db.session.commit()
        batches = []

        def prepare():
            from app.mail.mailout import advance_all

            with app.app_context():
                while handled := advance_all():
                    batches.append(handled)

        workers = [threading.Thread(target=prepare) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        db.session.expire_all()
        mailout = db.session.scalar(sa.select(Mailout))
        assert (mailout.status, mailout.handled, mailout.total) == ("done", 300, 300)
        assert sum(batches) == 300 + 1  # 12 batches of 25, and the one that found the end
        keys = db.session.scalars(
            sa.select(OutboxMessage.idempotency_key).where(
                OutboxMessage.batch == service.batch_name(version)
            )
        ).all()
        assert len(keys) == len(set(keys)) == 300


def test_a_mailout_that_cannot_be_prepared_holds_up_nothing_else_and_says_why(batched_app, smtp):
    """A mail-out whose mail cannot be rendered (here: its version is gone) keeps its
    place and its reason on the outbox page; the rest of the mail still goes out."""
    from mailtools import add_test_templates, queue_note

    add_test_templates(batched_app)
    client = login(batched_app.test_client())
    event = make_event(CONCLUDED)
    add_registrants(event, 3)
    from app.mail import mailout

    mailout.record(event, "plan", "plan:broken", {"version_id": 999_999})
    queue_note(event, "other@example.org")
    db.session.commit()

    stats = run_once()
    assert stats.sent == 1 and [m["To"] for m in smtp.messages] == ["other@example.org"]
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "plan:broken" in page and "Preparing is held up" in page
    assert db.session.scalar(sa.select(Mailout.status)) == "preparing"
