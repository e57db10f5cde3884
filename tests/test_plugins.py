"""The plugin engine: every hook is called, and a plugin from a separate distribution (built
here in a temporary directory, with its own `*.dist-info` and `sala.plugins` entry point) is
discovered, enabled by default, switched off by config, and can add a page and a nav link."""

import io
import logging
import re
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from support import PASSWORD, create_user

from app import create_app, hookspecs
from app.cli import plugins_command
from app.demo import SLUG, load_demo
from app.events import Schedule
from app.extensions import db
from app.models import (
    AuditEntry,
    Event,
    Idea,
    OutboxMessage,
    PlanVersion,
    Registration,
    User,
    utcnow,
)
from app.plugins import JOIN_PENDING, JoinDetails, PluginLoadError, hooks, plugin_state
from app.schema import upgrade_database

ROOT = Path(__file__).resolve().parent.parent
HOOK_NAMES = sorted(name for name in dir(hookspecs) if name.startswith("sala_"))
SLOTS = re.findall(
    r"``(\w+)``", hookspecs.sala_template_slot.__doc__.split("Slots:")[1].split(".")[0]
)


@pytest.fixture
def install_plugin(tmp_path, monkeypatch):
    """Build a plugin as its own distribution: a package plus a `*.dist-info` with METADATA
    and entry_points.txt declaring it in the `sala.plugins` group, on sys.path."""
    modules = []

    def install(name, source, version="1.0.0", module=None, extra=None):
        module = module or f"sala_test_{name}"
        site = tmp_path / f"site-{name}"
        package = site / module
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(textwrap.dedent(source))
        for relative, content in (extra or {}).items():
            path = package / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        dist_info = site / f"sala_test_{name}-{version}.dist-info"
        dist_info.mkdir()
        (dist_info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: sala-test-{name}\nVersion: {version}\n"
        )
        (dist_info / "entry_points.txt").write_text(f"[sala.plugins]\n{name} = {module}\n")
        monkeypatch.syspath_prepend(str(site))
        modules.append(module)
        return package

    yield install
    for module in modules:
        for loaded in [m for m in sys.modules if m == module or m.startswith(module + ".")]:
            del sys.modules[loaded]


# ---------------------------------------------------------------- a plugin on every hook

HOOKTEST = '''
    """Implements every Sala hook and remembers each call."""
    from pathlib import Path

    import click
    from flask import Blueprint, render_template_string
    from markupsafe import Markup

    from app.api import (
        JOIN_PENDING,
        EventFormField,
        JoinDetails,
        NavLink,
        PersonalDataShare,
        hookimpl,
    )

    calls = []
    sent = []
    bp = Blueprint("hooktest", __name__)

    PAGE = """{% extends "base.html" %}
    {% block content %}<p class="hooktest">{{ _("Hello from a plugin") }}</p>{% endblock %}"""


    @bp.get("/hooktest")
    def page():
        return render_template_string(PAGE)


    @hookimpl
    def sala_config_defaults():
        calls.append(("config_defaults",))
        # A core setting too: the plugin moderates ideas, so they may be shown publicly.
        return {"HOOKTEST_GREETING": "plugin default", "IDEAS_PUBLIC_BOARD": True}


    @hookimpl
    def sala_migration_dirs():
        calls.append(("migration_dirs",))
        return [Path(__file__).parent / "migrations"]


    rooms = {}  # the plugin's own store for its session form field


    @hookimpl
    def sala_event_form_fields(event):
        from wtforms import StringField
        from wtforms.validators import Length

        calls.append(("event_form_fields", event))
        field = StringField("Hooktest room", validators=[Length(max=20, message="At most 20")])
        value = rooms.get(event.id, "") if event is not None else "Main hall"
        return [EventFormField("hooktest_room", field, value=value, hint="Where we meet")]


    @hookimpl
    def sala_event_form_saved(event, data):
        calls.append(("event_form_saved", event, data))
        if rooms.get(event.id, "") == data["hooktest_room"]:
            return []
        rooms[event.id] = data["hooktest_room"]
        return ["hooktest_room"]


    @hookimpl
    def sala_translation_dirs():
        calls.append(("translation_dirs",))
        return [Path(__file__).parent / "translations"]


    @hookimpl
    def sala_blueprints():
        calls.append(("blueprints",))
        return [bp]


    @click.command("hooktest-hello")
    def hello():
        click.echo("hello from the hooktest plugin")


    @hookimpl
    def sala_cli_commands():
        calls.append(("cli_commands",))
        return [hello]


    @hookimpl
    def sala_app_ready(app):
        calls.append(("app_ready", app))


    @hookimpl
    def sala_nav_links(user):
        calls.append(("nav_links", user))
        return [NavLink("Hooktest page", "hooktest.page")]


    @hookimpl
    def sala_template_slot(slot, context):
        calls.append(("template_slot", slot))
        if slot == "head":
            return Markup('<meta name="hooktest-slot" content="head">')
        event = context.get("event")
        suffix = f" for {event.slug}" if event is not None else ""
        return Markup(f'<span class="hooktest-slot">slot {slot}{suffix}</span>')


    @hookimpl
    def sala_worker_tick(app):
        calls.append(("worker_tick", app))
        return 0


    class Connection:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def send(self, message):
            sent.append(message.recipient)
            return f"hooktest-{len(sent)}"


    class Provider:
        def open(self):
            return Connection()


    @hookimpl
    def sala_email_provider(name, app):
        calls.append(("email_provider", name))
        if name == "hooktest":
            return Provider()


    @hookimpl
    def sala_join_details(registration):
        calls.append(("join_details", registration))
        if registration.email.endswith("@personal.test"):
            return JoinDetails(url="https://meet.test/j/personal", passcode="p", personal=True)
        if registration.email.endswith("@pending.test"):
            return JOIN_PENDING
        return None


    @hookimpl
    def sala_attendance_known(event):
        calls.append(("attendance_known", event))
        return event.slug.startswith("zoomed")


    @hookimpl
    def sala_initial_idea_status(idea):
        calls.append(("initial_idea_status", idea))
        return "pending"


    @hookimpl
    def sala_personal_data_shared(event):
        calls.append(("personal_data_shared", event))
        return [
            PersonalDataShare(
                recipient="Hook Mailer",
                data=("email", "language"),
                purpose="to deliver the newsletter",
                policy_url="https://mailer.test/privacy",
            )
        ]


    @hookimpl
    def sala_registration_confirmed(registration):
        calls.append(("registration_confirmed", registration))


    @hookimpl
    def sala_registration_cancelled(registration):
        calls.append(("registration_cancelled", registration))


    @hookimpl
    def sala_registration_erased(registration):
        calls.append(("registration_erased", registration))


    @hookimpl
    def sala_event_purged(event):
        calls.append(("event_purged", event))


    @hookimpl
    def sala_event_rescheduled(event, old):
        calls.append(("event_rescheduled", event, old))


    @hookimpl
    def sala_event_cancelled(event):
        calls.append(("event_cancelled", event))


    @hookimpl
    def sala_idea_submitted(idea):
        calls.append(("idea_submitted", idea))


    @hookimpl
    def sala_idea_moderated(idea, action, actor):
        calls.append(("idea_moderated", idea, action, actor))


    @hookimpl
    def sala_plan_published(plan_version):
        calls.append(("plan_published", plan_version))
'''


def khmer_catalog():
    """The plugin's own compiled Khmer catalog, as a file of its package."""
    catalog = Catalog(locale="km")
    catalog.add("Hello from a plugin", "សួស្តីពីកម្មវិធីបន្ថែម")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return {"translations/km/LC_MESSAGES/messages.mo": buffer.getvalue()}


# The hooktest plugin's own table, in a migration branch of its own on the core's tables.
HOOKTEST_MIGRATION = """
import sqlalchemy as sa
from alembic import op

revision = "7e57a11e0001"
down_revision = None
branch_labels = ("hooktest",)
depends_on = "c3e2b179ef90"


def upgrade():
    op.create_table(
        "hooktest_note",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("event.id"), nullable=False),
        sa.Column("text", sa.String(100), nullable=False),
    )


def downgrade():
    op.drop_table("hooktest_note")
"""


def signed_in_client(app, role):
    user = create_user(f"{role}@example.org", role)
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    return client


@pytest.fixture
def hooktest(install_plugin):
    extra = {**khmer_catalog(), "migrations/7e57a11e0001_hooktest_note.py": HOOKTEST_MIGRATION}
    install_plugin("hooktest", HOOKTEST, extra=extra)
    import sala_test_hooktest

    return sala_test_hooktest


@pytest.fixture
def hook_app(make_app, hooktest):
    """An app running only the hooktest plugin (so bundled plugins cannot answer first)."""
    app = make_app(PLUGINS=["hooktest"])
    with app.app_context():
        yield app


def called(plugin, hook):
    return [call for call in plugin.calls if call[0] == hook]


def test_the_hooktest_plugin_implements_every_hookspec(hooktest):
    implemented = sorted(name for name in dir(hooktest) if name.startswith("sala_"))
    assert implemented == HOOK_NAMES


def test_config_defaults_sit_under_every_other_layer(make_app, hooktest, monkeypatch):
    app = make_app(PLUGINS=["hooktest"])
    assert called(hooktest, "config_defaults")
    assert app.config["HOOKTEST_GREETING"] == "plugin default"
    # Over the core's default, under the deployment's choice.
    assert app.config["IDEAS_PUBLIC_BOARD"] is True
    assert make_app(PLUGINS=[]).config["IDEAS_PUBLIC_BOARD"] is False
    assert (
        make_app(PLUGINS=["hooktest"], IDEAS_PUBLIC_BOARD=False).config["IDEAS_PUBLIC_BOARD"]
        is False
    )
    monkeypatch.setenv("SALA_HOOKTEST_GREETING", "from the environment")
    monkeypatch.setenv("SALA_IDEAS_PUBLIC_BOARD", "false")
    app = make_app(PLUGINS=["hooktest"])
    assert app.config["HOOKTEST_GREETING"] == "from the environment"
    assert app.config["IDEAS_PUBLIC_BOARD"] is False


def test_attendance_known_lets_the_follow_up_have_a_text_for_those_absent(hook_app, hooktest):
    from world import make_event

    zoomed, plain = make_event(slug="zoomed-session"), make_event(slug="plain-session")
    client = signed_in_client(hook_app, "admin")
    page = client.get(f"/admin/events/{zoomed.id}/follow-up?lang=en").text
    assert "One text to those who attended, another to those who did not" in page
    asked = [call[1].id for call in hooktest.calls if call[0] == "attendance_known"]
    assert zoomed.id in asked
    page = client.get(f"/admin/events/{plain.id}/follow-up?lang=en").text
    assert "Attendance is not recorded for this session" in page
    assert "another to those who did not" not in page


def test_translation_dirs_translate_the_plugins_page(hook_app, hooktest):
    assert called(hooktest, "translation_dirs")
    client = hook_app.test_client()
    assert "Hello from a plugin" in client.get("/hooktest?lang=en").text
    khmer = client.get("/hooktest?lang=km").text
    assert "សួស្តីពីកម្មវិធីបន្ថែម" in khmer
    assert "Hello from a plugin" not in khmer


def test_blueprints_add_a_page(hook_app, hooktest):
    assert called(hooktest, "blueprints")
    response = hook_app.test_client().get("/hooktest")
    assert response.status_code == 200
    assert '<p class="hooktest">Hello from a plugin</p>' in response.text


def test_cli_commands_join_the_sala_command(hook_app, hooktest):
    assert called(hooktest, "cli_commands")
    result = hook_app.test_cli_runner().invoke(args=["hooktest-hello"])
    assert result.exit_code == 0, result.output
    assert "hello from the hooktest plugin" in result.output


def test_app_ready_receives_the_finished_app(hook_app, hooktest):
    ready = called(hooktest, "app_ready")
    assert [call[1] for call in ready] == [hook_app]
    assert "hooktest.page" in hook_app.view_functions  # called after blueprints


def test_nav_links_appear_in_the_navigation(hook_app, hooktest):
    html = hook_app.test_client().get("/").text
    nav = html.split('class="site-nav"')[1].split("</nav>")[0]
    assert '<a href="/hooktest">Hooktest page</a>' in nav
    users = [call[1] for call in called(hooktest, "nav_links")]
    assert users and not users[-1].is_authenticated


def test_template_slots_show_the_plugins_html_on_the_pages(hook_app, hooktest):
    client = hook_app.test_client()
    home = client.get("/").text
    head = home.split("</head>")[0]
    assert '<meta name="hooktest-slot" content="head">' in head
    nav = home.split('class="site-nav"')[1].split("</nav>")[0]
    assert '<span class="hooktest-slot">slot nav</span>' in nav
    footer = home.split('class="site-footer"')[1]
    assert '<span class="hooktest-slot">slot footer</span>' in footer

    load_demo()
    event_page = client.get(f"/s/{SLUG}").text
    for slot in ("event_sidebar", "event_after_summary"):
        assert f'<span class="hooktest-slot">slot {slot} for {SLUG}</span>' in event_page

    event = db.session.scalar(sa.select(Event).where(Event.slug == SLUG))
    admin = signed_in_client(hook_app, "admin")
    admin_page = admin.get(f"/admin/events/{event.id}").text
    assert f'<span class="hooktest-slot">slot admin_event for {SLUG}</span>' in admin_page
    db.session.add(
        Registration(event=event, email="dara@example.org", email_key="dara@example.org")
    )
    db.session.commit()
    registrants = admin.get(f"/admin/events/{event.id}/registrants").text
    row = registrants.split('id="registrant-')[1].split("</tr>")[0]
    assert f'<span class="hooktest-slot">slot registrant_join for {SLUG}</span>' in row

    # registration_manage belongs to the registration pages; here, the slot renders in any
    # template that names it.
    with hook_app.test_request_context("/"):
        from flask import render_template_string

        html = render_template_string('{{ slot("registration_manage", event=event) }}', event=event)
    assert html == f'<span class="hooktest-slot">slot registration_manage for {SLUG}</span>'
    seen = {call[1] for call in called(hooktest, "template_slot")}
    assert seen == set(SLOTS)


def test_migration_dirs_give_the_plugin_its_own_tables_through_sala_init(
    make_app, hooktest, tmp_path
):
    """`sala init` applies an enabled plugin's migrations (a branch of their own); a disabled
    plugin's are not applied, yet the database that holds them still upgrades."""
    url = f"sqlite:///{tmp_path / 'migrated.sqlite'}"
    engine = sa.create_engine(url)
    disabled = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url, "PLUGINS": []}
    )
    with disabled.app_context():
        upgrade_database(db.engine)
    assert "hooktest_note" not in sa.inspect(engine).get_table_names()

    enabled = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": url,
            "PLUGINS": ["hooktest"],
        }
    )
    with enabled.app_context():
        upgrade_database(db.engine)
    assert called(hooktest, "migration_dirs")
    assert "hooktest_note" in sa.inspect(engine).get_table_names()
    with engine.connect() as conn:
        versions = set(conn.scalars(sa.text("SELECT version_num FROM alembic_version")))
    assert "7e57a11e0001" in versions

    with disabled.app_context():  # the plugin switched off again: nothing breaks, nothing lost
        upgrade_database(db.engine)
        assert disabled.test_client().get("/").status_code == 200
    assert "hooktest_note" in sa.inspect(engine).get_table_names()
    engine.dispose()


def session_form(**values):
    """The organizer's session form, filled in as the browser sends it."""
    start = utcnow() + timedelta(days=30)
    return {
        "slug": "hooktest-session",
        "default_language": "en",
        "title_en": "Hooktest session",
        "starts_at": start.strftime("%Y-%m-%dT14:00"),
        "duration_minutes": "90",
        "timezone": "Asia/Phnom_Penh",
        "join_release": "on_confirmation",
        "join_release_hours": "24",
        "join_url": "",
        "join_passcode": "",
        "retention_days": "90",
        **values,
    }


def test_event_form_fields_show_and_event_form_saved_stores_them(hook_app, hooktest):
    client = signed_in_client(hook_app, "admin")
    page = client.get("/admin/events/new").text
    assert 'name="hooktest_room"' in page and 'value="Main hall"' in page
    assert "Where we meet" in page
    assert called(hooktest, "event_form_fields")

    refused = client.post("/admin/events/new", data=session_form(hooktest_room="x" * 21))
    assert refused.status_code == 200 and "At most 20" in refused.text
    assert hooktest.rooms == {} and db.session.scalar(sa.select(Event)) is None

    created = client.post("/admin/events/new", data=session_form(hooktest_room="Room 101"))
    assert created.status_code == 302
    event = db.session.scalar(sa.select(Event))
    assert hooktest.rooms == {event.id: "Room 101"}
    (_, saved_event, data) = called(hooktest, "event_form_saved")[-1]
    assert saved_event.id == event.id and data == {"hooktest_room": "Room 101"}
    assert 'value="Room 101"' in client.get(f"/admin/events/{event.id}/edit").text

    edit = session_form(hooktest_room="Room 202")
    assert client.post(f"/admin/events/{event.id}/edit", data=edit).status_code == 302
    assert hooktest.rooms[event.id] == "Room 202"
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "event.edit")).one()
    assert entry.detail["changed"] == ["hooktest_room"]


def test_worker_tick_runs_on_every_worker_round(hook_app, hooktest):
    from app.mail.worker import run_once

    run_once()
    run_once()
    assert [call[1] for call in called(hooktest, "worker_tick")] == [hook_app, hook_app]


def test_email_provider_sends_the_outbox(make_app, hooktest):
    app = make_app(PLUGINS=["hooktest"], EMAIL_PROVIDER="hooktest")
    with app.app_context():
        from app.mail.worker import run_once

        db.session.add(
            OutboxMessage(
                idempotency_key="hooktest-1",
                recipient="reader@example.org",
                language="en",
                subject="Hello",
                body_text="Hello",
            )
        )
        db.session.commit()
        stats = run_once()
        message = db.session.scalar(sa.select(OutboxMessage))
    assert stats.sent == 1
    assert hooktest.sent == ["reader@example.org"]
    assert (message.status, message.provider_id) == ("sent", "hooktest-1")
    assert ("email_provider", "hooktest") in hooktest.calls


def test_join_details_answers_first_and_may_be_pending(hook_app, hooktest):
    personal = hooks().sala_join_details(registration=Registration(email="a@personal.test"))
    assert personal == JoinDetails(url="https://meet.test/j/personal", passcode="p", personal=True)
    assert hooks().sala_join_details(registration=Registration(email="b@pending.test")) is (
        JOIN_PENDING
    )
    assert hooks().sala_join_details(registration=Registration(email="c@shared.test")) is None
    assert len(called(hooktest, "join_details")) == 3


def test_initial_idea_status(hook_app, hooktest):
    idea = Idea(title="t", body="b")
    assert hooks().sala_initial_idea_status(idea=idea) == "pending"
    assert called(hooktest, "initial_idea_status") == [("initial_idea_status", idea)]


def test_personal_data_shared_is_on_the_privacy_notice_and_the_form(hook_app, hooktest):
    from registration_helpers import form
    from world import make_event

    page = hook_app.test_client().get("/privacy").text
    assert (
        "We send your email address and your language to Hook Mailer to deliver the newsletter."
        in page
    )
    assert 'href="https://mailer.test/privacy"' in page
    assert ("personal_data_shared", None) in hooktest.calls

    event = make_event()
    client = hook_app.test_client()
    assert "to Hook Mailer" in client.get(f"/s/{event.slug}").text
    # The request's own row of the session (each request has its own database session).
    asked_for = [
        sa.inspect(call[1]).identity
        for call in hooktest.calls
        if call[0] == "personal_data_shared" and call[1] is not None
    ]
    assert (event.id,) in asked_for
    client.post(f"/s/{event.slug}/register", data=form())
    registration = db.session.scalar(sa.select(Registration))
    assert registration.consent_text == "privacy-notice; Hook Mailer: email, language"


DOMAIN_EVENTS = [
    ("sala_registration_confirmed", lambda: {"registration": Registration(email="r@x.test")}),
    ("sala_registration_cancelled", lambda: {"registration": Registration(email="r@x.test")}),
    ("sala_registration_erased", lambda: {"registration": Registration(email="r@x.test")}),
    ("sala_event_purged", lambda: {"event": Event(slug="purged")}),
    (
        "sala_event_rescheduled",
        lambda: {"event": Event(slug="moved"), "old": Schedule(datetime(2030, 1, 1), 90, "UTC")},
    ),
    ("sala_event_cancelled", lambda: {"event": Event(slug="called-off")}),
    ("sala_idea_submitted", lambda: {"idea": Idea(title="t", body="b")}),
    (
        "sala_idea_moderated",
        lambda: {
            "idea": Idea(title="t", body="b"),
            "action": "approve",
            "actor": User(email="m@x.test"),
        },
    ),
    ("sala_plan_published", lambda: {"plan_version": PlanVersion()}),
]


@pytest.mark.parametrize("hook, kwargs", DOMAIN_EVENTS)
def test_domain_events_reach_the_plugin(hook_app, hooktest, hook, kwargs):
    arguments = kwargs()
    getattr(hooks(), hook)(**arguments)
    assert called(hooktest, hook.removeprefix("sala_")) == [
        (hook.removeprefix("sala_"), *arguments.values())
    ]


def test_every_hookspec_has_a_test_here():
    """A new hook in app/hookspecs.py fails here until a test above triggers it."""
    tests = [name for name in globals() if name.startswith("test_")]
    events = [hook for hook, _ in DOMAIN_EVENTS]
    untested = [
        name
        for name in HOOK_NAMES
        if name not in events and not any(name.removeprefix("sala_") in t for t in tests)
    ]
    assert untested == []


# ---------------------------------------------------------------- a tiny separate plugin

TINY = """
    from flask import Blueprint

    from app.api import NavLink, hookimpl

    bp = Blueprint("tiny", __name__)


    @bp.get("/tiny")
    def page():
        return "<p>A page from the tiny plugin</p>"


    @hookimpl
    def sala_blueprints():
        return [bp]


    @hookimpl
    def sala_nav_links(user):
        return [NavLink("Tiny", "tiny.page")]
"""


@pytest.fixture
def tiny(install_plugin):
    return install_plugin("tiny", TINY, version="0.3.1")


def installed(app, name):
    return next(p for p in plugin_state(app).installed if p.name == name)


def test_a_separate_distribution_is_discovered_and_enabled_by_default(make_app, tiny):
    app = make_app()
    plugin = installed(app, "tiny")
    assert (plugin.distribution, plugin.version, plugin.enabled) == (
        "sala-test-tiny",
        "0.3.1",
        True,
    )
    client = app.test_client()
    assert client.get("/tiny").text == "<p>A page from the tiny plugin</p>"
    assert '<a href="/tiny">Tiny</a>' in client.get("/").text
    result = app.test_cli_runner().invoke(plugins_command)
    line = next(row for row in result.output.splitlines() if row.startswith("tiny "))
    assert "sala-test-tiny 0.3.1" in line and "enabled" in line
    assert "sala_blueprints, sala_nav_links" in line


@pytest.mark.parametrize("how", ["config list", "environment string"])
def test_config_switches_a_plugin_off(make_app, tiny, monkeypatch, how):
    if how == "config list":
        app = make_app(PLUGINS=["smtp", "moderation"])
    else:
        monkeypatch.setenv("SALA_PLUGINS", "smtp, moderation")
        app = make_app()
    assert installed(app, "tiny").enabled is False
    assert installed(app, "smtp").enabled is True
    client = app.test_client()
    assert client.get("/tiny").status_code == 404
    assert "Tiny" not in client.get("/").text
    result = app.test_cli_runner().invoke(plugins_command)
    line = next(row for row in result.output.splitlines() if row.startswith("tiny "))
    assert "disabled" in line


def test_two_apps_with_different_plugins_side_by_side(make_app, tiny):
    with_tiny = make_app(PLUGINS="tiny")
    without = make_app(PLUGINS="smtp")
    assert with_tiny.test_client().get("/tiny").status_code == 200
    assert without.test_client().get("/tiny").status_code == 404
    assert plugin_state(with_tiny).manager is not plugin_state(without).manager
    assert plugin_state(with_tiny).manager.has_plugin("tiny")
    assert not plugin_state(without).manager.has_plugin("tiny")
    # ... and the first still works after the second was built.
    assert '<a href="/tiny">Tiny</a>' in with_tiny.test_client().get("/").text


BROKEN = """
    import sala_no_such_module  # noqa: F401
"""


def test_a_broken_plugin_is_skipped_with_one_log_line(
    make_app, install_plugin, caplog, monkeypatch
):
    install_plugin("broken", BROKEN)
    # migrations/env.py's logging.config.fileConfig disables existing loggers when an
    # earlier test ran `flask_migrate.upgrade()` in this process.
    monkeypatch.setattr(logging.getLogger("app.plugins"), "disabled", False)
    with caplog.at_level(logging.ERROR, logger="app.plugins"):
        app = make_app(PLUGIN_LOAD_FAILURE="skip")
    lines = [r.getMessage() for r in caplog.records if "broken" in r.getMessage()]
    assert len(lines) == 1
    assert "'broken'" in lines[0] and "No module named 'sala_no_such_module'" in lines[0]
    assert "\n" not in lines[0]
    assert app.test_client().get("/").status_code == 200  # the site starts without it
    result = app.test_cli_runner().invoke(plugins_command)
    line = next(row for row in result.output.splitlines() if row.startswith("broken "))
    assert "failed: ModuleNotFoundError: No module named 'sala_no_such_module'" in line


def test_a_broken_plugin_can_refuse_the_start(make_app, install_plugin):
    install_plugin("broken", BROKEN)
    with pytest.raises(PluginLoadError) as error:
        make_app(PLUGIN_LOAD_FAILURE="refuse")
    message = str(error.value)
    assert "\n" not in message
    assert "'broken'" in message and "No module named 'sala_no_such_module'" in message


def test_sala_plugins_lists_the_bundled_plugins_and_a_dash_for_no_hooks(make_app, install_plugin):
    install_plugin("hookless", '"""A plugin that implements nothing yet."""\n')
    app = make_app()
    output = app.test_cli_runner().invoke(plugins_command).output
    rows = {row.split()[0]: row for row in output.splitlines()}
    assert {"moderation", "smtp", "zoom", "hookless"} <= set(rows)
    assert "sala 0.1.0" in rows["smtp"] and "sala_email_provider" in rows["smtp"]
    assert rows["hookless"].rstrip().endswith("—")


# ---------------------------------------------------------------- the guide


def test_the_plugin_guide_documents_every_hook_with_an_example():
    guide = (ROOT / "docs" / "plugins.md").read_text()
    undocumented = [name for name in HOOK_NAMES if f"`{name}" not in guide]
    assert undocumented == []
    code = "\n".join(re.findall(r"```python\n(.*?)```", guide, flags=re.S))
    without_example = [name for name in HOOK_NAMES if f"def {name}(" not in code]
    assert without_example == []
    for slot in SLOTS:
        assert f"`{slot}`" in guide, slot


def test_create_app_with_no_plugins_installed_still_serves(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "PLUGINS": [],
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.sqlite",
        }
    )
    with app.app_context():
        db.create_all()
    assert not any(p.enabled for p in plugin_state(app).installed)
    assert app.test_client().get("/").status_code == 200


# ---------------------------------------------------------------- a plugin on app.api alone

NOTES = '''
    """An organizer's page that mails a note and logs it, written against app.api only."""
    from flask import Blueprint, render_template_string, request

    from app.api import (
        admin_required,
        current_language,
        db,
        enqueue,
        hookimpl,
        int_arg,
        language_name,
        mail_url,
        record_audit,
        render_error,
    )

    bp = Blueprint("notes", __name__, template_folder="templates")
    bp.before_request(admin_required(lambda: None))


    @bp.route("/notes", methods=["GET", "POST"])
    def page():
        if request.method == "GET":
            language = language_name(current_language())
            return render_template_string("<p>Notes in {{ n }}</p>", n=language)
        number = int_arg(request.form, "number")
        if number is None:
            return render_error(404, "There is no note with this number.")
        message = enqueue(
            "notes/note",
            to="reader@example.org",
            language="en",
            key=f"note-{number}",
            context={"number": number, "link": mail_url("notes.page")},
        )
        record_audit("notes.sent", message, number=number)
        db.session.commit()
        return "queued"


    @hookimpl
    def sala_blueprints():
        return [bp]
'''
NOTE_MAIL = {
    "templates/mail/notes/note.subject.txt": "Note {{ number }}",
    "templates/mail/notes/note.txt": "Read it at {{ link }}",
    "templates/mail/notes/note.html": "<p>Read it at {{ link }}</p>",
}


def test_a_plugin_on_app_api_alone_guards_pages_queues_mail_and_audits(make_app, install_plugin):
    install_plugin("notes", NOTES, extra=NOTE_MAIL)
    app = make_app(PLUGINS=["notes"])
    with app.app_context():
        assert app.test_client().get("/notes").status_code == 302  # to sign in
        assert signed_in_client(app, "moderator").get("/notes").status_code == 403
        organizer = signed_in_client(app, "admin")
        assert organizer.get("/notes").text == "<p>Notes in English</p>"
        refused = organizer.post("/notes", data={"number": "x"})
        assert refused.status_code == 404 and "There is no note with this number." in refused.text
        assert organizer.post("/notes", data={"number": "7"}).text == "queued"
        mail = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.kind == "notes/note"))
        assert (mail.subject, mail.body_text) == ("Note 7", "Read it at http://sala.test/notes")
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "notes.sent"))
        assert entry.actor_label == "admin@example.org" and entry.detail == {"number": 7}
