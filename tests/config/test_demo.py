"""`make demo`'s launcher brings the whole product up on the embedded default (no services)."""

import os
import subprocess
import sys

from tests.support.processes import ROOT, free_port


def test_the_demo_starts_on_sqlite_with_a_file_broker_and_serves_the_login_page(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(FAULTLINE_VAR_DIR=str(tmp_path), DEBUG="1", DEMO_CHARGERS="0")
    result = subprocess.run(
        [sys.executable, "scripts/demo.py", "--smoke", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "operator / operator-demo-pass" in result.stdout
    assert "Faultline is running at" in result.stdout
    assert (tmp_path / "faultline.sqlite3").exists()
    assert (tmp_path / "broker" / "queue").is_dir()
