"""A moved session moves its Zoom meeting (PATCH /meetings/{id}); a cancelled one deletes it
(DELETE /meetings/{id}). Both from the worker, never in the request, with the usual retries
and the shared pause after an outage; every call checked by the fake Zoom against Zoom's own
API description."""

from datetime import timedelta

import sqlalchemy as sa
from zoomhelpers import zoom_event

from app.events import Schedule
from app.extensions import db
from app.mail import worker
from app.models import utcnow
from app.sessions.changes import cancel_event, reschedule
from plugins.zoom.models import ZoomTask, meeting_of


def move(event, **change):
    old = Schedule.of(event)
    for name, value in change.items():
        setattr(event, name, value)
    reschedule(event, old, None)
    db.session.commit()


def test_moving_the_session_moves_the_zoom_meeting_from_the_worker(zoom_app, fake_zoom):
    meeting = fake_zoom.add_meeting()
    event = zoom_event(meeting)
    new_start = (utcnow() + timedelta(days=9)).replace(hour=6, minute=30, second=0, microsecond=0)
    move(event, starts_at=new_start, duration_minutes=150)
    assert fake_zoom.calls_to("meetingUpdate") == []  # nothing in the request

    worker.run_once()
    [call] = fake_zoom.calls_to("meetingUpdate")
    assert call.method == "PATCH" and call.path == f"/meetings/{meeting}"
    assert call.body == {
        "start_time": new_start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": 150,
        "timezone": "Asia/Phnom_Penh",
    }
    on_zoom = fake_zoom.meetings[int(meeting)]
    assert on_zoom["start_time"] == new_start.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert on_zoom["duration"] == 150
    assert db.session.scalar(sa.select(ZoomTask).where(ZoomTask.kind == "meeting_update")) is None
    worker.run_once()
    assert len(fake_zoom.calls_to("meetingUpdate")) == 1  # done once


def test_a_429_is_retried_and_the_meeting_still_moves(zoom_app, fake_zoom, sleeps):
    meeting = fake_zoom.add_meeting()
    event = zoom_event(meeting)
    fake_zoom.fail("meetingUpdate", "429", retry_after="1")
    move(event, duration_minutes=45)
    worker.run_once()
    calls = fake_zoom.calls_to("meetingUpdate")
    assert len(calls) == 2  # refused once with 429, then sent again after Retry-After
    assert 1 in sleeps or 1.0 in sleeps
    assert fake_zoom.meetings[int(meeting)]["duration"] == 45


def test_a_longer_outage_keeps_the_move_and_pauses_zoom_work(make_app, zoom_config, fake_zoom):
    app = make_app(
        **{**zoom_config, "ZOOM_RETRY_MAX": 600, "ZOOM_RETRIES": 0, "ZOOM_RETRY_BASE": 30}
    )
    with app.app_context():
        meeting = fake_zoom.add_meeting()
        event = zoom_event(meeting)
        fake_zoom.fail("meetingUpdate", "429", times=1)
        move(event, duration_minutes=60)
        worker.run_once()
        task = db.session.scalar(sa.select(ZoomTask).where(ZoomTask.kind == "meeting_update"))
        assert task is not None and task.attempts == 1  # kept, to try again
        pause = db.session.scalar(sa.select(ZoomTask).where(ZoomTask.kind == "pause"))
        assert pause is not None and pause.due_at > utcnow()
        # The pause and the task's wait are over: the next round moves the meeting.
        pause.due_at = task.due_at = utcnow()
        db.session.commit()
        worker.run_once()
        assert fake_zoom.meetings[int(meeting)]["duration"] == 60
        assert db.session.scalar(sa.select(ZoomTask).where(ZoomTask.kind != "webhook")) is None


def test_cancelling_the_session_deletes_its_zoom_meeting(zoom_app, fake_zoom):
    meeting = fake_zoom.add_meeting()
    event = zoom_event(meeting)
    move(event, duration_minutes=30)  # a move still waiting is moot once it is cancelled
    cancel_event(event)
    db.session.commit()
    assert fake_zoom.calls_to("meetingDelete") == []

    fake_zoom.fail("meetingDelete", "429", retry_after="1")
    worker.run_once()
    assert [c.method for c in fake_zoom.calls_to("meetingDelete")] == ["DELETE", "DELETE"]
    assert fake_zoom.calls_to("meetingUpdate") == []
    assert int(meeting) not in fake_zoom.meetings
    assert meeting_of(event) == ""  # nothing more is asked of a meeting that is gone
    assert db.session.scalar(sa.select(ZoomTask).where(ZoomTask.kind != "webhook")) is None


def test_a_session_without_meeting_asks_nothing_of_zoom(zoom_app, fake_zoom):
    event = zoom_event("")
    move(event, duration_minutes=30)
    cancel_event(event)
    db.session.commit()
    worker.run_once()
    assert fake_zoom.calls == []
