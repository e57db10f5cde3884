"""Upgrading keeps every row: a database created by the FIRST migration, filled with plain
SQL at that schema (a session with Khmer texts, registrations, ideas, a published plan,
outbox rows, users, audit entries, and the Zoom plugin's zoom_task table as the first
releases made it), is upgraded to the newest migrations (core and plugins, as `sala init`
does), and every row and value is still there and readable through the models; the Zoom
data the core used to keep is in the Zoom plugin's own tables. The first revision is found
by walking Alembic's script directory, so the test stays right as migrations are added. On
SQLite, and on PostgreSQL (a database of its own) when TEST_DATABASE_URL is set."""

import os
from datetime import datetime
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from support import scratch_postgres_database

from app import create_app
from app.extensions import db
from app.models import Event, Idea, OutboxMessage, PlanVersion, Registration, User
from app.schema import CORE_VERSIONS, script_directory, upgrade_database

T0 = datetime(2023, 10, 1, 8, 30, 0)
T1 = datetime(2023, 11, 1, 13, 0, 0)
KM_TITLE = "កិច្ចប្រជុំរៀបចំផែនការសម្រាប់អនាគតកម្ពុជា"
KM_SUMMARY = "យើងស្វាគមន៍ការចូលរួមពីសហគមន៍ខ្មែរទាំងក្នុង និងក្រៅប្រទេស។"

# Columns later migrations drop: no visitor's IP address is kept; no lock-out counter; the
# Zoom plugin's data moved to its own tables (checked there below); the plan's "mail on
# publishing" setting (the organizer chooses each time, in the one publish-and-send step).
DROPPED = {
    ("plan", "send_on_publish"),
    ("user", "failed_logins"),
    ("audit_entry", "ip"),
    ("event", "meeting_id"),
    ("registration", "join_url"),
    ("registration", "join_ref"),
    ("registration", "join_status"),
    ("registration", "join_error"),
}

# zoom_task as the core's first migration made it (the Zoom plugin's migration adopts it).
OLD_ZOOM_TASK = sa.Table(
    "zoom_task",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("key", sa.String(100), nullable=False, unique=True),
    sa.Column("meeting_id", sa.String(64), nullable=False),
    sa.Column("registrant_id", sa.String(100), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("due_at", sa.DateTime, nullable=False, index=True),
    sa.Column("last_error", sa.String(500), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)
ZOOM_TASK_ROW = dict(
    id=1,
    kind="erase",
    key="erase:111222:zr-9",
    meeting_id="111222",
    registrant_id="zr-9",
    attempts=2,
    due_at=T1,
    last_error="HTTP 503",
    created_at=T0,
)

# The schema of the first migration never changes, so these rows are written for it once.
ROWS = {
    "user": [
        dict(
            id=1,
            email="organizer@example.org",
            name="Organizer",
            password_hash="scrypt:x",
            role="admin",
            active=True,
            failed_logins=0,
            created_at=T0,
            updated_at=T0,
        ),
    ],
    "event": [
        dict(
            id=1,
            slug="cambodia-2023",
            state="plan_published",
            is_demo=False,
            default_language="km",
            texts={
                "km": {"title": KM_TITLE, "summary": KM_SUMMARY},
                "en": {"title": "Planning for Cambodia's future"},
            },
            starts_at=T1,
            duration_minutes=150,
            timezone="Asia/Phnom_Penh",
            extra_timezones=["Europe/Paris"],
            waitlist_enabled=True,
            capacity=500,
            join_release="before_start",
            join_release_hours=24,
            join_url="https://zoom.example.invalid/j/1",
            join_passcode="pass",
            meeting_id="111 222",
            reminder_24h=True,
            reminder_1h=False,
            notify_rejected_authors=True,
            retention_days=60,
            created_at=T0,
            updated_at=T0,
        ),
    ],
    "theme": [dict(id=1, event_id=1, position=0, labels={"en": "Justice", "km": "យុត្តិធម៌"})],
    "registration": [
        dict(
            id=1,
            event_id=1,
            email="Dara@Example.org",
            email_key="dara@example.org",
            name="សុខ ដារា",
            language="km",
            country="KH",
            affiliation="សមាគម",
            consent_text="privacy-notice",
            consented_at=T0,
            status="confirmed",
            confirmed_at=T0,
            join_url="https://zoom.example.invalid/w/abc",
            join_ref="zr-1",
            join_status="synced",
            join_error="",
            join_details_sent_at=T0,
            attended=True,
            created_at=T0,
            updated_at=T0,
        ),
        dict(
            id=2,
            event_id=1,
            email="anne@example.org",
            email_key="anne@example.org",
            name="Anne",
            language="en",
            country="FR",
            affiliation="",
            consent_text="privacy-notice",
            consented_at=T0,
            status="waitlisted",
            join_url="",
            join_ref="",
            join_status="",
            join_error="",
            attended=False,
            created_at=T0,
            updated_at=T0,
        ),
    ],
    "idea": [
        dict(
            id=1,
            event_id=1,
            registration_id=1,
            author_email="dara@example.org",
            author_name="សុខ ដារា",
            display="name",
            title="ការបោះឆ្នោតសេរី",
            body="សំណើរបស់ខ្ញុំ៖ ...",
            theme_id=1,
            language="km",
            status="approved",
            moderation_note="",
            moderated_by_id=1,
            moderated_at=T0,
            discussion_note="",
            confirmed_at=T0,
            revision=3,
            created_at=T0,
            updated_at=T0,
        ),
        dict(
            id=2,
            event_id=1,
            registration_id=None,
            author_email="visitor@example.org",
            author_name="",
            display="anonymous",
            title="Free media",
            body="Open the press.",
            language="en",
            status="pending",
            moderation_note="",
            discussion_note="",
            revision=1,
            created_at=T0,
            updated_at=T0,
        ),
    ],
    "plan": [
        dict(
            id=1,
            event_id=1,
            intro={"km": "សេចក្តីផ្តើម"},
            status="published",
            send_on_publish=True,
            created_at=T0,
            updated_at=T0,
        )
    ],
    "plan_section": [
        dict(id=1, plan_id=1, position=0, theme_id=1, title={"km": "យុត្តិធម៌"}, body={"km": "អត្ថបទ"})
    ],
    "plan_item": [
        dict(
            id=1,
            section_id=1,
            position=0,
            what={"km": "ធ្វើអ្វី"},
            who={"km": "អ្នកណា"},
            due="2024",
            status="agreed",
        )
    ],
    "plan_item_idea": [dict(item_id=1, idea_id=1)],
    "plan_version": [
        dict(
            id=1,
            plan_id=1,
            number=1,
            published_at=T1,
            published_by_id=1,
            snapshot={"default_language": "km", "sections": [{"id": 1, "title": {"km": "ក"}}]},
            change_note={"km": "កំណែទីមួយ"},
        ),
    ],
    "outbox_message": [
        dict(
            id=1,
            idempotency_key="confirmed:1",
            recipient="Dara@Example.org",
            language="km",
            subject="បានបញ្ជាក់",
            body_text="សួស្តី ដារា",
            body_html="<p>សួស្តី</p>",
            attachments=[
                {"filename": "s.ics", "content_type": "text/calendar", "data": "BEGIN:VCALENDAR"}
            ],
            kind="registration_confirmed",
            batch="",
            event_id=1,
            registration_id=1,
            status="sent",
            attempts=1,
            due_at=T0,
            claimed_by="",
            sent_at=T0,
            last_error="",
            provider_id="<id@x>",
            created_at=T0,
        ),
        dict(
            id=2,
            idempotency_key="plan:1:2",
            recipient="anne@example.org",
            language="en",
            subject="Plan",
            body_text="The plan",
            body_html="",
            attachments=[],
            kind="plan_published",
            batch="plan:1:v1",
            event_id=1,
            registration_id=2,
            status="queued",
            attempts=0,
            due_at=T1,
            claimed_by="",
            last_error="",
            provider_id="",
            created_at=T1,
        ),
    ],
    "link_token": [
        dict(
            id=1,
            token_hash="a" * 64,
            purpose="manage",
            subject_type="registration",
            subject_id=1,
            created_at=T0,
        )
    ],
    "audit_entry": [
        dict(
            id=1,
            at=T0,
            actor_id=1,
            actor_label="organizer@example.org",
            action="event.state",
            target_type="event",
            target_id=1,
            ip="127.0.0.1",
            detail={"before": "concluded", "after": "plan_published"},
        ),
    ],
}

# Columns a later migration removes on purpose (with their values).


def upgrade_keeps_everything(url):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        script = script_directory()
        # The core's base: each plugin's branch has one too.
        (first,) = [
            b
            for b in script.get_bases()
            if Path(script.get_revision(b).path).parent == CORE_VERSIONS
        ]
        flask_migrate.upgrade(revision=first)

        with db.engine.begin() as conn:
            meta = sa.MetaData()
            meta.reflect(conn)
            for table, rows in ROWS.items():
                for row in rows:  # one at a time: rows may name different columns
                    conn.execute(meta.tables[table].insert().values(**row))
            OLD_ZOOM_TASK.create(conn)
            conn.execute(OLD_ZOOM_TASK.insert().values(**ZOOM_TASK_ROW))

        upgrade_database(db.engine)  # to the newest, as `sala init` does

        with db.engine.connect() as conn:
            versions = set(conn.scalars(sa.text("SELECT version_num FROM alembic_version")))
            meta = sa.MetaData()
            meta.reflect(conn)
            for table_name, rows in ROWS.items():
                table = meta.tables[table_name]
                found = conn.execute(sa.select(table)).mappings().all()
                assert len(found) == len(rows), table_name
                key = list(table.primary_key.columns)
                by_key = {tuple(r[c.name] for c in key): r for r in found}
                for row in rows:
                    stored = by_key[tuple(row[c.name] for c in key)]
                    for column, value in row.items():
                        if (table_name, column) in DROPPED:
                            assert column not in stored, f"{table_name}.{column}"
                            continue
                        assert stored[column] == value, f"{table_name}.{column}"
            zoom = {
                name: meta.tables[name] for name in ("zoom_task", "zoom_meeting", "zoom_registrant")
            }
            assert [dict(r) for r in conn.execute(sa.select(zoom["zoom_task"])).mappings()] == [
                ZOOM_TASK_ROW
            ]
            # Its kind ("meeting" or "webinar") is not known yet: the worker asks Zoom.
            assert conn.execute(sa.select(zoom["zoom_meeting"])).all() == [(1, "111 222", "")]
            registrant = zoom["zoom_registrant"]
            assert conn.execute(sa.select(registrant)).all() == [
                (1, "synced", "https://zoom.example.invalid/w/abc", "zr-1", "", 0, None)
            ]

        # The app reads them through its models.
        event = db.session.get(Event, 1)
        assert event.text("title", "km") == KM_TITLE
        assert event.text("summary", "en") == KM_SUMMARY  # falls back to Khmer
        assert event.ends_at == datetime(2023, 11, 1, 15, 30)
        assert db.session.get(Registration, 1).name == "សុខ ដារា"
        assert [i.title for i in db.session.scalars(sa.select(Idea).order_by(Idea.id))] == [
            "ការបោះឆ្នោតសេរី",
            "Free media",
        ]
        assert db.session.get(PlanVersion, 1).plan.event.slug == "cambodia-2023"
        assert db.session.get(OutboxMessage, 1).attachments[0]["filename"] == "s.ics"
        user = db.session.get(User, 1)
        assert user.is_admin
        assert len(user.session_token) >= 32 and user.recovery_codes == []
        db.session.remove()
        db.engine.dispose()
    return first, versions, set(script.get_heads())


def test_upgrade_from_the_first_migration_keeps_every_row_on_sqlite(tmp_path):
    first, versions, heads = upgrade_keeps_everything(f"sqlite:///{tmp_path / 'old.sqlite'}")
    assert versions == heads
    assert first is not None


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="TEST_DATABASE_URL not set")
def test_upgrade_from_the_first_migration_keeps_every_row_on_postgresql():
    base = os.environ["TEST_DATABASE_URL"]
    with scratch_postgres_database(base, "sala_upgrade") as url:
        first, versions, heads = upgrade_keeps_everything(url)
    assert versions == heads
