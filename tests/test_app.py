"""The factory, config layers, health check, error pages and security headers."""

import pytest

from app import create_app

# Runs in tests/test_core_alone.py too: these need no bundled plugin.
pytestmark = pytest.mark.core_alone


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("path", ["/", "/login", "/privacy", "/healthz", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SALA_SECRET_KEY", raising=False)
    monkeypatch.delenv("SALA_DEV", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})


def test_development_keeps_a_generated_secret_key_in_instance(tmp_path, monkeypatch):
    monkeypatch.setenv("SALA_DEV", "1")
    monkeypatch.delenv("SALA_SECRET_KEY", raising=False)
    first = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})
    second = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})
    assert first.config["SECRET_KEY"] and first.config["SECRET_KEY"] == second.config["SECRET_KEY"]


def test_sala_environment_variables_override_defaults(make_app, monkeypatch):
    monkeypatch.setenv("SALA_SITE_NAME", "Partner Hall")
    app = make_app()
    assert app.config["SITE_NAME"] == "Partner Hall"
    assert "Partner Hall" in app.test_client().get("/").text


@pytest.mark.parametrize(
    "key", ["change-me-to-64-random-hex-characters", "short-but-not-empty", b"0" * 31]
)
def test_production_refuses_a_placeholder_or_short_secret_key(tmp_path, monkeypatch, key):
    from app import ConfigurationError

    monkeypatch.delenv("SALA_DEV", raising=False)
    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite",
        "SECRET_KEY": key,
        "BASE_URL": "https://sala.example.org",
    }
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app(config)
    # 32 bytes is enough; tests and development may use any key.
    assert create_app({**config, "SECRET_KEY": "k" * 32}).config["SECRET_KEY"] == "k" * 32
    assert create_app({**config, "TESTING": True}).config["SECRET_KEY"] == key
