"""`sala zoom check`, `sala zoom sync SLUG`, `sala zoom create-meeting SLUG`."""

import pytest
from fakezoom import FakeZoom
from zoomhelpers import make_registration, zoom_event, zoom_state

from app.extensions import db
from app.models import Event
from plugins.zoom.models import meeting_of


def zoom(app, *args):
    result = app.test_cli_runner().invoke(args=["zoom", *args])
    assert FakeZoom.CLIENT_SECRET not in result.output
    return result


def test_check_says_when_all_is_well(zoom_app, fake_zoom):
    zoom_event(fake_zoom.add_meeting())
    result = zoom(zoom_app, "check", "cambodia-2023")
    assert result.exit_code == 0, result.output
    assert "Credentials: accepted by Zoom." in result.output
    assert "found, registration required" in result.output
    assert result.output.strip().endswith("Zoom is ready.")


def test_check_says_the_credentials_are_wrong(make_app, zoom_config, fake_zoom):
    app = make_app(**{**zoom_config, "ZOOM_CLIENT_SECRET": "wrong-secret-value"})
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["zoom", "check"])
    assert result.exit_code == 1
    assert "Zoom refused the credentials" in result.output
    assert "Invalid client_id or client_secret" in result.output
    assert "wrong-secret-value" not in result.output


def test_check_says_what_is_missing_from_the_settings(make_app):
    app = make_app(ZOOM_ACCOUNT_ID="acct")
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["zoom", "check"])
    assert result.exit_code == 1
    assert "ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET missing" in result.output


def test_check_says_the_meeting_is_not_found(zoom_app, fake_zoom):
    zoom_event("85000000001")
    result = zoom(zoom_app, "check", "cambodia-2023")
    assert result.exit_code == 1
    assert "The Zoom meeting was not found, or it has expired." in result.output


def test_check_says_registration_is_not_enabled(zoom_app, fake_zoom):
    zoom_event(fake_zoom.add_meeting(approval_type=2))
    result = zoom(zoom_app, "check")
    assert result.exit_code == 1
    assert "registration is not turned on" in result.output


def test_check_says_scopes_are_missing(zoom_app, fake_zoom):
    fake_zoom.scope = "user:read:admin meeting:read:admin"
    zoom_event(fake_zoom.add_meeting())
    result = zoom(zoom_app, "check")
    assert result.exit_code == 1
    assert "lacks scopes to add and cancel registrants" in result.output


def test_check_warns_about_zooms_own_confirmation_mail(zoom_app, fake_zoom):
    zoom_event(fake_zoom.add_meeting(confirmation=True))
    result = zoom(zoom_app, "check")
    assert result.exit_code == 0
    assert "Zoom also sends its own confirmation mail" in result.output


def test_sync_adds_registrants_30_at_a_time_and_is_safe_to_run_again(zoom_app, fake_zoom):
    meeting = fake_zoom.add_meeting()
    event = zoom_event(meeting)
    people = [make_registration(event, f"person{i}@example.org", f"P {i}") for i in range(65)]
    make_registration(event, "waiting@example.org", status="waitlisted")
    make_registration(event, "gone@example.org", status="cancelled")
    db.session.commit()

    result = zoom(zoom_app, "sync", "cambodia-2023")
    assert result.exit_code == 0, result.output
    assert "65 registrants to add" in result.output
    assert "Done: 65 added, 0 refused by Zoom." in result.output
    batches = fake_zoom.calls_to("addBatchRegistrants")
    assert [len(c.body["registrants"]) for c in batches] == [30, 30, 5]
    assert all(c.body["registrants_confirmation_email"] is False for c in batches)
    for registration in people:
        db.session.refresh(registration)
        assert zoom_state(registration).status == "synced" and zoom_state(registration).join_url
    assert len(fake_zoom.registrants(meeting)) == 65

    again = zoom(zoom_app, "sync", "cambodia-2023")
    assert again.exit_code == 0
    assert "Nothing to do" in again.output
    assert len(fake_zoom.calls_to("addBatchRegistrants")) == 3


def test_sync_resumes_after_an_outage_without_redoing_the_done(zoom_app, fake_zoom):
    meeting = fake_zoom.add_meeting()
    event = zoom_event(meeting)
    for i in range(40):
        make_registration(event, f"person{i}@example.org")
    db.session.commit()
    zoom_app.config["ZOOM_RETRY_MAX"] = 0  # no waiting in the test
    batches_ok = []
    # The first batch goes through; then Zoom is down.
    original = fake_zoom.op_addBatchRegistrants

    def first_only(params, body):
        if batches_ok:
            return 503, {"code": 503, "message": "down"}
        batches_ok.append(1)
        return original(params, body)

    fake_zoom.op_addBatchRegistrants = first_only
    result = zoom(zoom_app, "sync", "cambodia-2023")
    assert result.exit_code == 1
    assert "Run the command again later" in result.output
    fake_zoom.op_addBatchRegistrants = original
    result = zoom(zoom_app, "sync", "cambodia-2023")
    assert result.exit_code == 0, result.output
    assert "10 registrants to add" in result.output
    assert all(n == 1 for n in fake_zoom.meetings[int(meeting)]["adds"].values())
    assert len(fake_zoom.registrants(meeting)) == 40


def test_create_meeting_makes_a_registration_meeting_and_stores_its_id(zoom_app, fake_zoom):
    event = zoom_event("")
    zoom_app.config["ZOOM_HOST_USER"] = "host@example.org"
    result = zoom(zoom_app, "create-meeting", "cambodia-2023")
    assert result.exit_code == 0, result.output
    db.session.refresh(event)
    assert meeting_of(event) and int(meeting_of(event)) in fake_zoom.meetings
    (call,) = fake_zoom.calls_to("meetingCreate")
    assert call.path == "/users/host@example.org/meetings"
    body = call.body  # and the fake checked it against Zoom's schema
    assert body["type"] == 2 and body["duration"] == 90
    assert body["timezone"] == "Asia/Phnom_Penh"
    assert body["start_time"] == event.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert body["topic"] == "Cambodia after 23 July"
    assert body["settings"]["approval_type"] == 0
    assert body["settings"]["registrants_confirmation_email"] is False
    assert event.join_url.startswith("https://zoom.example/j/")  # the shared fallback

    again = zoom(zoom_app, "create-meeting", "cambodia-2023")
    assert again.exit_code == 1 and "already has the meeting" in again.output


@pytest.mark.parametrize("args", [["sync", "nope"], ["create-meeting", "nope"]])
def test_an_unknown_session_is_said_plainly(zoom_app, fake_zoom, args):
    result = zoom(zoom_app, *args)
    assert result.exit_code == 1 and "No session" in result.output
    assert db.session.query(Event).count() == 0


def test_sync_adds_one_by_one_when_zoom_cannot_batch(zoom_app, fake_zoom):
    meeting = fake_zoom.add_meeting(type=3)  # recurring, no fixed time: no batch endpoint
    event = zoom_event(meeting)
    for i in range(3):
        make_registration(event, f"person{i}@example.org")
    db.session.commit()
    result = zoom(zoom_app, "sync", "cambodia-2023")
    assert result.exit_code == 0, result.output
    assert "Done: 3 added" in result.output
    assert fake_zoom.calls_to("addBatchRegistrants") == []
    assert len(fake_zoom.calls_to("meetingRegistrantCreate")) == 3
