"""Organizer pages. Every route here is for organizers (role "admin") only."""

from .routes import bp


def init_app(app):
    app.register_blueprint(bp)
