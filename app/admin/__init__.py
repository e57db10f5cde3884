"""Organizer pages. Every route here is for organizers (role "admin") only."""

from . import purge, registrants, users  # noqa: F401  (their routes attach to bp)
from .routes import bp


def init_app(app):
    app.register_blueprint(bp)
