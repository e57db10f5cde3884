"""bench/load.py --quick: the load benchmark's correctness mode (no timing is asserted), so
CI keeps it working. gunicorn serves the app with deploy/gunicorn.conf.py; registrations go
through HTTP with their CSRF token; every one must be counted once with its mail queued, no
request may fail, and the pages' SQL statement counts must not grow with the data. The burst
comes from 50 clients at once, on SQLite as on PostgreSQL."""

import importlib.util
import os
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "load.py"


def test_load_benchmark_quick_mode_passes(capsys):
    spec = importlib.util.spec_from_file_location("bench_load", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    pg = os.environ.get("TEST_DATABASE_URL")
    args = ["--quick", "--db", "postgres", "--pg", pg] if pg else ["--quick", "--db", "sqlite"]
    code = bench.main(args)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "| 100 | 100 | 0 |" in out  # 100 registrations, 100 mails, no error
    assert "session page (GET)" in out and "moderation approve (htmx)" in out
    # Issue 21: the registrant's landing page and the idea submit are measured too, with
    # the servers' CPU per request and writes against the write floor.
    assert "registered: the page after registering" in out and "idea submit POST" in out
    assert "CPU ms/req" in out and "vs floor" in out and "rate limiter on" in out
    assert "| NO |" not in out  # statement counts flat
