"""Load and reliability of Sala as it is deployed: gunicorn with deploy/gunicorn.conf.py on
loopback, on SQLite and on PostgreSQL, beside a bare Flask "hello" served the same way.

    .venv/bin/python bench/load.py [--quick] [--db sqlite|postgres|both] [--seconds 4] [--rounds 3]
        [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test] [--write bench/RESULTS.md]
        [--max-requests 5000,20000,0] [--mailout 20000] [--peer] [--only bare,session]

Measures, with a load generator of threads over http.client keep-alive connections, as
requests/s, p95 and p99 latency and the servers' CPU per request (from /proc: the gunicorn
master and its workers, including workers that exited, so worker restarts count; it does
not move with the machine's load as requests/s do): a bare Flask hello and a bare Flask POST
that writes one row (bench/hello_app.py: the write floor, the least any request that saves
something can cost); the session page (GET; and again with the page cache off); the page a
registrant lands on after registering; a registration POST (with the cookie and CSRF token
its client got from the page once); an idea submit POST; and a moderation action (approve
via the htmx endpoint, signed in). Writes are reported as a ratio to the write floor, pages
to hello. Every endpoint is warmed (templates compiled in every worker) before it is
measured. The rate limiter is on, as in production (Redis at 127.0.0.1:6379 when it
answers, else memory); its public-POST limit is raised, since all of the load comes from
one address. Then: a burst of registrations (page, then POST) from concurrent clients that
must end with exactly that many registrations and confirmation mails queued and no error;
the bytes of the session page with what it loads (gzip); SQL statements per page with 10 and
10,000 registrations and ideas; with --max-requests, the cached session page served with
each gunicorn max_requests value in alternating rounds; with --mailout N, the plan mail-out
benchmark (bench/mailout.py, its own processes) to N registrants; with --peer, pretix's
public event page as a peer line when bench/peer.py can install and serve it (skipped with a
note otherwise; never in CI).

gunicorn's output goes to a file, never to an unread pipe (a full pipe blocks it).

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


def drain_intake(app):
    """Run the worker's intake step (app/intake.py) in this process until nothing waits:
    (submissions turned into registrations or ideas and their mail, seconds, CPU seconds)."""
    from app import intake

    with app.app_context():
        db.session.remove()
        wall, cpu = time.perf_counter(), time.process_time()
        count = intake.drain()
        return count, time.perf_counter() - wall, time.process_time() - cpu


def pending_ideas(app, event_id):
    with app.app_context():
        return db.session.execute(
            sa.select(Idea.id, Idea.revision).where(
                Idea.event_id == event_id, Idea.status == "pending"
            )
        ).all()


# ---------------------------------------------------------------- serving


class Worker:
    """`sala worker` beside the servers (--with-worker), its output in a file."""

    def __init__(self, env, tmp):
        self.log = open(f"{tmp}/worker.log", "wb")  # noqa: SIM115 - closed in stop()
        command = [str(Path(sys.executable).with_name("sala")), "worker", "--idle", "1"]
        self.process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT
        )

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        return []


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """gunicorn with the project's configuration, on loopback. `gunicorn` and `cwd`: another
    venv's gunicorn and working directory (bench/peer.py serves pretix with them)."""

    def __init__(self, target, env, extra=(), gunicorn=None, cwd=ROOT):
        self.port = free_port()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [
                str(gunicorn or VENV_BIN / "gunicorn"),
                "-c",
                str(ROOT / "deploy" / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{self.port}",
                *extra,
                target,
            ],
            cwd=cwd,
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

    def cpu_seconds(self):
        """CPU time of the master and its workers so far, with the workers that already
        exited (the kernel adds a reaped child's time to its parent's cutime/cstime)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        master = self.process.pid
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rpartition(")")[2].split()
            except OSError:  # gone meanwhile
                continue
            # After the name: state ppid ... utime(12) stime(13) cutime(14) cstime(15).
            if int(pid) == master:
                total += sum(int(f) for f in fields[11:15])
            elif int(fields[1]) == master:
                total += int(fields[11]) + int(fields[12])
        return total / tick

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


def run_load(server, seconds, threads, make_step, setup=None):
    """Each thread repeats its step on one keep-alive connection for `seconds`; returns
    (requests/s, p95 ms, errors, count, server CPU ms per request, p99 ms)."""
    port = server.port
    latencies, errors = [], []
    lock = threading.Lock()
    stop_at = [0.0, 0.0]

    cpu_at = [0.0]

    def start_clock():
        cpu_at[0] = server.cpu_seconds()
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
    cpu = server.cpu_seconds() - cpu_at[0]
    latencies.sort()
    n = len(latencies)

    def percentile(p):
        return latencies[max(0, int(n * p) - 1)] * 1000 if latencies else 0.0

    cpu_ms = cpu * 1000 / n if n else 0.0
    return n / elapsed, percentile(0.95), errors, n, cpu_ms, percentile(0.99)


# ---------------------------------------------------------------- measurements


def median_round(runs):
    """The run with the median rate, with every run's errors; CPU per request is the
    median of the rounds' on its own (it hardly moves)."""
    middle = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
    errors = [error for run in runs for error in run[2]]
    cpu = sorted(run[4] for run in runs)[len(runs) // 2]
    return middle[0], middle[1], errors, sum(run[3] for run in runs), cpu, middle[5]


def bare(server, seconds, threads):
    def make(client, _i, _s):
        return lambda: client.get("/")[0] == 200

    return run_load(server, seconds, threads, make)


def bare_write(server, seconds, threads):
    def make(client, _i, _s):
        return lambda: client.post("/write", {"value": "x"})[0] == 204

    return run_load(server, seconds, threads, make)


def session_page(server, seconds, threads):
    def make(client, _i, _s):
        return lambda: client.get(f"/s/{SLUG}")[0] == 200

    return run_load(server, seconds, threads, make)


def registered_page(server, seconds, threads):
    """The page a registrant lands on after registering ("check your mail")."""

    def make(client, _i, _s):
        return lambda: client.get(f"/s/{SLUG}/registered")[0] == 200

    return run_load(server, seconds, threads, make)


def registration(server, seconds, threads, tag):
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

    return run_load(server, seconds, threads, make, setup=setup)


def idea_submit(server, seconds, threads, tag):
    """Idea submissions by visitors who are not registered (each a new address): the form
    on the session page, token and all, answered with the "sent" page."""

    def setup(client, _index):
        _status, html, _ = client.get(f"/s/{SLUG}/ideas/new")
        return csrf_of(html)

    def make(client, index, token):
        counter = iter(range(10**9))

        def step():
            n = next(counter)
            form = {
                "csrf_token": token,
                "title": f"Idea {n} from the load",
                "body": "A text long enough to say something about the session.",
                "theme": "",
                "language": "en",
                "display": "anonymous",
                "name": "",
                "email": f"{tag}{index}x{n}@example.org",
            }
            status, body, _response = client.post(f"/s/{SLUG}/ideas/new", form)
            # Sent (303 to the "confirm by mail" page), not the form again with its messages.
            return status == 303 or f"{status}"

        return step

    return run_load(server, seconds, threads, make, setup=setup)


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


def moderation(server, seconds, threads, event_id, ideas):
    """Each request approves a different pending idea, through the htmx endpoint; `ideas`
    is shared by every run (warm-up and rounds), so no idea is approved twice."""
    queue = ideas
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

    return run_load(server, seconds, threads, make, setup=lambda client, _i: sign_in(client))


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


def limiter_storage():
    """Redis when it answers on 127.0.0.1:6379 (as production with several app servers),
    else memory (each worker counts alone)."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            if sock.recv(16).startswith(b"+PONG"):
                return "redis://127.0.0.1:6379"
    except OSError:
        pass
    return "memory://"


def server_env(url, tmp, storage=None, **extra):
    """The environment every bench serves Sala (and hello) with: the database, the rate
    limiter on as in production (Redis when it answers, a key prefix per run), `extra`
    settings over it. The load's requests all come from one address, so bench/load.py
    raises the public-POST limit (its cost stays measured)."""
    return dict(
        os.environ,
        SALA_SQLALCHEMY_DATABASE_URI=url,
        SALA_SECRET_KEY="bench-only-secret-key-never-for-production",
        SALA_RATELIMIT_ENABLED="true",
        SALA_RATELIMIT_STORAGE_URI=storage or limiter_storage(),
        SALA_RATELIMIT_KEY_PREFIX=f"sala-bench-{uuid.uuid4().hex[:8]}",
        SALA_BASE_URL="http://127.0.0.1",
        SALA_INSTANCE_PATH=f"{tmp}/instance",
        PYTHONPATH=str(ROOT / "bench"),
        **extra,
    )


LINES = (
    # key, label, measure, server ("hello", "sala", "fresh"), warm-up needed
    ("bare", "bare Flask hello", "hello"),
    ("write", "bare Flask POST, one INSERT (write floor)", "hello"),
    ("session", "session page (GET)", "sala"),
    ("session_fresh", "session page, page cache off", "fresh"),
    ("registered", "registered: the page after registering", "sala"),
    ("register", "registration POST", "sala"),
    ("idea", "idea submit POST", "sala"),
    ("moderate", "moderation approve (htmx)", "sala"),
)


def chosen_lines(args):
    """LINES, or those named by --only (session,bare: only those, and nothing after them)."""
    if not args.only:
        return LINES
    keys = set(args.only.split(","))
    unknown = keys - {key for key, _label, _server in LINES}
    if unknown:
        raise SystemExit(f"--only: unknown lines {sorted(unknown)}")
    return tuple(line for line in LINES if line[0] in keys)


def measure(kind, args, tmp):
    lines = chosen_lines(args)
    url, drop = make_database(kind, args.pg, tmp)
    result = {"db": kind}
    try:
        app = build_app(url, tmp)
        pending = 300 if args.quick else 10000
        event_id = seed(app, 10, 10, pending=pending)
        create_write_table(url)
        storage = limiter_storage()
        result["limiter"] = storage
        env = server_env(url, tmp, storage, SALA_RATELIMIT_PUBLIC_POST="1000000 per minute")
        servers = {}
        try:
            servers["hello"] = Served("hello_app:app", env)
            servers["sala"] = Served("wsgi:app", env)
            # The same app rendering every page, to show what the page cache saves.
            servers["fresh"] = Served("wsgi:app", dict(env, SALA_PAGE_CACHE_SECONDS="0"))
        except BaseException:
            for server in servers.values():
                server.stop()
            raise
        seconds, threads = args.seconds, args.threads
        ideas = pending_ideas(app, event_id)
        if args.with_worker:
            servers["worker"] = Worker(env, tmp)
        tags = iter(range(10**6))

        def run(key, server, secs):
            if key == "bare":
                return bare(server, secs, threads)
            if key == "write":
                return bare_write(server, secs, threads)
            if key in ("session", "session_fresh"):
                return session_page(server, secs, threads)
            if key == "registered":
                return registered_page(server, secs, threads)
            if key == "register":
                return registration(server, secs, threads, f"load-{kind}-{next(tags)}-")
            if key == "idea":
                return idea_submit(server, secs, threads, f"idea-{kind}-{next(tags)}-")
            return moderation(server, secs, threads, event_id, ideas)

        try:
            # Warm every endpoint in every worker (templates compile, caches fill) before
            # any clock starts.
            for key, _label, server in lines:
                run(key, servers[server], min(1.0, seconds))
            # Rounds alternating bare and Sala, so that the machine's drift falls on both;
            # each line of the table is the median of its rounds.
            rounds = {key: [] for key, _label, _server in lines}
            for _n in range(args.rounds):
                for key, _label, server in lines:
                    rounds[key].append(run(key, servers[server], seconds))
            result.update({key: median_round(runs) for key, runs in rounds.items()})
            # What the load lines sent waits for the worker: take it (timed: the worker's
            # intake rate), then the burst, then the worker again, then count.
            result["intake_backlog"] = drain_intake(app)
            if args.only:
                return result
            total = args.burst
            result["burst_seconds"], result["burst_errors"] = burst(
                servers["sala"].port, total, args.burst_clients
            )
            result["intake_burst"] = drain_intake(app)
            result["burst_counts"] = counts(app, event_id)
            result["bytes"] = page_bytes(servers["sala"].port)
        finally:
            result["server_errors"] = [
                line for server in servers.values() for line in server.stop()
            ]
        if args.max_requests:
            result["max_requests"] = max_requests_lines(args, env)
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


def max_requests_lines(args, env):
    """The cached session page and hello, served with each max_requests value (gunicorn's
    --max-requests, over the configuration file's; 0: workers never restart), in
    alternating rounds. {value: (session run, hello run)}."""
    values = [int(v) for v in args.max_requests.split(",")]
    runs = {value: ([], []) for value in values}
    for _round in range(args.rounds):
        for value in values:
            extra = ["--max-requests", str(value), "--max-requests-jitter", str(value // 10)]
            served = []
            try:
                sala = Served("wsgi:app", env, extra)
                served.append(sala)
                hello = Served("hello_app:app", env, extra)
                served.append(hello)
                session_page(sala, min(1.0, args.seconds), args.threads)  # warm
                runs[value][0].append(session_page(sala, args.seconds * 2, args.threads))
                runs[value][1].append(bare(hello, args.seconds * 2, args.threads))
            finally:
                for server in served:
                    server.stop()
    return {value: (median_round(a), median_round(b)) for value, (a, b) in runs.items()}


def mailout_lines(count, pg=None):
    """bench/mailout.py to `count` registrants, in its own processes: its table."""
    command = [sys.executable, str(ROOT / "bench" / "mailout.py"), "--count", str(count)]
    if pg:
        command += ["--database-url", pg]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    return done.returncode, done.stdout.strip()


def peer_line(args):
    """pretix's public event page, served like Sala (bench/peer.py), or why not."""
    peer = ROOT / "bench" / "peer.py"
    if not peer.exists():
        return None, "skipped: bench/peer.py is not there"
    done = subprocess.run(
        [
            sys.executable,
            str(peer),
            *("--seconds", str(args.seconds), "--threads", str(args.threads)),
            *("--rounds", str(args.rounds)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    return done.returncode, (done.stdout.strip() or done.stderr.strip()[-500:])


# ---------------------------------------------------------------- report


GOALS = {
    # key: (reference, ratio goal), from issue 21
    "session": ("hello", 0.5),
    "register": ("write", 0.5),
    "idea": ("write", 0.5),
    "moderate": ("write", 0.5),
}


def report(results, args):
    lines = []
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines.append(f"Run {now} on `{' '.join(platform.uname())}`, {os.cpu_count()} CPUs.")
    lines.append(
        f"gunicorn -c deploy/gunicorn.conf.py (loopback); {args.threads} client threads, "
        f"{args.seconds}s per measure, every endpoint warmed first, median of {args.rounds} "
        f"alternating rounds; rate limiter on ({results[0]['limiter']}); "
        + (
            f"only {args.only}. "
            if args.only
            else f"burst of {args.burst} registrations from {args.burst_clients} clients. "
        )
        + "CPU ms/req: the "
        "servers' CPU (/proc) over the requests answered. Writes are compared with the "
        "write floor (a bare Flask POST inserting one row), pages with hello."
        + (" `sala worker` ran beside the servers." if args.with_worker else "")
    )
    lines.append("")
    lines.append(
        "| database | what | requests/s | p95 ms | p99 ms | CPU ms/req | vs hello | vs floor "
        "| goal | errors |"
    )
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|---|---:|")
    failures = []
    for r in results:
        rates = {key: r[key][0] for key, _label, _server in chosen_lines(args)}
        for key, label, _server in chosen_lines(args):
            rate, p95, errors, _n, cpu, p99 = r[key]
            vs_hello = rate / rates["bare"] if rates.get("bare") else 0
            vs_floor = rate / rates["write"] if rates.get("write") else 0
            floor_text = f"{vs_floor:.2f}" if key in ("register", "idea", "moderate") else ""
            goal_text = ""
            if key in GOALS:
                reference, goal = GOALS[key]
                ratio = vs_hello if reference == "hello" else vs_floor
                name = "hello" if reference == "hello" else "floor"
                goal_text = f"≥ {goal:.2f} of {name}: {'met' if ratio >= goal else 'NOT met'}"
            if key == "session_fresh":
                goal_text = f"≤ 4 ms CPU: {'met' if cpu <= 4 else 'NOT met'}"
            lines.append(
                f"| {r['db']} | {label} | {rate:.0f} | {p95:.1f} | {p99:.1f} | {cpu:.2f} "
                f"| {vs_hello:.2f} | {floor_text} | {goal_text} | {len(errors)} |"
            )
            if errors:
                failures.append(f"{r['db']} {label}: {len(errors)} errors, e.g. {errors[:3]}")
    if args.only:
        failures += [
            f"{r['db']} server log: {r['server_errors'][:5]}" for r in results if r["server_errors"]
        ]
        return "\n".join(lines), failures
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
    lines.append(
        "| database | worker intake (one process) | submissions | seconds | per second "
        "| CPU ms each |"
    )
    lines.append("|---|---|---:|---:|---:|---:|")
    for r in results:
        for key, what in (
            ("intake_backlog", "the load lines' backlog"),
            ("intake_burst", "the burst"),
        ):
            count, wall, cpu = r[key]
            rate = count / wall if wall else 0.0
            each = 1000 * cpu / count if count else 0.0
            lines.append(f"| {r['db']} | {what} | {count} | {wall:.1f} | {rate:.0f} | {each:.2f} |")
    if any("max_requests" in r for r in results):
        lines.append("")
        lines.append(
            "| database | max_requests | session page req/s | CPU ms/req | hello req/s "
            "| hello CPU ms/req | session vs hello |"
        )
        lines.append("|---|---:|---:|---:|---:|---:|---:|")
        for r in results:
            for value, (page, hello) in r.get("max_requests", {}).items():
                ratio = page[0] / hello[0] if hello[0] else 0
                lines.append(
                    f"| {r['db']} | {value or 'never'} | {page[0]:.0f} | {page[4]:.2f} "
                    f"| {hello[0]:.0f} | {hello[4]:.2f} | {ratio:.2f} |"
                )
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
    parser.add_argument(
        "--max-requests", default="", help="gunicorn max_requests values to compare: 5000,0"
    )
    parser.add_argument(
        "--mailout", type=int, default=0, help="also bench/mailout.py to this many registrants"
    )
    parser.add_argument("--peer", action="store_true", help="pretix's event page (bench/peer.py)")
    parser.add_argument(
        "--only", default="", help="only these lines (bare,session,...); no burst, bytes, SQL"
    )
    parser.add_argument(
        "--with-worker",
        action="store_true",
        help="run `sala worker` beside the servers (it takes registrations and ideas as they "
        "come, holding SQLite's write lock ~50 ms at a time): the p99 a site sees",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.threads, args.burst, args.rounds = 1.0, 4, 100, 1
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    with tempfile.TemporaryDirectory() as tmp:
        results = [measure(kind, args, tmp) for kind in kinds]
    table, failures = report(results, args)
    if args.mailout:
        code, out = mailout_lines(args.mailout)
        table += f"\n\nPlan mail-out (bench/mailout.py --count {args.mailout}, SQLite):\n\n{out}"
        if code:
            failures.append(f"bench/mailout.py exited with {code}")
    if args.peer:
        code, out = peer_line(args)
        table += f"\n\nPeer (bench/peer.py): {out}"
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
