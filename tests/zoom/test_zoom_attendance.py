"""The Zoom plugin answers sala_attendance_known: the follow-up after a session can then
have one text for those the webhook saw join and another for those it did not."""

from test_zoom_webhook import joined, post
from zoomhelpers import make_registration, zoom_event

from app.extensions import db
from app.mail import mailout


def test_attendance_from_the_webhook_splits_the_follow_up(zoom_app, zoom_client):
    event = zoom_event("81234567890")
    make_registration(event, "dara@example.org", registrant_id="reg-1", zoom_status="synced")
    make_registration(event, "sok@example.org", registrant_id="reg-2", zoom_status="synced")
    without_zoom = zoom_event("", slug="no-zoom")
    db.session.commit()
    assert post(zoom_app.test_client(), joined(81234567890, "reg-1")).status_code == 200

    page = zoom_client.get(f"/admin/events/{event.id}/follow-up?lang=en").text
    assert "One text to those who attended, another to those who did not" in page
    assert "To those who registered but did not attend (1)" in page
    assert mailout.audience_size(event, "attended") == 1

    page = zoom_client.get(f"/admin/events/{without_zoom.id}/follow-up?lang=en").text
    assert "Attendance is not recorded for this session" in page


def test_without_a_webhook_secret_attendance_is_not_known(make_app, zoom_config):
    app = make_app(**{**zoom_config, "ZOOM_WEBHOOK_SECRET": ""})
    with app.app_context():
        from app.followup.service import attendance_known

        event = zoom_event("81234567890")
        db.session.commit()
        assert not attendance_known(event)
