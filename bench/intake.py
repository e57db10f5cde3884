"""Registration and idea submission as intake (issue 21.1), in-process: CPU per POST (the
visitor's request) and per submission taken by the worker, against another commit.

    .venv/bin/python bench/intake.py --against main --rounds 3 --count 300

Each round measures the other commit (exported with `git archive`) and this checkout in
turn, each in a fresh process on a fresh SQLite database (or --pg URL: a fresh database on
that server); the table gives the medians. CPU is `time.process_time` around N test-client
POSTs (CSRF and the rate limiter off: the same for both); where the commit has intake, the
worker's step is timed apart, so "request + worker" is the whole work of one registration."""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def costs(url, count, root):
    sys.path.insert(0, root)
    sys.path.insert(1, str(Path(root) / "bench"))
    import load

    from app import create_app
    from app.extensions import db

    tmp = tempfile.mkdtemp()
    seeding = load.build_app(url, tmp)
    load.seed(seeding, 1, 1, pending=0)
    app = create_app(
        {
            "SECRET_KEY": "bench-only-secret-key-never-for-production",
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "BASE_URL": "http://127.0.0.1",
            "MAIL_FILE_DIR": f"{tmp}/mail",
        }
    )
    try:
        from app import intake
    except ImportError:
        intake = None
    client = app.test_client()
    slug = load.SLUG

    def register(n):
        form = {"email": f"r{n}@example.org", "name": "R", "language": "en", "consent": "y"}
        return client.post(f"/s/{slug}/register", data=form).status_code

    def idea(n):
        form = {
            "title": f"Idea {n}",
            "body": "A text long enough to say something about the session.",
            "theme": "",
            "language": "en",
            "display": "anonymous",
            "name": "",
            "email": f"i{n}@example.org",
        }
        return client.post(f"/s/{slug}/ideas/new", data=form).status_code

    def drain():
        if intake is None:
            return 0.0
        with app.app_context():
            started = time.process_time()
            taken = intake.drain()
            return (time.process_time() - started) * 1000 / max(taken, 1)

    result = []
    for post, base in ((register, 0), (idea, 10**6)):
        for n in range(base, base + 30):  # warm: templates, caches
            assert post(n) in (200, 302, 303)
        drain()
        started = time.process_time()
        for n in range(base + 30, base + 30 + count):
            post(n)
        result.append((time.process_time() - started) * 1000 / count)
        result.append(drain())
    print(json.dumps(result))
    with seeding.app_context():
        db.drop_all()


def export_commit(rev, into):
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", into], input=archive.stdout, check=True)
    for mo in (ROOT / "translations").glob("*/LC_MESSAGES/*.mo"):
        target = Path(into) / mo.relative_to(ROOT)
        if target.parent.is_dir():
            target.write_bytes(mo.read_bytes())


def fresh_url(pg, tmp):
    if not pg:
        return f"sqlite:///{os.path.join(tmp, 'bench.sqlite')}", None
    import sqlalchemy as sa

    name = f"sala_intake_{uuid.uuid4().hex[:8]}"
    server = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with server.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()

    return sa.engine.make_url(pg).set(database=name).render_as_string(hide_password=False), drop


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", default="main")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--pg", default=None, help="a PostgreSQL server URL (else SQLite)")
    parser.add_argument(
        "--costs", nargs=3, metavar=("URL", "COUNT", "ROOT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.costs:
        url, count, root = args.costs
        costs(url, int(count), root)
        return 0
    runs = {"before": [], "after": []}
    with tempfile.TemporaryDirectory() as other:
        export_commit(args.against, other)
        for _ in range(args.rounds):
            for root, key in ((other, "before"), (str(ROOT), "after")):
                with tempfile.TemporaryDirectory() as tmp:
                    url, drop = fresh_url(args.pg, tmp)
                    try:
                        out = subprocess.run(
                            [sys.executable, __file__, "--costs", url, str(args.count), root],
                            cwd=root,
                            capture_output=True,
                            text=True,
                            check=True,
                        ).stdout
                    finally:
                        if drop:
                            drop()
                runs[key].append(json.loads(out.strip().splitlines()[-1]))
    before = [statistics.median(r[i] for r in runs["before"]) for i in range(4)]
    after = [statistics.median(r[i] for r in runs["after"]) for i in range(4)]
    database = "PostgreSQL" if args.pg else "SQLite"
    print(f"{database}, {args.count} POSTs a round, median of {args.rounds} alternating rounds;")
    print("CPU ms per POST in the request, and per submission in the worker's step.\n")
    print(f"| what | {args.against} | this branch | this / {args.against} |")
    print("|---|---:|---:|---:|")
    for name, i in (("registration", 0), ("idea", 2)):
        rows = (
            (f"{name} POST, the request", before[i], after[i]),
            (f"{name}, the worker's step", before[i + 1], after[i + 1]),
            (f"{name}, request + worker", before[i] + before[i + 1], after[i] + after[i + 1]),
        )
        for what, b, a in rows:
            ratio = f"{a / b:.2f}" if b else ""
            print(f"| {what} | {b:.2f} | {a:.2f} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
