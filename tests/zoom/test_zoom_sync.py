"""Registrant sync: personal links, outages, permanent refusals, cancel and erase."""

import time

import sqlalchemy as sa
from zoomhelpers import make_registration, zoom_event, zoom_state

from app.extensions import db
from app.mail import worker
from app.models import OutboxMessage, Registration, utcnow
from app.plugins import JOIN_PENDING, JoinDetails, hooks
from plugins.zoom import sync
from plugins.zoom.models import ZoomTask


def confirm(registration):
    hooks().sala_registration_confirmed(registration=registration)
    db.session.commit()


def join_details(registration):
    return hooks().sala_join_details(registration=registration)


def shared_link(meeting):
    """The session's shared link and passcode, with its meeting id to type into Zoom."""
    return JoinDetails(
        url="https://zoom.example/j/shared", passcode="shared-pass", meeting_id=meeting
    )


def test_each_confirmed_registrant_gets_their_own_link(zoom_app, fake_zoom):
    meeting = fake_zoom.add_meeting()
    event = zoom_event(meeting)
    people = [
        make_registration(event, "dara@example.org", "Dara Sok"),
        make_registration(event, "Sophea@Example.org", "សុភា"),
        make_registration(event, "anon@example.org", ""),
    ]
    for registration in people:
        confirm(registration)

    # Confirming made no call to Zoom: the request never waits for it.
    assert fake_zoom.calls == [] and fake_zoom.token_requests == 0
    assert [zoom_state(r).status for r in people] == ["pending"] * 3
    assert all(join_details(r) is JOIN_PENDING for r in people)

    worker.run_once()

    on_zoom = fake_zoom.registrants(meeting)
    assert len(on_zoom) == 3
    links = {r["email"].lower(): r["join_url"] for r in on_zoom}
    for registration in people:
        db.session.refresh(registration)
        assert zoom_state(registration).status == "synced"
        assert zoom_state(registration).join_url == links[registration.email.lower()]
        assert zoom_state(registration).registrant_id  # Zoom's registrant id
        details = join_details(registration)
        assert details == JoinDetails(
            url=zoom_state(registration).join_url,
            passcode="shared-pass",
            meeting_id=meeting,
            personal=True,
        )
    assert len({zoom_state(r).join_url for r in people}) == 3  # a link for each alone
    bodies = [c.body for c in fake_zoom.calls_to("meetingRegistrantCreate")]
    assert all(b["language"] == "en-US" for b in bodies)
    assert {b["first_name"] for b in bodies} == {"Dara", "សុភា", "anon"}

    # Nothing left to do: the next round asks Zoom nothing.
    calls = len(fake_zoom.calls)
    worker.run_once()
    assert len(fake_zoom.calls) == calls


def test_the_plugin_is_inert_without_credentials_or_meeting(make_app, fake_zoom):
    app = make_app()  # no Zoom settings at all
    with app.app_context():
        meeting = fake_zoom.add_meeting()
        event = zoom_event(meeting)
        registration = make_registration(event, "dara@example.org")
        confirm(registration)
        assert zoom_state(registration).status == ""
        assert join_details(registration) == shared_link(meeting)
        worker.run_once()
        # The core sends the session's shared link; Zoom was never asked.
        (mail,) = db.session.scalars(sa.select(OutboxMessage)).all()
        assert mail.kind == "registration_join"
        assert "https://zoom.example/j/shared" in mail.body_text
    assert fake_zoom.calls == [] and fake_zoom.token_requests == 0


def test_a_session_without_meeting_id_uses_the_shared_link(zoom_app, fake_zoom):
    event = zoom_event("")
    registration = make_registration(event, "dara@example.org")
    confirm(registration)
    worker.run_once()
    assert zoom_state(registration).status == ""
    assert join_details(registration) is None
    assert fake_zoom.calls == []


def test_a_zoom_outage_loses_no_registration_and_adds_nobody_twice(zoom_app, fake_zoom):
    meeting = fake_zoom.add_meeting()
    event = zoom_event(meeting)
    people = [make_registration(event, f"p{i}@example.org", f"P {i}") for i in range(4)]
    for registration in people:
        confirm(registration)
    fake_zoom.fail("meetingRegistrantCreate", "503", times=1000)

    for _round in range(3):
        worker.run_once()
    for registration in people:
        db.session.refresh(registration)
        assert registration.status == "confirmed"
        assert zoom_state(registration).status == "pending"
        assert join_details(registration) is JOIN_PENDING
    assert "could not be reached" in zoom_state(people[0]).error  # the organizer can see why
    assert fake_zoom.registrants(meeting) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0

    fake_zoom.failures.clear()  # Zoom is back
    worker.run_once()
    worker.run_once()
    for registration in people:
        db.session.refresh(registration)
        assert zoom_state(registration).status == "synced" and zoom_state(registration).error == ""
        assert join_details(registration).personal
    on_zoom = fake_zoom.registrants(meeting)
    assert sorted(r["email"] for r in on_zoom) == sorted(r.email for r in people)
    assert all(n == 1 for n in fake_zoom.meetings[int(meeting)]["adds"].values())
    # Once the links are known, each registrant gets one join-details mail with their own.
    worker.run_once()
    mails = db.session.scalars(sa.select(OutboxMessage)).all()
    assert sorted(m.recipient for m in mails) == sorted(r.email for r in people)
    for registration in people:
        (mail,) = [m for m in mails if m.recipient == registration.email]
        assert (
            mail.kind == "registration_join" and zoom_state(registration).join_url in mail.body_text
        )
        assert "https://zoom.example/j/shared" not in mail.body_text


def test_an_add_whose_answer_never_came_is_looked_up_not_made_again(
    make_app, zoom_config, fake_zoom
):
    """Zoom adds the registrant but answers after the client's timeout: the add is not tried
    again inside the call, and the next round finds them on Zoom instead of adding them a
    second time (Zoom takes 3 adds of one registrant a day)."""
    app = make_app(**{**zoom_config, "ZOOM_TIMEOUT": 1})
    app.extensions["zoom.sleep"] = lambda seconds: None
    with app.app_context():
        meeting = fake_zoom.add_meeting()
        event = zoom_event(meeting)
        registration = make_registration(event, "dara@example.org", "Dara")
        confirm(registration)
        # Zoom does the work but answers after the client's timeout (1 s).
        fake_zoom.fail("meetingRegistrantCreate", "slow", delay=2.5)
        worker.run_once()
        assert zoom_state(registration).status == "pending"
        time.sleep(3)  # the next rounds come after Zoom's late answer has landed
        worker.run_once()
        worker.run_once()  # in case the look-up, too, met a busy machine
        db.session.refresh(registration)
        assert zoom_state(registration).status == "synced"
        on_zoom = fake_zoom.registrants(meeting)
        assert len(on_zoom) == 1 and on_zoom[0]["join_url"] == zoom_state(registration).join_url
        assert len(fake_zoom.calls_to("meetingRegistrantCreate")) == 1
        assert fake_zoom.meetings[int(meeting)]["adds"] == {"dara@example.org": 1}
        assert fake_zoom.calls_to("meetingRegistrants")  # looked up instead


def test_the_worker_pauses_zoom_work_after_an_outage(make_app, zoom_config, fake_zoom):
    app = make_app(
        **{**zoom_config, "ZOOM_RETRY_MAX": 600, "ZOOM_RETRIES": 0, "ZOOM_RETRY_BASE": 30}
    )
    with app.app_context():
        event = zoom_event(fake_zoom.add_meeting())
        confirm(make_registration(event, "dara@example.org"))
        fake_zoom.fail("meetingRegistrantCreate", "500", times=5)
        worker.run_once()
        calls = len(fake_zoom.calls)
        worker.run_once()  # paused: Zoom is left alone for now, mail still goes out
        assert len(fake_zoom.calls) == calls
        pause = db.session.scalar(sa.select(ZoomTask).where(ZoomTask.kind == "pause"))
        assert pause.attempts == 1 and pause.due_at > utcnow()


def test_the_pause_holds_for_every_worker_and_after_a_restart(make_app, zoom_config, fake_zoom):
    """The pause is in the database: a second worker (or the same one restarted, with a
    fresh process) leaves Zoom alone too until it is due, then tries again."""
    settings = {**zoom_config, "ZOOM_RETRY_MAX": 600, "ZOOM_RETRIES": 0, "ZOOM_RETRY_BASE": 30}
    first = make_app(**settings)
    with first.app_context():
        event = zoom_event(fake_zoom.add_meeting())
        registration = make_registration(event, "dara@example.org")
        confirm(registration)
        registration_id = registration.id
        fake_zoom.fail("meetingRegistrantCreate", "503", times=1)
        worker.run_once()
    calls = len(fake_zoom.calls)
    second = make_app(**settings)  # another worker process: nothing remembered in memory
    with second.app_context():
        worker.run_once()
        assert len(fake_zoom.calls) == calls
        pause = db.session.scalar(sa.select(ZoomTask).where(ZoomTask.kind == "pause"))
        pause.due_at = utcnow()  # the pause is over
        db.session.commit()
        worker.run_once()
        assert zoom_state(db.session.get(Registration, registration_id)).status == "synced"
        assert db.session.scalar(sa.select(ZoomTask).where(ZoomTask.kind == "pause")) is None


def test_a_full_meeting_marks_the_registrant_failed_and_falls_back(
    zoom_app, fake_zoom, zoom_client
):
    meeting = fake_zoom.add_meeting()
    event = zoom_event(meeting)
    first = make_registration(event, "first@example.org", "First One")
    late = make_registration(event, "late@example.org", "Late Comer")
    confirm(first)
    confirm(late)
    fake_zoom.fail("meetingRegistrantCreate", "3043")
    worker.run_once()
    db.session.refresh(first)
    db.session.refresh(late)
    assert zoom_state(first).status == "failed" and "full" in zoom_state(first).error
    assert join_details(first) == shared_link(meeting)
    assert zoom_state(late).status == "synced"

    page = zoom_client.get(f"/admin/events/{event.id}").text
    assert 'data-zoom="failed">1<' in page and 'data-zoom="synced">1<' in page
    assert "first@example.org" in page and "full" in page
    assert "late@example.org" not in page


def test_registration_not_enabled_is_said_plainly(zoom_app, fake_zoom):
    event = zoom_event(fake_zoom.add_meeting(approval_type=2))
    registration = make_registration(event, "dara@example.org")
    confirm(registration)
    worker.run_once()
    assert zoom_state(registration).status == "failed"
    assert "Registration is not turned on" in zoom_state(registration).error


def test_cancelling_cancels_on_zoom(zoom_app, fake_zoom):
    meeting = fake_zoom.add_meeting()
    event = zoom_event(meeting)
    registration = make_registration(event, "dara@example.org", "Dara")
    confirm(registration)
    worker.run_once()
    assert zoom_state(registration).status == "synced"

    registration.status = "cancelled"
    hooks().sala_registration_cancelled(registration=registration)
    db.session.commit()
    assert zoom_state(registration).status == "cancel_pending"
    assert fake_zoom.registrants(meeting, "approved")  # nothing sent in the request
    worker.run_once()
    db.session.refresh(registration)
    assert (
        zoom_state(registration).status == "cancelled" and zoom_state(registration).join_url == ""
    )
    assert [r["status"] for r in fake_zoom.registrants(meeting)] == ["cancelled"]
    assert join_details(registration) == shared_link(meeting)


def test_a_registrant_cancelled_before_the_sync_is_never_added(zoom_app, fake_zoom):
    meeting = fake_zoom.add_meeting()
    event = zoom_event(meeting)
    registration = make_registration(event, "dara@example.org")
    confirm(registration)
    registration.status = "cancelled"
    hooks().sala_registration_cancelled(registration=registration)
    db.session.commit()
    worker.run_once()
    assert fake_zoom.registrants(meeting) == []


def test_erasing_removes_the_registrant_from_zoom_and_forgets_them(zoom_app, fake_zoom):
    meeting = fake_zoom.add_meeting()
    event = zoom_event(meeting)
    registration = make_registration(event, "dara@example.org", "Dara")
    confirm(registration)
    worker.run_once()
    registrant_id = zoom_state(registration).registrant_id

    hooks().sala_registration_erased(registration=registration)
    # What the core then does: erase the personal data.
    registration.email = registration.email_key = f"erased-{registration.id}"
    registration.name = ""
    registration.status = "cancelled"
    registration.erased_at = utcnow()
    db.session.commit()
    assert zoom_state(registration).join_url == "" and zoom_state(registration).registrant_id == ""
    task = db.session.scalar(sa.select(ZoomTask).where(ZoomTask.kind == "erase"))
    assert task.registrant_id == registrant_id and "dara" not in task.key

    fake_zoom.fail("meetingregistrantdelete", "503", times=3)  # Zoom down: kept, retried
    worker.run_once()
    erasing = sa.select(sa.func.count()).where(ZoomTask.kind == "erase")
    assert db.session.scalar(erasing) == 1
    db.session.execute(sa.update(ZoomTask).values(due_at=sa.func.current_timestamp()))
    db.session.commit()
    worker.run_once()
    assert fake_zoom.registrants(meeting) == []
    # Forgotten, and the pause the outage caused is over.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ZoomTask)) == 0
    assert zoom_state(registration).status == "erased"


def test_each_worker_round_does_a_bounded_amount_of_zoom_work(make_app, zoom_config, fake_zoom):
    app = make_app(**{**zoom_config, "ZOOM_TICK_LIMIT": 2})
    with app.app_context():
        event = zoom_event(fake_zoom.add_meeting())
        people = [make_registration(event, f"p{i}@example.org") for i in range(5)]
        for registration in people:
            confirm(registration)
        hooks().sala_worker_tick(app=app)  # one worker round
        assert [zoom_state(r).status for r in people].count("synced") == 2
        for _round in range(2):
            hooks().sala_worker_tick(app=app)
        assert all(zoom_state(r).status == "synced" for r in people)


def test_the_organizer_is_told_when_zoom_is_not_set_up(make_app):
    app = make_app()
    with app.app_context():
        from app.models import User

        event = zoom_event("81234567890")
        user = User(email="organizer@example.org", role="admin")
        user.set_password("correct horse battery staple")
        db.session.add(user)
        db.session.commit()
        client = app.test_client()
        client.post(
            "/login", data={"email": user.email, "password": "correct horse battery staple"}
        )
        page = client.get(f"/admin/events/{event.id}").text
        assert "Zoom is not set up on this site" in page
        assert "shared link" in page


def test_cancelled_or_erased_while_zoom_was_adding_them(zoom_app, fake_zoom):
    """The registrant cancels (or erases their data) while the worker is waiting for Zoom's
    answer: the worker must not store the link, and must undo it on Zoom."""
    meeting = fake_zoom.add_meeting()
    event = zoom_event(meeting)
    leaving = make_registration(event, "leaving@example.org")
    erasing = make_registration(event, "erasing@example.org", status="unconfirmed")
    confirm(leaving)
    ids = {"leaving": leaving.id, "erasing": erasing.id}

    def in_another_request(action):
        def run():
            with zoom_app.app_context():
                from app.models import utcnow

                r = db.session.get(Registration, ids[action])
                r.status = "cancelled"
                if action == "leaving":
                    hooks().sala_registration_cancelled(registration=r)
                else:
                    hooks().sala_registration_erased(registration=r)
                    r.email = r.email_key = f"erased-{r.id}"
                    r.erased_at = utcnow()
                db.session.commit()
                db.session.remove()

        return run

    fake_zoom.during["meetingRegistrantCreate"] = in_another_request("leaving")
    worker.run_once()  # adds `leaving`, who cancels meanwhile
    erasing.status = "confirmed"
    confirm(erasing)
    fake_zoom.during["meetingRegistrantCreate"] = in_another_request("erasing")
    worker.run_once()  # adds `erasing`, who erases their data meanwhile
    worker.run_once()  # undoes both on Zoom
    db.session.expire_all()
    leaving = db.session.get(Registration, ids["leaving"])
    erasing = db.session.get(Registration, ids["erasing"])
    assert zoom_state(leaving).status == "cancelled" and zoom_state(leaving).join_url == ""
    assert zoom_state(erasing).join_url == "" and zoom_state(erasing).registrant_id == ""
    on_zoom = {r["email"]: r["status"] for r in fake_zoom.registrants(meeting)}
    assert on_zoom == {"leaving@example.org": "cancelled"}  # the erased one is gone
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ZoomTask)) == 0


def adds_of(fake_zoom, email):
    return [c for c in fake_zoom.calls_to("meetingRegistrantCreate") if c.body["email"] == email]


def test_a_registrant_zoom_will_not_take_today_never_holds_up_the_others(zoom_app, fake_zoom):
    """Zoom takes 3 adds of one registrant a day; past that it answers 429 for them alone.
    They wait on their own backoff while everyone else gets a personal link."""
    meeting = fake_zoom.add_meeting()
    event = zoom_event(meeting)
    stuck = make_registration(event, "stuck@example.org", "Stuck")
    others = [make_registration(event, f"p{i}@example.org", f"P {i}") for i in range(3)]
    for registration in [stuck, *others]:
        confirm(registration)
    fake_zoom.fail("meetingRegistrantCreate", "429-registrant", times=1000, email=stuck.email)

    worker.run_once()
    assert [zoom_state(r).status for r in others] == ["synced"] * 3
    assert zoom_state(stuck).status == "pending"
    assert "a day" in zoom_state(stuck).error and "stuck@" not in zoom_state(stuck).error
    assert len(adds_of(fake_zoom, stuck.email)) == 1  # no retry inside the call
    for _round in range(3):
        worker.run_once()
    assert len(adds_of(fake_zoom, stuck.email)) == 1  # they wait their turn, not each round

    fake_zoom.failures.clear()
    state = zoom_state(stuck)
    state.retry_at = utcnow()  # their wait is over
    db.session.commit()
    worker.run_once()
    assert zoom_state(stuck).status == "synced" and zoom_state(stuck).attempts == 0


def test_an_add_that_fails_for_one_registrant_lets_the_next_ones_go_first(zoom_app, fake_zoom):
    meeting = fake_zoom.add_meeting()
    event = zoom_event(meeting)
    stuck = make_registration(event, "stuck@example.org", "Stuck")
    others = [make_registration(event, f"p{i}@example.org", f"P {i}") for i in range(3)]
    for registration in [stuck, *others]:
        confirm(registration)
    fake_zoom.fail("meetingRegistrantCreate", "503", times=1000, email=stuck.email)
    for _round in range(3):
        worker.run_once()
    assert [zoom_state(r).status for r in others] == ["synced"] * 3
    assert zoom_state(stuck).status == "pending" and zoom_state(stuck).attempts >= 1


def test_a_slow_zoom_takes_a_bounded_time_of_each_worker_round(make_app, zoom_config, fake_zoom):
    """No Zoom call starts after ZOOM_TICK_SECONDS: the round's mail is not held up for the
    time Zoom takes to answer everybody; the rest wait for the next rounds."""
    app = make_app(**{**zoom_config, "ZOOM_TICK_SECONDS": 1.5})
    with app.app_context():
        meeting = fake_zoom.add_meeting()
        event = zoom_event(meeting)
        people = [make_registration(event, f"p{i}@example.org", f"P {i}") for i in range(5)]
        for registration in people:
            confirm(registration)
        fake_zoom.fail("meetingRegistrantCreate", "slow", times=5, delay=1.0)
        sync.tick(app)  # one round's Zoom work (the worker sends mail after each)
        first_round = len(fake_zoom.calls_to("meetingRegistrantCreate"))
        assert 1 <= first_round <= 2
        for _round in range(5):
            worker.run_once()
        assert [zoom_state(r).status for r in people] == ["synced"] * 5
