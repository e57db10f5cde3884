"""The organizer's outbox page: counts, failures and their reasons, retry (with and without
htmx), and the progress bar of a bulk send that polls until it is done."""

import re
import time

import pytest
import sqlalchemy as sa
from mailtools import add_test_templates, queue_many, queue_note
from support import PASSWORD
from world import MAIL_TEST, make_event

from app.extensions import db
from app.mail.worker import IN_FLIGHT_UNKNOWN, Worker
from app.models import AuditEntry, OutboxMessage


@pytest.fixture
def queued(app):
    add_test_templates(app)
    event = make_event(MAIL_TEST)
    queue_many(event, 3, batch="plan-v1")
    failed = queue_note(event, "refused@example.org", key="refused")
    stopped = queue_note(event, "stopped@example.org", key="stopped")
    db.session.flush()
    failed.status, failed.attempts, failed.last_error = "failed", 1, "550 5.1.1 no such user"
    stopped.status, stopped.attempts, stopped.last_error = "unknown", 1, IN_FLIGHT_UNKNOWN
    db.session.commit()
    return failed


def test_outbox_page_is_for_organizers_only(client, auth, moderator_user, queued):
    assert client.get("/admin/outbox").status_code == 302  # anonymous: sign in first
    auth.login(moderator_user.email)
    assert client.get("/admin/outbox").status_code == 403
    assert client.post(f"/admin/outbox/{queued.id}/retry").status_code == 403
    assert db.session.get(OutboxMessage, queued.id).status == "failed"


def test_outbox_page_shows_counts_failures_and_progress(client, auth, admin_user, queued):
    auth.login(admin_user.email)
    html = client.get("/admin/outbox").text
    assert re.search(r"queued: <strong>3</strong>", html)
    assert re.search(r"failed: <strong>1</strong>", html)
    assert re.search(r"unknown: may have been delivered: <strong>1</strong>", html)
    assert "550 5.1.1 no such user" in html
    assert "It is not sent again, to avoid a duplicate" in html
    assert "r***@example.org" in html and "refused@example.org" not in html
    assert '<progress max="3" value="0">' in html
    assert 'data-hx-trigger="every 2s"' in html
    assert 'href="/admin/outbox"' in client.get("/admin/").text  # in the organizer nav

    failed_only = client.get("/admin/outbox?status=failed").text
    assert "r***@example.org" in failed_only and "p***@example.org" not in failed_only


def test_retry_without_javascript_queues_again_and_is_audited(
    app, client, auth, admin_user, queued
):
    auth.login(admin_user.email)
    response = client.post(f"/admin/outbox/{queued.id}/retry", data={"status": "failed"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/outbox?status=failed")
    db.session.expire_all()
    message = db.session.get(OutboxMessage, queued.id)
    assert (message.status, message.attempts) == ("queued", 0)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "outbox.retry"))
    assert entry.target_id == queued.id and entry.actor_label == admin_user.email
    assert "is queued again" in client.get("/admin/outbox").text

    # Retrying something that is not failed changes nothing.
    client.post(f"/admin/outbox/{queued.id}/retry")
    assert "Only a failed message, or one whose delivery is unknown, can be retried." in (
        client.get("/admin/outbox").text
    )

    assert Worker().run(once=True).sent == 4  # the retried one goes out with the batch


def test_retry_with_htmx_answers_the_new_row(client, auth, admin_user, queued):
    auth.login(admin_user.email)
    response = client.post(f"/admin/outbox/{queued.id}/retry", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert response.text.strip().startswith(f'<tr id="outbox-{queued.id}"')
    assert ">queued<" in response.text and "Retry" not in response.text


def test_progress_fragment_polls_until_the_batch_is_done(app, client, auth, admin_user, queued):
    auth.login(admin_user.email)
    htmx = {"HX-Request": "true"}
    response = client.get("/admin/outbox/progress?batch=plan-v1", headers=htmx)
    assert response.status_code == 200
    assert '<progress max="3" value="0">' in response.text
    assert 'data-hx-trigger="every 2s"' in response.text

    Worker().run(once=True)
    response = client.get("/admin/outbox/progress?batch=plan-v1", headers=htmx)
    assert response.status_code == 286  # htmx stops polling
    assert '<progress max="3" value="3">' in response.text
    assert "data-hx-trigger" not in response.text
    without_htmx = client.get("/admin/outbox/progress?batch=plan-v1")
    assert without_htmx.status_code == 302  # to the outbox page
    assert "HX-Request" in without_htmx.headers.get("Vary", "")  # the same URL, two answers


@pytest.mark.browser
def test_outbox_page_in_a_browser_progress_advances_and_retry_is_inline(
    app, page, admin_user, queued
):
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
    polls = []
    page.on("request", lambda r: "/admin/outbox/progress" in r.url and polls.append(r.url))
    page.goto("/login")
    page.fill("input[name=email]", admin_user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()
    page.goto("/admin/outbox")
    progress = page.locator(".outbox-batch progress")
    assert progress.get_attribute("value") == "0"

    Worker().run(once=True)  # the worker sends the bulk mail while the organizer watches

    page.wait_for_selector('.outbox-batch progress[value="3"]', timeout=15000)
    assert "Finished." in page.locator(".outbox-batch").inner_text()
    seen = len(polls)
    time.sleep(4.5)  # two polling periods: nothing more is asked once it is done
    assert len(polls) == seen

    url = page.url
    row = page.locator(f"#outbox-{queued.id}")
    row.get_by_role("button", name="Retry").click()
    page.wait_for_selector(f"#outbox-{queued.id}.outbox-queued")
    assert page.url == url  # updated in place, no page load
    page.watch.assert_clean()


def test_retry_needs_the_csrf_token(make_app):
    from support import create_user

    app = make_app(WTF_CSRF_ENABLED=True)
    add_test_templates(app)
    with app.app_context():
        admin = create_user("organizer@example.org", "admin")
        message = queue_note(make_event(MAIL_TEST), "refused@example.org")
        message.status = "failed"
        db.session.commit()
        client = app.test_client()
        page = client.get("/login").text
        token = re.search(r'name="csrf_token" [^>]*value="([^"]+)"', page).group(1)
        client.post(
            "/login", data={"email": admin.email, "password": PASSWORD, "csrf_token": token}
        )

        assert client.post(f"/admin/outbox/{message.id}/retry").status_code == 400
        db.session.expire_all()
        assert db.session.get(OutboxMessage, message.id).status == "failed"

        html = client.get("/admin/outbox").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        response = client.post(f"/admin/outbox/{message.id}/retry", headers={"X-CSRFToken": token})
        assert response.status_code == 302
        db.session.expire_all()
        assert db.session.get(OutboxMessage, message.id).status == "queued"
