"""bench/moderation.py --quick: the benchmark's correctness mode (no timing is asserted):
every approval through the htmx endpoint answers its row and approves the idea, and the
queue page needs the same number of SQL statements for 10, 200 and 1,000 ideas."""

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "moderation.py"


def test_moderation_benchmark_quick_mode_passes(capsys):
    spec = importlib.util.spec_from_file_location("bench_moderation", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "approve via htmx" in out
    assert "SQL statements for the queue page" in out
    assert (
        "queue page, 50 rows" in out and "approve (htmx)" in out and "none drawn before" in out
    )  # CPU per request
