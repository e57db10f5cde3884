"""Purging a concluded session's personal data after its retention period (`sala purge` and
the organizer's button): an export is written first, then no registrant's or author's
address or name is left in ANY text or JSON column of ANY table, while the public plan, the
public ideas board and the organizer's counts still show. Refused before the retention
period (and for a session still running), and harmless when run again."""

import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from world import make_event

from app.extensions import db
from app.ideas import workflow
from app.mail.worker import run_once
from app.models import (
    AuditEntry,
    Event,
    Idea,
    LinkToken,
    OutboxMessage,
    PlanItem,
    PlanSection,
    Registration,
    Theme,
    utcnow,
)
from app.plan import service
from app.registration import domain
from plugins.zoom.models import ZoomRegistrant, set_meeting

PEOPLE = [
    # email, name, language, country, affiliation, final status
    ("Sokha.Chan@example.org", "Sokha Chanthorn", "km", "KH", "Khmer Youth Forum", "confirmed"),
    ("anne.marchetti@example.net", "Anne Marchetti", "en", "FR", "Paris Observers", "confirmed"),
    ("vibol.keo@example.com", "Vibol Keophirun", "km", "AU", "Diaspora Council", "waitlisted"),
    ("late.leaver@example.org", "Leaverina Quist", "en", "US", "", "cancelled"),
    ("never.clicked@example.org", "Nevaeh Unclicked", "en", "", "", "unconfirmed"),
]
VISITOR = ("visitor.author@example.org", "Visitorine Ideaperson")
ZOOM_ID = "zr-personal"
CONFIRM = re.compile(r"/r/confirm/([A-Za-z0-9_\-]+)")
SECRETS = (
    [p[0] for p in PEOPLE]
    + [p[0].lower() for p in PEOPLE]
    + [p[1] for p in PEOPLE]
    + [p[4] for p in PEOPLE if p[4]]
    + list(VISITOR)
    + ["zoom.example.invalid/w/personal", ZOOM_ID]
)
APPROVED_TITLE = "Independent election commission"
PLAN_INTRO = "The plan we agreed together."


def confirm_link(registration):
    message = db.session.scalar(
        sa.select(OutboxMessage).where(
            OutboxMessage.registration_id == registration.id,
            OutboxMessage.kind == "registration_confirm",
        )
    )
    return CONFIRM.search(message.body_text).group(1)


def build_concluded_session(retention_days=30, ended_days_ago=40):
    """A session as it stands after the meeting: registrants in every status, with Zoom
    links; ideas from a registrant and from a visitor; a published plan mailed to all."""
    event = make_event(slug="purge-me", capacity=2, retention_days=retention_days)
    event.themes = [Theme(position=0, labels={"en": "Elections", "km": "ការបោះឆ្នោត"})]
    db.session.commit()
    registrations = []
    for email, name, lang, country, affiliation, status in PEOPLE:
        registration, _ = domain.register(
            event, email=email, name=name, language=lang, country=country, affiliation=affiliation
        )
        db.session.commit()
        if status != "unconfirmed":
            domain.confirm(confirm_link(registration))
            db.session.commit()
        if status == "cancelled":
            domain.cancel(registration)
            db.session.commit()
        registrations.append(registration)
    first = registrations[0]
    # The Zoom plugin's own tables: the session's meeting and the first one's personal link.
    set_meeting(event, "123 456")
    db.session.add(
        ZoomRegistrant(
            registration_id=first.id,
            status="synced",
            join_url="https://zoom.example.invalid/w/personal",
            registrant_id=ZOOM_ID,
            error="",
        )
    )
    db.session.commit()
    assert [r.status for r in registrations] == [p[5] for p in PEOPLE]

    mine = Idea(event=event, title=APPROVED_TITLE, body="An independent commission.")
    workflow.submit(mine, registration=first)
    mine.author_name, mine.display = PEOPLE[0][1], "name"
    visitor = Idea(
        event=event,
        title="Free press",
        body="Reopen the papers.",
        author_email=VISITOR[0],
        author_name=VISITOR[1],
        display="name",
    )
    workflow.submit(visitor)
    workflow.confirm(visitor)
    for idea in (mine, visitor):
        idea.status = "approved"
    db.session.commit()
    run_once()  # confirmations, join details, idea receipts go out

    event.state = "concluded"  # the meeting is over; now its plan
    plan = service.get_plan(event)
    plan.intro = {"en": PLAN_INTRO, "km": "ផែនការដែលយើងបានឯកភាពជាមួយគ្នា។"}
    section = PlanSection(plan=plan, position=0, title={"en": "Elections", "km": "ការបោះឆ្នោត"})
    item = PlanItem(section=section, position=0, what={"en": "Ask for a commission", "km": "ស្នើ"})
    item.ideas = [mine, visitor]
    db.session.add_all([section, item])
    db.session.commit()
    service.publish(plan, send=True)
    db.session.commit()
    run_once()  # the plan goes to registrants and authors

    now = utcnow()
    event.starts_at = now - timedelta(days=ended_days_ago, hours=2)
    db.session.commit()
    return event


def leaks():
    """Every (table.column, secret) where a secret still appears, in any text or JSON column
    of any table, found by introspecting the metadata."""
    found = []
    lowered = [s.lower() for s in SECRETS]
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, sa.String | sa.Text | sa.JSON)]
        if not columns:
            continue
        for row in db.session.execute(sa.select(*columns)).all():
            for column, value in zip(columns, row, strict=True):
                text = json.dumps(value, ensure_ascii=False) if value is not None else ""
                for secret in lowered:
                    # The Zoom plugin keeps Zoom's registrant id (no address) in its queue
                    # only until Zoom has deleted the registrant too: that is the erasure.
                    if table.name == "zoom_task" and secret == ZOOM_ID:
                        continue
                    if secret in text.lower():
                        found.append((f"{table.name}.{column.name}", secret))
    return found


def everything():
    """All rows of all tables, to compare before and after a second run."""
    return {
        t.name: [tuple(map(str, r)) for r in db.session.execute(sa.select(t)).all()]
        for t in db.metadata.sorted_tables
    }


def exports(app):
    from pathlib import Path

    folder = Path(app.instance_path) / "exports"
    return sorted(folder.glob("*.json")) if folder.exists() else []


@pytest.fixture
def session_event(app):
    return build_concluded_session()


def test_cli_purge_writes_an_export_then_leaves_no_address_anywhere(
    app, client, runner, session_event, auth, admin_user
):
    event = session_event
    assert leaks()  # the search finds them before
    counts_before = dict(
        db.session.execute(
            sa.select(Registration.status, sa.func.count())
            .where(Registration.event_id == event.id)
            .group_by(Registration.status)
        ).all()
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LinkToken)) > 0

    result = runner.invoke(args=["purge", event.slug, "--yes"])
    assert result.exit_code == 0, result.output
    assert "Erased: 5 registrations" in result.output

    # The export holds what was erased.
    [export] = exports(app)
    assert export.stat().st_mode & 0o777 == 0o600
    data = json.loads(export.read_text())
    assert {r["email"] for r in data["registrations"]} == {p[0] for p in PEOPLE}
    assert {r["name"] for r in data["registrations"]} == {p[1] for p in PEOPLE}
    assert VISITOR[0] in {i["author_email"] for i in data["idea_authors"]}
    assert str(export) in result.output

    db.session.expire_all()
    assert leaks() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LinkToken)) == 0
    event = db.session.get(Event, event.id)
    assert event.purged_at is not None
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "event.purge"))
    assert entry.target_id == event.id and entry.detail["registrations"] == 5
    # Counts by status are unchanged: nobody was cancelled or promoted by the purge.
    counts_after = dict(
        db.session.execute(
            sa.select(Registration.status, sa.func.count())
            .where(Registration.event_id == event.id)
            .group_by(Registration.status)
        ).all()
    )
    assert counts_after == counts_before
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status.in_(("queued", "sending")))
        )
        == 0
    )

    # The public plan and ideas board still show; no name is on them.
    plan_page = client.get(f"/s/{event.slug}/plan?lang=en").get_data(as_text=True)
    assert PLAN_INTRO in plan_page and APPROVED_TITLE in plan_page
    board = client.get(f"/s/{event.slug}/ideas?lang=en")
    assert board.status_code == 200
    board_html = board.get_data(as_text=True)
    assert APPROVED_TITLE in board_html and "Free press" in board_html
    assert PEOPLE[0][1] not in board_html and VISITOR[1] not in board_html

    # The organizer still reads the counts.
    auth.login(admin_user.email)
    page = client.get(f"/admin/events/{event.id}/registrants").get_data(as_text=True)
    assert "<strong>2</strong> registered" in page
    assert "<strong>1</strong> on the waitlist" in page
    assert "<strong>1</strong> cancelled" in page
    admin_page = client.get(f"/admin/events/{event.id}").get_data(as_text=True)
    assert "personal data was erased" in admin_page

    # Running it again changes nothing and writes no second export.
    before = everything()
    again = runner.invoke(args=["purge", event.slug, "--yes"])
    assert again.exit_code == 0 and "Nothing left to erase" in again.output
    db.session.expire_all()
    assert everything() == before
    assert len(exports(app)) == 1


def test_refused_before_the_retention_period_and_while_the_session_runs(app, runner, client):
    event = build_concluded_session(retention_days=30, ended_days_ago=10)
    event.state = "concluded"
    db.session.commit()
    result = runner.invoke(args=["purge", event.slug, "--yes"])
    assert result.exit_code != 0
    assert "retention period has not passed" in result.output
    assert exports(app) == [] and leaks()

    # --now moves the clock past it (for testing); --force erases with a warning.
    later = (utcnow() + timedelta(days=21)).strftime("%Y-%m-%dT%H:%M")
    assert runner.invoke(args=["purge", event.slug, "--yes", "--now", later]).exit_code == 0
    db.session.expire_all()
    assert leaks() == []

    running = make_event(slug="still-running")
    domain.register(running, email="live.one@example.org", name="Live", language="en")
    db.session.commit()
    forced = runner.invoke(args=["purge", running.slug, "--yes", "--force"])
    assert forced.exit_code != 0 and "concluded" in forced.output
    assert (
        db.session.scalar(sa.select(Registration.email).where(Registration.event_id == running.id))
        == "live.one@example.org"
    )


def test_force_warns_and_a_refused_prompt_erases_nothing(app, runner):
    event = build_concluded_session(retention_days=30, ended_days_ago=1)
    declined = runner.invoke(args=["purge", event.slug, "--force"], input="n\n")
    assert "Warning: the retention period" in declined.output
    assert "Nothing was erased" in declined.output
    db.session.expire_all()
    assert leaks()
    assert len(exports(app)) == 1  # the export came first
    accepted = runner.invoke(args=["purge", event.slug, "--force"], input="y\n")
    assert accepted.exit_code == 0, accepted.output
    db.session.expire_all()
    assert leaks() == []


def test_organizer_button_confirms_offers_the_export_and_erases(
    app, client, auth, admin_user, moderator_user
):
    event = build_concluded_session(retention_days=30, ended_days_ago=10)
    auth.login(admin_user.email)
    page = client.get(f"/admin/events/{event.id}").get_data(as_text=True)
    assert "personal data can be erased from" in page  # says when
    assert (
        client.post(f"/admin/events/{event.id}/purge", data={"confirm": "yes"}).status_code == 302
    )
    db.session.expire_all()
    assert leaks()

    event.starts_at -= timedelta(days=30)
    db.session.commit()
    confirm_page = client.get(f"/admin/events/{event.id}/purge").get_data(as_text=True)
    assert "cannot be undone" in confirm_page and "5 registrations" in confirm_page
    download = client.get(f"/admin/events/{event.id}/purge/export.json")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert PEOPLE[1][0] in download.get_data(as_text=True)

    # Without the box ticked nothing happens.
    client.post(f"/admin/events/{event.id}/purge", data={})
    db.session.expire_all()
    assert leaks()

    response = client.post(f"/admin/events/{event.id}/purge", data={"confirm": "yes"})
    assert response.status_code == 302
    db.session.expire_all()
    assert leaks() == []
    assert len(exports(app)) == 1
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "event.purge"))
    assert entry.actor_id == admin_user.id
    assert "Erased: 5 registrations" in client.get(f"/admin/events/{event.id}").get_data(
        as_text=True
    )

    auth.logout()
    auth.login(moderator_user.email)
    assert client.get(f"/admin/events/{event.id}/purge").status_code == 403
