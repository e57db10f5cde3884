"""The organizer's dashboard of one session: registrations over time, by status, language
and country; ideas by status and theme; mails sent and failed; attendance when the join
provider reports it. Every number comes from one grouped query; the charts are SVG drawn
here (app.charts), nothing runs in the browser."""

import sqlalchemy as sa
from flask import redirect, render_template, url_for
from flask_babel import gettext as _

from .. import charts
from ..events import current_events
from ..extensions import db
from ..i18n import current_language, language_name
from ..ideas.workflow import status_label
from ..mail.admin import status_label as mail_status_label
from ..models import Event, Idea, OutboxMessage, Registration
from ..registration.domain import status_label as registration_status_label
from ..templating import country_name
from .routes import bp


def grouped(column, *where):
    return dict(
        db.session.execute(sa.select(column, sa.func.count()).where(*where).group_by(column)).all()
    )


def dashboard_numbers(event):
    """Every count the dashboard shows, as plain dicts (tests read these too)."""
    regs = Registration.event_id == event.id
    by_status = dict.fromkeys(Registration.STATUSES, 0)
    by_status.update(grouped(Registration.status, regs))
    active = sa.and_(regs, Registration.status.in_(("confirmed", "waitlisted")))
    by_language = grouped(Registration.language, active)
    by_country = grouped(Registration.country, active)
    attended = db.session.scalar(
        sa.select(sa.func.count()).where(regs, Registration.attended.is_(True))
    )
    ideas = Idea.event_id == event.id
    ideas_by_status = grouped(Idea.status, ideas)
    ideas_by_theme = grouped(Idea.theme_id, ideas, Idea.status != "unconfirmed")
    mails = dict.fromkeys(OutboxMessage.STATUSES, 0)
    mails.update(grouped(OutboxMessage.status, OutboxMessage.event_id == event.id))
    return {
        "registrations": by_status,
        "by_language": by_language,
        "by_country": by_country,
        "attended": attended,
        "ideas": ideas_by_status,
        "ideas_by_theme": ideas_by_theme,
        "mails": mails,
    }


def dashboard_charts(event, numbers):
    lang = current_language()
    days = charts.per_day(
        db.session.scalars(
            sa.select(Registration.created_at).where(Registration.event_id == event.id)
        ),
        event.timezone,
        max_days=90,
    )
    countries = sorted(numbers["by_country"].items(), key=lambda kv: (-kv[1], kv[0]))
    top, rest = countries[:10], sum(count for _c, count in countries[10:])
    country_rows = [(country_name(code) if code else _("not given"), count) for code, count in top]
    if rest:
        country_rows.append((_("other countries"), rest))
    themes = [(t.label(lang), numbers["ideas_by_theme"].get(t.id, 0)) for t in event.themes]
    themes.append((_("No theme"), numbers["ideas_by_theme"].get(None, 0)))
    return {
        "per_day": charts.bar_chart(days, _("Registrations per day")),
        "status": charts.hbar_chart(
            [
                (registration_status_label(s), numbers["registrations"][s])
                for s in Registration.STATUSES
            ],
            _("Registrations by status"),
        ),
        "language": charts.hbar_chart(
            [
                (language_name(code), count)
                for code, count in sorted(numbers["by_language"].items())
            ],
            _("Registrations by language"),
        ),
        "country": charts.hbar_chart(country_rows, _("Registrations by country")),
        "ideas_status": charts.hbar_chart(
            [
                (status_label(s), numbers["ideas"].get(s, 0))
                for s in Idea.STATUSES
                if numbers["ideas"].get(s)
            ],
            _("Ideas by status"),
        ),
        "ideas_theme": charts.hbar_chart(themes, _("Ideas by theme")),
        "mails": charts.hbar_chart(
            [(mail_status_label(s), numbers["mails"][s]) for s in OutboxMessage.STATUSES],
            _("Mails by status"),
        ),
    }


@bp.get("/dashboard")
def current_dashboard():
    """The dashboard of the current session: the next published one, else the latest."""
    public = current_events()
    upcoming = [e for e in public if e.state == "published"]
    candidates = upcoming or public
    current = (
        candidates[0]
        if candidates
        else db.session.scalar(sa.select(Event).order_by(Event.starts_at.desc()).limit(1))
    )
    if current is None:
        return redirect(url_for("sessions.index"))
    return redirect(url_for("sessions.dashboard", event_id=current.id))


@bp.get("/events/<int:event_id>/dashboard")
def dashboard(event_id):
    event = db.get_or_404(Event, event_id)
    numbers = dashboard_numbers(event)
    return render_template(
        "sessions/dashboard.html",
        event=event,
        numbers=numbers,
        charts=dashboard_charts(event, numbers),
        registration_status_label=registration_status_label,
    )
