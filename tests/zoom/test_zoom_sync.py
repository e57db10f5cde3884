"""Registrant sync: personal links, outages, permanent refusals, cancel and erase."""

import sqlalchemy as sa
from world import ZOOM_MEETING, make_event
from zoomhelpers import make_registration

from app.extensions import db
from app.mail import worker
from app.models import OutboxMessage, Registration
from app.plugins import JOIN_PENDING, JoinDetails, hooks
from plugins.zoom.models import ZoomTask


def confirm(registration):
    hooks().sala_registration_confirmed(registration=registration)
    db.session.commit()


def join_details(registration):
    return hooks().sala_join_details(registration=registration)


def test_each_confirmed_registrant_gets_their_own_link(zoom_app, fake_zoom):
    meeting = fake_zoom.add_meeting()
    event = make_event(ZOOM_MEETING, meeting_id=meeting)
    people = [
        make_registration(event, "dara@example.org", "Dara Sok"),
        make_registration(event, "Sophea@Example.org", "សុភា"),
        make_registration(event, "anon@example.org", ""),
    ]
    for registration in people:
        confirm(registration)

    # Confirming made no call to Zoom: the request never waits for it.
    assert fake_zoom.calls == [] and fake_zoom.token_requests == 0
    assert [r.join_status for r in people] == ["pending"] * 3
    assert all(join_details(r) is JOIN_PENDING for r in people)

    worker.run_once()

    on_zoom = fake_zoom.registrants(meeting)
    assert len(on_zoom) == 3
    links = {r["email"].lower(): r["join_url"] for r in on_zoom}
    for registration in people:
        db.session.refresh(registration)
        assert registration.join_status == "synced"
        assert registration.join_url == links[registration.email.lower()]
        assert registration.join_ref  # Zoom's registrant id
        details = join_details(registration)
        assert details == JoinDetails(
            url=registration.join_url,
            passcode="shared-pass",
            meeting_id=meeting,
            personal=True,
        )
    assert len({r.join_url for r in people}) == 3  # a link for each alone
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
        event = make_event(ZOOM_MEETING, meeting_id=fake_zoom.add_meeting())
        registration = make_registration(event, "dara@example.org")
        confirm(registration)
        assert registration.join_status == ""
        assert join_details(registration) is None
        worker.run_once()
        # The core sends the session's shared link; Zoom was never asked.
        (mail,) = db.session.scalars(sa.select(OutboxMessage)).all()
        assert mail.kind == "registration_join"
        assert "https://zoom.example/j/shared" in mail.body_text
    assert fake_zoom.calls == [] and fake_zoom.token_requests == 0


def test_a_session_without_meeting_id_uses_the_shared_link(zoom_app, fake_zoom):
    event = make_event(ZOOM_MEETING, meeting_id="")
    registration = make_registration(event, "dara@example.org")
    confirm(registration)
    worker.run_once()
    assert registration.join_status == ""
    assert join_details(registration) is None
    assert fake_zoom.calls == []


def test_a_zoom_outage_loses_no_registration_and_adds_nobody_twice(zoom_app, fake_zoom):
    meeting = fake_zoom.add_meeting()
    event = make_event(ZOOM_MEETING, meeting_id=meeting)
    people = [make_registration(event, f"p{i}@example.org", f"P {i}") for i in range(4)]
    for registration in people:
        confirm(registration)
    fake_zoom.fail("meetingRegistrantCreate", "503", times=1000)

    for _round in range(3):
        worker.run_once()
    for registration in people:
        db.session.refresh(registration)
        assert registration.status == "confirmed"
        assert registration.join_status == "pending"
        assert join_details(registration) is JOIN_PENDING
    assert "could not be reached" in people[0].join_error  # the organizer can see why
    assert fake_zoom.registrants(meeting) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0

    fake_zoom.failures.clear()  # Zoom is back
    worker.run_once()
    worker.run_once()
    for registration in people:
        db.session.refresh(registration)
        assert registration.join_status == "synced" and registration.join_error == ""
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
        assert mail.kind == "registration_join" and registration.join_url in mail.body_text
        assert "https://zoom.example/j/shared" not in mail.body_text


def test_a_slow_answer_is_retried_and_gives_one_registrant(make_app, zoom_config, fake_zoom):
    app = make_app(**{**zoom_config, "ZOOM_TIMEOUT": 1})
    app.extensions["zoom.sleep"] = lambda seconds: None
    with app.app_context():
        meeting = fake_zoom.add_meeting()
        event = make_event(ZOOM_MEETING, meeting_id=meeting)
        registration = make_registration(event, "dara@example.org", "Dara")
        confirm(registration)
        # Zoom does the work but answers after the client's timeout (1 s).
        fake_zoom.fail("meetingRegistrantCreate", "slow", delay=2.5)
        worker.run_once()
        worker.run_once()  # in case the retry, too, met a busy machine
        db.session.refresh(registration)
        assert registration.join_status == "synced"
        on_zoom = fake_zoom.registrants(meeting)
        assert len(on_zoom) == 1 and on_zoom[0]["join_url"] == registration.join_url
        assert len(fake_zoom.calls_to("meetingRegistrantCreate")) >= 2  # the first timed out


def test_the_worker_pauses_zoom_work_after_an_outage(make_app, zoom_config, fake_zoom):
    app = make_app(
        **{**zoom_config, "ZOOM_RETRY_MAX": 600, "ZOOM_RETRIES": 0, "ZOOM_RETRY_BASE": 30}
    )
    with app.app_context():
        event = make_event(ZOOM_MEETING, meeting_id=fake_zoom.add_meeting())
        confirm(make_registration(event, "dara@example.org"))
        fake_zoom.fail("meetingRegistrantCreate", "500", times=5)
        worker.run_once()
        calls = len(fake_zoom.calls)
        worker.run_once()  # paused: Zoom is left alone for now, mail still goes out
        assert len(fake_zoom.calls) == calls
        assert app.extensions["zoom.state"]["failures"] == 1


def test_a_full_meeting_marks_the_registrant_failed_and_falls_back(
    zoom_app, fake_zoom, zoom_client
):
    meeting = fake_zoom.add_meeting()
    event = make_event(ZOOM_MEETING, meeting_id=meeting)
    first = make_registration(event, "first@example.org", "First One")
    late = make_registration(event, "late@example.org", "Late Comer")
    confirm(first)
    confirm(late)
    fake_zoom.fail("meetingRegistrantCreate", "3043")
    worker.run_once()
    db.session.refresh(first)
    db.session.refresh(late)
    assert first.join_status == "failed" and "full" in first.join_error
    assert join_details(first) is None  # the core sends the shared link and passcode
    assert late.join_status == "synced"

    page = zoom_client.get(f"/admin/events/{event.id}").text
    assert 'data-zoom="failed">1<' in page and 'data-zoom="synced">1<' in page
    assert "first@example.org" in page and "full" in page
    assert "late@example.org" not in page


def test_registration_not_enabled_is_said_plainly(zoom_app, fake_zoom):
    event = make_event(ZOOM_MEETING, meeting_id=fake_zoom.add_meeting(approval_type=2))
    registration = make_registration(event, "dara@example.org")
    confirm(registration)
    worker.run_once()
    assert registration.join_status == "failed"
    assert "Registration is not turned on" in registration.join_error


def test_cancelling_cancels_on_zoom(zoom_app, fake_zoom):
    meeting = fake_zoom.add_meeting()
    event = make_event(ZOOM_MEETING, meeting_id=meeting)
    registration = make_registration(event, "dara@example.org", "Dara")
    confirm(registration)
    worker.run_once()
    assert registration.join_status == "synced"

    registration.status = "cancelled"
    hooks().sala_registration_cancelled(registration=registration)
    db.session.commit()
    assert registration.join_status == "cancel_pending"
    assert fake_zoom.registrants(meeting, "approved")  # nothing sent in the request
    worker.run_once()
    db.session.refresh(registration)
    assert registration.join_status == "cancelled" and registration.join_url == ""
    assert [r["status"] for r in fake_zoom.registrants(meeting)] == ["cancelled"]
    assert join_details(registration) is None


def test_a_registrant_cancelled_before_the_sync_is_never_added(zoom_app, fake_zoom):
    meeting = fake_zoom.add_meeting()
    event = make_event(ZOOM_MEETING, meeting_id=meeting)
    registration = make_registration(event, "dara@example.org")
    confirm(registration)
    registration.status = "cancelled"
    hooks().sala_registration_cancelled(registration=registration)
    db.session.commit()
    worker.run_once()
    assert fake_zoom.registrants(meeting) == []


def test_erasing_removes_the_registrant_from_zoom_and_forgets_them(zoom_app, fake_zoom):
    meeting = fake_zoom.add_meeting()
    event = make_event(ZOOM_MEETING, meeting_id=meeting)
    registration = make_registration(event, "dara@example.org", "Dara")
    confirm(registration)
    worker.run_once()
    registrant_id = registration.join_ref

    hooks().sala_registration_erased(registration=registration)
    # What the core then does: erase the personal data.
    registration.email = registration.email_key = f"erased-{registration.id}"
    registration.name = ""
    registration.status = "cancelled"
    from app.models import utcnow

    registration.erased_at = utcnow()
    db.session.commit()
    assert registration.join_url == "" and registration.join_ref == ""
    task = db.session.scalar(sa.select(ZoomTask).where(ZoomTask.kind == "erase"))
    assert task.registrant_id == registrant_id and "dara" not in task.key

    fake_zoom.fail("meetingregistrantdelete", "503", times=3)  # Zoom down: kept, retried
    worker.run_once()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ZoomTask)) == 1
    db.session.execute(sa.update(ZoomTask).values(due_at=sa.func.current_timestamp()))
    db.session.commit()
    worker.run_once()
    assert fake_zoom.registrants(meeting) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ZoomTask)) == 0
    assert db.session.get(Registration, registration.id).join_status == "erased"


def test_each_worker_round_does_a_bounded_amount_of_zoom_work(make_app, zoom_config, fake_zoom):
    app = make_app(**{**zoom_config, "ZOOM_TICK_LIMIT": 2})
    with app.app_context():
        event = make_event(ZOOM_MEETING, meeting_id=fake_zoom.add_meeting())
        people = [make_registration(event, f"p{i}@example.org") for i in range(5)]
        for registration in people:
            confirm(registration)
        hooks().sala_worker_tick(app=app)  # one worker round
        assert [r.join_status for r in people].count("synced") == 2
        for _round in range(2):
            hooks().sala_worker_tick(app=app)
        assert all(r.join_status == "synced" for r in people)


def test_the_organizer_is_told_when_zoom_is_not_set_up(make_app):
    app = make_app()
    with app.app_context():
        from app.models import User

        event = make_event(ZOOM_MEETING, meeting_id="81234567890")
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
    event = make_event(ZOOM_MEETING, meeting_id=meeting)
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
    assert leaving.join_status == "cancelled" and leaving.join_url == ""
    assert erasing.join_url == "" and erasing.join_ref == ""
    on_zoom = {r["email"]: r["status"] for r in fake_zoom.registrants(meeting)}
    assert on_zoom == {"leaving@example.org": "cancelled"}  # the erased one is gone
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ZoomTask)) == 0
