"""The printable Plan of Action (issue 17 §1): on paper a link shows its address, and the
dates read without seconds and with the zone named."""

import re

import pytest
from world import CONCLUDED, make_event

from app.extensions import db
from app.models import PlanItem, PlanSection
from app.plan import service

pytestmark = pytest.mark.browser


def published_plan(event):
    plan = service.get_plan(event)
    plan.intro = {
        "en": "Read [the report](https://example.org/report) and <https://example.org/bare>.",
        "km": "សូមអាន [របាយការណ៍](https://example.org/report)។",
    }
    section = PlanSection(plan=plan, title={"en": "Rights", "km": "សិទ្ធិ"}, body={}, position=0)
    item = PlanItem(
        section=section, position=0, what={"en": "Free them", "km": "ដោះលែងពួកគេ"},
        who={}, due="", status="agreed",
    )  # fmt: skip
    db.session.add_all([section, item])
    db.session.commit()
    service.publish(plan, send=False)
    db.session.commit()


def after_content(page, selector):
    return page.eval_on_selector(
        selector, "a => getComputedStyle(a, '::after').getPropertyValue('content')"
    )


def test_the_printed_plan_shows_link_addresses_and_named_zones(page):
    event = make_event(CONCLUDED)
    published_plan(event)
    page.goto(f"/s/{event.slug}/plan?lang=en")
    page.emulate_media(media="print")
    assert "https://example.org/report" in after_content(page, "a[href$='/report']")
    assert "example.org" not in after_content(page, "a[href$='/bare']")  # its text says it
    assert "example.org" not in after_content(page, ".plan-permalink a")
    for selector in (".plan-head .when", ".plan-version"):
        text = page.inner_text(selector)
        assert "Phnom Penh time" in text, text
        assert not re.search(r"\d:\d\d:\d\d", text), text
    page.emulate_media(media="screen")
    assert "example.org" not in after_content(page, "a[href$='/report']")
