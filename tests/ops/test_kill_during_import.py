"""Killing `bilim import`, or the server during an API import, while it writes leaves the database
exactly as before the import.

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


BILIM = [sys.executable, "-m", "bilim.cli"]


def _prepared(scratch: Path) -> tuple[dict[str, str], Path, tuple]:
    """A scratch database holding the first 10,000 values, and the big file beside it."""
    env = _env(scratch)
    subprocess.run([sys.executable, "-c", SETUP, str(scratch)], env=env, cwd=ROOT, check=True, timeout=600)
    first = subprocess.run([*BILIM, "import", str(scratch / "first.csv"), "--quiet"], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    db = scratch / "bilim.sqlite3"
    before = fingerprint(db)
    assert before[0][0] == 10_000
    return env, db, before


def _unchanged(env: dict[str, str], db: Path, before: tuple) -> None:
    assert fingerprint(db) == before
    verify = subprocess.run([*BILIM, "audit", "verify"], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert verify.returncode == 0 and "OK" in verify.stdout, verify.stdout + verify.stderr


@pytest.mark.slow
def test_sigkill_in_the_middle_of_a_large_import_changes_nothing(tmp_path):
    env, db, before = _prepared(tmp_path)
    bilim = BILIM

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
    _unchanged(env, db, before)


TOKEN = """
import django, os
django.setup()
from bilim.accounts.models import User
from bilim.accounts.services import issue_token
u = User.objects.create_superuser("ops", "ops@example.org", "ops-password-for-tests", role="admin")
print(issue_token(u, "kill test"))
"""


@pytest.mark.slow
def test_killing_the_server_during_an_api_import_changes_nothing(tmp_path):
    """The same promise for the web server: `bilim serve` (gunicorn, every process of it) is killed
    with SIGKILL while `POST /api/v1/exchange/import` writes a 300,000-row file."""
    import threading
    import urllib.error
    import urllib.request

    env, db, before = _prepared(tmp_path)
    bilim = BILIM
    token = subprocess.run([sys.executable, "-c", TOKEN], env=env, cwd=ROOT, check=True, capture_output=True,
                           text=True, timeout=120).stdout.strip().splitlines()[-1]
    before = fingerprint(db)  # the account and its token are audited too

    from tests.livedemo import _free_port

    port = _free_port()
    server = subprocess.Popen([*bilim, "serve", "--addr", f"127.0.0.1:{port}"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=open(tmp_path / "server.log", "wb"),  # noqa: SIM115
                              start_new_session=True)  # its own process group: kill master and workers
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
                time.sleep(0.2)
        body = (tmp_path / "big.csv").read_bytes()
        boundary = "bilimkilltest"
        payload = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n"
                   f"Content-Type: text/csv\r\n\r\n").encode() + body + f"\r\n--{boundary}--\r\n".encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/exchange/import", data=payload,
                                         method="POST", headers={
                                             "Authorization": f"Bearer {token}",
                                             "Content-Type": f"multipart/form-data; boundary={boundary}"})
        outcome: list = []

        def post() -> None:
            try:
                with urllib.request.urlopen(request, timeout=300) as r:
                    outcome.append(r.status)
            except (urllib.error.URLError, OSError) as e:
                outcome.append(e)

        client = threading.Thread(target=post, daemon=True)
        client.start()
        wal = db.with_name(db.name + "-wal")
        start_size = wal.stat().st_size if wal.exists() else 0
        deadline = time.monotonic() + 300
        # the import writes in one transaction: the write-ahead log grows while it does
        while not (wal.exists() and wal.stat().st_size > start_size + 4_000_000):
            assert not outcome, f"the import ended before it was killed: {outcome}"
            assert time.monotonic() < deadline, "the import never started writing"
            time.sleep(0.02)
        assert not outcome, "the import finished before it could be killed; raise ROWS"
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
        client.join(timeout=30)
        assert outcome and not isinstance(outcome[0], int), outcome  # the client saw the server die
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
    _unchanged(env, db, before)
