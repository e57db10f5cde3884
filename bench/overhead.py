"""What every request costs: the cached session page beside a bare Flask hello, for this
checkout and another commit (issue 21: the cached page at ≥ 0.5 of hello, rate limiter on).

1. In-process CPU (`time.process_time`, the test client, the rate limiter on in Redis):
   the cached page for a returning visitor (with the session cookie the page gave them),
   for a first visit (no cookie), and a bare Flask hello in the same process, in short
   interleaved batches. With
   ``--against REV`` the commit is exported (``git archive``) and both are measured in
   alternating rounds, each round a child process per checkout.
2. With ``--served``: the same pages served by gunicorn (deploy/gunicorn.conf.py, as
   bench/load.py serves them): hello, this checkout and REV in alternating rounds,
   requests/s and the servers' CPU per request (/proc).

    .venv/bin/python bench/overhead.py --against main --rounds 3 [--db sqlite|postgres|both]
    .venv/bin/python bench/overhead.py --against main --rounds 3 --served --seconds 3

Prints a table. Needs Redis at 127.0.0.1:6379 (else the limiter counts in memory)."""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if "--root" in sys.argv:  # measuring another checkout: its `app`, not this one's
    ROOT = Path(sys.argv[sys.argv.index("--root") + 1]).resolve()
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

PAGE = "/s/bench"


def costs(url, repeat):
    """{what: ms of CPU per request} in this process, for the checkout at ROOT."""
    import load
    from flask import Flask

    from app import create_app

    tmp = tempfile.mkdtemp()
    app = create_app(
        {
            "SECRET_KEY": "bench-only-secret-key-never-for-production",
            "SQLALCHEMY_DATABASE_URI": url,
            "BASE_URL": "http://127.0.0.1",
            "MAIL_FILE_DIR": f"{tmp}/mail",
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": load.limiter_storage(),
            "RATELIMIT_KEY_PREFIX": f"overhead-{uuid.uuid4().hex[:8]}",
        }
    )
    load.seed(app, 10, 10)
    headers = {"Accept-Language": "en-US,en;q=0.9", "User-Agent": "bench"}
    returning = app.test_client()
    for _ in range(3):  # the page cached, the visitor's cookie settled
        assert returning.get(PAGE, headers=headers).status_code == 200
    first = app.test_client()
    hello_app = Flask("hello")
    hello_app.get("/")(lambda: "hello")
    hello = hello_app.test_client()

    def returning_visit():
        returning.get(PAGE, headers=headers)

    def first_visit():
        first._cookies.clear()
        first.get(PAGE, headers=headers)

    def hello_visit():
        hello.get("/", headers=headers)

    steps = {
        "cached page, returning visitor": returning_visit,
        "cached page, first visit": first_visit,
        "bare Flask hello": hello_visit,
    }
    # Short batches of each in turn, so that the machine's drift falls on all of them.
    batches = {name: [] for name in steps}
    for _ in range(15):
        for name, step in steps.items():
            start = time.process_time()
            for _ in range(repeat):
                step()
            batches[name].append((time.process_time() - start) / repeat * 1000)
    return {name: statistics.median(times) for name, times in batches.items()}


def in_process(rev, rounds, repeat, kinds, pg):
    """{kind: {what: (before, after)}}, alternating rounds of child processes."""
    import load
    from moderation import export_commit

    out = {}
    with tempfile.TemporaryDirectory() as other, tempfile.TemporaryDirectory() as tmp:
        export_commit(rev, other)
        for kind in kinds:
            runs = {other: [], str(ROOT): []}
            for _ in range(rounds):
                for root in runs:
                    url, drop = load.make_database(kind, pg, tmp)
                    try:
                        done = subprocess.run(
                            [sys.executable, __file__, "--costs", url, str(repeat), "--root", root],
                            cwd=root,
                            capture_output=True,
                            text=True,
                        )
                    finally:
                        if drop:
                            drop()
                    if done.returncode:
                        raise RuntimeError(done.stderr[-3000:])
                    runs[root].append(json.loads(done.stdout.strip().splitlines()[-1]))
            before, after = runs[other], runs[str(ROOT)]
            out[kind] = {
                name: (
                    statistics.median(b[name] for b in before),
                    statistics.median(a[name] for a in after),
                )
                for name in before[0]
            }
    return out


def served(rev, rounds, seconds, threads, kinds, pg):
    """{kind: {line: (req/s, CPU ms/req)}}: gunicorn serving hello, REV and this checkout."""
    import load
    from moderation import export_commit

    out = {}
    with tempfile.TemporaryDirectory() as other, tempfile.TemporaryDirectory() as tmp:
        export_commit(rev, other)
        for kind in kinds:
            url, drop = load.make_database(kind, pg, tmp)
            servers = {}
            try:
                load.seed(load.build_app(url, tmp), 10, 10)
                env = load.server_env(url, tmp)
                servers["bare Flask hello"] = load.Served("hello_app:app", env)
                servers[f"cached page, {rev}"] = load.Served("wsgi:app", env, cwd=other)
                servers["cached page, this branch"] = load.Served("wsgi:app", env)
                size = len(load.Client(servers["cached page, this branch"].port).get(PAGE)[1])
                sized = f"bare Flask, a {size}-byte body (the page's size)"
                servers[sized] = servers["bare Flask hello"]

                def measure(name, server, secs, sized=sized, size=size):
                    if name == sized:
                        path = f"/bytes/{size}"
                        return load.run_load(
                            server, secs, threads, lambda c, _i, _s: lambda: c.get(path)[0] == 200
                        )
                    if name.startswith("bare"):
                        return load.bare(server, secs, threads)
                    return load.session_page(server, secs, threads)

                for name, server in servers.items():  # warm every worker
                    measure(name, server, min(1.0, seconds))
                runs = {name: [] for name in servers}
                for _ in range(rounds):
                    for name, server in servers.items():
                        runs[name].append(measure(name, server, seconds))
                out[kind] = {}
                for name, rows in runs.items():
                    rate, _p95, errors, _n, cpu, _p99 = load.median_round(rows)
                    out[kind][name] = (rate, cpu, len(errors))
            finally:
                for server in set(servers.values()):
                    server.stop()
                if drop:
                    drop()
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", default="main", metavar="REV")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=100, help="requests per batch")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--served", action="store_true", help="gunicorn, not in-process")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--costs", nargs=2, metavar=("URL", "REPEAT"), help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.costs:
        print(json.dumps(costs(args.costs[0], int(args.costs[1]))))
        return 0
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    rev = args.against
    if args.served:
        print(
            f"gunicorn (deploy/gunicorn.conf.py), {args.threads} client threads, "
            f"{args.seconds}s a measure, median of {args.rounds} alternating rounds, "
            "rate limiter on (Redis)\n"
        )
        print(
            "| database | what | requests/s | CPU ms/req | vs hello (req/s) | vs hello (CPU) "
            "| errors |"
        )
        print("|---|---|---:|---:|---:|---:|---:|")
        for kind, lines in served(
            rev, args.rounds, args.seconds, args.threads, kinds, args.pg
        ).items():
            hello_rate, hello_cpu, _errors = lines["bare Flask hello"]
            for name, (rate, cpu, errors) in lines.items():
                print(
                    f"| {kind} | {name} | {rate:.0f} | {cpu:.2f} | {rate / hello_rate:.2f} "
                    f"| {hello_cpu / cpu:.2f} | {errors} |"
                )
        return 0
    print(
        f"In-process CPU ms per request (time.process_time, test client, rate limiter on), "
        f"median of {args.rounds} alternating rounds (each the median of 15 interleaved "
        f"batches of {args.repeat})\n"
    )
    print(f"| database | what | {rev} | this branch | this / {rev} | this vs hello |")
    print("|---|---|---:|---:|---:|---:|")
    for kind, lines in in_process(rev, args.rounds, args.repeat, kinds, args.pg).items():
        hello = lines["bare Flask hello"][1]
        for name, (before, after) in lines.items():
            print(
                f"| {kind} | {name} | {before:.3f} | {after:.3f} | {after / before:.2f} "
                f"| {hello / after:.2f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
