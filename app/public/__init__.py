"""Public pages: the home page, the privacy notice, health check, our own copy of htmx."""

from .routes import bp, vendor


def init_app(app):
    app.register_blueprint(bp)
    app.register_blueprint(vendor)
