"""Sessions for the tests, made one way, and a world for tests that walk every route: one of
everything a URL can name, and a sign-in through the real form (CSRF token and all).

`make_event(shape, **columns)` makes a session. A shape is the session a group of tests
needs, as column values; the columns given beside it win. Times relative to now are written
`<name>_in` (a timedelta) and become `<name>_at` when the session is made:
`starts_in=timedelta(days=10)` is `starts_at` ten days ahead. `themes` is a list of labels
per language."""

import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from support import PASSWORD, create_user

from app.extensions import db
from app.ideas import workflow
from app.models import Event, Idea, LinkToken, OutboxMessage, Registration, Theme, utcnow

# Open for registration, ten days ahead, with its join details: the registration tests'.
PUBLISHED = dict(
    slug="planning",
    state="published",
    default_language="en",
    starts_in=timedelta(days=10),
    duration_minutes=120,
    timezone="Asia/Phnom_Penh",
    extra_timezones=["Europe/Paris", "America/New_York"],
    registration_opens_in=timedelta(days=-1),
    registration_closes_at=None,
    capacity=None,
    waitlist_enabled=True,
    join_release="on_confirmation",
    join_url="https://zoom.example.invalid/j/123456",
    join_passcode="shared-pass",
    texts={
        "en": {
            "title": "Planning session",
            "summary": "We plan together.\n\nSecond paragraph.",
            "convener": "Convened by the Commission",
            "agenda": "1. Welcome\n2. Ideas",
            "speakers": "Dr. Expert",
        },
        "km": {"title": "កិច្ចប្រជុំរៀបចំផែនការ", "summary": "យើងរៀបចំផែនការជាមួយគ្នា។"},
    },
)

# A week ahead, open for ideas since yesterday, with two themes: the ideas tests'.
IDEAS_OPEN = dict(
    slug="s1",
    state="published",
    texts={"en": {"title": "Session s1"}, "km": {"title": "កិច្ចប្រជុំ s1"}},
    starts_in=timedelta(days=7),
    duration_minutes=120,
    ideas_open_in=timedelta(days=-1),
    ideas_close_at=None,
    themes=[
        {"en": "Elections", "km": "ការបោះឆ្នោត"},
        {"en": "Justice", "km": "យុត្តិធម៌"},
    ],
)

# Concluded on 1 November 2023, with two themes: ready for its Plan of Action.
CONCLUDED = dict(
    slug="plan-test",
    state="concluded",
    default_language="en",
    texts={
        "en": {"title": "Cambodia after the election"},
        "km": {"title": "កម្ពុជាក្រោយការបោះឆ្នោត"},
    },
    starts_at=datetime(2023, 11, 1, 13, 0),
    timezone="Asia/Phnom_Penh",
    themes=[
        {"en": "Human rights", "km": "សិទ្ធិមនុស្ស"},
        {"en": "Free media", "km": "សារព័ត៌មានសេរី"},
    ],
)

# A week ahead, its Zoom meeting given by each test (zoomhelpers.zoom_event): the Zoom tests'.
ZOOM_MEETING = dict(
    slug="cambodia-2023",
    state="published",
    starts_in=timedelta(days=7),
    duration_minutes=90,
    timezone="Asia/Phnom_Penh",
    join_url="https://zoom.example/j/shared",
    join_passcode="shared-pass",
    texts={
        "en": {"title": "Cambodia after 23 July", "summary": "A planning session."},
        "km": {"title": "កម្ពុជាក្រោយថ្ងៃទី២៣ កក្កដា"},
    },
)

KM_MAIL_TITLE = "កម្ពុជាក្រោយការបោះឆ្នោត៖ កិច្ចប្រជុំសាកល្បង"

# On 1 November 2023 at 12:00 UTC (19:00 in Phnom Penh), as its mails write it.
MAIL_TEST = dict(
    slug="mail-test",
    state="published",
    starts_at=datetime(2023, 11, 1, 12, 0),
    timezone="Asia/Phnom_Penh",
    default_language="en",
    texts={"en": {"title": "Mail test session"}, "km": {"title": KM_MAIL_TITLE}},
)


def absolute_times(columns, now):
    values = {}
    for name, value in columns.items():
        if name.endswith("_in"):
            values[name.removesuffix("_in") + "_at"] = now + value
        else:
            values[name] = value
    return values


def make_event(shape=PUBLISHED, /, **columns):
    """A session of `shape` with `columns` changed, committed."""
    now = utcnow().replace(microsecond=0)
    values = absolute_times(shape, now) | absolute_times(columns, now)
    themes = values.pop("themes", [])
    values["texts"] = {lang: dict(fields) for lang, fields in values.get("texts", {}).items()}
    event = Event(**values)
    event.themes = [Theme(position=i, labels=dict(labels)) for i, labels in enumerate(themes)]
    db.session.add(event)
    db.session.commit()
    return event


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
        from app.feedback import service as feedback

        self.question = feedback.add_question(event, "rating", {"en": "Useful?"}, [])
        feedback.add_question(
            event, "choice", {"en": "Again?"}, [{"en": "Yes", "km": "បាទ/ចាស"}, {"en": "No"}]
        )
        feedback.add_question(event, "text", {"en": "What else?"}, [])
        feedback.set_survey(event, is_open=True, anonymous=True)
        from app.speakers.models import Partner, Speaker

        self.speaker = Speaker(event=event, texts={"en": {"name": "A speaker"}})
        self.partner = Partner(event=event, texts={"en": {"name": "A partner"}})
        db.session.add_all([self.speaker, self.partner])
        db.session.flush()
        # Presented by the speaker; and a Khmer theme name translated from an older English
        # one, so the pages show their "presented by" and "needs review" marks too.
        self.idea.presented_by = self.speaker
        if self.item is not None:
            self.item.presented_by = self.speaker
        from app import review
        from app.models import TextReview

        theme = event.themes[0]
        db.session.add(
            TextReview(
                event_id=event.id,
                kind="theme",
                row_id=theme.id,
                field="label",
                lang="km",
                source_digest=review.digest("Election"),
            )
        )
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
            "question_id": self.question.id,
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
    return client.post(
        plan + "/publish",
        data={
            **{f"publish-note_{lang}": "" for lang in langs},
            "publish-mail": "none",
            "confirm": "yes",
        },
    )
