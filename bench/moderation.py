"""Benchmark the moderation queue.

1. Approving ideas through the htmx endpoint, in requests per second, beside a bare Flask
   "hello" endpoint served the same way (each in its own process under Werkzeug's threaded
   server, driven by the same client threads) in the same run.
2. The number of SQL statements for the queue page with 10, 1,000 and 10,000 ideas, counted
   with a SQLAlchemy ``before_cursor_execute`` listener: it must not grow with the count.
3. In-process CPU time (``time.process_time``, which does not move with the machine's load)
   of the queue page with 50 rows and of one htmx approval, median of many. With
   ``--against REV`` the same is measured for another commit (exported with ``git archive``
   into a temporary folder, run by this same script in a child process), in alternating
   rounds, so before and after come from one run.

    .venv/bin/python bench/moderation.py            # full run
    .venv/bin/python bench/moderation.py --quick    # small and fast: checks correctness only
    .venv/bin/python bench/moderation.py --database-url postgresql+psycopg://...
    .venv/bin/python bench/moderation.py --render-only --against main   # before / after

Prints a table; exits 1 when a check fails (an approval not answered with its row, an idea
not approved, statement counts that grow with the number of ideas).
"""

import argparse
import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if "--root" in sys.argv:  # measuring another checkout: its `app`, not this one's
    ROOT = Path(sys.argv[sys.argv.index("--root") + 1]).resolve()
sys.path.insert(0, str(ROOT))

PASSWORD = "bench password 1234"
MODERATOR = "bench-moderator@example.org"


def app_config(database_url):
    return {
        "SECRET_KEY": "bench-only-secret-key-never-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_ENABLED": False,
        "BASE_URL": "http://bench.invalid",
        "PLUGINS": "moderation",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False},
    }


def build_app(database_url):
    from app import create_app

    return create_app(app_config(database_url))


# ---------------------------------------------------------------- data


def seed(app, ideas):
    """A fresh schema: one session, a moderator, `ideas` pending ideas. Returns the event id."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Event, Idea, Theme, User, utcnow

    with app.app_context():
        db.drop_all()
        db.create_all()
        now = utcnow()
        event = Event(
            slug="bench",
            state="published",
            texts={"en": {"title": "Bench"}},
            starts_at=now,
            themes=[Theme(position=i, labels={"en": f"Theme {i}"}) for i in range(5)],
        )
        user = User(email=MODERATOR, role="moderator", name="Bench")
        user.set_password(PASSWORD)
        db.session.add_all([event, user])
        db.session.commit()
        insert_ideas(event, ideas, now)
        event_id = event.id
        assert db.session.scalar(sa.select(sa.func.count(Idea.id))) == ideas
    return event_id


def insert_ideas(event, count, now):
    from datetime import timedelta

    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Idea

    themes = [t.id for t in event.themes]
    batch = []
    for i in range(count):
        batch.append(
            {
                "event_id": event.id,
                "title": f"Idea {i}",
                "body": f"The text of idea {i}, with a link https://example.org/{i}.",
                "author_email": f"author{i}@example.org",
                "author_name": f"Author {i}",
                "display": ("name", "initials", "anonymous")[i % 3],
                "theme_id": themes[i % len(themes)] if i % 4 else None,
                "language": "km" if i % 2 else "en",
                "status": "pending",
                "revision": 2,
                "created_at": now - timedelta(seconds=count - i),
                "updated_at": now,
            }
        )
        if len(batch) == 2000:
            db.session.execute(sa.insert(Idea), batch)
            batch = []
    if batch:
        db.session.execute(sa.insert(Idea), batch)
    db.session.commit()


# ---------------------------------------------------------------- servers


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(kind, port, database_url):
    """Run in a child process: the app (or a bare Flask hello) under Werkzeug, threaded."""
    import logging

    from flask import Flask
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if kind == "hello":
        app = Flask("hello")

        @app.get("/")
        def hello():
            return "hello"

    else:
        app = build_app(database_url)
    make_server("127.0.0.1", port, app, threaded=True).serve_forever()


class Server:
    def __init__(self, kind, database_url):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", kind, str(self.port), database_url],
            cwd=ROOT,
        )
        # Minutes, not seconds: a busy machine must not fail the run; an exit does at once.
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the {kind} server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheader("Set-Cookie") or "", response.read().decode()
    finally:
        conn.close()


def sign_in(port):
    """A moderator's session cookie and CSRF token, as a browser would get them."""
    _status, cookie, page = request(port, "GET", "/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    cookie = cookie.split(";", 1)[0]
    body = urlencode({"csrf_token": token, "email": MODERATOR, "password": PASSWORD})
    status, new_cookie, _ = request(
        port,
        "POST",
        "/login",
        body,
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    if status != 302:
        raise RuntimeError(f"sign-in failed: {status}")
    cookie = new_cookie.split(";", 1)[0]
    _status, _c, queue = request(port, "GET", "/moderate/", headers={"Cookie": cookie})
    return cookie


def csrf_from_queue(port, cookie, event_id):
    _status, _c, page = request(port, "GET", f"/moderate/{event_id}", headers={"Cookie": cookie})
    return re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)


def drive(jobs, clients, send):
    """Run `send(job)` for every job on `clients` threads; (seconds, failures)."""
    lock = threading.Lock()
    pending = list(jobs)
    failures = []

    def worker():
        while True:
            with lock:
                if not pending:
                    return
                job = pending.pop()
            ok = send(job)
            if not ok:
                with lock:
                    failures.append(job)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, failures


def throughput(database_url, approvals, clients):
    app = build_app(database_url)
    event_id = seed(app, approvals)
    from app.extensions import db
    from app.models import Idea

    with app.app_context():
        ids = [i.id for i in db.session.scalars(db.select(Idea).order_by(Idea.id))]
    results = []

    hello = Server("hello", database_url)
    try:
        seconds, failures = drive(
            range(approvals), clients, lambda _j: request(hello.port, "GET", "/")[0] == 200
        )
        results.append(("bare Flask hello (GET /)", approvals, clients, seconds, len(failures)))
    finally:
        hello.stop()

    server = Server("app", database_url)
    try:
        cookie = sign_in(server.port)
        token = csrf_from_queue(server.port, cookie, event_id)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "X-CSRFToken": token,
            "HX-Request": "true",
        }

        def approve(idea_id):
            status, _c, body = request(
                server.port,
                "POST",
                f"/moderate/{event_id}/ideas/{idea_id}/approve",
                urlencode({"revision": 2}),
                headers,
            )
            return status == 200 and 'data-status="approved"' in body

        seconds, failures = drive(ids, clients, approve)
        results.append(("approve via htmx (POST)", approvals, clients, seconds, len(failures)))
    finally:
        server.stop()

    with app.app_context():
        approved = db.session.scalar(
            db.select(db.func.count(Idea.id)).where(Idea.status == "approved")
        )
    return results, approved == approvals


# ---------------------------------------------------------------- SQL statements


def statement_counts(database_url, sizes):
    import sqlalchemy as sa

    from app.extensions import db

    app = build_app(database_url)
    app.config["WTF_CSRF_ENABLED"] = False
    counts = []
    for size in sizes:
        event_id = seed(app, size)
        with app.app_context():
            client = app.test_client()
            client.post("/login", data={"email": MODERATOR, "password": PASSWORD})
            # Once before counting: per-process caches (the site's settings) fill on a
            # worker's first page, and a warm worker is what the count is about.
            client.get(f"/moderate/{event_id}")
            statements = []

            def count(conn, cursor, statement, *args, statements=statements):
                statements.append(statement)

            sa.event.listen(db.engine, "before_cursor_execute", count)
            try:
                response = client.get(f"/moderate/{event_id}")
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", count)
            rows = response.text.count('id="idea-row-')
            counts.append((size, len(statements), rows, response.status_code))
    return counts


# ---------------------------------------------------------------- CPU per page, in-process


def forget_drawn_rows():
    """Empty the moderation plugin's kept rows, if this version keeps any: the next page
    draws every row as if the process had never shown it."""
    from plugins.moderation import views

    kept = getattr(getattr(views, "RowCells", None), "KEPT", None)
    if kept is not None:
        kept.clear()


def render_costs(database_url, repeat):
    """Median CPU milliseconds of (the queue page with 50 rows, the same with none of its
    rows drawn before in this process, one htmx approval)."""
    import statistics

    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Idea

    app = build_app(database_url)
    app.config["WTF_CSRF_ENABLED"] = False
    event_id = seed(app, 50 + repeat + 10)
    with app.app_context():
        ids = db.session.scalars(sa.select(Idea.id).order_by(Idea.id.desc())).all()
    client = app.test_client()
    client.post("/login", data={"email": MODERATOR, "password": PASSWORD})
    page, cold, approve = [], [], []
    for i in range(2 * (repeat + 5)):
        first = i % 2  # every other page: no row drawn before
        if first:
            forget_drawn_rows()
        start = time.process_time()
        response = client.get(f"/moderate/{event_id}")
        spent = time.process_time() - start
        if response.text.count('id="idea-row-') != 50:
            raise RuntimeError("the queue page did not show 50 rows")
        if i >= 10:  # the first ones compile templates and fill caches
            (cold if first else page).append(spent)
    # Approve the newest ideas: the page (oldest first) keeps showing the same 50.
    for i, idea_id in enumerate(ids[: repeat + 5]):
        start = time.process_time()
        response = client.post(
            f"/moderate/{event_id}/ideas/{idea_id}/approve",
            data={"revision": 2},
            headers={"HX-Request": "true"},
        )
        spent = time.process_time() - start
        if response.status_code != 200 or 'data-status="approved"' not in response.text:
            raise RuntimeError(f"approval answered {response.status_code}")
        if i >= 5:
            approve.append(spent)
    return tuple(statistics.median(x) * 1000 for x in (page, cold, approve))


def export_commit(rev, into):
    """`rev` of this repository in `into`, with this checkout's compiled catalogs."""
    import shutil

    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", into], input=archive.stdout, check=True)
    for mo in (ROOT / "translations").rglob("*.mo"):
        target = Path(into) / mo.relative_to(ROOT)
        if target.with_suffix(".po").exists():
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "babel.messages.frontend",
                    "compile",
                    "-i",
                    str(target.with_suffix(".po")),
                    "-o",
                    str(target),
                ],
                check=True,
                capture_output=True,
            )
        else:
            shutil.copy(mo, target)


def compare(rev, rounds, repeat):
    """[(what, before ms, after ms)]: `rev` against this checkout, alternating rounds."""
    import json
    import statistics

    before, after = [], []
    with tempfile.TemporaryDirectory() as other:
        export_commit(rev, other)
        for _ in range(rounds):
            for root, into in ((other, before), (str(ROOT), after)):
                with tempfile.TemporaryDirectory() as tmp:
                    url = f"sqlite:///{os.path.join(tmp, 'bench.sqlite')}"
                    out = subprocess.run(
                        [sys.executable, __file__, "--costs", url, str(repeat), "--root", root],
                        cwd=root,
                        capture_output=True,
                        text=True,
                        check=True,
                    ).stdout
                into.append(json.loads(out.strip().splitlines()[-1]))
    names = ("queue page, 50 rows", "  none drawn before", "approve (htmx)")
    return [
        (name, statistics.median(b[i] for b in before), statistics.median(a[i] for a in after))
        for i, name in enumerate(names)
    ]


# ---------------------------------------------------------------- main


def print_costs(args, repeat):
    print("\nCPU per request, in-process (ms, median; time.process_time)")
    if args.against:
        print(f"{'what':24} {args.against:>10} {'this':>10} {'this/before':>12}")
        for name, before, after in compare(args.against, args.rounds, repeat):
            print(f"{name:24} {before:>10.2f} {after:>10.2f} {after / before:>12.2f}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        page, cold, approve = render_costs(f"sqlite:///{os.path.join(tmp, 'costs.sqlite')}", repeat)
    print(f"{'queue page, 50 rows':24} {page:>10.2f}")
    print(f"{'  none drawn before':24} {cold:>10.2f}")
    print(f"{'approve (htmx)':24} {approve:>10.2f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, correctness only")
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--approvals", type=int, default=None)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--render-only", action="store_true", help="only the CPU per page")
    parser.add_argument("--against", metavar="REV", help="also measure this commit (git)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--costs", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        kind, port, url = args.serve
        serve(kind, int(port), url)
        return 0
    if args.costs:
        import json

        print(json.dumps(render_costs(args.costs[0], int(args.costs[1]))))
        return 0
    repeat = 10 if args.quick else 60
    if args.render_only:
        print_costs(args, repeat)
        return 0

    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{os.path.join(tmp.name, 'bench.sqlite')}"
    approvals = args.approvals or (40 if args.quick else 2000)
    clients = 2 if args.quick else args.clients
    sizes = (10, 200, 1000) if args.quick else (10, 1000, 10000)
    ok = True

    results, all_approved = throughput(url, approvals, clients)
    print(f"\nThroughput (Werkzeug threaded server, one process each, {clients} client threads)")
    print(f"{'endpoint':34} {'requests':>8} {'failed':>6} {'seconds':>8} {'req/s':>8}")
    for name, n, _c, seconds, failed in results:
        print(f"{name:34} {n:>8} {failed:>6} {seconds:>8.2f} {n / seconds:>8.1f}")
        ok = ok and failed == 0
    ratio = (results[1][1] / results[1][3]) / (results[0][1] / results[0][3])
    print(f"approve / hello: {ratio:.2f}")
    if not all_approved:
        print("FAIL: not every idea was approved")
        ok = False

    counts = statement_counts(url, sizes)
    print("\nSQL statements for the queue page (GET /moderate/<event>, first page)")
    print(f"{'ideas':>8} {'statements':>10} {'rows shown':>10} {'status':>6}")
    for size, statements, rows, status in counts:
        print(f"{size:>8} {statements:>10} {rows:>10} {status:>6}")
        ok = ok and status == 200 and rows == min(size, 50)
    if len({c[1] for c in counts}) != 1:
        print("FAIL: the number of statements grows with the number of ideas")
        ok = False
    print_costs(args, repeat)
    print("\nOK" if ok else "\nFAILED")
    tmp.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
