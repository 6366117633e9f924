"""A real Bilim server over the small demo, for browser tests and schemathesis.

Built once per test session in a scratch data directory, served on a free loopback port by
`bilim serve`, stopped at the end. Tests talk to it over HTTP like a user would.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BILIM = [sys.executable, "-m", "bilim.cli"]
ADMIN = ("admin", "bilim-demo-2026")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveDemo:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
        self.env.update({"BILIM_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT),
                         # a write returns once the warehouse has it, and every worker reads the new
                         # snapshot at once: pages can be checked against the service right after
                         "BILIM_REFRESH_MODE": "inline", "BILIM_ANALYTICS_WARM": "0", "BILIM_DEMO": "1"})
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def run(self, *args: str) -> str:
        out = subprocess.run([*BILIM, *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=600)
        if out.returncode != 0:
            raise RuntimeError(f"bilim {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
        return out.stdout

    def build(self) -> None:
        self.run("migrate", "--noinput", "-v0")
        self.run("demo", "--scale", "small")
        self.run("analytics", "refresh")
        self.run("ensure_demo_admin")

    def keep_pristine(self) -> None:
        """Copy the freshly built data directory aside, for `copy` (before the server changes it)."""
        shutil.copytree(self.data_dir, self.data_dir.parent / f"{self.data_dir.name}-pristine")

    def copy(self, data_dir: Path) -> LiveDemo:
        """A second demo from the pristine copy of this one: its own database, warehouse and server, for
        workflow tests that change data other tests read."""
        shutil.copytree(self.data_dir.parent / f"{self.data_dir.name}-pristine", data_dir)
        return LiveDemo(data_dir)

    def start(self) -> None:
        log = open(self.data_dir / "server.log", "w")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen([*BILIM, "serve", "--addr", f"127.0.0.1:{self.port}"], cwd=ROOT,
                                     env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/accounts/login/", timeout=2)
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError((self.data_dir / "server.log").read_text()) from None
                time.sleep(0.3)
        raise RuntimeError("Bilim server did not start in 60 s")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
