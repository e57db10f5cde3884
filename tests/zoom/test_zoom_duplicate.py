"""Duplicating a Zoom session gives a copy without the first session's meeting: no meeting
ID (the plugin's own row), no shared join link and no passcode, so the copy's registrants
are never sent into last year's meeting. The other settings still come along."""

import sqlalchemy as sa
from zoomhelpers import zoom_event

from app.extensions import db
from app.models import Event
from plugins.zoom.models import ZoomMeeting, meeting_of


def test_a_duplicated_zoom_session_has_no_meeting_link_or_passcode(zoom_client):
    event = zoom_event(meeting_id="85746352410", capacity=250, join_phone="+855 23 000 000")
    response = zoom_client.post(
        f"/admin/events/{event.id}/duplicate",
        data={"slug": "cambodia-2024", "dates": "shift", "shift_days": "364"},
    )
    assert response.status_code == 302
    copy = db.session.scalar(sa.select(Event).where(Event.slug == "cambodia-2024"))
    assert copy.join_url == "" and copy.join_passcode == "" and copy.join_phone == ""
    assert meeting_of(copy) == ""
    assert copy.capacity == 250  # the rest of the settings is copied
    # The first session keeps its meeting.
    assert meeting_of(event) == "85746352410" and event.join_url.endswith("/j/shared")
    edit = zoom_client.get(f"/admin/events/{copy.id}/edit").text
    assert "85746352410" not in edit and "shared-pass" not in edit
    rows = db.session.scalars(sa.select(ZoomMeeting.meeting_id)).all()
    assert rows.count("85746352410") == 1
