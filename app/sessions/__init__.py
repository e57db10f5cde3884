"""Sessions from the browser (create, edit, duplicate, archive), the public archive of past
sessions, and the organizer's dashboard of one session."""

from . import dashboard, overview  # noqa: F401  (their routes attach to bp)
from .routes import bp, public_bp


def init_app(app):
    app.register_blueprint(bp)
    app.register_blueprint(public_bp)
