"""The audit log: who did what to what, when."""

from flask import has_request_context
from flask_login import current_user

from .extensions import db
from .models import AuditEntry


def record(action, target=None, actor=None, **detail):
    """Add an audit entry to the current transaction (the caller commits)."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    entry = AuditEntry(
        action=action,
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.email if actor is not None else "",
        target_type=type(target).__name__.lower() if target is not None else "",
        target_id=getattr(target, "id", None),
        detail=detail,
    )
    db.session.add(entry)
    return entry
