"""Mail: the outbox (queue), MIME, the worker that sends, the default file provider and the
organizer's outbox page. Each feature keeps its own mail templates (``mail/<name>.*`` in its
own templates folder); the shared layout (``mail/base.*``) lives here."""


def init_app(app):
    from . import admin, unsubscribe, worker
    from .outbox import mail_url, remember_served_address

    app.jinja_env.globals.update(mail_url=mail_url)
    if not app.config.get("BASE_URL"):
        app.before_request(remember_served_address)
    app.register_blueprint(admin.bp)
    app.register_blueprint(unsubscribe.bp)
    worker.init_app(app)
