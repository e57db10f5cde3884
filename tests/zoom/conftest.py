"""Fixtures for the Zoom plugin's tests: a fake Zoom on loopback and an app pointed at it."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fakezoom import FakeZoom  # noqa: E402
from zoomhelpers import WEBHOOK_SECRET  # noqa: E402


@pytest.fixture
def fake_zoom():
    fake = FakeZoom().start()
    yield fake
    fake.stop()
    fake.assert_no_violations()


class SleepRecorder(list):
    """Stands in for time.sleep inside the Zoom client: records each wait, returns at once."""

    def __call__(self, seconds):
        self.append(seconds)


@pytest.fixture
def zoom_config(fake_zoom):
    return {
        **fake_zoom.config,
        "ZOOM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "ZOOM_TIMEOUT": 5,  # generous: a busy test machine must not look like an outage
        "ZOOM_RETRIES": 2,
        "ZOOM_RETRY_BASE": 0.01,
        "ZOOM_RETRY_MAX": 0,  # no pause between worker rounds, unless a test wants one
        "ZOOM_MAX_INLINE_WAIT": 5,
    }


@pytest.fixture
def zoom_app(make_app, zoom_config):
    app = make_app(**zoom_config)
    app.extensions["zoom.sleep"] = SleepRecorder()
    with app.app_context():
        yield app


@pytest.fixture
def sleeps(zoom_app):
    return zoom_app.extensions["zoom.sleep"]


@pytest.fixture
def zoom_client(zoom_app):
    """A test client of the Zoom-enabled app, with an organizer signed in."""
    from app.extensions import db
    from app.models import User

    user = User(email="organizer@example.org", role="admin", name="Organizer")
    user.set_password("correct horse battery staple")
    db.session.add(user)
    db.session.commit()
    client = zoom_app.test_client()
    answer = client.post(
        "/login", data={"email": user.email, "password": "correct horse battery staple"}
    )
    assert answer.status_code == 302
    return client
