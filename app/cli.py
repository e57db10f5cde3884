"""The `sala` command: the Flask CLI of this app (so `sala run`, `sala shell`, `sala routes`
work) plus Sala's own commands. Each command is small; the work is in plain functions."""

import sys

import click
import sqlalchemy as sa
from flask.cli import FlaskGroup, with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from .extensions import db
from .models import User
from .plugins import hook_names, plugin_state
from .templating import local_time

# Commands that sign nothing, read no session and mail nothing: they run without a secret
# key or BASE_URL.
KEYLESS_COMMANDS = {"plugins", "routes", "translate"}


def needs_production_settings(args):
    """Whether the command line runs a command that needs the secret key and BASE_URL: not
    help, and not one of KEYLESS_COMMANDS (the first word not an option is the command)."""
    if "--help" in args or "-h" in args:
        return False
    command = next((word for word in args if not word.startswith("-")), None)
    return command is not None and command not in KEYLESS_COMMANDS


def main():
    from . import ConfigurationError, create_app

    # Built before the command line is read, so that a configuration Sala cannot start with
    # says so in one line for every command that needs it, rather than a traceback.
    try:
        app = create_app(require_production_settings=needs_production_settings(sys.argv[1:]))
    except ConfigurationError as exc:
        fail(str(exc))
    cli = FlaskGroup(create_app=lambda: app, help=_cli_help())
    try:
        cli.main(prog_name="sala")
    except sa.exc.DatabaseError as exc:
        if isinstance(exc, sa.exc.IntegrityError):
            raise
        from .errors import database_problem

        with app.app_context():
            fail(database_problem(exc))


def fail(message):
    """One line on standard error, exit status 1: what is wrong and what to do."""
    error = click.ClickException(message)
    error.show()
    sys.exit(error.exit_code)


def _cli_help():
    return "Sala: public online sessions. Run 'sala COMMAND --help' for a command's help."


@click.command("init")
@with_appcontext
def init_command():
    """Create the database, or upgrade it to the newest schema. Safe to run again."""
    from .schema import upgrade_database

    upgrade_database(db.engine)
    click.echo(
        _("The database is ready: %(url)s", url=db.engine.url.render_as_string(hide_password=True))
    )


@click.command("demo")
@click.option(
    "--force", is_flag=True, help="Load it even outside development (it creates accounts)."
)
@with_appcontext
def demo_command(force):
    """Load the demonstration session and demo accounts. Safe to run again."""
    from flask import current_app

    from . import in_development
    from .demo import load_demo

    # The demo accounts' passwords are printed and kept in instance/: not on a real site.
    if not (force or in_development(current_app)):
        raise click.ClickException(
            _(
                "sala demo creates accounts with known passwords, so it runs only in "
                "development (SALA_DEV=1); add --force to load it anyway."
            )
        )

    result = load_demo()
    if result.created:
        click.echo(_("Demo session created: %(url)s", url=result.url))
    else:
        click.echo(_("The demo session is already there: %(url)s", url=result.url))
    for account in result.accounts:
        click.echo(
            _(
                "Demo %(role)s: %(email)s, password: %(password)s",
                role=account.role,
                email=account.email,
                password=account.password,
            )
        )


user_group = click.Group("user", help="Organizer and moderator accounts.")


def read_new_password():
    """A new password: asked twice on a terminal, else one line of standard input."""
    from .auth.passwords import MIN_LENGTH

    if sys.stdin.isatty():
        password = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < MIN_LENGTH:
        raise click.ClickException(_("The password must have at least 10 characters."))
    return password


def existing_user(email):
    from .auth.passwords import find_user

    user = find_user(email)
    if user is None:
        raise click.ClickException(_("There is no user with the email %(email)s.", email=email))
    return user


def change_account(email, change, message):
    """Apply `change(user)` (from app.auth.accounts), commit, and say `message`."""
    from .auth.accounts import AccountError

    user = existing_user(email)
    try:
        change(user)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(message)


@user_group.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(User.ROLES), default="moderator", show_default=True)
@click.option("--name", default="")
@with_appcontext
def user_create_command(email, role, name):
    """Create a user. The password is read from standard input when it is not a terminal."""
    from . import audit

    email = email.strip().lower()
    if db.session.scalar(sa.select(User).where(User.email == email)):
        raise click.ClickException(
            _("A user with the email %(email)s already exists.", email=email)
        )
    password = read_new_password()
    user = User(email=email, role=role, name=name)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", user, role=role, via="cli")
    db.session.commit()
    click.echo(_("User %(email)s created with the role %(role)s.", email=email, role=role))


@user_group.command("list")
@with_appcontext
def user_list_command():
    """List the users: email, role, enabled or not, two-factor sign-in on or off."""
    for user in db.session.scalars(sa.select(User).order_by(User.email)):
        state = _("enabled") if user.active else _("disabled")
        two_factor = _("two-factor on") if user.has_two_factor else _("two-factor off")
        click.echo(f"{user.email:<40} {user.role:<10} {state:<10} {two_factor}")


@user_group.command("passwd")
@click.argument("email")
@with_appcontext
def user_passwd_command(email):
    """Set a new password (read from standard input when it is not a terminal). Ends every
    session of the account."""
    from .auth import accounts

    user = existing_user(email)
    password = read_new_password()
    accounts.change_password(user, password, via="cli")
    db.session.commit()
    click.echo(_("The password of %(email)s is changed.", email=user.email))


@user_group.command("disable")
@click.argument("email")
@with_appcontext
def user_disable_command(email):
    """Disable an account: it can no longer sign in, and its sessions end."""
    from .auth import accounts

    change_account(
        email,
        lambda user: accounts.set_active(user, False, via="cli"),
        _("%(email)s is disabled and signed out.", email=email),
    )


@user_group.command("enable")
@click.argument("email")
@with_appcontext
def user_enable_command(email):
    """Enable a disabled account again."""
    from .auth import accounts

    change_account(
        email,
        lambda user: accounts.set_active(user, True, via="cli"),
        _("%(email)s can sign in again.", email=email),
    )


@user_group.command("role")
@click.argument("email")
@click.argument("role", type=click.Choice(User.ROLES))
@with_appcontext
def user_role_command(email, role):
    """Change the role of an account (its sessions end)."""
    from .auth import accounts
    from .auth.admin import role_label

    change_account(
        email,
        lambda user: accounts.change_role(user, role, via="cli"),
        _("%(email)s is now: %(role)s.", email=email, role=role_label(role)),
    )


@user_group.command("signout")
@click.argument("email")
@with_appcontext
def user_signout_command(email):
    """End every session of an account."""
    from .auth import accounts

    change_account(
        email,
        lambda user: accounts.end_sessions(user, via="cli"),
        _("Every session of %(email)s has ended.", email=email),
    )


@user_group.command("reset-2fa")
@click.argument("email")
@with_appcontext
def user_reset_two_factor_command(email):
    """Turn off two-factor sign-in of an account whose phone is lost (its sessions end)."""
    from .auth import accounts

    change_account(
        email,
        lambda user: accounts.reset_two_factor(user, via="cli"),
        _("Two-factor sign-in of %(email)s is off.", email=email),
    )


@user_group.command("remove")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def user_remove_command(email, yes):
    """Remove an account. The audit log keeps its email as the actor of what it did."""
    from .auth import accounts

    if not yes:
        click.confirm(_("Remove the account %(email)s?", email=email), abort=True)
    change_account(
        email,
        lambda user: accounts.remove(user, via="cli"),
        _("%(email)s is removed.", email=email),
    )


@click.command("plugins")
@with_appcontext
def plugins_command():
    """List installed plugins: name, version, enabled or not, and the hooks they implement."""
    for plugin in plugin_state().installed:
        if plugin.error:
            status = _("failed: %(error)s", error=plugin.error)
        else:
            status = _("enabled") if plugin.enabled else _("disabled")
        hooks = ", ".join(hook_names(plugin.module)) if plugin.module else ""
        click.echo(
            f"{plugin.name:<14} {plugin.distribution} {plugin.version:<10} {status:<10} "
            f"{hooks or '—'}"
        )


@click.command("worker")
@click.option("--once", is_flag=True, help="Send everything due, then exit (for cron).")
@click.option("--batch", type=click.IntRange(1, 10000), default=None, help="Messages per batch.")
@click.option("--idle", type=float, default=5.0, show_default=True, help="Seconds between polls.")
@with_appcontext
def worker_command(once, batch, idle):
    """Send queued mail and run background work, until stopped (or --once)."""
    from .mail.worker import run_worker

    run_worker(once=once, batch=batch, idle=idle, echo=click.echo)  # it says why it pauses


@click.group("mail")
def mail_group():
    """The outbox: send failed mail again, end a pause."""


@mail_group.command("retry")
@click.option(
    "--batch", default=None, help="Only this bulk send's mail (as the outbox page names it)."
)
@click.option(
    "--reason",
    default=None,
    help="Only mail that failed for this reason, as the outbox page groups them ('550 5.1.1').",
)
@with_appcontext
def mail_retry_command(batch, reason):
    """Queue failed mail again, all at once (mail whose delivery is unknown is left alone:
    it may have arrived; retry it from the outbox page)."""
    from .mail.outbox import retry_failed

    count = retry_failed(batch=batch, reason=reason)
    db.session.commit()
    click.echo(
        ngettext(
            "%(num)d failed mail is queued again.", "%(num)d failed mails are queued again.", count
        )
    )


@mail_group.command("resume")
@with_appcontext
def mail_resume_command():
    """End a pause of the outbox now (after fixing the email provider's settings)."""
    from . import audit
    from .mail.worker import lift_pause

    if lift_pause():
        audit.record("outbox.resume")
        db.session.commit()
        click.echo(_("Mail is no longer paused; the worker sends on its next round."))
    else:
        click.echo(_("Mail is not paused."))


@click.command("purge")
@click.argument("session")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--force", is_flag=True, help="Erase even though the retention period has not passed."
)
@click.option(
    "--now",
    "now_text",
    metavar="YYYY-MM-DDTHH:MM",
    default=None,
    help="Act as if it were this UTC time (for testing).",
)
@with_appcontext
def purge_command(session, yes, force, now_text):
    """Erase the personal data of a concluded session's registrants (SESSION: its slug),
    after its retention period. Writes an export first; keeps counts, ideas and the plan."""
    from datetime import datetime

    from .models import Event
    from .registration import purge

    event = db.session.scalar(sa.select(Event).where(Event.slug == session))
    if event is None:
        raise click.ClickException(_("No session with the address %(slug)s.", slug=session))
    try:
        now = datetime.fromisoformat(now_text) if now_text else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--now") from exc
    reason = purge.refusal(event, now, force)
    if reason is not None:
        raise click.ClickException(str(reason))
    if force and purge.refusal(event, now) is not None:
        click.echo(
            _(
                "Warning: the retention period of this session has not passed yet. "
                "Registrants were told their data would be kept until %(date)s.",
                date=local_time(purge.available_at(event), event.timezone, "medium", zone=True),
            ),
            err=True,
        )
    registrations, ideas, messages = purge.pending(event)
    if not (registrations or ideas or messages):
        click.echo(_("Nothing left to erase for %(slug)s.", slug=event.slug))
        return
    export = purge.write_export(event, now)
    click.echo(_("Export written to %(path)s (keep it safe).", path=export))
    click.echo(
        _(
            "This erases the names, email addresses, countries, affiliations and meeting "
            "links of %(registrations)d registrations, the author details of %(ideas)d ideas "
            "and %(messages)d mails of %(slug)s. It cannot be undone.",
            registrations=registrations,
            ideas=ideas,
            messages=messages,
            slug=event.slug,
        )
    )
    if not yes and not click.confirm(_("Erase now?")):
        click.echo(_("Nothing was erased. The export stays at %(path)s.", path=export))
        return
    result = purge.purge(event, now=now, force=force, export_path=export)
    db.session.commit()
    click.echo(
        _(
            "Erased: %(registrations)d registrations, %(ideas)d idea authors, %(messages)d "
            "mails. Counts, ideas and the plan remain.",
            registrations=result.registrations,
            ideas=result.ideas,
            messages=result.messages,
        )
    )


def init_app(app):
    from .translate import translate_group

    for command in (
        init_command,
        demo_command,
        user_group,
        plugins_command,
        worker_command,
        mail_group,
        purge_command,
        translate_group,
    ):
        app.cli.add_command(command)
    for commands in plugin_state(app).hook.sala_cli_commands():
        for command in commands or []:
            app.cli.add_command(command)
