"""The production files in deploy/, the Dockerfile and compose.yaml say what the code does:
the settings in env.example reach the app under those names, gunicorn serves the app with
deploy/gunicorn.conf.py after `sala init` has created the schema, nginx serves the core's static
files from where they are and passes the rest to the app, and every file the Dockerfile
copies exists. (Docker itself is not run here.)"""

import inspect
import os
import re
import runpy
import shlex
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
from support import READY_CEILING, ROOT, free_port, gunicorn_command, served

from app import ConfigurationError, create_app

DEPLOY = ROOT / "deploy"
SERVER_ROOT = "/srv/sala"  # where deploy/ expects the checkout


def env_file(path):
    """KEY=VALUE lines the way systemd's EnvironmentFile reads them (quotes removed)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        values[key] = shlex.split(value)[0] if value else ""
    return values


def on_disk(server_path):
    """A /srv/sala/... path of the deploy files, as a path in this checkout."""
    assert server_path.startswith(SERVER_ROOT + "/"), server_path
    return ROOT / server_path[len(SERVER_ROOT) + 1 :]


def test_env_example_settings_reach_the_app(monkeypatch, tmp_path):
    import flask_mail

    values = env_file(DEPLOY / "env.example")
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    # What cannot run here: the PostgreSQL URL is checked for its form, Redis is not there.
    assert sa.engine.make_url(values["SALA_SQLALCHEMY_DATABASE_URI"]).drivername == (
        "postgresql+psycopg"
    )
    monkeypatch.setenv("SALA_SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'env.sqlite'}")
    monkeypatch.setenv("SALA_RATELIMIT_STORAGE_URI", "memory://")
    monkeypatch.setenv("SALA_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("SALA_PLUGIN_LOAD_FAILURE", "refuse")
    # Copied as it is, the example cannot start: its secret key is a placeholder.
    with pytest.raises(ConfigurationError, match="example value of deploy/env.example"):
        create_app()
    monkeypatch.setenv("SALA_SECRET_KEY", "f" * 64)
    app = create_app()

    assert app.config["SECRET_KEY"] == "f" * 64
    assert app.config["BASE_URL"] == "https://sala.example.org"
    assert app.config["PROXY_FIX"] == 1
    assert type(app.wsgi_app).__name__ == "ProxyFix"
    assert app.config["EMAIL_PROVIDER"] == "smtp"
    assert app.config["MAIL_DEFAULT_SENDER"] == "Sala <sala@example.org>"
    mail = app.extensions["mail"]
    assert (mail.server, mail.port, mail.use_tls, mail.username) == (
        "smtp.example.org",
        587,
        True,
        "sala@example.org",
    )
    enabled = {p.name for p in app.extensions["sala.plugins"].installed if p.enabled}
    assert enabled == {"moderation", "smtp"}
    assert app.instance_path == str(tmp_path / "instance")

    # Every SALA_X names a setting something reads: the app's own, or Flask-Mail's.
    defaults = create_app({"TESTING": True, "SECRET_KEY": "x"}).config
    mail_source = inspect.getsource(flask_mail)
    for key in values:
        name = key.removeprefix("SALA_")
        assert name in defaults or f'"{name}"' in mail_source, f"{key} is read by nothing"


def test_gunicorn_conf_loads(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert conf["bind"] == "127.0.0.1:8000"
    assert 1 <= conf["workers"] <= 9
    assert conf["worker_class"] == "gthread"
    assert conf["accesslog"] is None  # links carry tokens
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))["workers"] == 3


def get(url):
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.status, response.read().decode()


def test_sala_init_then_gunicorn_serves_the_app(tmp_path):
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "SALA_SECRET_KEY": "a" * 64,
        "SALA_BASE_URL": "http://127.0.0.1",
        "SALA_INSTANCE_PATH": str(tmp_path / "instance"),
        "SALA_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'sala.sqlite'}",
        "WEB_CONCURRENCY": "1",
    }
    env.pop("SALA_DEV", None)
    init = subprocess.run(
        [str(bin_dir / "sala"), "init"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert init.returncode == 0, init.stderr
    engine = sa.create_engine(env["SALA_SQLALCHEMY_DATABASE_URI"])
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert {"alembic_version", "event", "registration", "outbox_message"} <= tables

    base = f"http://127.0.0.1:{free_port()}"
    command = gunicorn_command("--bind", base.removeprefix("http://"))
    with served(command, f"{base}/healthz", tmp_path / "gunicorn.log", cwd=ROOT, env=env):
        status, body = get(f"{base}/healthz")
        assert status == 200 and '"database":"ok"' in body.replace(" ", "")
        status, body = get(base + "/")
        assert status == 200 and "<html" in body
        # Files nginx leaves to the app (they are not in app/static).
        assert get(base + "/static/vendor/htmx/htmx.min.js")[0] == 200


def test_nginx_serves_core_static_from_disk_and_passes_the_rest_to_the_app():
    conf = (DEPLOY / "nginx.conf").read_text()
    block = re.search(r"location /static/ \{(.*?)\}", conf, re.S).group(1)
    root = re.search(r"root\s+(\S+);", block).group(1)
    assert (on_disk(root) / "static" / "css" / "sala.css").is_file()
    assert re.search(r"try_files \$uri @sala;", block)
    assert re.search(r"location @sala \{[^}]*proxy_pass http://127\.0\.0\.1:8000;", conf)
    assert "access_log off;" in conf


def test_systemd_units_run_what_exists():
    web = (DEPLOY / "sala-web.service").read_text()
    command = shlex.split(re.search(r"^ExecStart=(.*)$", web, re.M).group(1))
    assert command[0] == f"{SERVER_ROOT}/.venv/bin/gunicorn"
    assert on_disk(command[command.index("--config") + 1]).is_file()
    assert command[-1] == "wsgi:app" and (ROOT / "wsgi.py").is_file()

    worker = (DEPLOY / "sala-worker.service").read_text()
    command = shlex.split(re.search(r"^ExecStart=(.*)$", worker, re.M).group(1))
    assert command == [f"{SERVER_ROOT}/.venv/bin/sala", "worker"]
    app = create_app({"TESTING": True, "SECRET_KEY": "x"})
    assert "worker" in app.cli.commands and "init" in app.cli.commands
    for unit in (web, worker):
        assert "EnvironmentFile=/etc/sala/env" in unit
        assert f"ReadWritePaths={SERVER_ROOT}/instance" in unit
    # The cron alternative in the guide uses the same command, once.
    assert "sala worker --once" in (ROOT / "docs" / "deploy.md").read_text()


def dockerfile_instructions():
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            yield word.upper(), rest.strip()


def test_dockerfile_copies_files_that_exist():
    copies = [rest for word, rest in dockerfile_instructions() if word == "COPY"]
    assert copies
    ignored = (ROOT / ".dockerignore").read_text().split()
    for rest in copies:
        *sources, _dest = shlex.split(rest)
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such file"
            assert source.rstrip("/") not in ignored, f"{source} is in .dockerignore"
    cmd = dict(dockerfile_instructions())["CMD"]
    assert "deploy/gunicorn.conf.py" in cmd and (DEPLOY / "gunicorn.conf.py").is_file()
    # The package and the migrations `sala init` runs are in the image.
    copied = {shlex.split(rest)[0] for rest in copies}
    assert {"app", "plugins", "migrations", "translations"} <= copied


def test_compose_initializes_then_serves_and_runs_a_worker():
    compose = (ROOT / "compose.yaml").read_text()
    assert re.search(
        r'command: \["sh", "-c", "sala init && exec gunicorn --config '
        r'deploy/gunicorn.conf.py --bind 0.0.0.0:8000 wsgi:app"\]',
        compose,
    )
    assert 'command: ["sala", "worker"]' in compose
    assert compose.count("SALA_SQLALCHEMY_DATABASE_URI: postgresql+psycopg://") == 2
    assert "SALA_RATELIMIT_STORAGE_URI: redis://redis:6379" in compose


def unit_settings(path):
    """A systemd unit's Key=Value lines, every value of a key in order."""
    settings = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_systemd_units_are_hardened_and_keep_files_private():
    for name in ("sala-web.service", "sala-worker.service"):
        unit = unit_settings(DEPLOY / name)
        # Files the services create (SQLite database, exports, mail files): owner only.
        assert unit["UMask"] == ["0077"], name
        for key, value in {
            "NoNewPrivileges": "true",
            "PrivateTmp": "true",
            "PrivateDevices": "true",
            "ProtectSystem": "strict",
            "ProtectHome": "true",
            "RestrictSUIDSGID": "true",
            "CapabilityBoundingSet": "",
            "ReadWritePaths": f"{SERVER_ROOT}/instance",
        }.items():
            assert unit.get(key) == [value], f"{name}: {key}={unit.get(key)}"
        assert unit["User"] == ["sala"], name  # never root


def nginx_servers(conf):
    """The text of each top-level `server { ... }` block."""
    servers, depth, start = [], 0, None
    for match in re.finditer(r"server\s*\{|\{|\}", conf):
        if match.group().startswith("server") and depth == 0:
            start = match.start()
        if match.group().endswith("{"):
            depth += 1
        else:
            depth -= 1
            if depth == 0 and start is not None:
                servers.append(conf[start : match.end()])
                start = None
    return servers


def test_nginx_sends_hsts_hides_its_version_and_sets_what_proxy_fix_reads(monkeypatch):
    conf = (DEPLOY / "nginx.conf").read_text()
    tls, plain = nginx_servers(conf)
    assert "listen 443 ssl" in tls and "return 301 https://" in plain
    for server in (tls, plain):
        assert re.search(r"^\s*server_tokens off;", server, re.M)
    # HSTS as long as the app's own, on every answer (`always`: errors too), once: at the
    # server level only (an add_header in a location would drop it there), the app's hidden.
    defaults = create_app({"TESTING": True, "SECRET_KEY": "x"}).config
    hsts = re.findall(r'add_header Strict-Transport-Security "max-age=(\d+)" always;', tls)
    assert hsts == [str(defaults["HSTS_MAX_AGE"])]
    assert len(re.findall(r"^\s*add_header ", conf, re.M)) == 1
    assert "proxy_hide_header Strict-Transport-Security;" in tls

    # Every block that passes to gunicorn sets the headers ProxyFix reads with the
    # env.example setting (one proxy), from nginx's own view of the request.
    values = env_file(DEPLOY / "env.example")
    monkeypatch.setenv("SALA_PROXY_FIX", values["SALA_PROXY_FIX"])
    app = create_app({"TESTING": True, "SECRET_KEY": "x"})
    fix = app.wsgi_app
    assert (fix.x_for, fix.x_proto, fix.x_host) == (1, 1, 1)
    expected = {
        "Host": "$host",
        "X-Forwarded-For": "$proxy_add_x_forwarded_for",
        "X-Forwarded-Proto": "$scheme",
        "X-Forwarded-Host": "$host",
    }
    blocks = re.findall(r"location [^{]*\{([^}]*proxy_pass[^}]*)\}", tls)
    assert len(blocks) == 2
    for block in blocks:
        assert dict(re.findall(r"proxy_set_header (\S+) (\S+);", block)) == expected
    # gunicorn, behind nginx on the same machine, trusts only it for X-Forwarded-Proto.
    gunicorn = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert gunicorn["forwarded_allow_ips"] == "127.0.0.1"


def test_gunicorn_with_env_example_as_it_is_refuses_to_start(tmp_path):
    """Copied without editing, the production settings cannot start: the placeholder
    secret key is refused before a single request is served."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALA_")}
    env.update(env_file(DEPLOY / "env.example"))
    env.update(
        SALA_INSTANCE_PATH=str(tmp_path / "instance"),
        SALA_SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'sala.sqlite'}",
        SALA_RATELIMIT_STORAGE_URI="memory://",
        SALA_PAGE_CACHE_TYPE="SimpleCache",
        WEB_CONCURRENCY="1",
    )
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        # Not timed: the ceiling only keeps a server that wrongly started from hanging the run.
        result = subprocess.run(
            gunicorn_command("--bind", f"127.0.0.1:{free_port()}"),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=READY_CEILING,
        )
    assert result.returncode != 0
    assert "SECRET_KEY is still the example value of deploy/env.example" in log.read_text()


def test_the_guide_says_what_a_partner_must_set_for_https():
    guide = (ROOT / "docs" / "deploy.md").read_text()
    for must in (
        "SALA_SECRET_KEY",
        "SALA_BASE_URL=https://",
        "SALA_PROXY_FIX=1",
        "Strict-Transport-Security",
        "Secure",
        "UMask=0077",
    ):
        assert must in guide, must
