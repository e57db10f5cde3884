"""How the Plan of Action's pages scale with the number of items: time and SQL statements
for the organizer's editor and the public page. Prints a table; asserts nothing.

    .venv/bin/python bench/plan_render.py            # SQLite in a temporary folder
    SALA_BENCH_DATABASE_URL=postgresql+psycopg://... .venv/bin/python bench/plan_render.py
"""

import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Event, Idea, PlanItem, PlanSection, User  # noqa: E402
from app.plan import service  # noqa: E402

SIZES = (50, 500, 2000)


def build(n_items):
    event = Event(
        slug=f"bench-{n_items}",
        state="concluded",
        texts={"en": {"title": "Bench"}, "km": {"title": "សាកល្បង"}},
        starts_at=datetime(2023, 11, 1, 13),
    )
    db.session.add(event)
    ideas = [Idea(event=event, title=f"Idea {i}", body="b", status="approved") for i in range(50)]
    db.session.add_all(ideas)
    plan = service.get_plan(event)
    plan.intro = {"en": "Intro", "km": "សេចក្តីផ្តើម"}
    per_section = 50
    for s in range(max(1, n_items // per_section)):
        section = PlanSection(plan=plan, position=s, title={"en": f"S{s}", "km": f"ផ្នែក{s}"})
        db.session.add(section)
        for i in range(min(per_section, n_items)):
            item = PlanItem(
                section=section,
                position=i,
                what={"en": f"Item {s}.{i} **bold** and a [link](https://example.org)", "km": "ក"},
                who={"en": "Team", "km": "ក្រុម"},
            )
            item.ideas.extend(ideas[(s + i) % 48 : (s + i) % 48 + 2])
            db.session.add(item)
    db.session.commit()
    service.publish(plan)
    db.session.commit()
    return event


def measure(client, url):
    count = 0

    def tick(*args):
        nonlocal count
        count += 1

    sa.event.listen(db.engine, "before_cursor_execute", tick)
    start = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - start
    sa.event.remove(db.engine, "before_cursor_execute", tick)
    assert response.status_code == 200, (url, response.status_code)
    return elapsed * 1000, count, len(response.data) // 1024


def main():
    tmp = tempfile.mkdtemp()
    url = os.environ.get("SALA_BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-only-secret-key-never-for-production",
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        user = User(email="bench@example.org", role="admin")
        user.set_password("bench-password")
        db.session.add(user)
        db.session.commit()
        client = app.test_client()
        client.post("/login", data={"email": user.email, "password": "bench-password"})
        print(f"{'items':>6} {'page':<8} {'ms':>8} {'SQL':>5} {'KiB':>6}")
        for n in SIZES:
            event = build(n)
            for name, page in (
                ("editor", f"/admin/events/{event.id}/plan"),
                ("public", f"/s/{event.slug}/plan?lang=km"),
            ):
                measure(client, page)  # warm up (template compile, Markdown cache)
                ms, statements, kib = measure(client, page)
                print(f"{n:>6} {name:<8} {ms:>8.0f} {statements:>5} {kib:>6}")
        db.drop_all()


if __name__ == "__main__":
    main()
