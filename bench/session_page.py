"""The uncached session page (issue 21): its CPU cost in-process, and its HTML against another
commit's.

    .venv/bin/python bench/session_page.py --against main --rounds 3    # before / after
    .venv/bin/python bench/session_page.py --against main --served 3    # and under gunicorn
    .venv/bin/python bench/session_page.py --diff main                  # the HTML, compared

Each measured page is asked `--repeat` times in a child process (the page cache off, the rate
limiter on, as bench/load.py serves it), after two warm-up requests; the child prints the CPU
time per request (``time.process_time``, which moves less with the machine's load than
requests per second). With ``--against REV`` the commit is exported with ``git archive`` into
a temporary folder and measured by this same script, in alternating rounds; the table shows
the median of the rounds. With ``--served SECONDS`` each round also serves the session page
with gunicorn (the page cache off, as bench/load.py's "session_fresh" line) and reads the
servers' CPU per request from /proc.

The pages: the session page in English and in Khmer, and the session page answered to a
registration POST with mistakes (every field wrong, with characters that need escaping); the
idea form's own page answered to an idea POST with mistakes. ``--diff REV`` writes each
page's HTML from both commits and prints a unified diff (CSRF tokens and the countdown's
seconds, which change from one request to the next, are masked): an empty diff means a
visitor gets the same bytes.
"""

import argparse
import difflib
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if "--root" in sys.argv:  # measuring another checkout: its `app`, not this one's
    ROOT = Path(sys.argv[sys.argv.index("--root") + 1]).resolve()
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

BAD_REGISTRATION = {
    "email": 'not "an" <address>',
    "name": "",
    "language": "xx",
    "country": "ZZ",
    "affiliation": "A & B <i>" + "x" * 210,
}
BAD_IDEA = {
    "title": "",
    "body": 'An idea with "quotes" & <tags>\r\non two lines' + "y" * 4100,
    "theme": "999",
    "language": "xx",
    "display": "name",
    "name": "",
    "email": "nope",
}


def compile_catalogs():
    """.po to .mo where stale (an exported commit has none): both pages in their language."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in ROOT.glob("**/translations/*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as f:
                catalog = read_po(f)
            with mo.open("wb") as f:
                write_mo(f, catalog)


def build(tmp):
    import load

    compile_catalogs()

    from app import create_app

    app = create_app(
        {
            "SECRET_KEY": "x" * 40,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/b.sqlite",
            "BASE_URL": "http://127.0.0.1",
            "MAIL_FILE_DIR": f"{tmp}/mail",
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_PUBLIC_POST": "1000000 per minute",
            "PAGE_CACHE_SECONDS": 0,
        }
    )
    load.seed(app, 10, 10)
    return app


def csrf_of(html):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def pages(app):
    """{name: a function answering the page's HTML}, each with its own client."""

    def get(lang):
        client = app.test_client()
        client.get(f"/s/bench?lang={lang}")
        return lambda: client.get("/s/bench").data

    def post(path, fields, lang="en"):
        client = app.test_client()
        token = csrf_of(client.get(f"/s/bench?lang={lang}").get_data(as_text=True))
        body = dict(fields, csrf_token=token)

        def ask():
            response = client.post(path, data=body)
            assert response.status_code in (200, 422), response.status_code
            return response.data

        return ask

    return {
        "session page, en": get("en"),
        "session page, km": get("km"),
        "registration with mistakes, km": post("/s/bench/register", BAD_REGISTRATION, "km"),
        "registration with mistakes, en": post("/s/bench/register", BAD_REGISTRATION),
        "idea with mistakes, en": post("/s/bench/ideas/new", BAD_IDEA),
    }


def child_measure(repeat):
    with tempfile.TemporaryDirectory() as tmp:
        app = build(tmp)
        out = {}
        for name, ask in pages(app).items():
            ask(), ask()
            start = time.process_time()
            for _ in range(repeat):
                ask()
            out[name] = (time.process_time() - start) / repeat * 1000
        print(json.dumps(out))


def organizer_pages(app):
    """The organizer's session forms, which use every kind of field render_field draws."""
    from app.extensions import db
    from app.models import Event, User

    with app.app_context():
        user = User(email="organizer@example.org", role="admin", name="Organizer")
        user.set_password(load_password())
        db.session.add(user)
        db.session.commit()
        event_id = db.session.scalar(db.select(Event.id))
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={
            "csrf_token": csrf_of(page),
            "email": "organizer@example.org",
            "password": load_password(),
        },
    )

    def get(path):
        return lambda: client.get(path).data

    return {
        "organizer new session": get("/admin/events/new"),
        "organizer edit session": get(f"/admin/events/{event_id}/edit"),
        "organizer duplicate session": get(f"/admin/events/{event_id}/duplicate"),
    }


def load_password():
    import load

    return load.PASSWORD


def child_dump(into):
    import load

    # The session starts 10 days from the seed's "now": the same hour in both checkouts.
    hour = load.utcnow().replace(minute=0, second=0, microsecond=0)
    load.utcnow = lambda: hour
    with tempfile.TemporaryDirectory() as tmp:
        app = build(tmp)
        for name, ask in {**pages(app), **organizer_pages(app)}.items():
            ask()
            (Path(into) / (name.replace(" ", "_").replace(",", "") + ".html")).write_bytes(ask())


def child_served(seconds):
    """The session page under gunicorn with deploy/gunicorn.conf.py, the page cache off, as
    bench/load.py's "session_fresh" line serves it: (requests/s, server CPU ms per request)."""

    import load

    compile_catalogs()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/b.sqlite"
        load.seed(load.build_app(url, tmp), 10, 10)
        env = load.server_env(url, tmp, SALA_PAGE_CACHE_SECONDS="0")
        server = load.Served("wsgi:app", env)
        try:
            load.session_page(server, 1.0, 4)  # warm every worker
            rate, _p95, errors, _n, cpu_ms, _p99 = load.session_page(server, seconds, 4)
        finally:
            server.stop()
        print(json.dumps({"served": cpu_ms, "rate": rate, "errors": len(errors)}))


def export_commit(rev, into):
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", into], input=archive.stdout, check=True)


def run_child(root, *args):
    out = subprocess.run(
        [sys.executable, __file__, "--root", str(root), *args],
        cwd=root,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        sys.exit(f"child in {root} failed:\n{out.stderr[-3000:]}")
    return out.stdout


MASKS = [
    (re.compile(r'(name="csrf_token" type="hidden" value=")[^"]+'), r"\1…"),
    (re.compile(r'data-next-change="\d+"'), 'data-next-change="…"'),
    (re.compile(r'("X-CSRFToken": ")[^"]+'), r"\1…"),
    (re.compile(r'(name="csrf_token" value=")[^"]+'), r"\1…"),
]


def masked(text):
    for pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    return text


def diff(rev):
    with tempfile.TemporaryDirectory() as base, tempfile.TemporaryDirectory() as dumps:
        export_commit(rev, base)
        here, there = Path(dumps, "here"), Path(dumps, "base")
        here.mkdir(), there.mkdir()
        run_child(base, "--dump", str(there))
        run_child(Path(__file__).resolve().parent.parent, "--dump", str(here))
        same = True
        for page in sorted(there.iterdir()):
            old = masked(page.read_text()).splitlines(keepends=True)
            new = masked((here / page.name).read_text()).splitlines(keepends=True)
            lines = list(difflib.unified_diff(old, new, f"{rev}/{page.name}", f"this/{page.name}"))
            print(f"{page.name}: {'same bytes' if not lines else f'{len(lines)} diff lines'}")
            sys.stdout.writelines(lines)
            same = same and not lines
        return same


def compare(rev, rounds, repeat, served):
    this = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as base:
        export_commit(rev, base)
        runs = {"base": [], "this": []}
        for _ in range(rounds):
            for side, root in (("base", base), ("this", this)):
                found = json.loads(run_child(root, "--measure", str(repeat)))
                if served:
                    found["gunicorn, session page (server CPU)"] = json.loads(
                        run_child(root, "--served", str(served))
                    )["served"]
                runs[side].append(found)
    print(f"CPU ms per request, median of {rounds} rounds (base: {rev}); in-process: {repeat}")
    print("requests a round; gunicorn: deploy/gunicorn.conf.py, 4 client threads, page cache off")
    print()
    print("| page | base | this branch | this / base |")
    print("|---|---:|---:|---:|")
    for name in runs["base"][0]:
        before = statistics.median(r[name] for r in runs["base"])
        after = statistics.median(r[name] for r in runs["this"])
        print(f"| {name} | {before:.2f} | {after:.2f} | {after / before:.2f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", metavar="REV")
    parser.add_argument("--diff", metavar="REV")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--root")
    parser.add_argument("--measure", type=int)
    parser.add_argument("--dump")
    parser.add_argument(
        "--served", type=float, help="seconds of the page under gunicorn per round (0: none)"
    )
    args = parser.parse_args()
    if args.measure:
        return child_measure(args.measure)
    if args.dump:
        return child_dump(args.dump)
    if args.diff:
        sys.exit(0 if diff(args.diff) else 1)
    if args.against:
        return compare(args.against, args.rounds, args.repeat, args.served)
    if args.served:
        return child_served(args.served)
    child_measure(args.repeat)


if __name__ == "__main__":
    main()
