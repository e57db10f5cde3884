"""The audit log, as organizers read it: newest first, fifty entries a page. (Entries are
written by `app.audit.record`.)"""

import sqlalchemy as sa
from flask import Blueprint, render_template, request

from .auth import admin_required
from .extensions import db
from .models import AuditEntry
from .whole_numbers import page_arg

bp = Blueprint("audit_admin", __name__, url_prefix="/admin")  # template: app/templates/audit


@bp.before_request
@admin_required
def require_admin():
    """Organizers only."""


@bp.get("/audit")
def audit_log():
    page = db.paginate(
        sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()),
        page=page_arg(request.args),
        per_page=50,
    )
    return render_template("audit/log.html", page=page)


def init_app(app):
    app.register_blueprint(bp)
