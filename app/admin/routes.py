import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit
from ..auth import admin_required
from ..extensions import db
from ..models import AuditEntry, Event, Idea, Registration, User

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.before_request
@admin_required
def require_admin():
    """Every organizer page: anonymous visitors sign in first, moderators get 403."""


@bp.get("/")
def index():
    events = db.session.scalars(sa.select(Event).order_by(Event.starts_at.desc())).all()
    registrations = dict(
        db.session.execute(
            sa.select(Registration.event_id, sa.func.count())
            .where(Registration.status.in_(("confirmed", "waitlisted")))
            .group_by(Registration.event_id)
        ).all()
    )
    ideas = dict(
        db.session.execute(sa.select(Idea.event_id, sa.func.count()).group_by(Idea.event_id)).all()
    )
    return render_template(
        "admin/index.html", events=events, registrations=registrations, ideas=ideas
    )


@bp.get("/audit")
def audit_log():
    page = db.paginate(
        sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()), per_page=50
    )
    return render_template("admin/audit.html", page=page)


@bp.get("/users")
def users():
    rows = db.session.scalars(sa.select(User).order_by(User.email)).all()
    return render_template("admin/users.html", users=rows, roles=User.ROLES)


@bp.post("/users/<int:user_id>/role")
def change_role(user_id):
    user = db.get_or_404(User, user_id)
    role = request.form.get("role")
    if role not in User.ROLES:
        abort(400)
    if user.id == current_user.id and role != "admin":
        flash(_("You cannot remove your own organizer role."), "error")
    elif user.role != role:
        audit.record("user.role", user, before=user.role, after=role)
        user.role = role
        db.session.commit()
        flash(_("%(email)s is now: %(role)s.", email=user.email, role=role_label(role)), "info")
    return redirect(url_for("admin.users"))


def role_label(role):
    return {"admin": _("organizer"), "moderator": _("moderator")}.get(role, role)


@bp.app_context_processor
def role_labels():
    return {"role_label": role_label}


@bp.get("/events/<int:event_id>")
def event(event_id):
    found = db.get_or_404(Event, event_id)
    return render_template("admin/event.html", event=found)
