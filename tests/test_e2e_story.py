"""The whole story in Chromium, against the site as it runs in production: gunicorn serving
`wsgi:app`, `sala worker` sending mail over SMTP to a test server, both real processes on
the test's database. A visitor registers, confirms, receives the join details and sends an
idea; a moderator approves it inline; the organizer concludes the session and publishes the
plan; the visitor receives the plan mail and opens the plan. Once in English, once in Khmer."""

import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from support import PASSWORD, READY_CEILING, ROOT, create_user, free_port, wait_until_ready
from world import make_event

from app.extensions import db
from app.models import Idea, Plan

pytestmark = pytest.mark.browser

VENV_BIN = Path(sys.executable).parent


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def site(app, smtp, tmp_path):
    """gunicorn and the worker as processes, sharing the test's database and SMTP sink."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(
        os.environ,
        SALA_SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        SALA_SECRET_KEY="e2e-secret-" + "k" * 32,  # production refuses a short key
        SALA_EMAIL_PROVIDER="smtp",
        SALA_MAIL_SERVER="127.0.0.1",
        SALA_MAIL_PORT=str(smtp.port),
        SALA_MAIL_USE_TLS="false",
        SALA_MAIL_USE_SSL="false",
        SALA_BASE_URL=url,
        SALA_INSTANCE_PATH=str(tmp_path / "served-instance"),
        SALA_RATELIMIT_ENABLED="false",
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    server = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-w", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=(logs / "gunicorn.out").open("w"),
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [str(VENV_BIN / "sala"), "worker", "--idle", "0.3"],
        cwd=ROOT,
        env=env,
        stdout=(logs / "worker.out").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_ready(f"{url}/healthz", server, logs / "gunicorn.out")
        yield url
    finally:
        stop(worker)
        stop(server)
        db.session.remove()
    for name in ("gunicorn.out", "worker.out"):
        text = (logs / name).read_text()
        assert "Traceback" not in text, f"{name}:\n{text}"


def mail_for(smtp, address, pattern, timeout=READY_CEILING, after=0):
    """The first mail to `address` (beyond the first `after`) whose text matches `pattern`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in smtp.to(address)[after:]:
            if re.search(pattern, smtp.text(message)):
                return message
        time.sleep(0.2)
    seen = [m["Subject"] for m in smtp.to(address)]
    raise AssertionError(f"no mail to {address} matching {pattern!r}; got {seen}")


def link(smtp, message, path):
    match = re.search(r"https?://\S+?" + re.escape(path) + r"[\w\-]+", smtp.text(message))
    assert match, smtp.text(message)
    return match.group(0)


def csrf(page):
    return page.get_attribute("input[name=csrf_token]", "value")


def sign_in(context, url, email):
    page = context.new_page()
    page.goto(url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    return page


@pytest.mark.parametrize("lang", ["en", "km"])
def test_the_whole_story(browser, app, smtp, site, lang):
    event = make_event(slug="story", ideas_open_at=None)
    event.ideas_open_at = event.registration_opens_at
    event.starts_at = event.starts_at - timedelta(days=9)
    db.session.commit()
    create_user("moderator@example.org", "moderator")
    create_user("organizer@example.org", "admin")
    event_id = event.id
    visitor_email = f"visitor-{lang}@example.org"

    # ---- the visitor registers from the session page, in their language
    visitor = browser.new_context()
    page = visitor.new_page()
    outside = []
    page.on("request", lambda r: r.url.startswith(site) or outside.append(r.url))
    page.goto(f"{site}/s/story?lang={lang}")
    assert page.get_attribute("html", "lang") == lang
    if lang == "km":
        assert "កិច្ចប្រជុំរៀបចំផែនការ" in page.inner_text("h1")
    page.fill("#email", visitor_email)
    page.fill("#name", "សុខ ដារា" if lang == "km" else "Sok Dara")
    page.select_option("#language", lang)
    page.check("#consent")
    page.click("form[action$='/register'] button[type=submit]")
    page.wait_for_url(re.compile(r"/s/story/registered"))

    confirm_mail = mail_for(smtp, visitor_email, r"/r/confirm/")
    page.goto(link(smtp, confirm_mail, "/r/confirm/"))
    assert page.get_attribute("html", "lang") == lang
    page.click("main form button[type=submit]")
    page.wait_for_load_state()

    join_mail = mail_for(smtp, visitor_email, r"zoom\.example\.invalid/j/123456")
    assert "shared-pass" in smtp.text(join_mail)
    manage_url = link(smtp, join_mail, "/r/manage/")

    # ---- the visitor sends an idea from their personal link
    token = manage_url.rsplit("/", 1)[1]
    page.goto(f"{site}/s/story/ideas/new?t={token}")
    title = "សេរីភាពសារព័ត៌មាន" if lang == "km" else "Free the press"
    page.fill("#idea-title", title)
    page.fill("#idea-body", "Independent media for everyone.")
    page.click("form[action*='/ideas/new'] button[type=submit]")
    page.wait_for_load_state()
    db.session.expire_all()
    idea = db.session.scalar(sa.select(Idea).where(Idea.title == title))
    assert idea is not None and idea.status == "pending"

    # ---- a moderator approves it inline (the row changes in place)
    moderator = browser.new_context()
    mod_page = sign_in(moderator, site, "moderator@example.org")
    mod_page.goto(f"{site}/moderate/{event_id}")
    mod_page.click(f"tr:has-text('{title}') form[action$='/approve'] button")
    deadline = time.monotonic() + READY_CEILING
    while time.monotonic() < deadline:
        db.session.expire_all()
        if db.session.get(Idea, idea.id).status == "approved":
            break
        time.sleep(0.2)
    mod_page.wait_for_load_state()
    assert db.session.get(Idea, idea.id).status == "approved"
    page.goto(f"{site}/s/story/ideas")
    assert title in page.inner_text("main")

    # ---- the organizer concludes the session and publishes the plan
    organizer = browser.new_context()
    org = sign_in(organizer, site, "organizer@example.org")
    org.goto(f"{site}/admin/events/{event_id}?lang=en")
    org.click("form:has(input[name=state][value=concluded]) button")
    org.click("form:has(input[name=confirm]) button")
    org.wait_for_load_state()
    assert "concluded" in org.inner_text("main").lower()

    plan_url = f"{site}/admin/events/{event_id}/plan"
    org.goto(plan_url + "?lang=en")
    org.click("form[action$='/draft-from-ideas'] button")
    org.wait_for_load_state()
    # The texts go in through the editor's own endpoints, with the browser's session and the
    # page's CSRF token (the editor saves as one types; typing into every box adds nothing).
    token_value = csrf(org)
    db.session.expire_all()
    plan = db.session.scalar(sa.select(Plan).where(Plan.event_id == event_id))
    assert plan.sections, "drafting from the ideas made no section"
    texts = {"en": "We will free the press.", "km": "យើងនឹងដោះលែងសារព័ត៌មាន។"}

    def save(path, prefix, fields, extra=None):
        form = {"csrf_token": token_value}
        for field in fields:
            for code, text in texts.items():
                form[f"{prefix}-{field}_{code}"] = text
        form.update(extra or {})
        response = org.request.post(plan_url + path, form=form, max_redirects=0)
        assert response.status in (200, 204, 302), (path, response.status)

    save("/intro", "intro", ["intro"])
    for section in plan.sections:
        save(f"/sections/{section.id}", f"section-{section.id}", ["title"])
        for item in section.items:
            save(
                f"/items/{item.id}",
                f"item-{item.id}",
                ["what"],
                {f"item-{item.id}-status": "agreed"},
            )
    org.goto(plan_url + "?lang=en")
    assert "plan-missing" not in org.content()
    org.check("form[action$='/publish'] input[type=radio][value=send]")
    org.click("form[action$='/publish'] button[type=submit]")
    org.wait_for_load_state()  # asked once more: the confirmation page
    org.click("form[action$='/publish'] input[name=confirm] ~ button[type=submit]")
    org.wait_for_load_state()

    # ---- the visitor receives the plan, in their language, and opens it
    plan_mail = mail_for(smtp, visitor_email, r"/s/story/plan")
    assert plan_mail["Content-Language"] in (None, lang) or lang in plan_mail["Content-Language"]
    plan_link = re.search(r"https?://\S+/s/story/plan\S*", smtp.text(plan_mail)).group(0)
    page.goto(plan_link)
    assert page.get_attribute("html", "lang") == lang
    assert texts[lang] in page.inner_text("main")
    assert outside == [], outside
    for context in (visitor, moderator, organizer):
        context.close()
