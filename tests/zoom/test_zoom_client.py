"""The Zoom client: OAuth token, refresh on 401, 429 and 5xx handling, clear errors, secrets."""

import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from fakezoom import FakeZoom
from zoomhelpers import make_registration, zoom_event, zoom_state

from app.mail import worker
from app.plugins import hooks
from plugins.zoom import sync
from plugins.zoom.client import ZoomError, parse_retry_after


def test_the_token_is_cached_and_refreshed_once_on_a_401(zoom_app, fake_zoom):
    meeting = fake_zoom.add_meeting()
    client = sync.make_client()
    client.get_meeting(meeting)
    client.get_meeting(meeting)
    assert fake_zoom.token_requests == 1  # cached between calls

    fake_zoom.revoke_tokens()  # Zoom now says the token is old: 401, code 124
    assert client.get_meeting(meeting)["id"] == int(meeting)
    assert fake_zoom.token_requests == 2
    assert [c.status for c in fake_zoom.calls_to("meeting")] == [200, 200, 401, 200]


def test_a_401_with_a_fresh_token_too_is_an_error_not_a_loop(zoom_app, fake_zoom):
    meeting = fake_zoom.add_meeting()
    client = sync.make_client()
    fake_zoom.tokens.clear()
    original = fake_zoom.token

    def token_then_revoke(*args):  # every token Zoom gives is refused at once
        answer = original(*args)
        fake_zoom.revoke_tokens()
        return answer

    fake_zoom.token = token_then_revoke
    with pytest.raises(ZoomError) as caught:
        client.get_meeting(meeting)
    assert caught.value.kind == "token"
    assert fake_zoom.token_requests == 2 and len(fake_zoom.calls) == 2


def test_429_waits_as_long_as_retry_after_says(zoom_app, fake_zoom, sleeps):
    meeting = fake_zoom.add_meeting()
    fake_zoom.fail("meeting", "429", retry_after="2")
    assert sync.make_client().get_meeting(meeting)["id"] == int(meeting)
    assert sleeps == [2.0]


def test_429_with_an_http_date_waits_until_then(zoom_app, fake_zoom, sleeps):
    meeting = fake_zoom.add_meeting()
    when = datetime.now(UTC) + timedelta(seconds=4)
    fake_zoom.fail("meeting", "429", retry_after=format_datetime(when, usegmt=True))
    sync.make_client().get_meeting(meeting)
    assert len(sleeps) == 1 and 2 <= sleeps[0] <= 4


def test_429_without_retry_after_backs_off_with_growing_delays(zoom_app, fake_zoom, sleeps):
    meeting = fake_zoom.add_meeting()
    fake_zoom.fail("meeting", "429", times=2)
    sync.make_client().get_meeting(meeting)
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0] > 0


def test_a_long_retry_after_ends_the_worker_round_and_keeps_the_registrant(
    make_app, zoom_config, fake_zoom
):
    app = make_app(**{**zoom_config, "ZOOM_RETRY_MAX": 3600})
    with app.app_context():
        event = zoom_event(fake_zoom.add_meeting())
        registration = make_registration(event, "dara@example.org")
        hooks().sala_registration_confirmed(registration=registration)
        fake_zoom.fail("meetingRegistrantCreate", "429", retry_after="120")
        worker.run_once()
        assert zoom_state(registration).status == "pending"
        assert "rate limit" in zoom_state(registration).error
        calls = len(fake_zoom.calls)
        worker.run_once()  # Zoom asked for 2 minutes: the worker does not knock before
        assert len(fake_zoom.calls) == calls


def test_5xx_is_retried_then_reported_as_temporary(zoom_app, fake_zoom, sleeps):
    meeting = fake_zoom.add_meeting()
    fake_zoom.fail("meeting", "502")
    assert sync.make_client().get_meeting(meeting)["id"] == int(meeting)
    fake_zoom.fail("meeting", "503", times=10)
    with pytest.raises(ZoomError) as caught:
        sync.make_client().get_meeting(meeting)
    assert caught.value.temporary and caught.value.kind == "unavailable"


def test_a_slow_answer_times_out(zoom_app, fake_zoom):
    meeting = fake_zoom.add_meeting()
    fake_zoom.fail("meeting", "slow", times=5, delay=1.5)
    with pytest.raises(ZoomError) as caught:
        sync.make_client(retries=0, timeout=0.5).get_meeting(meeting)
    assert caught.value.kind == "unavailable"
    assert "timed out" in str(caught.value).lower()


@pytest.mark.parametrize(
    ("failure", "kind", "words"),
    [
        ("3043", "meeting_full", "is full"),
        ("404-registration", "registration_disabled", "Registration is not turned on"),
    ],
)
def test_zoom_errors_are_said_in_plain_words(zoom_app, fake_zoom, failure, kind, words):
    meeting = fake_zoom.add_meeting()
    fake_zoom.fail("meetingRegistrantCreate", failure)
    with pytest.raises(ZoomError) as caught:
        sync.make_client().add_registrant(meeting, "dara@example.org", "Dara")
    assert caught.value.kind == kind and not caught.value.temporary
    assert words in caught.value.describe()


def test_a_missing_meeting_is_said_plainly(zoom_app, fake_zoom):
    with pytest.raises(ZoomError) as caught:
        sync.make_client().get_meeting("123456789")
    assert caught.value.kind == "meeting_not_found"
    assert "not found" in caught.value.describe()


def test_retry_after_parsing():
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Fri, 27 Nov 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Fri, 27 Nov 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("") is None and parse_retry_after("soon") is None


def test_secrets_are_never_shown_or_logged(zoom_app, fake_zoom, caplog):
    caplog.set_level(logging.DEBUG)
    meeting = fake_zoom.add_meeting()
    client = sync.make_client()
    fake_zoom.fail("meeting", "429")
    fake_zoom.revoke_tokens()
    client.get_meeting(meeting)
    fake_zoom.revoke_tokens()
    client.get_meeting(meeting)
    assert FakeZoom.CLIENT_SECRET not in repr(client) + repr(client.settings)
    assert FakeZoom.CLIENT_SECRET not in caplog.text
    token = next(iter(fake_zoom.tokens))
    assert token not in caplog.text
