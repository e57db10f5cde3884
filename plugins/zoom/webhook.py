"""Zoom's webhook: POST /zoom/webhook.

Every delivery is signed: ``x-zm-signature`` = ``v0=`` + hex HMAC-SHA256(secret token,
``v0:{x-zm-request-timestamp}:{raw body}``). We compare in constant time, refuse
timestamps more than ZOOM_WEBHOOK_TOLERANCE seconds away from now, and handle each body
once: Zoom retries a delivery it thinks failed, and a replayed request is refused.

Events handled, for meetings and webinars alike (Zoom names them `meeting.*` and
`webinar.*`): `participant_joined` marks the registrant as having attended;
`started` and `ended` go into the session's audit log, and a `webinar.*` event tells the
plugin that the session's number is a webinar.
"""

import hashlib
import hmac
import json
import logging
import time

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, jsonify, request
from sqlalchemy.exc import IntegrityError

from app.api import Event, Registration, csrf, db, record_audit

from .client import MEETING, WEBINAR, meeting_number
from .models import ZoomMeeting, ZoomRegistrant, ZoomTask

JOINED = {"meeting.participant_joined", "webinar.participant_joined"}
STARTED_ENDED = {"meeting.started", "meeting.ended", "webinar.started", "webinar.ended"}

log = logging.getLogger(__name__)
bp = Blueprint("zoom", __name__, url_prefix="/zoom", template_folder="templates")


def sign(secret, message):
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signature_for(secret, timestamp, raw_body):
    return "v0=" + sign(secret, f"v0:{timestamp}:{raw_body}")


@bp.post("/webhook")
def webhook():
    secret = current_app.config.get("ZOOM_WEBHOOK_SECRET") or ""
    if not secret:
        abort(404)  # the plugin is not set up for webhooks here
    raw = request.get_data(cache=True, as_text=True)
    timestamp = request.headers.get("x-zm-request-timestamp", "")
    given = request.headers.get("x-zm-signature", "")
    expected = signature_for(secret, timestamp, raw)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return jsonify(error="bad signature"), 401
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        return jsonify(error="bad timestamp"), 401
    if age > int(current_app.config["ZOOM_WEBHOOK_TOLERANCE"]):
        return jsonify(error="stale timestamp"), 401
    try:
        payload = json.loads(raw)
    except ValueError:
        return jsonify(error="not JSON"), 400
    event = payload.get("event") if isinstance(payload, dict) else None
    if event == "endpoint.url_validation":
        plain = str((payload.get("payload") or {}).get("plainToken") or "")
        return jsonify(plainToken=plain, encryptedToken=sign(secret, plain))

    # Once per body: a replay and Zoom's retry (same body, new timestamp) are both seen here.
    key = "webhook:" + hashlib.sha256(raw.encode()).hexdigest()[:64]
    try:
        with db.session.begin_nested():
            db.session.add(ZoomTask(kind="webhook", key=key))
    except IntegrityError:
        db.session.rollback()
        return jsonify(status="already handled"), 200
    if event in JOINED:
        participant_joined(payload.get("payload") or {}, kind_in(event))
    elif event in STARTED_ENDED:
        started_or_ended(payload.get("payload") or {}, event)
    db.session.commit()
    return jsonify(status="ok"), 200


csrf.exempt(webhook)


def kind_in(event_name):
    return WEBINAR if event_name.startswith("webinar.") else MEETING


def meetings_numbered(number, kind):
    """The plugin's rows of the sessions with this Zoom number; a webinar's event tells
    them their number is a webinar."""
    if not number:
        return []
    rows = [
        m
        for m in db.session.scalars(sa.select(ZoomMeeting).where(ZoomMeeting.meeting_id != ""))
        if meeting_number(m.meeting_id) == number
    ]
    for row in rows:
        if kind == WEBINAR and row.kind != WEBINAR:
            row.kind = WEBINAR
    return rows


def started_or_ended(payload, event_name):
    meeting = payload.get("object") or {}
    for row in meetings_numbered(meeting_number(meeting.get("id")), kind_in(event_name)):
        session = db.session.get(Event, row.event_id)
        if session is not None:
            action = "zoom.started" if event_name.endswith(".started") else "zoom.ended"
            record_audit(action, session, actor=None, kind=kind_in(event_name))


def participant_joined(payload, kind=MEETING):
    meeting = payload.get("object") or {}
    number = meeting_number(meeting.get("id"))
    participant = meeting.get("participant") or {}
    events = [m.event_id for m in meetings_numbered(number, kind)]
    if not events:
        return None
    base = sa.select(Registration).where(
        Registration.event_id.in_(events), Registration.erased_at.is_(None)
    )
    registration = None
    registrant_id = participant.get("registrant_id") or ""
    if registrant_id:
        registration = db.session.scalar(
            base.join(ZoomRegistrant, ZoomRegistrant.registration_id == Registration.id).where(
                ZoomRegistrant.registrant_id == registrant_id
            )
        )
    email = (participant.get("email") or "").strip().lower()
    if registration is None and email:
        registration = db.session.scalar(base.where(Registration.email_key == email))
    if registration is not None and not registration.attended:
        registration.attended = True
    return registration
