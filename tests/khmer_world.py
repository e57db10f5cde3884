"""A site in use, all in Khmer: the demo session (registration and ideas open) with Khmer
registrants in every state and Khmer ideas in every status, and a second, concluded session
whose Plan of Action (Khmer texts) is published twice. Every kind of mail is queued on the
way, through the domain functions, for Khmer readers. Pages rendered in Khmer over this
world must show no English sentence: whatever English is left is the app's, not ours."""

import re
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser

import sqlalchemy as sa

from app.demo import load_demo
from app.extensions import db
from app.feedback import service as feedback
from app.followup import service as followup_service
from app.ideas import workflow
from app.mail import mailout
from app.mail.outbox import enqueue
from app.models import (
    Event,
    Idea,
    LinkToken,
    OutboxMessage,
    PlanItem,
    PlanSection,
    Registration,
    Theme,
    User,
    utcnow,
)
from app.plan import service as plan_service
from app.plugins import JoinDetails
from app.registration import domain
from plugins.zoom.models import set_meeting


@dataclass
class World:
    event: Event
    concluded: Event
    organizer: User
    manage_tokens: dict = field(default_factory=dict)  # status -> raw manage token
    confirm_token: str = ""
    idea_confirm_token: str = ""
    idea_status_token: str = ""
    feedback_token: str = ""  # the concluded session's registrant, whose feedback form is open
    idea: Idea | None = None
    plan_item: PlanItem | None = None


NAMES = ["សុខ ដារា", "ចាន់ សុភា", "កែវ មាលា", "ហេង វិចិត្រ", "លី សុជាតា"]


def build(organizer):
    """Build the world; returns a World. Commits."""
    load_demo()
    event = db.session.scalar(sa.select(Event).where(Event.slug == "cambodia-after-the-election"))
    event.capacity = 3
    event.join_release = "on_confirmation"
    set_meeting(event, "845 1234 5678")  # the Zoom plugin's field of the session form
    db.session.commit()
    world = World(event=event, concluded=None, organizer=organizer)

    # Registrants: three confirmed (capacity 3), one waitlisted, one cancelled, one who never
    # confirmed. Each registers and confirms through its link, as people do.
    raws = {}
    for index, name in enumerate(NAMES):
        email = f"khmer{index}@example.org"
        registration, _ = domain.register(event, email=email, name=name, language="km")
        _row, raw = LinkToken.issue("confirm", registration, domain.CONFIRM_TTL)
        db.session.commit()
        result = domain.confirm(raw)
        db.session.commit()
        raws[email] = (registration, result.outcome)
    # Registering a known address again: the "already registered" mail.
    domain.register(event, email="khmer0@example.org", name=NAMES[0], language="km")
    # The fourth confirmed is waitlisted (3 seats); the second cancels; the fifth moves up.
    cancelled = raws["khmer1@example.org"][0]
    domain.cancel(cancelled)
    db.session.commit()
    unconfirmed, _ = domain.register(
        event, email="khmer-new@example.org", name="ស្រី ពៅ", language="km"
    )
    _row, world.confirm_token = LinkToken.issue("confirm", unconfirmed, domain.CONFIRM_TTL)
    db.session.commit()
    registrations = db.session.scalars(
        sa.select(Registration).where(Registration.event_id == event.id)
    ).all()
    for registration in registrations:
        _row, raw = LinkToken.issue("manage", registration)
        world.manage_tokens.setdefault(registration.status, raw)
    db.session.commit()
    # The one reminder to confirm, a day after registering (the unconfirmed address).
    domain.enqueue_confirm_reminders(event, now=utcnow() + timedelta(hours=25))
    # A personal Zoom link made after the shared link went out: the mail with it.
    confirmed = next(r for r in registrations if r.status == "confirmed")
    enqueue(
        "registration_join_personal",
        to=confirmed.email,
        language=confirmed.language,
        key=f"join-personal:{confirmed.id}",
        context={
            "join": JoinDetails(
                url="https://zoom.example.invalid/w/personal",
                passcode="0000",
                meeting_id="845 1234 5678",
                personal=True,
                dial_in="+855 23 000 000",
            ),
            "manage_url": domain.manage_link(confirmed),
        },
        event=event,
        registration=confirmed,
    )
    # Reminders (the day before, then the hour before) and an announcement.
    domain.enqueue_reminders(event, now=event.starts_at - timedelta(hours=20))
    domain.enqueue_reminders(event, now=event.starts_at - timedelta(minutes=30))
    domain.announce(
        event,
        {"km": ("សេចក្តីជូនដំណឹង", "សូមចូលរួមទាន់ពេល។"), "en": ("Note", "Be on time.")},
        organizer,
        "announce-1",
    )
    db.session.commit()
    while mailout.advance_all():  # the worker queues the announcement
        pass

    # Ideas: one waiting for its author's confirmation, others in every moderated status.
    theme = event.themes[0]
    waiting = Idea(
        event=event,
        title="គំនិតរង់ចាំ",
        body="សូមបញ្ជាក់គំនិតនេះ។",
        language="km",
        author_email="idea-author@example.org",
        author_name="សុខា",
        display="name",
    )
    world.idea_confirm_token = workflow.submit(waiting)
    db.session.commit()
    ideas = []
    for index, status in enumerate(["pending", "approved", "approved", "discussed", "rejected"]):
        idea = Idea(
            event=event,
            title=f"គំនិតទី{index + 1} សម្រាប់អនាគតកម្ពុជា",
            body="ដោះលែងអ្នកទោសនយោបាយទាំងអស់ ហើយបើកសារព័ត៌មានឯករាជ្យឡើងវិញ។",
            language="km",
            theme=theme if index % 2 else None,
            author_email=f"idea{index}@example.org",
            author_name="វណ្ណា",
            display=("name", "initials", "anonymous")[index % 3],
        )
        workflow.submit(idea)
        workflow.confirm(idea)
        db.session.commit()
        if status == "approved":
            workflow.approve(idea, organizer, idea.revision)
        elif status == "discussed":
            workflow.approve(idea, organizer, idea.revision)
            workflow.discuss(idea, organizer, idea.revision, note="បានពិភាក្សា")
        elif status == "rejected":
            workflow.reject(idea, organizer, idea.revision, reason="off_topic", note="សូមអរគុណ")
        db.session.commit()
        ideas.append(idea)
    # An idea a speaker raised during the session, written down by a moderator.
    workflow.add_live(
        event,
        organizer,
        title="គណៈកម្មាធិការរៀបចំការបោះឆ្នោតឯករាជ្យ",
        body="វាគ្មិនបានលើកឡើងក្នុងកិច្ចប្រជុំ។",
        raised_by="speaker",
        name="ជា វណ្ណា",
        theme=theme,
        language="km",
    )
    db.session.commit()
    world.idea = ideas[1]
    _row, world.idea_status_token = LinkToken.issue("idea", ideas[1])
    db.session.commit()

    # A second session, concluded, with a published plan (two versions) in Khmer.
    concluded = Event(
        slug="plan-khmer",
        state="concluded",
        default_language="km",
        texts={"km": {"title": "កិច្ចប្រជុំបានបញ្ចប់", "summary": "សូមអរគុណ។"}},
        starts_at=utcnow() - timedelta(days=2),
        duration_minutes=120,
        timezone="Asia/Phnom_Penh",
        ideas_open_at=utcnow() - timedelta(days=9),
    )
    concluded.themes = [Theme(position=0, labels={"km": "សិទ្ធិមនុស្ស"})]
    db.session.add(concluded)
    db.session.flush()
    reader = Registration(
        event=concluded,
        email="plan-reader@example.org",
        email_key="plan-reader@example.org",
        name="សុភាព",
        language="km",
        status="confirmed",
        confirmed_at=utcnow() - timedelta(days=5),
    )
    db.session.add(reader)
    source = Idea(
        event=concluded,
        title="ដោះលែងអ្នកទោសនយោបាយ",
        body="ដោះលែងអ្នកទោសនយោបាយទាំងអស់។",
        language="km",
        status="discussed",
        registration=reader,
        author_email=reader.email,
        confirmed_at=utcnow() - timedelta(days=4),
        theme=concluded.themes[0],
    )
    db.session.add(source)
    db.session.flush()
    plan = plan_service.get_plan(concluded)
    texts = {"en": "An introduction", "km": "សេចក្តីផ្តើមនៃផែនការ", "fr": "Une introduction"}
    plan.intro = texts
    section = PlanSection(
        plan=plan, position=0, title={"en": "Rights", "km": "សិទ្ធិមនុស្ស", "fr": "Droits"}
    )
    item = PlanItem(
        section=section,
        position=0,
        what={"en": "Free them", "km": "ដោះលែងពួកគេ", "fr": "Les libérer"},
        who={"en": "The coalition", "km": "សម្ព័ន្ធភាព"},
        due="២០២៤",
        status="agreed",
    )
    item.ideas.append(source)
    db.session.add_all([section, item])
    db.session.flush()
    plan_service.publish(plan, actor=organizer, send=True)
    db.session.commit()
    while mailout.advance_all():  # the worker queues the plan's mail
        pass
    item.what = {"en": "Free them now", "km": "ដោះលែងពួកគេឥឡូវនេះ", "fr": "Les libérer"}
    item.status = "under_way"
    plan_service.touch(plan)
    version = plan_service.publish(
        plan, actor=organizer, change_note={"km": "ចំណុចមួយបានផ្លាស់ប្តូរ។"}, send=True
    )
    db.session.commit()
    while mailout.advance_all():
        pass
    # Its feedback form: open, a question of each kind, one answer already in.
    feedback.add_question(concluded, "rating", {"km": "តើកិច្ចប្រជុំមានប្រយោជន៍ទេ?", "en": "Useful?"}, [])
    feedback.add_question(
        concluded,
        "choice",
        {"km": "តើអ្នកនឹងចូលរួមលើកក្រោយទេ?", "en": "Next time?"},
        [{"km": "បាទ/ចាស", "en": "Yes"}, {"km": "ទេ", "en": "No"}],
    )
    feedback.add_question(concluded, "text", {"km": "តើយើងគួរកែប្រែអ្វីខ្លះ?", "en": "Change?"}, [])
    survey = feedback.set_survey(concluded, is_open=True, anonymous=True)
    answerer = Registration(
        event=concluded,
        email="feedback@example.org",
        email_key="feedback@example.org",
        name="ចន្ទា",
        language="km",
        status="confirmed",
        confirmed_at=utcnow() - timedelta(days=5),
    )
    db.session.add(answerer)
    db.session.flush()
    questions = feedback.questions_of(concluded)
    values = {questions[0].id: 4, questions[1].id: 0, questions[2].id: "ពេលវេលាសួរសំណួរវែងជាងនេះ"}
    feedback.submit(answerer, survey, questions, values, "km")
    _row, world.feedback_token = LinkToken.issue("manage", reader)
    db.session.commit()
    # The follow-up, with the recording, the slides and the published plan.
    followup_service.send_followup(
        concluded,
        {"all": {"km": ("សូមអរគុណ", "សូមអរគុណចំពោះការចូលរួម។"), "en": ("Thanks", "Thank you.")}},
        {
            "recording_url": "https://video.example.org/r",
            "links": [("ស្លាយ", "https://example.org/slides.pdf")],
        },
        organizer,
        "followup-1",
    )
    db.session.commit()
    while mailout.advance_all():
        pass
    world.concluded = concluded
    world.plan_item = item
    assert version.number == 2
    called_off_session(event, organizer)
    return world


def called_off_session(event, organizer):
    """A third session, moved to another day and then cancelled: the mails of a change of
    plan (app/sessions/changes.py), to a Khmer registrant and a Khmer waitlisted person."""
    from app.events import Schedule
    from app.sessions.changes import cancel_event, reschedule

    called_off = Event(
        slug="called-off",
        state="published",
        default_language="km",
        texts={"km": {"title": "កិច្ចប្រជុំដែលត្រូវបានលុបចោល"}},
        starts_at=event.starts_at + timedelta(days=30),
        duration_minutes=90,
        timezone="Asia/Phnom_Penh",
        extra_timezones=["Europe/Paris"],
    )
    db.session.add(called_off)
    for index, status in enumerate(("confirmed", "waitlisted")):
        email = f"khmer-moved{index}@example.org"
        db.session.add(
            Registration(
                event=called_off,
                email=email,
                email_key=email,
                name=NAMES[index],
                language="km",
                status=status,
                confirmed_at=utcnow(),
            )
        )
    db.session.commit()
    old = Schedule.of(called_off)
    called_off.starts_at += timedelta(days=1, hours=2)
    reschedule(called_off, old, organizer)
    cancel_event(called_off, organizer)
    db.session.commit()
    while mailout.advance_all():
        pass


# ---------------------------------------------------------------- finding English


class VisibleText(HTMLParser):
    """The text a reader sees (and hears: alt, title, aria-label, placeholder, button
    values), leaving out script/style and whatever is marked as another language on
    purpose (lang="en" fallbacks, code, language names in the switcher)."""

    SKIP = {"script", "style", "code", "pre", "kbd", "samp"}
    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "wbr", "col", "area"}
    SEEN_ATTRS = ("alt", "title", "aria-label", "placeholder")

    def __init__(self, lang):
        super().__init__(convert_charrefs=True)
        self.lang = lang
        self.stack = []  # (tag, skipped)
        self.chunks = []

    def skipped(self):
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        other_lang = "lang" in attrs and not (attrs["lang"] or "").startswith(self.lang)
        skip = tag in self.SKIP or other_lang or tag == "textarea"
        if not (self.skipped() or skip):
            for name in self.SEEN_ATTRS:
                if attrs.get(name):
                    self.chunks.append(attrs[name])
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.chunks.append(attrs["value"])
        if tag not in self.VOID:
            self.stack.append((tag, skip))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if not self.skipped() and data.strip():
            self.chunks.append(data)


URLISH = re.compile(r"\S+@\S+|https?://\S+|\b[\w.-]+\.(?:org|invalid|test|py|md|txt)\b|/\S+")
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ ,:()-]+[A-Za-z][A-Za-z'’-]*){2,}")
# Names and codes that stay in Latin letters in a Khmer text.
ALLOWED = [
    "Thayvie Sinn",
    "Zoom App Marketplace",
    "Registration: Required",
    "sala user create EMAIL --role admin|moderator",
    "sala zoom",
]


def english_runs(text):
    for allowed in ALLOWED:
        text = text.replace(allowed, " ")
    text = URLISH.sub(" ", text)
    return [m.group(0) for m in ENGLISH_RUN.finditer(text)]


def stored_codes():
    """The status and state codes the database keeps ("confirmed", "plan_published"...): a
    page that shows one as it is stored shows English."""
    from app.models import Idea, OutboxMessage, PlanItem

    codes = set(Registration.STATUSES) | set(Idea.STATUSES) | set(OutboxMessage.STATUSES)
    codes |= set(PlanItem.STATUSES) | set(getattr(Event, "STATES", ()))
    return codes | {"draft", "published", "concluded", "plan_published", "archived"}


def english_in_html(html, lang="km"):
    parser = VisibleText(lang)
    parser.feed(html)
    found = []
    codes = stored_codes()
    for chunk in parser.chunks:
        found.extend(english_runs(chunk))
        if chunk.strip() in codes:
            found.append(chunk.strip())
    return found


def mails_for(address_part):
    return db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.recipient.contains(address_part))
        .order_by(OutboxMessage.id)
    ).all()
