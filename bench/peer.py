"""A peer line for bench/load.py (issue 21.5): pretix's public event page, served by the same
gunicorn with the same settings (deploy/gunicorn.conf.py) on this machine, beside the bare
Flask hello that bench/load.py compares Sala's pages with.

    .venv/bin/python bench/peer.py [--seconds 3] [--threads 8] [--rounds 3] [--cache DIR]

Optional and never in CI: pretix is not a dependency of Sala. The first run installs it from
PyPI into its own venv under the cache directory (default ~/.cache/sala-bench/pretix; the
pinned version below, with the gunicorn version Sala runs), and migrates an empty SQLite
database there once (about 4 minutes of CPU); later runs reuse both. Each run copies that
database into a temporary directory, writes a pretix.cfg for it (SQLite; Redis for cache and
sessions when it answers on 127.0.0.1:6379, with a key prefix of its own, as pretix's
production guide sets it up; no Celery, which a page view does not use), creates an organizer
and a live public event with one item through pretix's ORM, serves it, checks that the page
shows the event and its item, warms every worker, then measures the event page and hello in
alternating rounds with bench/load.py's client loop and its reading of the servers' CPU
from /proc, and last the page's CPU in one process (Django's test client). It prints a table
that bench/load.py --peer shows; when pretix cannot be installed or served here it prints
why, prefixed "skipped:", and exits with 2."""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import (  # noqa: E402
    HELLO,
    Client,
    Served,
    bare,
    median_round,
    run_load,
)

PRETIX = "2026.8.0"
ORGANIZER, EVENT = "bench", "session"
TITLE, ITEM = "Bench session", "Registration"

SEED = f"""
import datetime as dt
from decimal import Decimal

import django

django.setup()
from django.utils.timezone import now
from django_scopes import scopes_disabled
from pretix.base.models import Event, Item, Organizer, Quota

with scopes_disabled():
    organizer = Organizer.objects.create(name="Bench organizer", slug="{ORGANIZER}")
    event = Event.objects.create(
        organizer=organizer,
        name="{TITLE}",
        slug="{EVENT}",
        currency="EUR",
        date_from=now() + dt.timedelta(days=10),
        live=True,
    )
    event.set_defaults()
    event.settings.set("frontpage_text", "A session.\\n\\nWith a summary.")
    item = Item.objects.create(
        event=event, name="{ITEM}", default_price=Decimal("0.00"), active=True, admission=True
    )
    quota = Quota.objects.create(event=event, name="Seats", size=500)
    quota.items.add(item)
"""

# Every cache pretix configures gets a key prefix of this run's own (its settings have no
# option for one), so that nothing a former run left in Redis is read back.
SETTINGS = """from pretix.settings import *  # noqa: F403

for _cache in CACHES.values():  # noqa: F405
    _cache["KEY_PREFIX"] = {prefix!r}
"""


# The same page in one process, through Django's test client: CPU per request from
# time.process_time, which moves less with the machine's load than the served numbers.
IN_PROCESS = """
import sys
import time

import django

django.setup()
from django.test import Client

client = Client(HTTP_HOST="127.0.0.1")
for _ in range(20):
    client.get(sys.argv[1])
times = []
for _ in range(int(sys.argv[2])):
    start = time.process_time()
    status = client.get(sys.argv[1]).status_code
    times.append(time.process_time() - start)
    assert status == 200, status
times.sort()
print(times[len(times) // 2] * 1000)
"""


class Skip(Exception):
    """Why the peer line cannot be measured here."""


def last_line(text):
    """The last line of a tool's output that says something (pip's warnings do not)."""
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.startswith(("WARNING", "[notice]"))
    ]
    return lines[-1][:300] if lines else "no output"


def redis_answers():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def install(cache):
    """pretix (and Sala's gunicorn version) in a venv under `cache`, once: the venv's
    python."""
    venv = cache / "venv"
    python = venv / "bin" / "python"
    wanted = {"pretix": PRETIX, "gunicorn": metadata.version("gunicorn")}
    marker = venv / "sala-bench.json"
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        return python
    cache.mkdir(parents=True, exist_ok=True)
    if not python.exists():
        done = subprocess.run(
            [sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True
        )
        if done.returncode:
            raise Skip(f"could not make a venv in {venv}: {last_line(done.stderr)}")
    specs = [f"{name}=={version}" for name, version in wanted.items()]
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *specs],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode:
        raise Skip(
            f"pip could not install {' '.join(specs)} (exit {done.returncode}): "
            + last_line(done.stderr + done.stdout)
        )
    marker.write_text(json.dumps(wanted))
    return python


def configure(directory, redis):
    """pretix.cfg and the settings module for a pretix whose data lives in `directory`."""
    data = directory / "data"
    data.mkdir(exist_ok=True)
    config = directory / "pretix.cfg"
    text = (
        "[pretix]\ninstance_name=bench\nurl=http://127.0.0.1\n"
        f"datadir={data}\ncurrency=EUR\necb_rates=off\n"
        f"[database]\nbackend=sqlite3\nname={data / 'db.sqlite3'}\n"
        "[django]\nsecret=bench-only-secret-never-for-production\ndebug=off\n"
        "[mail]\nfrom=bench@localhost\nhost=127.0.0.1\nport=1\n"
    )
    if redis:
        text += "[redis]\nlocation=redis://127.0.0.1:6379/0\nsessions=true\n"
    config.write_text(text)
    settings = "bench_pretix_settings"
    prefix = f"sala-bench-pretix-{uuid.uuid4().hex[:8]}"
    (directory / f"{settings}.py").write_text(SETTINGS.format(prefix=prefix))
    env = dict(os.environ, PRETIX_CONFIG_FILE=str(config), PYTHONPATH=str(directory))
    env["DJANGO_SETTINGS_MODULE"] = settings
    return env, data / "db.sqlite3"


def migrated_database(python, cache):
    """An empty SQLite database with pretix's migrations applied, made once per version."""
    template = cache / f"pretix-{PRETIX}.sqlite3"
    if template.exists():
        return template
    with tempfile.TemporaryDirectory() as tmp:
        env, database = configure(Path(tmp), redis=False)
        done = subprocess.run(
            [str(python), "-m", "pretix", "migrate", "--noinput"],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
        )
        if done.returncode:
            raise Skip(f"pretix's migrations failed: {last_line(done.stderr + done.stdout)}")
        partial = template.with_suffix(".partial")
        shutil.copyfile(database, partial)
        partial.replace(template)
    return template


def check_page(port, path):
    status, body, _response = Client(port, timeout=180).get(path)
    if status != 200 or TITLE.encode() not in body or ITEM.encode() not in body:
        raise Skip(f"pretix's event page {path} answered {status} without the event and item")


def page(server, seconds, threads, path):
    def make(client, _i, _s):
        return lambda: client.get(path)[0] == 200

    return run_load(server, seconds, threads, make)


def measure(args, python, template, tmp):
    redis = redis_answers()
    env, database = configure(tmp, redis)
    shutil.copyfile(template, database)
    done = subprocess.run(
        [str(python), "-c", SEED], cwd=tmp, env=env, capture_output=True, text=True, timeout=600
    )
    if done.returncode:
        raise Skip(f"could not create the event: {last_line(done.stderr)}")
    path = f"/{ORGANIZER}/{EVENT}/"
    hello_env = dict(
        os.environ,
        SALA_SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/hello.sqlite",
        PYTHONPATH=str(HELLO.parent),
    )
    servers = []
    try:
        hello = Served("hello_app:app", hello_env)
        servers.append(hello)
        try:
            peer = Served(
                "pretix.wsgi:application", env, gunicorn=python.parent / "gunicorn", cwd=tmp
            )
        except RuntimeError as exc:
            raise Skip(f"pretix's gunicorn did not start: {last_line(str(exc))}") from None
        servers.append(peer)
        check_page(peer.port, path)
        # Every worker renders the page (and hello answers) before any clock starts.
        for _ in range(2):
            page(peer, max(2.0, args.seconds), args.threads, path)
        bare(hello, min(1.0, args.seconds), args.threads)
        runs = {"hello": [], "pretix": []}
        for _round in range(args.rounds):
            runs["hello"].append(bare(hello, args.seconds, args.threads))
            runs["pretix"].append(page(peer, args.seconds, args.threads, path))
    finally:
        errors = [line for server in servers for line in server.stop()]
    done = subprocess.run(
        [str(python), "-c", IN_PROCESS, path, "50"],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    in_process = float(done.stdout) if done.returncode == 0 else None
    results = {key: median_round(value) for key, value in runs.items()}
    return results, in_process, redis, path, errors


def table(args, results, in_process, redis, path, server_errors, django):
    hello_rate, hello_cpu = results["hello"][0], results["hello"][4]
    lines = [
        f"pretix {PRETIX} (Django {django}), its public event page `{path}` (a live event, one "
        f"item), on SQLite, {'Redis cache and sessions' if redis else 'no cache (no Redis)'}; "
        "served like Sala by gunicorn -c deploy/gunicorn.conf.py on loopback; "
        f"{args.threads} client threads, {args.seconds}s per measure, median of "
        f"{args.rounds} alternating rounds. CPU ms/req: the servers' CPU (/proc); CPU vs "
        "hello: hello's CPU per request over this line's (it moves less with the machine's "
        "load than requests/s, which a loaded machine lowers most for long requests).",
        "",
        "| peer | what | requests/s | p95 ms | p99 ms | CPU ms/req | vs hello | CPU vs hello "
        "| errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, label in (("hello", "bare Flask hello"), ("pretix", "public event page")):
        rate, p95, errors, _n, cpu, p99 = results[key]
        ratio = rate / hello_rate if hello_rate else 0
        cpu_ratio = hello_cpu / cpu if cpu else 0
        name = "flask" if key == "hello" else f"pretix {PRETIX}"
        lines.append(
            f"| {name} | {label} | {rate:.0f} | {p95:.1f} | {p99:.1f} | {cpu:.2f} "
            f"| {ratio:.3f} | {cpu_ratio:.3f} | {len(errors)} |"
        )
    lines.append("")
    lines.append(
        "In one process (Django's test client, one thread, median of 50 after 20 warm-up "
        "requests): "
        + (f"{in_process:.1f} ms CPU a page (time.process_time)." if in_process else "failed.")
    )
    if server_errors:
        lines.append("")
        lines.append("Server errors: " + "; ".join(sorted(set(server_errors))[:5]))
    return "\n".join(lines)


def version_in(python, name):
    """A package's version in the pretix venv."""
    done = subprocess.run(
        [str(python), "-c", f"from importlib.metadata import version; print(version({name!r}))"],
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() or "?"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        / "sala-bench"
        / "pretix",
        help="where pretix's venv and migrated database are kept between runs",
    )
    args = parser.parse_args(argv)
    try:
        python = install(args.cache)
        template = migrated_database(python, args.cache)
        with tempfile.TemporaryDirectory() as tmp:
            results, in_process, redis, path, errors = measure(args, python, template, Path(tmp))
    except Skip as why:
        print(f"skipped: {why}")
        return 2
    django = version_in(python, "django")
    print(table(args, results, in_process, redis, path, errors, django))
    return 0


if __name__ == "__main__":
    sys.exit(main())
