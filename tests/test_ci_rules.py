"""The CI rule for browser tests, checked without a browser: a missing Chromium skips the
browser tests with a reason, except where CI is set, where it fails the run."""

import pytest
from support import require_chromium


def test_a_missing_browser_fails_the_run_in_ci(tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set but Chromium is missing"):
        require_chromium(tmp_path / "no-chromium")


def test_a_missing_browser_skips_with_a_reason_outside_ci(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no Chromium at .*SALA_TEST_CHROMIUM"):
        require_chromium(tmp_path / "no-chromium")


def test_a_present_browser_is_used(tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "true")
    fake = tmp_path / "chromium"
    fake.write_text("")
    assert require_chromium(fake) == fake


def test_a_missing_java_fails_the_run_in_ci(monkeypatch):
    """The valid-HTML test needs Java for the Nu checker: in CI its absence fails the run."""
    from nuchecker import require_java

    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="no `java` to run the Nu HTML checker"):
        require_java()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="default-jre-headless"):
        require_java()
