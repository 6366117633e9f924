"""The low-severity holes of issue 11: demo admin reset outside a demo, world-readable secrets and
backups, upload jobs left "running" by a crash."""

from __future__ import annotations

import os
import stat
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# --- ensure_demo_admin ------------------------------------------------------------------------------

def test_ensure_demo_admin_refuses_outside_a_demo(settings):
    from bilim.accounts.models import User

    real = User.objects.create_superuser("admin", "a@example.org", "the-real-admin-password-77")
    settings.BILIM_DEMO = False  # BILIM_DEBUG=0 without BILIM_DEMO=1
    with pytest.raises(CommandError, match="not a demo installation"):
        call_command("ensure_demo_admin", stdout=StringIO())
    real.refresh_from_db()
    assert real.check_password("the-real-admin-password-77")
    assert not real.check_password("bilim-demo-2026")


def test_ensure_demo_admin_runs_in_a_declared_demo(settings):
    from bilim.accounts.models import User
    from bilim.audit.models import AuditRecord

    settings.DEBUG = False
    settings.BILIM_DEMO = True
    call_command("ensure_demo_admin", stdout=StringIO())
    assert User.objects.get(username="admin").check_password("bilim-demo-2026")
    assert AuditRecord.objects.filter(action="accounts.demo_admin", object_id="admin").exists()


# --- files written 0600 -----------------------------------------------------------------------------

def test_dev_secret_key_is_written_0600_and_old_ones_tightened(tmp_path, monkeypatch):
    from bilim.config import settings as conf

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(conf, "DATA_DIR", tmp_path)
    monkeypatch.setattr(conf, "DEBUG", True)
    old = os.umask(0o022)
    try:
        key = conf._secret_key()
    finally:
        os.umask(old)
    path = tmp_path / "dev-secret-key"
    assert len(key) > 40 and _mode(path) == 0o600
    os.chmod(path, 0o644)
    assert conf._secret_key() == key
    assert _mode(path) == 0o600


def test_backups_are_written_0600(mini_registry, tmp_path, monkeypatch):
    from bilim.accounts import backup

    # the SQLite page copy would wait forever for the test's open transaction: the portable path
    monkeypatch.setattr(backup, "_is_sqlite", lambda: False)
    old = os.umask(0o022)
    try:
        backup.backup(tmp_path / "b.zip", portable=True)
    finally:
        os.umask(old)
    assert _mode(tmp_path / "b.zip") == 0o600


def test_open_private_tightens_an_existing_file(tmp_path):
    from bilim.config.private import write_private

    p = tmp_path / "f"
    p.write_text("x")
    os.chmod(p, 0o666)
    write_private(p, "secret")
    assert p.read_text() == "secret" and _mode(p) == 0o600


# --- interrupted upload jobs ------------------------------------------------------------------------

def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _job(runner: str, status: str = "running"):
    from bilim.exchange.models import ImportJob

    return ImportJob.objects.create(file_name="v.csv", status=status, progress=50, stage="writing", runner=runner)


def test_jobs_of_a_dead_process_are_marked_failed(db):
    import socket

    from bilim.exchange import jobs

    dead = _job(f"{socket.gethostname()}:{_dead_pid()}")
    queued_dead = _job(f"{socket.gethostname()}:{_dead_pid()}", status="queued")
    alive = _job(jobs.this_runner())
    elsewhere = _job("another-host:1")
    done = _job(f"{socket.gethostname()}:{_dead_pid()}", status="done")
    assert jobs.fail_interrupted() == 2
    for job in (dead, queued_dead, alive, elsewhere, done):
        job.refresh_from_db()
    assert dead.status == queued_dead.status == "failed"
    assert dead.report["interrupted"] and dead.finished_at is not None
    assert alive.status == elsewhere.status == "running" and done.status == "done"


def test_at_server_start_every_unfinished_job_is_failed(db):
    from bilim.exchange import jobs

    job = _job(jobs.this_runner())
    legacy = _job("")
    assert jobs.fail_interrupted(all_unfinished=True) == 2
    job.refresh_from_db()
    legacy.refresh_from_db()
    assert job.status == legacy.status == "failed"


def test_the_job_page_says_the_import_was_interrupted(admin_client, db):
    import socket

    job = _job(f"{socket.gethostname()}:{_dead_pid()}")
    job.user = admin_client.user
    job.save()
    r = admin_client.get(f"/exchange/jobs/{job.pk}/progress/")
    assert r.status_code == 200
    body = r.content.decode()
    assert 'data-status="failed"' in body and "interrupted" in body and "hx-trigger" not in body
