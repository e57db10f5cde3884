"""Bad input on the Plan of Action: hostile Markdown renders safely, and a plan of 500 items
renders its editor and its public page in a bounded number of SQL statements."""

from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from plan_helpers import PUBLISH_QUIETLY, make_idea
from world import CONCLUDED, make_event

from app.extensions import db
from app.models import Plan, PlanItem, PlanSection
from app.plan import service
from app.plan.markdown import render_markdown

HOSTILE = """\
Hello <b onclick="alert(1)">raw</b> <script>alert("x")</script>

<iframe src="https://evil.example/"></iframe>

[click me](javascript:alert(1)) and [data](data:text/html;base64,PHNjcmlwdD4=)
[fine link](https://example.org/ok "title")

![tracker](https://evil.example/pixel.png)
<img src="https://evil.example/p.gif" onerror="alert(2)">

<a href="javascript:alert(3)">html link</a>

| a | b |
|---|---|
| 1 | 2 |
"""


class Tags(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self, html):
        super().__init__()
        self.tags = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_safe(html):
    for tag, attrs in Tags(html).tags:
        assert tag not in ("script", "iframe", "img", "object", "embed", "style"), tag
        assert not [a for a in attrs if a.startswith("on") or a == "style"], (tag, attrs)
        for name in ("href", "src", "action", "formaction"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:")), (tag, attrs)
        # Nothing makes the reader's browser fetch from another origin (a link to one, from
        # ![img](url), loads nothing unless clicked).
        assert "src" not in attrs and "srcset" not in attrs, (tag, attrs)


def test_hostile_markdown_renders_to_a_short_allow_list():
    html = str(render_markdown(HOSTILE))
    assert_safe(html)
    assert '<a href="https://example.org/ok" title="title" rel="nofollow noopener noreferrer">' in (
        html
    )
    # Raw HTML is shown as text, escaped, never parsed.
    assert "&lt;script&gt;" in html
    # Tables are allowed, inside a box that scrolls.
    assert '<div class="table-scroll" role="region" tabindex="0"><table>' in html
    tags = {tag for tag, _ in Tags(html).tags}
    assert tags <= {"p", "a", "div", "table", "thead", "tbody", "tr", "th", "td"}


def test_a_huge_table_stays_in_its_scroll_box():
    header = "|" + "|".join(f"c{i}" for i in range(60)) + "|\n"
    rule = "|" + "|".join("---" for _ in range(60)) + "|\n"
    rows = "".join("|" + "|".join("x" * 30 for _ in range(60)) + "|\n" for _ in range(300))
    html = str(render_markdown(header + rule + rows))
    assert html.startswith('<div class="table-scroll" role="region" tabindex="0"><table>')
    assert html.count("<tr>") == 301
    assert html.rstrip().endswith("</table></div>")


@pytest.fixture
def organizer(client, auth, admin_user):
    auth.login(admin_user.email)
    return client


def test_hostile_markdown_on_the_public_page_and_in_the_editor(organizer, client, app):
    event = make_event(CONCLUDED)
    plan = service.get_plan(event)
    plan.intro = {"en": HOSTILE, "km": HOSTILE}
    section = PlanSection(plan=plan, position=0, title={"en": "<script>t</script>", "km": "ក"})
    item = PlanItem(section=section, position=0, what={"en": HOSTILE, "km": HOSTILE})
    db.session.add_all([section, item])
    db.session.commit()
    service.publish(plan)
    db.session.commit()

    for html in (
        client.get(f"/s/{event.slug}/plan?lang=en").get_data(as_text=True),
        organizer.get(f"/admin/events/{event.id}/plan/preview?lang=km").get_data(as_text=True),
        organizer.get(f"/admin/events/{event.id}/plan").get_data(as_text=True),
    ):
        # Only our own script (htmx, on the editor), nothing from the plan.
        scripts = [a for tag, a in Tags(html).tags if tag == "script"]
        assert all(a["src"].startswith("/static/vendor/htmx/") for a in scripts)
        assert_safe(html.replace('<script src="/static/vendor/htmx/htmx.min.js" defer>', ""))


class StatementCounter:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self.tick)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self.tick)

    def tick(self, *args):
        self.count += 1


def test_a_plan_of_500_items_renders_in_a_bounded_number_of_statements(organizer, client, app):
    event = make_event(CONCLUDED)
    ideas = [make_idea(event, f"Idea {n}", status="approved") for n in range(20)]
    plan = service.get_plan(event)
    plan.intro = {"en": "Intro", "km": "សេចក្តីផ្តើម"}
    for s in range(10):
        section = PlanSection(plan=plan, position=s, title={"en": f"S{s}", "km": f"ផ្នែក{s}"})
        db.session.add(section)
        for i in range(50):
            item = PlanItem(
                section=section,
                position=i,
                what={"en": f"Item {s}.{i} with **bold**", "km": f"ចំណុច {s}.{i}"},
                who={"en": "Team"},
                due="2024",
            )
            item.ideas.extend(ideas[(s + i) % 20 : (s + i) % 20 + 2])
            db.session.add(item)
    db.session.commit()
    db.session.expire_all()
    plan = db.session.scalar(sa.select(Plan).where(Plan.event_id == event.id))

    with StatementCounter(db.engine) as editor_counter:
        response = organizer.get(f"/admin/events/{event.id}/plan")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count('class="plan-edit-item"') == 500
    assert editor_counter.count < 30, editor_counter.count
    # A plan this long lists its items compactly, each with what is not yet translated...
    assert html.count("Khmer: not yet translated") == 0
    assert html.count('class="plan-compact-what"') == 500
    assert 'name="item-' not in html
    # ...and opens one item's form at a time: in place with htmx, or on the page without.
    first = plan.sections[0].items[0]
    fragment = organizer.get(
        f"/admin/events/{event.id}/plan/items/{first.id}/edit", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert fragment.count(f'name="item-{first.id}-what_km"') == 1
    languages = len(organizer.application.config["LANGUAGES"])
    assert fragment.count('name="item-') == len(("what", "who")) * languages + 2  # + due, status
    page = organizer.get(f"/admin/events/{event.id}/plan?edit={first.id}").get_data(as_text=True)
    assert (
        f'name="item-{first.id}-what_km"' in page and page.count('class="plan-compact-what"') == 499
    )

    # "who" is only in English: publishing names the 500 Khmer gaps, one line each.
    response = organizer.post(f"/admin/events/{event.id}/plan/publish", data=PUBLISH_QUIETLY)
    assert response.status_code == 422
    assert response.get_data(as_text=True).count("“who” is missing in Khmer.") == 500

    plan = db.session.scalar(sa.select(Plan).where(Plan.event_id == event.id))
    for section in plan.sections:
        for item in section.items:
            item.who = {"en": "Team", "km": "ក្រុម"}
    db.session.commit()
    assert (
        organizer.post(f"/admin/events/{event.id}/plan/publish", data=PUBLISH_QUIETLY).status_code
        == 302
    )
    db.session.expire_all()

    with StatementCounter(db.engine) as public_counter:
        response = client.get(f"/s/{event.slug}/plan?lang=km")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count('class="plan-item"') == 500
    assert "ចំណុច 9.49" in html
    assert public_counter.count < 15, public_counter.count
