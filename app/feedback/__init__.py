"""The feedback form after a session: questions the organizers write in each language (a
rating, a choice, a free text), answered once from the registrant's personal page,
anonymous by default; counts, charts and a CSV for the organizers. The link on the
personal page and the forgetting are the internal plugin `app.feedback.hooks`."""

from . import models  # noqa: F401  (the tables, for the metadata and migrations)
from .admin import bp as admin_bp
from .routes import bp


def init_app(app):
    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
