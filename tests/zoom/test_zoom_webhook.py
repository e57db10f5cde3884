"""The webhook: signature, stale timestamps, replays, url_validation, attendance."""

import hashlib
import hmac
import json
import time

import sqlalchemy as sa
from zoomhelpers import WEBHOOK_SECRET, make_registration, zoom_event

from app.extensions import db
from plugins.zoom.models import ZoomTask


def signed(body, secret=WEBHOOK_SECRET, timestamp=None):
    raw = json.dumps(body)
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{raw}".encode(), hashlib.sha256)
    headers = {
        "x-zm-request-timestamp": timestamp,
        "x-zm-signature": "v0=" + digest.hexdigest(),
        "Content-Type": "application/json",
    }
    return raw, headers


def joined(meeting_id, registrant_id="", email="", event_ts=1_700_000_000_000):
    return {
        "event": "meeting.participant_joined",
        "event_ts": event_ts,
        "payload": {
            "account_id": "acct-test-1",
            "object": {
                "id": meeting_id,
                "uuid": "4444AAAiAAAAAiAiAiiAii==",
                "host_id": "host-1",
                "topic": "Cambodia after 23 July",
                "type": 2,
                "start_time": "2026-12-01T12:00:00Z",
                "timezone": "Asia/Phnom_Penh",
                "duration": 90,
                "participant": {
                    "user_id": "16778240",
                    "user_name": "Dara",
                    "id": "iFxeBPYun6SAiWUzBcEkX",
                    "participant_uuid": "55555AAAiAAAAAiAiAiiAii",
                    "join_time": "2026-12-01T12:01:00Z",
                    "email": email,
                    "registrant_id": registrant_id,
                    "participant_user_id": "",
                },
            },
        },
    }


def post(client, body, **kw):
    raw, headers = signed(body, **kw)
    return client.post("/zoom/webhook", data=raw, headers=headers)


def test_url_validation_is_answered(zoom_app):
    client = zoom_app.test_client()
    body = {"event": "endpoint.url_validation", "event_ts": 1, "payload": {"plainToken": "abc"}}
    answer = post(client, body)
    assert answer.status_code == 200
    expected = hmac.new(WEBHOOK_SECRET.encode(), b"abc", hashlib.sha256).hexdigest()
    assert answer.json == {"plainToken": "abc", "encryptedToken": expected}


def test_a_bad_signature_is_refused(zoom_app):
    event = zoom_event("81234567890")
    registration = make_registration(event, "dara@example.org", registrant_id="reg-1")
    db.session.commit()
    client = zoom_app.test_client()
    answer = post(client, joined(81234567890, "reg-1"), secret="not-the-secret")
    assert answer.status_code == 401
    raw, headers = signed(joined(81234567890, "reg-1"))
    # Change the last hex digit (to another one: "0" would leave a signature ending in 0 valid).
    last = headers["x-zm-signature"][-1]
    headers["x-zm-signature"] = headers["x-zm-signature"][:-1] + ("1" if last == "0" else "0")
    assert client.post("/zoom/webhook", data=raw, headers=headers).status_code == 401
    unsigned = client.post("/zoom/webhook", json=joined(81234567890, "reg-1"))
    assert unsigned.status_code == 401
    db.session.refresh(registration)
    assert not registration.attended


def test_a_stale_timestamp_is_refused(zoom_app):
    event = zoom_event("81234567890")
    registration = make_registration(event, "dara@example.org", registrant_id="reg-1")
    db.session.commit()
    client = zoom_app.test_client()
    old = int(time.time()) - 6 * 60
    answer = post(client, joined(81234567890, "reg-1"), timestamp=old)
    assert answer.status_code == 401
    db.session.refresh(registration)
    assert not registration.attended


def test_participant_joined_marks_attendance_once_even_when_replayed(zoom_app, zoom_client):
    event = zoom_event("81234567890")
    dara = make_registration(event, "dara@example.org", registrant_id="reg-1", zoom_status="synced")
    other = make_registration(event, "sok@example.org", registrant_id="reg-2", zoom_status="synced")
    db.session.commit()
    client = zoom_app.test_client()
    raw, headers = signed(joined(81234567890, "reg-1"))
    first = client.post("/zoom/webhook", data=raw, headers=headers)
    assert first.status_code == 200 and first.json == {"status": "ok"}
    db.session.refresh(dara)
    db.session.refresh(other)
    assert dara.attended and not other.attended

    # The organizer un-marks Dara by hand; a replay of the same request must not undo that.
    dara.attended = False
    db.session.commit()
    replay = client.post("/zoom/webhook", data=raw, headers=headers)
    assert replay.status_code == 200 and replay.json == {"status": "already handled"}
    # Zoom's own retry: same body, new timestamp and signature.
    retry = post(client, json.loads(raw), timestamp=int(time.time()) + 1)
    assert retry.json == {"status": "already handled"}
    db.session.refresh(dara)
    assert not dara.attended
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ZoomTask)) == 1

    dara.attended = True
    db.session.commit()
    page = zoom_client.get(f"/admin/events/{event.id}").text
    assert 'data-zoom="attended">1<' in page


def test_attendance_by_email_within_the_meetings_session_only(zoom_app):
    event = zoom_event("81234567890")
    elsewhere = zoom_event("89999999999", slug="another-session")
    here = make_registration(event, "Dara@Example.org")
    there = make_registration(elsewhere, "dara@example.org")
    db.session.commit()
    client = zoom_app.test_client()
    answer = post(client, joined("812 3456 7890", email="DARA@example.ORG"))
    assert answer.status_code == 200
    db.session.refresh(here)
    db.session.refresh(there)
    assert here.attended and not there.attended


def test_the_webhook_is_off_without_a_secret(make_app):
    app = make_app()
    with app.app_context():
        raw, headers = signed({"event": "endpoint.url_validation", "payload": {"plainToken": "a"}})
        assert app.test_client().post("/zoom/webhook", data=raw, headers=headers).status_code == 404
