"""Load and reliability of Sala as it is deployed: gunicorn with deploy/gunicorn.conf.py on
loopback, on SQLite and on PostgreSQL, beside a bare Flask "hello" served the same way.

    .venv/bin/python bench/load.py [--quick] [--db sqlite|postgres|both] [--seconds 4] [--rounds 3]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test] [--write bench/RESULTS.md]

Measures, with a load generator of threads over http.client keep-alive connections, beside
a bare Flask POST that writes one row (the floor for any request that saves something): the
session page (GET; and again with the page cache off), a registration POST (with the cookie
and CSRF token its client got from the page once), and a moderation action (approve via the
htmx endpoint, signed in), as requests/s and p95 latency; a burst of registrations (page,
then POST) from concurrent clients that must end with exactly that many registrations and
confirmation mails queued and no error; the bytes of the session page with what it loads
(gzip); SQL statements per page with 10 and 10,000 registrations and ideas.

--quick: small counts, correctness only (exact counts, no errors, flat statement counts);
exits non-zero on a failed check. Run by tests/test_bench_load.py."""

import argparse
import gzip
import http.client
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Event, Idea, OutboxMessage, Registration, Theme, User, utcnow  # noqa: E402

VENV_BIN = Path(sys.executable).parent
PASSWORD = "bench password, long enough"
SLUG = "bench"
HELLO = ROOT / "bench" / "hello_app.py"


# ---------------------------------------------------------------- database and data


def make_database(kind, pg_base, tmp):
    if kind == "sqlite":
        return f"sqlite:///{tmp}/bench-{uuid.uuid4().hex[:6]}.sqlite", None
    name = f"sala_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(pg_base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(pg_base).set(database=name).render_as_string(hide_password=False)

    def drop():
        with admin.connect() as conn:
            conn.execute(
                sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname=:n"),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return url, drop


def build_app(url, tmp):
    return create_app(
        {
            "SECRET_KEY": "bench-only-secret-key-never-for-production",
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_ENABLED": False,
            "BASE_URL": "http://127.0.0.1",
            "MAIL_FILE_DIR": f"{tmp}/mail",
        }
    )


def seed(app, registrations, ideas, pending=0):
    """A published session open for registration and ideas, a moderator, `registrations`
    confirmed registrants, `ideas` approved ideas and `pending` ideas waiting. Rows go in
    directly, in bulk: this is setup, not what is measured."""
    with app.app_context():
        db.create_all()
        now = utcnow()
        event = Event(
            slug=SLUG,
            state="published",
            default_language="en",
            starts_at=now + timedelta(days=10),
            duration_minutes=120,
            timezone="Asia/Phnom_Penh",
            registration_opens_at=now - timedelta(days=1),
            ideas_open_at=now - timedelta(days=1),
            join_release="before_start",
            join_release_hours=24,
            join_url="https://zoom.example.invalid/j/1",
        )
        event.set_text("en", title="Bench session", summary="A session.\n\nWith a summary.")
        event.themes = [Theme(position=0, labels={"en": "Elections"})]
        db.session.add(event)
        moderator = User(email="mod@example.org", role="moderator", name="mod")
        moderator.set_password(PASSWORD)
        db.session.add(moderator)
        db.session.commit()
        db.session.execute(
            sa.insert(Registration),
            [
                dict(
                    event_id=event.id,
                    email=f"seed{i}@example.org",
                    email_key=f"seed{i}@example.org",
                    name=f"Seed {i}",
                    language="en",
                    status="confirmed",
                    confirmed_at=now,
                )
                for i in range(registrations)
            ],
        )
        rows = [
            dict(
                event_id=event.id,
                title=f"Idea {i}",
                body="Some text.",
                status="approved",
                author_email=f"seed{i}@example.org",
                language="en",
                display="anonymous",
            )
            for i in range(ideas)
        ]
        rows += [
            dict(
                event_id=event.id,
                title=f"Waiting {i}",
                body="Some text.",
                status="pending",
                author_email=f"wait{i}@example.org",
                language="en",
                display="anonymous",
            )
            for i in range(pending)
        ]
        if rows:
            db.session.execute(sa.insert(Idea), rows)
        db.session.commit()
        return event.id


def create_write_table(url):
    """The table the bare write baseline (bench/hello_app.py) inserts into."""
    engine = sa.create_engine(url)
    sa.Table(
        "bench_write",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("value", sa.String(100)),
    ).create(engine, checkfirst=True)
    engine.dispose()


def counts(app, event_id):
    with app.app_context():
        db.session.remove()
        registrations = db.session.scalar(
            sa.select(sa.func.count(Registration.id)).where(
                Registration.event_id == event_id, Registration.email_key.like("burst%")
            )
        )
        mails = db.session.scalar(
            sa.select(sa.func.count(OutboxMessage.id)).where(
                OutboxMessage.kind == "registration_confirm",
                OutboxMessage.recipient.like("burst%"),
            )
        )
        return registrations, mails


def pending_ideas(app, event_id):
    with app.app_context():
        return db.session.execute(
            sa.select(Idea.id, Idea.revision).where(
                Idea.event_id == event_id, Idea.status == "pending"
            )
        ).all()


# ---------------------------------------------------------------- serving


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """gunicorn with the project's configuration, on loopback."""

    def __init__(self, target, env):
        self.port = free_port()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "-c",
                str(ROOT / "deploy" / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{self.port}",
                target,
            ],
            cwd=ROOT,
            env=env,
            # A file, not an unread pipe (a full pipe would block gunicorn).
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        try:
            # Minutes, not seconds: a busy machine must not fail the run; an exit does at once.
            deadline = time.monotonic() + 600
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                        break
                except OSError:
                    if self.process.poll() is not None:
                        self.log.seek(0)
                        raise RuntimeError(self.log.read().decode(errors="replace")) from None
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"gunicorn did not listen on {self.port}") from None
                    time.sleep(0.2)
            # Every worker up and warm before measuring.
            for _ in range(20):
                Client(self.port, timeout=180).get("/")
        except BaseException:
            self.process.kill()  # never leave a server behind
            self.process.wait()
            raise

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.seek(0)
        errors = self.log.read().decode(errors="replace")
        self.log.close()
        # The exception lines of any traceback (the last line of each).
        return [
            line
            for line in errors.splitlines()
            if re.match(r"^[\w.]+(Error|Exception)\b", line) or "ERROR in app" in line
        ]


class Client:
    """One keep-alive HTTP connection with its own cookie."""

    def __init__(self, port, timeout=60):
        self.port = port
        self.timeout = timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.cookie = ""

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # gunicorn closed the keep-alive connection (max_requests): reconnect once.
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                if attempt:
                    raise
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response.status, data, response

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, form, headers=None):
        from urllib.parse import urlencode

        return self.request("POST", path, body=urlencode(form), headers=headers)


def csrf_of(html):
    return re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1).decode()


def run_load(port, seconds, threads, make_step, setup=None):
    """Each thread repeats its step on one keep-alive connection for `seconds`; returns
    (requests/s, p95 ms, errors, count)."""
    latencies, errors = [], []
    lock = threading.Lock()
    stop_at = [0.0, 0.0]

    def start_clock():
        stop_at[:] = [time.monotonic() + seconds, time.perf_counter()]

    # Signed in and all, then the clock starts (the action runs before anyone is released).
    ready = threading.Barrier(threads + 1, action=start_clock)

    def run(index):
        client = Client(port)
        try:
            state = setup(client, index) if setup else None
            step = make_step(client, index, state)
        except Exception as exc:  # noqa: BLE001
            with lock:
                errors.append(f"setup: {exc!r}")
            step = None
        ready.wait()
        mine = []
        while step is not None and time.monotonic() < stop_at[0]:
            start = time.perf_counter()
            try:
                ok = step()
            except Exception as exc:  # noqa: BLE001 - every failure counts, none stops the run
                ok = repr(exc)
            if ok is StopIteration:
                break
            mine.append(time.perf_counter() - start)
            if ok is not True:
                with lock:
                    errors.append(ok)
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    ready.wait()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - stop_at[1]
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000 if latencies else 0.0
    return len(latencies) / elapsed, p95, errors, len(latencies)


# ---------------------------------------------------------------- measurements


def median_round(runs):
    """The run with the median rate, with every run's errors."""
    middle = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
    errors = [error for run in runs for error in run[2]]
    return middle[0], middle[1], errors, sum(run[3] for run in runs)


def bare(port, seconds, threads):
    def make(client, _i, _s):
        return lambda: client.get("/")[0] == 200

    return run_load(port, seconds, threads, make)


def bare_write(port, seconds, threads):
    def make(client, _i, _s):
        return lambda: client.post("/write", {"value": "x"})[0] == 204

    return run_load(port, seconds, threads, make)


def session_page(port, seconds, threads):
    def make(client, _i, _s):
        return lambda: client.get(f"/s/{SLUG}")[0] == 200

    return run_load(port, seconds, threads, make)


def registration(port, seconds, threads, tag):
    """Registration POSTs, token and all: each client opens the session page once for its
    cookie and CSRF token (that GET is the session page's line), then registers a new
    address with every request."""

    def setup(client, _index):
        _status, html, _ = client.get(f"/s/{SLUG}")
        return csrf_of(html)

    def make(client, index, token):
        counter = iter(range(10**9))

        def step():
            n = next(counter)
            form = {
                "csrf_token": token,
                "email": f"{tag}{index}x{n}@example.org",
                "name": f"Load {n}",
                "language": "en",
                "consent": "y",
            }
            status, _body, _response = client.post(f"/s/{SLUG}/register", form)
            return status == 302 or f"{status}"

        return step

    return run_load(port, seconds, threads, make, setup=setup)


def sign_in(client):
    _status, html, _ = client.get("/login")
    status, _b, _r = client.post(
        "/login",
        {"csrf_token": csrf_of(html), "email": "mod@example.org", "password": PASSWORD},
    )
    assert status == 302, f"moderator could not sign in ({status})"
    status, html, response = client.get("/moderate/")
    if status in (301, 302, 303):
        _status, html, _ = client.get(response.getheader("Location"))
    return re.search(rb'"X-CSRFToken": "([^"]+)"', html).group(1).decode()


def moderation(port, seconds, threads, event_id, ideas):
    """Each request approves a different pending idea, through the htmx endpoint."""
    queue = list(ideas)
    lock = threading.Lock()

    def make(client, _index, token):
        def step():
            with lock:
                if not queue:
                    return StopIteration
                idea_id, revision = queue.pop()
            status, _body, _r = client.post(
                f"/moderate/{event_id}/ideas/{idea_id}/approve",
                {"revision": revision},
                headers={"HX-Request": "true", "X-CSRFToken": token},
            )
            return status == 200 or f"{status}"

        return step

    return run_load(port, seconds, threads, make, setup=lambda client, _i: sign_in(client))


def burst(port, total, clients):
    """`total` registrations from `clients` concurrent clients, each page then POST."""
    errors = []
    lock = threading.Lock()
    per = [total // clients + (1 if i < total % clients else 0) for i in range(clients)]

    def run(index):
        client = Client(port)
        for n in range(per[index]):
            try:
                _s, html, _ = client.get(f"/s/{SLUG}")
                status, _b, _r = client.post(
                    f"/s/{SLUG}/register",
                    {
                        "csrf_token": csrf_of(html),
                        "email": f"burst{index}x{n}@example.org",
                        "name": "Burst",
                        "language": "en",
                        "consent": "y",
                    },
                )
                if status != 302:
                    with lock:
                        errors.append(status)
            except Exception as exc:  # noqa: BLE001
                with lock:
                    errors.append(repr(exc))

    workers = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - start, errors


def page_bytes(port):
    """The session page and everything it loads: raw and gzip-compressed bytes."""
    client = Client(port)
    _s, html, _ = client.get(f"/s/{SLUG}")
    parts = {"html": [html]}
    for kind, pattern in (
        ("css", rb'<link rel="stylesheet" href="([^"]+)"'),
        ("js", rb'<script src="([^"]+)"'),
    ):
        for href in re.findall(pattern, html):
            _s, body, _ = client.get(href.decode())
            parts.setdefault(kind, []).append(body)
    return {
        kind: (sum(len(b) for b in bodies), sum(len(gzip.compress(b, 6)) for b in bodies))
        for kind, bodies in parts.items()
    }


def statements(url, tmp, size):
    """SQL statements for each page, with `size` registrations and ideas."""
    app = build_app(url, tmp)
    # What rendering costs: with the page cache on, a kept page would cost no statement.
    app.config.update(WTF_CSRF_ENABLED=False, PAGE_CACHE_SECONDS=0)
    event_id = seed(app, size, size, pending=size)
    count = [0]

    with app.app_context():
        engine = db.engine

        def on_execute(*_args):
            count[0] += 1

        sa.event.listen(engine, "before_cursor_execute", on_execute)
        client = app.test_client()
        client.post("/login", data={"email": "mod@example.org", "password": PASSWORD})
        out = {}
        for name, path in (
            ("session page", f"/s/{SLUG}"),
            ("ideas board", f"/s/{SLUG}/ideas"),
            ("moderation queue", f"/moderate/{event_id}"),
            ("home", "/"),
        ):
            client.get(path)  # warm
            count[0] = 0
            status = client.get(path).status_code
            assert status == 200, (path, status)
            out[name] = count[0]
        sa.event.remove(engine, "before_cursor_execute", on_execute)
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return out


# ---------------------------------------------------------------- one database


def measure(kind, args, tmp):
    url, drop = make_database(kind, args.pg, tmp)
    result = {"db": kind}
    try:
        app = build_app(url, tmp)
        pending = 300 if args.quick else 5000
        event_id = seed(app, 10, 10, pending=pending)
        create_write_table(url)
        env = dict(
            os.environ,
            SALA_SQLALCHEMY_DATABASE_URI=url,
            SALA_SECRET_KEY="bench-only-secret-key-never-for-production",
            SALA_RATELIMIT_ENABLED="false",
            SALA_BASE_URL="http://127.0.0.1",
            SALA_INSTANCE_PATH=f"{tmp}/instance",
            PYTHONPATH=str(ROOT / "bench"),
        )
        servers = []
        try:
            hello = Served("hello_app:app", env)
            servers.append(hello)
            sala = Served("wsgi:app", env)
            servers.append(sala)
            # The same app rendering every page, to show what the page cache saves.
            fresh = Served("wsgi:app", dict(env, SALA_PAGE_CACHE_SECONDS="0"))
            servers.append(fresh)
        except BaseException:
            for server in servers:
                server.stop()
            raise
        seconds, threads = args.seconds, args.threads
        try:
            # Rounds alternating bare and Sala, so that the machine's drift falls on both;
            # each line of the table is the median of its rounds.
            rounds = {key: [] for key in ("bare", "write", "session", "session_fresh", "register")}
            for n in range(args.rounds):
                rounds["bare"].append(bare(hello.port, seconds, threads))
                rounds["write"].append(bare_write(hello.port, seconds, threads))
                rounds["session"].append(session_page(sala.port, seconds, threads))
                rounds["session_fresh"].append(session_page(fresh.port, seconds, threads))
                rounds["register"].append(
                    registration(sala.port, seconds, threads, f"load-{kind}-{n}-")
                )
            result.update({key: median_round(runs) for key, runs in rounds.items()})
            result["moderate"] = moderation(
                sala.port, seconds, threads, event_id, pending_ideas(app, event_id)
            )
            total = args.burst
            result["burst_seconds"], result["burst_errors"] = burst(
                sala.port, total, args.burst_clients
            )
            result["burst_counts"] = counts(app, event_id)
            result["bytes"] = page_bytes(sala.port)
        finally:
            result["server_errors"] = [line for server in servers for line in server.stop()]
        with build_app(url, tmp).app_context():
            db.drop_all()
            db.engine.dispose()
    finally:
        if drop:
            drop()
    small, large = 10, (200 if args.quick else 10000)
    for size in (small, large):
        url, drop = make_database(kind, args.pg, tmp)
        try:
            result[f"sql_{size}"] = statements(url, tmp, size)
        finally:
            if drop:
                drop()
    result["sizes"] = (small, large)
    return result


# ---------------------------------------------------------------- report


def report(results, args):
    lines = []
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines.append(f"Run {now} on `{' '.join(platform.uname())}`, {os.cpu_count()} CPUs.")
    lines.append(
        f"gunicorn -c deploy/gunicorn.conf.py (loopback); {args.threads} client threads, "
        f"{args.seconds}s per measure, median of {args.rounds} alternating rounds; burst of "
        f"{args.burst} registrations from {args.burst_clients} clients."
    )
    lines.append("")
    lines.append("| database | what | requests/s | p95 ms | vs bare | goal | errors |")
    lines.append("|---|---|---:|---:|---:|---|---:|")
    failures = []
    for r in results:
        bare_rate = r["bare"][0]
        for key, label, goal in (
            ("bare", "bare Flask hello", None),
            ("write", "bare Flask POST, one INSERT", None),
            ("session", "session page (GET)", 0.5),
            ("session_fresh", "session page, page cache off", None),
            ("register", "registration POST", 0.25),
            ("moderate", "moderation approve (htmx)", None),
        ):
            rate, p95, errors, _n = r[key]
            ratio = rate / bare_rate if bare_rate else 0
            goal_text = f"≥ {goal:.2f}: {'met' if ratio >= goal else 'NOT met'}" if goal else ""
            lines.append(
                f"| {r['db']} | {label} | {rate:.0f} | {p95:.1f} | {ratio:.2f} | {goal_text} "
                f"| {len(errors)} |"
            )
            if errors:
                failures.append(f"{r['db']} {label}: {len(errors)} errors, e.g. {errors[:3]}")
    lines.append("")
    lines.append("| database | burst | seconds | registrations | mails queued | errors |")
    lines.append("|---|---|---:|---:|---:|---:|")
    for r in results:
        regs, mails = r["burst_counts"]
        lines.append(
            f"| {r['db']} | {args.burst} from {args.burst_clients} clients "
            f"| {r['burst_seconds']:.1f} | {regs} | {mails} | {len(r['burst_errors'])} |"
        )
        if (regs, mails) != (args.burst, args.burst) or r["burst_errors"]:
            failures.append(
                f"{r['db']} burst: {regs} registrations, {mails} mails, "
                f"errors {r['burst_errors'][:5]}"
            )
        if r["server_errors"]:
            failures.append(f"{r['db']} server log: {r['server_errors'][:5]}")
    lines.append("")
    lines.append("| database | session page bytes | raw | gzip |")
    lines.append("|---|---|---:|---:|")
    for r in results:
        total_raw = total_gz = 0
        for kind, (raw, gz) in r["bytes"].items():
            lines.append(f"| {r['db']} | {kind} | {raw} | {gz} |")
            total_raw += raw
            total_gz += gz
        verdict = "under 30 KB" if total_gz < 30 * 1024 else "OVER 30 KB"
        lines.append(f"| {r['db']} | **all** ({verdict}) | {total_raw} | {total_gz} |")
    lines.append("")
    small, large = results[0]["sizes"]
    lines.append(f"| database | page | SQL statements, {small} | {large} | flat |")
    lines.append("|---|---|---:|---:|---|")
    for r in results:
        for page, n_small in r[f"sql_{small}"].items():
            n_large = r[f"sql_{large}"][page]
            flat = n_small == n_large
            mark = "yes" if flat else "NO"
            lines.append(f"| {r['db']} | {page} | {n_small} | {n_large} | {mark} |")
            if not flat:
                failures.append(f"{r['db']} {page}: {n_small} statements, then {n_large}")
    return "\n".join(lines), failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--burst-clients", type=int, default=50)
    parser.add_argument("--write", default=None, help="write the table into this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.threads, args.burst, args.rounds = 1.0, 4, 100, 1
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    with tempfile.TemporaryDirectory() as tmp:
        results = [measure(kind, args, tmp) for kind in kinds]
    table, failures = report(results, args)
    print(table)
    if args.write:
        Path(args.write).write_text(
            "# Load and reliability\n\nWritten by `bench/load.py`; the command:\n\n"
            f"    .venv/bin/python bench/load.py {' '.join(argv or sys.argv[1:])}\n\n"
            + table
            + "\n"
        )
    if failures:
        print("\nFAILED:\n" + "\n".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
