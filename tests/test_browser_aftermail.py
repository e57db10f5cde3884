"""In a real browser, in Khmer: a registrant stops bulk mail from the link in a mail, and an
organizer writes, previews and queues the follow-up."""

import pytest
from plan_helpers import make_registration
from playwright.sync_api import expect
from support import create_user
from world import CONCLUDED, make_event

from app.extensions import db
from app.mail.unsubscribe import token_for
from app.models import Mailout, Registration

pytestmark = pytest.mark.browser


def test_a_khmer_registrant_stops_bulk_mail_from_the_link(app, page):
    event = make_event(CONCLUDED)
    registration = make_registration(event, "sokha@example.org", language="km", name="សុខា")
    page.goto(f"/u/{token_for(registration)}")
    expect(page.locator("html")).to_have_attribute("lang", "km")
    expect(page.locator("h1")).to_have_text("បញ្ឈប់អ៊ីមែលអំពីកិច្ចប្រជុំនេះ")
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).bulk_mail_stopped_at is None
    page.get_by_role("button", name="បញ្ឈប់អ៊ីមែលទាំងនេះ").click()
    expect(page.locator("h1")).to_have_text("លែងមានអ៊ីមែលអំពីកិច្ចប្រជុំនេះទៀតហើយ")
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).bulk_mail_stopped_at is not None


def test_an_organizer_previews_and_queues_the_follow_up_in_khmer(app, page):
    event = make_event(CONCLUDED)
    make_registration(event, "reader@example.org")
    make_registration(event, "waiting@example.org", status="waitlisted")
    create_user("organizer@example.org", "admin")
    page.goto("/login?lang=en")
    page.fill("#email", "organizer@example.org")
    page.fill("#password", "correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    page.goto(f"/admin/events/{event.id}/follow-up?lang=km")
    expect(page.locator("h1")).to_have_text("អ៊ីមែលតាមដានក្រោយកិច្ចប្រជុំ")
    expect(page.locator(".audience-counts")).to_contain_text("(1)")
    page.fill("#recording_url", "https://video.example.org/r")
    page.fill("#subject_all_en", "Thank you")
    page.fill("#body_all_en", "Thank you for taking part.")
    page.fill("#subject_all_km", "សូមអរគុណ")
    page.fill("#body_all_km", "សូមអរគុណចំពោះការចូលរួម។")
    page.get_by_role("button", name="មើលជាមុន").click()
    expect(page.locator(".mail-preview").first).to_contain_text("https://video.example.org/r")
    expect(page.locator(".previews")).to_contain_text("សូមអរគុណចំពោះការចូលរួម។")
    page.locator("button[value=send]").click()
    page.wait_for_load_state()
    db.session.expire_all()
    [recorded] = db.session.scalars(db.select(Mailout).where(Mailout.kind == "followup")).all()
    assert recorded.total == 2
