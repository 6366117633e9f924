"""Killing `bilim import` while it writes leaves the database exactly as before the import.

The import writes in one transaction; SIGKILL gives it no chance to clean up, so this proves the
all-or-nothing promise holds at the storage level (SQLite WAL rollback on the next open).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROWS = 300_000

SETUP = f"""
import sys
from pathlib import Path
sys.path.insert(0, {str(ROOT / 'bench')!r})
import import_values as b
scratch = Path(sys.argv[1])
b.setup(scratch)
codes = b.build_registry(-(-{ROWS} // 250))
b.write_csv(scratch / "first.csv", codes[:40], 10_000)
b.write_csv(scratch / "big.csv", codes, {ROWS}, bump=1)
"""


def _env(scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BILIM_WAREHOUSE")}
    return env | {"BILIM_DATA_DIR": str(scratch), "DJANGO_SETTINGS_MODULE": "bilim.config.settings"}


def fingerprint(db: Path) -> tuple:
    con = sqlite3.connect(str(db))
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return (
            con.execute("SELECT COUNT(*), TOTAL(value), TOTAL(version), MAX(id) FROM collection_datavalue").fetchone(),
            con.execute("SELECT COUNT(*) FROM collection_datavalueaudit").fetchone(),
            con.execute("SELECT COUNT(*), MAX(hash) FROM audit_auditrecord").fetchone(),
            con.execute("SELECT COUNT(*) FROM registry_orgunit").fetchone(),
        )
    finally:
        con.close()


@pytest.mark.slow
def test_sigkill_in_the_middle_of_a_large_import_changes_nothing(tmp_path):
    env = _env(tmp_path)
    subprocess.run([sys.executable, "-c", SETUP, str(tmp_path)], env=env, cwd=ROOT, check=True, timeout=600)
    bilim = [sys.executable, "-m", "bilim.cli"]
    first = subprocess.run([*bilim, "import", str(tmp_path / "first.csv"), "--quiet"], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    db = tmp_path / "bilim.sqlite3"
    before = fingerprint(db)
    assert before[0][0] == 10_000

    proc = subprocess.Popen([*bilim, "import", str(tmp_path / "big.csv")], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen = b""
    deadline = time.monotonic() + 300
    os.set_blocking(proc.stderr.fileno(), False)
    while b"writing" not in seen:
        assert proc.poll() is None, f"import ended before it was killed: {seen[-500:]!r}"
        assert time.monotonic() < deadline, "import never reached the writing stage"
        chunk = proc.stderr.read(4096)
        if chunk:
            seen += chunk
        time.sleep(0.02)
    time.sleep(0.3)  # well inside the write
    assert proc.poll() is None, "import finished before it could be killed; raise ROWS"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    assert fingerprint(db) == before
    verify = subprocess.run([*bilim, "audit", "verify"], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert verify.returncode == 0 and "OK" in verify.stdout, verify.stdout + verify.stderr
