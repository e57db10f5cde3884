"""Sessions, the organizer's side: the list of sessions (the organizer home, /admin/), the
page of one session and its state changes, create, edit, duplicate, archive, the dashboard
of one session; and the public archive of past sessions."""

from . import changes, dashboard, overview  # noqa: F401  (routes attach to bp; mail-out kinds)
from .routes import bp, public_bp


def init_app(app):
    app.register_blueprint(bp)
    app.register_blueprint(public_bp)
