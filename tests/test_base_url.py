"""Links in mail: BASE_URL in production (required there); in development without it, the
address actually served, so `make run PORT=5101` mails links to port 5101, not 5000."""

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from plan_helpers import make_registration
from registration_helpers import form
from world import make_event

from app import ConfigurationError, create_app
from app.extensions import db
from app.models import OutboxMessage, utcnow

LINK = re.compile(r"https?://[^/\s]+/")


def mail_to(email):
    db.session.expire_all()
    return db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.recipient == email))


def test_production_refuses_to_start_without_base_url(tmp_path, monkeypatch):
    monkeypatch.delenv("SALA_DEV", raising=False)
    monkeypatch.delenv("SALA_BASE_URL", raising=False)
    config = {"SECRET_KEY": "k" * 32, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"}
    with pytest.raises(ConfigurationError, match="BASE_URL is not set.*SALA_BASE_URL"):
        create_app(config)
    assert create_app(config | {"BASE_URL": "https://sala.example.org"}).config["BASE_URL"]


def test_dev_mail_links_follow_the_address_of_the_request(make_app):
    app = make_app(BASE_URL=None)
    with app.app_context():
        make_event()
    client = app.test_client()
    answer = client.post("/s/planning/register", data=form(), base_url="http://127.0.0.1:5101")
    assert answer.status_code == 302
    with app.app_context():
        text = mail_to("dara@example.org").body_text
    assert "http://127.0.0.1:5101/r/confirm/" in text
    assert set(LINK.findall(text)) == {"http://127.0.0.1:5101/"}


def test_dev_worker_mail_links_follow_the_served_address(make_app):
    """The mail worker inside the dev server (`make run`) renders outside any request: its
    links take the address the server answered on."""
    app = make_app(BASE_URL=None, RUN_WORKER_IN_PROCESS=1)
    with app.app_context():
        event = make_event(
            starts_at=utcnow() + timedelta(days=1),
            join_release="before_start",
            join_release_hours=48,
        )
        make_registration(event, "sokha@example.org")
    try:
        app.test_client().get("/", base_url="http://localhost:5101")
        with app.app_context():
            deadline = time.monotonic() + 60
            while mail_to("sokha@example.org") is None and time.monotonic() < deadline:
                time.sleep(0.1)
            message = mail_to("sokha@example.org")
            assert message is not None, "the in-process worker queued no join details"
            links = set(LINK.findall(message.body_text)) - {"https://zoom.example.invalid/"}
            assert links == {"http://localhost:5101/"}
    finally:
        app.extensions["sala.worker"].stop.set()
        app.extensions["sala.worker_thread"].join(10)


def test_base_url_wins_over_the_request_address(make_app):
    app = make_app(BASE_URL="https://sala.example.org")
    with app.app_context():
        make_event()
    app.test_client().post("/s/planning/register", data=form(), base_url="http://127.0.0.1:5101")
    with app.app_context():
        text = mail_to("dara@example.org").body_text
    assert "https://sala.example.org/r/confirm/" in text and "5101" not in text
