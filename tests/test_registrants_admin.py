"""The organizer's registrants pages: table, filters and pages (with and without htmx),
counts and chart, CSV export, resending join details, announcements."""

import csv
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from registration_helpers import PASSWORD, SmtpSink, create_user, deliver, smtp_config
from world import make_event

from app.extensions import db
from app.models import AuditEntry, OutboxMessage, Registration, utcnow


@pytest.fixture
def mail_app(make_app, smtp):
    app = make_app(**smtp_config(smtp))
    with app.app_context():
        yield app


@pytest.fixture
def organizer(mail_app):
    client = mail_app.test_client()
    create_user("organizer@example.org", "admin")
    client.post("/login", data={"email": "organizer@example.org", "password": PASSWORD})
    return client


def add(event, n, status="confirmed", language="en", country="KH", name="Person", days_ago=0):
    rows = []
    for i in range(n):
        email = f"{name.lower()}{i}-{status}-{language}@example.org"
        reg = Registration(
            event=event,
            email=email,
            email_key=email,
            name=f"{name} {i}",
            language=language,
            country=country,
            status=status,
            confirmed_at=utcnow() if status in ("confirmed", "waitlisted") else None,
            # As if the join details had gone out on confirmation already.
            join_details_sent_at=utcnow() if status == "confirmed" else None,
            created_at=utcnow() - timedelta(days=days_ago),
        )
        db.session.add(reg)
        rows.append(reg)
    db.session.commit()
    return rows


def test_only_organizers_see_registrants(mail_app):
    event = make_event()
    client = mail_app.test_client()
    assert client.get(f"/admin/events/{event.id}/registrants").status_code == 302
    create_user("mod@example.org", "moderator")
    client.post("/login", data={"email": "mod@example.org", "password": PASSWORD})
    assert client.get(f"/admin/events/{event.id}/registrants").status_code == 403
    assert client.get(f"/admin/events/{event.id}/registrants.csv").status_code == 403


def test_the_session_page_links_to_its_registrants(organizer):
    event = make_event()
    page = organizer.get(f"/admin/events/{event.id}")
    assert f'href="/admin/events/{event.id}/registrants"' in page.text


def test_table_counts_chart_and_filters(organizer):
    event = make_event(capacity=100)
    add(event, 3, language="km", country="KH", days_ago=2)
    add(event, 2, language="en", country="FR", name="Marie", days_ago=1)
    add(event, 1, status="waitlisted")
    add(event, 1, status="cancelled", name="Gone")
    page = organizer.get(f"/admin/events/{event.id}/registrants")
    assert page.status_code == 200
    assert "<strong>5</strong> registered / 100" in page.text
    assert "<strong>1</strong> on the waitlist" in page.text
    assert "<svg" in page.text and page.text.count('class="bar"') == 3  # three days
    assert "7 registrants match." in page.text
    khmer = organizer.get(f"/admin/events/{event.id}/registrants?language=km")
    assert "3 registrants match." in khmer.text and "Marie" not in khmer.text
    france = organizer.get(f"/admin/events/{event.id}/registrants?country=FR&status=confirmed")
    assert "2 registrants match." in france.text
    search = organizer.get(f"/admin/events/{event.id}/registrants?q=marie 1")
    assert "1 registrant matches." in search.text and "Marie 1" in search.text


def test_htmx_gets_the_results_fragment_and_vary(organizer):
    event = make_event()
    add(event, 2)
    full = organizer.get(f"/admin/events/{event.id}/registrants")
    fragment = organizer.get(
        f"/admin/events/{event.id}/registrants?q=person 1", headers={"HX-Request": "true"}
    )
    assert "HX-Request" in full.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]
    assert fragment.text.lstrip().startswith('<div id="results"')
    assert "<html" not in fragment.text and "1 registrant matches." in fragment.text
    assert 'data-hx-get="/admin/events/' in full.text and 'data-hx-push-url="true"' in full.text
    # A history restore gets the whole page.
    restore = organizer.get(
        f"/admin/events/{event.id}/registrants",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in restore.text


def test_pages_without_javascript(organizer):
    event = make_event()
    add(event, 60, language="km")
    first = organizer.get(f"/admin/events/{event.id}/registrants?language=km")
    assert "Page 1 of 2" in first.text
    assert f'href="/admin/events/{event.id}/registrants?page=2&amp;language=km"' in first.text
    second = organizer.get(f"/admin/events/{event.id}/registrants?page=2&language=km")
    assert "Page 2 of 2" in second.text and second.text.count('<tr id="registrant-') == 10


def test_csv_export_neutralizes_formulas(organizer):
    event = make_event()
    for i, name in enumerate(["=HYPERLINK(1)", "+1", "-2", "@cmd", "\tx", "\rx", "Plain"]):
        email = f"p{i}@example.org"
        db.session.add(
            Registration(
                event=event,
                email=email,
                email_key=email,
                name=name,
                status="confirmed",
                affiliation="=cmd|' /C calc'!A0",
            )
        )
    db.session.commit()
    response = organizer.get(f"/admin/events/{event.id}/registrants.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    names = [row["name"] for row in rows]
    assert names == ["'=HYPERLINK(1)", "'+1", "'-2", "'@cmd", "'\tx", "'\rx", "Plain"]
    assert all(row["affiliation"].startswith("'=") for row in rows)
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(AuditEntry.action == "registration.export")
        )
        == 1
    )


def test_resend_join_details_to_one_and_to_all(organizer, smtp):
    event = make_event()
    one, two = add(event, 2)
    add(event, 1, status="waitlisted", name="Wait")
    response = organizer.post(
        f"/admin/events/{event.id}/registrants/{one.id}/resend", follow_redirects=True
    )
    assert "The join details are queued for" in response.text
    deliver()
    assert len(smtp.to(one.email)) == 1 and smtp.to(two.email) == []
    assert "Join details" in smtp.to(one.email)[0]["Subject"]
    response = organizer.post(
        f"/admin/events/{event.id}/registrants/resend-all", follow_redirects=True
    )
    assert "The join details are queued for 2 registrants." in response.text
    deliver()
    assert len(smtp.to(one.email)) == 2 and len(smtp.to(two.email)) == 1
    assert smtp.to("wait0-waitlisted-en@example.org") == []
    assert "zoom.example.invalid" in SmtpSink.text(smtp.to(two.email)[0])
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert actions.count("registration.resend_join") == 2


def test_resend_waits_for_the_release_time(organizer, smtp):
    event = make_event(join_release="before_start", join_release_hours=24)
    add(event, 1)
    response = organizer.post(
        f"/admin/events/{event.id}/registrants/resend-all", follow_redirects=True
    )
    assert "The join details are not released yet." in response.text


def test_organizer_cancel_promotes_and_is_audited(organizer, smtp):
    event = make_event(capacity=1)
    (first,) = add(event, 1)
    (waiting,) = add(event, 1, status="waitlisted", name="Wait")
    organizer.post(f"/admin/events/{event.id}/registrants/{first.id}/cancel")
    assert db.session.get(Registration, waiting.id).status == "confirmed"
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "registration.cancel")
    )
    assert entry.actor_label == "organizer@example.org"


def test_announcement_is_previewed_then_queued_per_language(organizer, smtp):
    event = make_event()
    add(event, 2, language="en")
    add(event, 1, language="km", name="Sok")
    add(event, 1, status="cancelled", name="Gone")
    url = f"/admin/events/{event.id}/announce"
    assert organizer.get(url).status_code == 200
    texts = {
        "subject_en": "Agenda update",
        "body_en": "The agenda has changed.",
        "subject_km": "ព័ត៌មានថ្មីអំពីរបៀបវារៈ",
        "body_km": "របៀបវារៈបានផ្លាស់ប្តូរ។",
    }
    # Without a text in the default language nothing can be sent.
    missing = organizer.post(url, data={"subject_km": "x", "body_km": "y", "action": "preview"})
    assert "at least in the session" in missing.text
    # Sending without a preview of exactly these texts only shows the preview.
    blind = organizer.post(url, data={**texts, "action": "send"})
    assert (
        "Preview" in blind.text
        and db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    )
    preview = organizer.post(url, data={**texts, "action": "preview"})
    assert "The agenda has changed." in preview.text and "របៀបវារៈបានផ្លាស់ប្តូរ។" in preview.text
    assert "2 recipients" in preview.text and "1 recipient" in preview.text
    previewed = preview.text.split('name="previewed" value="')[1].split('"')[0]
    sent = organizer.post(url, data={**texts, "action": "send", "previewed": previewed})
    assert sent.status_code == 302
    deliver()
    english = smtp.to("person0-confirmed-en@example.org")
    khmer = smtp.to("sok0-confirmed-km@example.org")
    assert english[0]["Subject"] == "Agenda update"
    assert khmer[0]["Subject"] == "ព័ត៌មានថ្មីអំពីរបៀបវារៈ"
    assert "/r/manage/" in SmtpSink.text(khmer[0])
    assert smtp.to("gone0-cancelled-en@example.org") == []
    batches = set(
        db.session.scalars(
            sa.select(OutboxMessage.batch).where(OutboxMessage.kind == "registration_announcement")
        )
    )
    assert len(batches) == 1 and batches.pop().startswith("announce-")


def test_announcement_falls_back_to_the_default_language(organizer, smtp):
    event = make_event()
    add(event, 1, language="km", name="Sok")
    url = f"/admin/events/{event.id}/announce"
    texts = {"subject_en": "Hello all", "body_en": "News.", "subject_km": "", "body_km": ""}
    preview = organizer.post(url, data={**texts, "action": "preview"})
    previewed = preview.text.split('name="previewed" value="')[1].split('"')[0]
    organizer.post(url, data={**texts, "action": "send", "previewed": previewed})
    deliver()
    assert smtp.to("sok0-confirmed-km@example.org")[0]["Subject"] == "Hello all"


def test_announcements_are_markdown_like_plan_texts_and_say_so_at_the_field(organizer, smtp):
    event = make_event()
    add(event, 1, language="en")
    url = f"/admin/events/{event.id}/announce"
    form = organizer.get(url).text
    assert "Markdown" in form.split('id="body_en-hint"')[1].split("</p>")[0]
    body = "The agenda has **changed**:\n\n- welcome\n- [ideas](https://example.org/ideas)"
    texts = {"subject_en": "Agenda", "body_en": body, "subject_km": "", "body_km": ""}
    preview = organizer.post(url, data={**texts, "action": "preview"})
    assert "<strong>changed</strong>" in preview.text
    assert "<li>welcome</li>" in preview.text
    previewed = preview.text.split('name="previewed" value="')[1].split('"')[0]
    organizer.post(url, data={**texts, "action": "send", "previewed": previewed})
    deliver()
    (mail,) = smtp.to("person0-confirmed-en@example.org")
    html = SmtpSink.html(mail)
    assert "<strong>changed</strong>" in html and '<a href="https://example.org/ideas"' in html
    assert "**changed**" not in html
    text = SmtpSink.text(mail)
    # The plain-text part reads as text: no Markdown marks, the link's address written out.
    assert "The agenda has changed:" in text and "- welcome" in text
    assert "ideas (https://example.org/ideas)" in text
    assert "<" not in text.split("The agenda")[1].split("welcome")[0]


def test_the_registrants_table_names_languages_and_countries_in_the_readers_language(organizer):
    event = make_event()
    add(event, 1, language="km", country="KH")
    add(event, 1, language="fr", country="FR", name="Marie")
    khmer = organizer.get(f"/admin/events/{event.id}/registrants?lang=km").text
    table = khmer.split("<tbody>")[1].split("</tbody>")[0]
    assert ">KH<" not in table and ">km<" not in table and ">fr<" not in table
    assert "កម្ពុជា" in table and "បារាំង" in table and "ខ្មែរ" in table
    assert re.search(r'<option value="KH"[^>]*>កម្ពុជា</option>', khmer)


@pytest.mark.parametrize(
    "lang, title",
    [("en", "Please check what you entered:"), ("km", "សូមពិនិត្យមើលអ្វីដែលអ្នកបានបំពេញ៖")],
)
def test_a_failed_announcement_lists_its_problems_at_the_top_of_the_form(organizer, lang, title):
    event = make_event()
    add(event, 1)
    page = organizer.post(
        f"/admin/events/{event.id}/announce?lang={lang}",
        data={"subject_en": "", "body_en": "News without a subject.", "action": "preview"},
    ).text
    summary = page.split('class="error-summary"')[1].split("</div>")[0]
    assert title in summary
    assert '<a href="#subject_en">' in summary
    assert 'name="previewed"' not in page
