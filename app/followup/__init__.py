"""The follow-up mail after a session: the recording, slides or minutes, and the Plan of
Action once published, written per language and previewed by an organizer; to everyone
registered, or, where a plugin records attendance (the Zoom plugin), one text for those who
attended and another for those who registered but did not. Sent as a mail-out
(app/mail/mailout.py): the worker prepares it in batches."""

from . import service  # noqa: F401  (registers the "followup" mail-out kind)
from .routes import bp


def init_app(app):
    app.register_blueprint(bp)
