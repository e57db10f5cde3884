"""bench/mail.py --quick keeps working: 300 messages through the worker to a local SMTP
sink, each delivered exactly once (it exits non-zero otherwise). No timing is asserted."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mail_bench_quick_mode_delivers_each_message_once():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "mail.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all 300 arrived exactly once, all marked sent" in result.stdout
