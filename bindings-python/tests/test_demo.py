"""`make demo-python`: examples/python/release_train.py runs end to end and the train succeeds."""

import subprocess
import sys

from conftest import REPO_ROOT

DEMO = REPO_ROOT / "examples" / "python" / "release_train.py"


def test_the_python_release_train_demo_ends_in_success() -> None:
    result = subprocess.run([sys.executable, str(DEMO)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert out.rstrip().endswith("The first train ended: success"), out[-2000:]
    assert "the first deploy failed and was retried" in out
    assert "beta/deploy-prod0 failed" in out                     # the audit trail shows the failed attempt
    assert "Hotfix: Security Patch CVE-2025-1234 [success]" in out
    assert "conflict(s)" in out and "⚠" in out
    ics = REPO_ROOT / "target" / "demo-python" / "calendar.ics"
    assert "BEGIN:VEVENT" in ics.read_text(encoding="utf-8")
