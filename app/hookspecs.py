"""The hooks a Sala plugin may implement.

A plugin is a module (or package) named in the ``sala.plugins`` entry point group. It marks
its functions with ``@hookimpl`` from ``app.plugins``; the function's name says which hook it
implements. Each docstring below is the reference documentation for its hook, and
docs/plugins.md shows an example of each.
"""

import pluggy

hookspec = pluggy.HookspecMarker("sala")


@hookspec
def sala_config_defaults():
    """Return a dict of config defaults for the plugin's own settings, or for a core
    setting the plugin changes (the moderation plugin turns ``IDEAS_PUBLIC_BOARD`` on).

    They sit over the core's defaults and under everything else: ``instance/config.py``,
    ``SALA_*`` variables and test overrides win. Of two plugins, the first loaded wins.
    """


@hookspec
def sala_translation_dirs():
    """Return a list of directories holding the plugin's gettext catalogs
    (``<dir>/<lang>/LC_MESSAGES/messages.mo``)."""


@hookspec
def sala_migration_dirs():
    """Return a list of directories holding the plugin's own Alembic migrations, for the
    tables it owns (Sala's core holds no table or column for a plugin).

    They form a branch of their own: the plugin's first revision has ``down_revision =
    None``, ``branch_labels = ("<plugin name>",)`` and ``depends_on`` the core revision
    whose tables it refers to. ``sala init`` brings every enabled plugin's branch to its
    head, then the core's."""


@hookspec
def sala_blueprints():
    """Return a list of Flask blueprints to register; they may carry templates and static
    files of their own."""


@hookspec
def sala_cli_commands():
    """Return a list of click commands (or groups) to add to the ``sala`` command."""


@hookspec
def sala_app_ready(app):
    """Called once the app is fully built: config, extensions, blueprints. For checks and
    wiring that need the finished app."""


@hookspec
def sala_nav_links(user):
    """Return a list of ``NavLink(label, endpoint, ...)`` for the navigation bar.

    ``user`` is the signed-in user or an anonymous one; return nothing to hide a link."""


@hookspec
def sala_template_slot(slot, context):
    """Return HTML (a ``Markup``) to place in the named template slot, or None.

    Slots: ``head``, ``nav``, ``footer``, ``event_sidebar``, ``event_after_summary``,
    ``admin_event``, ``registration_manage``, ``registrant_join``. ``context`` is the template
    context (``registrant_join``, in each row of the organizer's registrants table, has
    ``registration`` and ``event``)."""


@hookspec
def sala_worker_tick(app):
    """Called by ``sala worker`` on every round, before mail is sent, for background work
    (the Zoom plugin's registrant sync). Keep each call short; return a number of items
    handled, or None."""


@hookspec
def sala_event_form_fields(event):
    """Return a list of ``EventFormField(name, field, value, hint)`` (in ``app.plugins``):
    fields to add to the organizer's session form, with what the plugin holds for
    ``event`` (None while a session is being created). They are validated with the form;
    a name must not be one of the core's fields."""


@hookspec
def sala_event_form_saved(event, data):
    """The organizer saved the session form (or duplicated a session): ``data`` maps the
    names of the fields this plugin added to their values. Store them in the plugin's own
    tables (the session is flushed: ``event.id`` is set) and return the names of those
    that changed, for the audit log."""


@hookspec(firstresult=True)
def sala_email_provider(name, app):
    """Return the email provider called ``name`` if this plugin provides it, else None.

    A provider has ``open()`` returning a connection used as a context manager, whose
    ``send(message)`` delivers one ``OutboxMessage`` and returns a provider id, raising
    ``app.mail.outbox.TemporaryFailure`` (this message, later), ``PermanentFailure`` (this
    message, for good) or ``ProviderRefused`` (the provider refuses the sender, the login or
    the connection: the whole queue pauses, and no message is failed)."""


@hookspec(firstresult=True)
def sala_join_details(registration):
    """Return a ``JoinDetails`` for this registrant; ``JOIN_PENDING`` while a personal link
    is still being fetched (the core asks again on the worker's next round, and falls back
    to the session's shared link when the details are due); or None to let the next plugin
    (or the session's shared link and passcode) answer. Both are in ``app.plugins``. When the
    core fell back, ``registration.join_details_sent_at`` is set while the plugin was still
    pending: the registrant has the shared link, and the plugin keeps its state (the core
    keeps none of a plugin's)."""


@hookspec(firstresult=True)
def sala_attendance_known(event):
    """Return True when this plugin records who attended ``event`` (it sets
    ``Registration.attended``, as the Zoom plugin does from the meeting's join events).
    The follow-up mail can then have one text for those who attended and another for those
    who registered but did not; without an answer, one text goes to everyone."""


@hookspec(firstresult=True)
def sala_initial_idea_status(idea):
    """Return the status a newly confirmed idea starts in (the moderation plugin answers
    ``"pending"``). Without an answer, ideas are ``"received"``: seen by organizers only."""


@hookspec
def sala_personal_data_shared(event):
    """Declare the personal data this plugin hands to another service: return a list of
    ``PersonalDataShare(recipient, data, purpose, policy_url)`` (in ``app.plugins``), or
    nothing. ``event`` is the session a visitor registers for, or None for the site's
    privacy notice (then declare what any session may send). The privacy notice, the
    registration form and the consent stored with a registration list exactly what the
    enabled plugins declare here: a plugin that sends data it does not declare makes the
    notice untrue."""


# Domain events. They are called inside the request's transaction, after the change is
# flushed: a plugin may add rows (outbox messages, its own state) to the same transaction,
# and must not do slow work here (no network calls: leave that to sala_worker_tick).


@hookspec
def sala_registration_confirmed(registration):
    """A registration was confirmed (it counts, or is waitlisted)."""


@hookspec
def sala_registration_cancelled(registration):
    """A registration was cancelled, by its registrant or an organizer."""


@hookspec
def sala_registration_erased(registration):
    """A registrant's personal data is about to be erased; the plugin forgets what it
    keeps about them (the Zoom plugin cancels them on Zoom). The registration still holds
    its address and name while the hook runs, so a plugin can find what it kept under
    them."""


@hookspec
def sala_event_purged(event):
    """A concluded session's personal data is being purged, after `sala_registration_erased`
    was called for each of its registrants: the plugin forgets what it keeps about the
    session's people beyond its registrations (Sala's own ideas feature: the authors of
    ideas sent by visitors who never registered)."""


@hookspec
def sala_event_rescheduled(event, old):
    """The session's start or length changed (the organizer's session form): ``event``
    holds the new ones, ``old`` the earlier ones (``old.starts_at``, naive UTC,
    ``old.duration_minutes``, ``old.timezone``). Registrants are mailed by the core; a
    plugin moves what it keeps elsewhere (the Zoom plugin queues a PATCH of the meeting,
    sent by its worker)."""


@hookspec
def sala_event_cancelled(event):
    """The organizer cancelled the session (it was a draft or published; its state is now
    ``cancelled``). Registrants are mailed by the core; a plugin calls off what it keeps
    elsewhere (the Zoom plugin queues the deletion of the meeting, done by its worker)."""


@hookspec
def sala_idea_submitted(idea):
    """A new idea was submitted and confirmed, or raised live during the session and written
    down by a moderator (``idea.raised_live``; already approved)."""


@hookspec
def sala_idea_moderated(idea, action, actor):
    """A moderator acted on an idea: ``action`` is ``approve``, ``reject``, ``edit``,
    ``merge``, ``discuss``, ``theme``, ``presenter`` (linked to the speaker who presented it)
    or ``undo``; ``actor`` the user."""


@hookspec
def sala_plan_published(plan_version):
    """A version of the Plan of Action was published."""
