"""Organizer pages for a session's registrants: the table (search, filters, pages, updated
in place by htmx, plain links without JavaScript), counts and a per-day chart drawn on the
server, CSV export, resending join details, and an announcement mail previewed before it is
queued. Organizers only; the pages to erase personal data attach to the same blueprint
(`purge_admin`)."""

import csv
import io

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from jinja2_fragments.flask import render_block

from .. import audit, charts
from ..auth import admin_required
from ..extensions import db
from ..mail import mailout
from ..mail.outbox import render_mail
from ..models import Event, Registration, utcnow
from ..spreadsheet import safe_cell
from ..whole_numbers import page_arg
from . import domain
from .forms import ActionForm, announcement_form

bp = Blueprint("registration_admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.before_request
@admin_required
def require_admin():
    """Organizers only."""


@bp.app_context_processor
def status_labels():
    return {"registration_status_label": domain.status_label}


PER_PAGE = 50
CSV_FIELDS = (
    "id",
    "email",
    "name",
    "language",
    "country",
    "affiliation",
    "status",
    "created_at",
    "confirmed_at",
    "cancelled_at",
    "join_details_sent_at",
    "attended",
)


def filters_from(args):
    return {
        "q": args.get("q", "").strip()[:200],
        "status": args.get("status", "") if args.get("status") in Registration.STATUSES else "",
        "language": args.get("language", "")[:10],
        "country": args.get("country", "")[:2].upper(),
    }


def filtered(event, f):
    query = sa.select(Registration).where(
        Registration.event_id == event.id, Registration.erased_at.is_(None)
    )
    if f["q"]:
        like = f"%{f['q'].lower()}%"
        query = query.where(
            sa.or_(
                Registration.email_key.like(like),
                sa.func.lower(Registration.name).like(like),
                sa.func.lower(Registration.affiliation).like(like),
            )
        )
    for column in ("status", "language", "country"):
        if f[column]:
            query = query.where(getattr(Registration, column) == f[column])
    return query


def status_counts(event):
    counts = dict.fromkeys(Registration.STATUSES, 0)
    counts.update(domain.status_counts(event))
    counts["erased"] = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Registration)
        .where(Registration.event_id == event.id, Registration.erased_at.is_not(None))
    )
    return counts


def facet(event, column):
    return [
        value
        for value in db.session.scalars(
            sa.select(column)
            .where(Registration.event_id == event.id, column != "")
            .distinct()
            .order_by(column)
        )
    ]


def per_day_chart(event):
    """Registrations per day (all statuses, in the session's time zone) as SVG bars."""
    days = charts.per_day(
        db.session.scalars(
            sa.select(Registration.created_at).where(Registration.event_id == event.id)
        ),
        event.timezone,
        max_days=90,
    )
    return charts.bar_chart(days, _("Registrations per day")) if days else None


@bp.get("/events/<int:event_id>/registrants")
def registrants(event_id):
    event = db.get_or_404(Event, event_id)
    f = filters_from(request.args)
    page = db.paginate(
        filtered(event, f).order_by(Registration.created_at.desc(), Registration.id.desc()),
        page=page_arg(request.args),
        per_page=PER_PAGE,
        error_out=False,
    )
    context = dict(
        event=event,
        page=page,
        filters=f,
        active={k: v for k, v in f.items() if v},
        statuses=Registration.STATUSES,
        language_codes=facet(event, Registration.language),
        countries=facet(event, Registration.country),
        action=ActionForm(formdata=None),
    )
    if request.htmx:
        response = Response(
            render_block("registration/admin/registrants.html", "results", **context)
        )
    else:
        context.update(
            counts=status_counts(event),
            chart=per_day_chart(event),
            seats_left=domain.seats_left(event),
        )
        response = Response(render_template("registration/admin/registrants.html", **context))
    return response


@bp.get("/events/<int:event_id>/registrants.csv")
def registrants_csv(event_id):
    event = db.get_or_404(Event, event_id)
    f = filters_from(request.args)
    query = filtered(event, f).order_by(Registration.id)
    audit.record("registration.export", event, filters={k: v for k, v in f.items() if v})
    db.session.commit()

    # Written whole before the first byte goes out: an export that fails half-way answers
    # the error page, never a file cut short that looks complete.
    buffer = io.StringIO()
    buffer.write("\ufeff")  # a BOM, so spreadsheets read UTF-8 (Khmer)
    writer = csv.writer(buffer)
    writer.writerow(CSV_FIELDS)
    for registration in db.session.scalars(query.execution_options(yield_per=500)):
        writer.writerow([safe_cell(getattr(registration, name)) for name in CSV_FIELDS])

    filename = f"{event.slug}-registrants-{utcnow():%Y%m%d}.csv"
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def back_to_list(event):
    return redirect(url_for("registration_admin.registrants", event_id=event.id, **request.args))


@bp.post("/events/<int:event_id>/registrants/<int:registration_id>/resend")
def registrant_resend(event_id, registration_id):
    event = db.get_or_404(Event, event_id)
    registration = db.get_or_404(Registration, registration_id)
    if registration.event_id != event.id or not ActionForm().validate():
        return back_to_list(event)
    sent = domain.send_again(
        event, [registration], current_user, batch=f"resend-{event.id}-{utcnow():%Y%m%d%H%M%S}"
    )
    db.session.commit()
    if sent:
        flash(_("The join details are queued for %(email)s.", email=registration.email), "success")
    else:
        flash(
            _(
                "Nothing was sent: the join details are not released yet, or the registrant "
                "is not confirmed."
            ),
            "error",
        )
    return back_to_list(event)


@bp.post("/events/<int:event_id>/registrants/resend-all")
def registrants_resend_all(event_id):
    event = db.get_or_404(Event, event_id)
    if not ActionForm().validate():
        return back_to_list(event)
    if not domain.join_released(event):
        flash(_("The join details are not released yet."), "error")
        return back_to_list(event)
    confirmed = db.session.scalars(
        sa.select(Registration).where(
            Registration.event_id == event.id,
            Registration.status == "confirmed",
            Registration.erased_at.is_(None),
        )
    ).all()
    sent = domain.send_again(
        event, confirmed, current_user, batch=f"resend-{event.id}-{utcnow():%Y%m%d%H%M%S}"
    )
    db.session.commit()
    flash(
        ngettext(
            "The join details are queued for %(num)d registrant.",
            "The join details are queued for %(num)d registrants.",
            sent,
        ),
        "success",
    )
    return back_to_list(event)


@bp.post("/events/<int:event_id>/registrants/<int:registration_id>/cancel")
def registrant_cancel(event_id, registration_id):
    event = db.get_or_404(Event, event_id)
    registration = db.get_or_404(Registration, registration_id)
    if registration.event_id == event.id and ActionForm().validate():
        promoted = domain.cancel(registration, actor=current_user)
        db.session.commit()
        flash(_("The registration is cancelled."), "success")
        if promoted:
            flash(
                ngettext(
                    "%(num)d person moved up from the waitlist.",
                    "%(num)d people moved up from the waitlist.",
                    len(promoted),
                ),
                "info",
            )
    return back_to_list(event)


def digest(texts):
    """A fingerprint of the texts the organizer saw in the preview: only those are sent."""
    import hashlib
    import json

    return hashlib.sha256(json.dumps(texts, sort_keys=True).encode()).hexdigest()


@bp.route("/events/<int:event_id>/announce", methods=["GET", "POST"])
def announce(event_id):
    event = db.get_or_404(Event, event_id)
    languages = current_app.config["LANGUAGES"]
    form = announcement_form(languages, request.form if request.method == "POST" else None)
    recipients = dict(
        db.session.execute(
            sa.select(Registration.language, sa.func.count())
            .where(*mailout.audience_filter(event.id, "registered"))
            .group_by(Registration.language)
        ).all()
    )
    previews = None
    previewed = ""
    if request.method == "POST" and form.validate():
        texts = {
            code: (
                (form[f"subject_{code}"].data or "").strip(),
                (form[f"body_{code}"].data or "").strip(),
            )
            for code in languages
        }
        default = event.default_language
        if not all(texts.get(default, ("", ""))):
            form[f"subject_{default}"].errors.append(
                _("Write the subject and the message at least in the session's default language.")
            )
        elif request.form.get("action") == "send" and request.form.get("previewed") == digest(
            texts
        ):
            batch = f"announce-{event.id}-{utcnow():%Y%m%d%H%M%S}"
            count = domain.announce(event, texts, current_user, batch)
            db.session.commit()
            flash(
                ngettext(
                    "The announcement goes to %(num)d registrant; its progress is on the "
                    "outbox page.",
                    "The announcement goes to %(num)d registrants; its progress is on the "
                    "outbox page.",
                    count,
                ),
                "success",
            )
            return redirect(url_for("registration_admin.registrants", event_id=event.id))
        else:
            previewed = digest(texts)
            previews = []
            for code in languages:
                used = code if all(texts[code]) else default
                subject, text, _html = render_mail(
                    "registration_announcement",
                    used,
                    event=event,
                    registration=None,
                    announcement_subject=texts[used][0],
                    announcement_body=texts[used][1],
                    manage_url=_("(each registrant's personal link)"),
                    unsubscribe_url=_("(each registrant's personal link)"),
                )
                previews.append(
                    {
                        "code": code,
                        "used": used,
                        "subject": subject,
                        "text": text,
                        "body": texts[used][1],
                        "recipients": recipients.get(code, 0),
                    }
                )
    return render_template(
        "registration/admin/announce.html",
        event=event,
        form=form,
        language_codes=languages,
        previews=previews,
        previewed=previewed,
        recipients=recipients,
        audience=mailout.audience_counts(event),
    )
