"""A world for tests that walk every route: one of everything a URL can name, and a sign-in
through the real form (CSRF token and all)."""

import re
from datetime import timedelta

import sqlalchemy as sa
from support import PASSWORD, create_user

from app.extensions import db
from app.ideas import workflow
from app.models import Event, Idea, LinkToken, OutboxMessage, Registration, Theme, utcnow


class World:
    """One of everything a URL can name: a session open for registration and ideas, a
    confirmed and an unconfirmed registration, an idea, an outbox message, a plan."""

    def __init__(self, slug="open"):
        now = utcnow().replace(microsecond=0)
        event = Event(
            slug=slug,
            state="published",
            default_language="en",
            starts_at=now + timedelta(days=10),
            duration_minutes=120,
            timezone="Asia/Phnom_Penh",
            registration_opens_at=now - timedelta(days=1),
            ideas_open_at=now - timedelta(days=1),
            join_release="on_confirmation",
            join_url="https://zoom.example.invalid/j/1",
        )
        event.set_text("en", title="Open session", summary="Summary.")
        event.themes = [Theme(position=0, labels={"en": "Elections", "km": "ការបោះឆ្នោត"})]
        db.session.add(event)
        db.session.flush()
        self.event = event
        self.registration = Registration(
            event=event,
            email="known@example.org",
            email_key="known@example.org",
            name="Known",
            language="en",
            status="confirmed",
            confirmed_at=utcnow(),
        )
        self.pending = Registration(
            event=event,
            email="pending@example.org",
            email_key="pending@example.org",
            name="Pending",
            language="en",
            status="unconfirmed",
        )
        db.session.add_all([self.registration, self.pending])
        db.session.flush()
        _row, self.manage_token = LinkToken.issue("manage", self.registration)
        _row, self.confirm_token = LinkToken.issue("confirm", self.pending, timedelta(days=7))
        idea = Idea(event=event, title="An idea", body="Its text.", author_email="a@example.org")
        self.idea_confirm_token = workflow.submit(idea)
        self.idea_status_token = workflow.confirm(idea)
        self.idea = idea
        self.moderator = create_user("mod@example.org", "moderator")
        self.organizer = create_user("org@example.org", "admin")
        workflow.approve(idea, self.organizer, idea.revision)
        db.session.commit()
        self.message = db.session.scalar(sa.select(OutboxMessage).limit(1))
        from app.plan import service

        plan = service.get_plan(event)
        service.draft_from_ideas(plan)
        db.session.commit()
        self.plan = plan
        self.section = plan.sections[0]
        self.item = self.section.items[0] if self.section.items else None
        from app.speakers.models import Partner, Speaker

        self.speaker = Speaker(event=event, texts={"en": {"name": "A speaker"}})
        self.partner = Partner(event=event, texts={"en": {"name": "A partner"}})
        db.session.add_all([self.speaker, self.partner])
        db.session.commit()

    def values(self, rule):
        tokens = {
            "registration.confirm": self.confirm_token,
            "registration.send_manage_link": self.confirm_token,
            "ideas.confirm": self.idea_confirm_token,
            "ideas.status": self.idea_status_token,
            "ideas.withdraw": self.idea_status_token,
        }
        known = {
            "slug": self.event.slug,
            "event_id": self.event.id,
            "user_id": self.moderator.id,
            "message_id": self.message.id,
            "registration_id": self.registration.id,
            "idea_id": self.idea.id,
            "section_id": self.section.id,
            "item_id": self.item.id if self.item else 1,
            "number": 1,
            "kind": "speaker",
            "row_id": self.speaker.id,
            "name": "photo-0123456789abcdef.jpg",
            "action": "approve",
            "filename": "sala.css",
            "token": tokens.get(rule.endpoint, self.manage_token),
        }
        missing = set(rule.arguments) - set(known)
        assert not missing, f"{rule.endpoint}: teach World a value for {missing}"
        return {name: known[name] for name in rule.arguments}


def url_for_rule(app, rule, world):
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **world.values(rule))


def login(client, email):
    """Sign in through the real form, token and all (CSRF may be on)."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    data = {"email": email, "password": PASSWORD}
    if token:
        data["csrf_token"] = token.group(1)
    response = client.post("/login", data=data)
    assert response.status_code == 302, f"could not sign in as {email}"


def publish_plan(client, world, text="A plan"):
    """Fill every text of the world's plan and publish it, as an organizer, through the
    editor's forms (CSRF off)."""
    plan = f"/admin/events/{world.event.id}/plan"
    langs = ("en", "km")
    client.post(plan + "/intro", data={f"intro-intro_{lang}": text for lang in langs})
    for section in world.plan.sections:
        data = {f"section-{section.id}-title_{lang}": text for lang in langs}
        client.post(plan + f"/sections/{section.id}", data=data)
        for item in section.items:
            key = f"item-{item.id}"
            data = {f"{key}-what_{lang}": text for lang in langs}
            data[f"{key}-status"] = "agreed"
            client.post(plan + f"/items/{item.id}", data=data)
    world.event.state = "concluded"
    db.session.commit()
    return client.post(plan + "/publish", data={f"publish-note_{lang}": "" for lang in langs})
