"""Ideas: sent before the session, confirmed by email, reviewed, shown on a public board."""

from .admin import bp as admin_bp
from .routes import bp, form_context
from .text import author_label, idea_text
from .workflow import REJECT_REASONS, status_label


def reject_reason_label(code):
    return REJECT_REASONS.get(code, "")


def init_app(app):
    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    app.add_template_filter(idea_text, "idea_text")
    app.jinja_env.globals.update(
        idea_box=form_context,
        idea_author=author_label,
        idea_status_label=status_label,
        reject_reason_label=reject_reason_label,
    )
