"""bench/mailout.py --quick keeps working: the plan published to 300 registrants, queued by
`sala worker --once` in its own process and delivered to a local SMTP sink, each registrant
exactly once (it exits non-zero otherwise). No timing is asserted."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mailout_bench_quick_mode_delivers_the_plan_to_each_registrant_once():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "mailout.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all 300 registrants got the plan exactly once, all marked sent" in result.stdout
    assert "mails written by the publish request itself: 0" in result.stdout
