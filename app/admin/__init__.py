"""Organizer pages. Every route here is for organizers (role "admin") only."""

from . import registrants  # noqa: F401  (routes on the same blueprint)
from .routes import bp


def init_app(app):
    app.register_blueprint(bp)
