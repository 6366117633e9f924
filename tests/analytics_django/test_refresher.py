"""The refresh queue: writes ask for a refresh, the request becomes one job (after commit), bursts
coalesce, and the worker (`bilim worker`, the database backend's worker) runs it.

The worker runs here in the test's own thread and transaction (`--batch`: run what is due, then
exit), so it sees the test's uncommitted data, as the refresh tests do; the whole path across
processes is checked by hand with `bilim serve` and by bench/load.py.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from tests.collection.world import build_world

ROOT = Path(__file__).resolve().parents[2]
CSV = b"dataElement,period,orgUnit,value\nCLASSES,2024S,S1,5\n"


def _jobs():
    from bilim.analytics import refresher

    return refresher._jobs()


@pytest.fixture
def queue(monkeypatch, db):
    """MODE=queue, no settling delay or interval (a queued job is due at once)."""
    from bilim.analytics import refresher

    monkeypatch.setattr(refresher, "MODE", "queue")
    with override_settings(BILIM_REFRESH_DELAY=0, BILIM_REFRESH_MIN_INTERVAL=0):
        yield refresher


@pytest.fixture
def run_worker(monkeypatch, tmp_path):
    """Run `bilim worker --batch` in this thread against a warehouse of this test; returns its output."""
    from django_tasks_db.management.commands import db_worker

    # the worker checks its connections between jobs; in a test transaction that would close it
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}

    def run() -> str:
        out = io.StringIO()
        try:
            call_command("worker", "--batch", "--no-startup-delay", "--interval", "0", stdout=out)
        finally:
            for s, handler in saved.items():  # the worker installs its own
                signal.signal(s, handler)
        return out.getvalue()

    with override_settings(BILIM_WAREHOUSE_PATH=tmp_path / "warehouse.duckdb"):
        yield run


def _classes(path: Path) -> float | None:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT SUM(value) FROM facts WHERE de = 'CLASSES' AND period = '2024S'").fetchone()[0]


def test_a_request_queues_one_job_once_committed(queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            assert queue.request() == "scheduled"
            assert _jobs().count() == 0  # nothing before the commit
    assert _jobs().filter(status="READY").count() == 1


def test_a_rolled_back_write_queues_nothing(queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            queue.request()
            raise RuntimeError("the write failed")
    assert callbacks == []
    assert _jobs().count() == 0


def test_a_burst_of_requests_queues_one_job(queue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for _ in range(100):
            queue.request()
    assert len(callbacks) == 100
    assert _jobs().count() == 1


def test_a_request_while_a_refresh_runs_queues_another(queue):
    assert queue.enqueue()
    _jobs().update(status="RUNNING", started_at=timezone.now())
    assert queue.enqueue()  # the running one may have read the database before this write
    assert not queue.enqueue()
    assert sorted(_jobs().values_list("status", flat=True)) == ["READY", "RUNNING"]


def test_the_job_waits_for_the_delay_and_the_interval(queue):
    with override_settings(BILIM_REFRESH_DELAY=2, BILIM_REFRESH_MIN_INTERVAL=30):
        before = timezone.now()
        queue.enqueue()
        first = _jobs().get()
        assert dt.timedelta(seconds=2) <= first.run_after - before < dt.timedelta(seconds=4)
        ended = timezone.now()
        _jobs().update(status="SUCCESSFUL", started_at=ended, finished_at=ended)
        queue.enqueue()
        second = _jobs().get(status="READY")
        assert second.run_after - ended >= dt.timedelta(seconds=30)  # the interval after the last one


def test_the_worker_refreshes_the_warehouse_with_a_value_written_before(
        admin_client, act, queue, run_worker, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from bilim.analytics.refresh import warehouse_path

    build_world(act)
    with django_capture_on_commit_callbacks(execute=True):
        r = admin_client.post("/api/v1/exchange/import", {"file": SimpleUploadedFile("v.csv", CSV)})
    assert r.json()["refresh"] == "scheduled"
    assert not warehouse_path().exists()  # the request only queued the job
    run_worker()
    assert _jobs().get().status == "SUCCESSFUL"
    assert _classes(warehouse_path()) == 5
    st = queue.status()
    assert (st["pending"], st["running"], st["runs"], st["last_status"]) == (0, 0, 1, "SUCCESSFUL")
    assert st["last"].startswith("Rebuilt 1 partition(s)"), st["last"]  # the job's result: the summary


def test_a_failing_refresh_is_recorded_and_the_worker_goes_on(queue, run_worker, monkeypatch):
    def broken(*a, **kw):
        raise RuntimeError("disk full")

    monkeypatch.setattr("bilim.analytics.refresh.refresh", broken)
    queue.enqueue()
    run_worker()
    assert _jobs().get().status == "FAILED"
    assert "failed (RuntimeError)" in queue.status()["last"]
    queue.enqueue()  # the next request gets a job of its own
    assert _jobs().filter(status="READY").count() == 1


def test_wait_idle_waits_for_the_queued_job(queue, run_worker):
    queue.enqueue()
    assert queue.wait_idle(0.3, poll=0.05) is False  # no worker ran it
    run_worker()
    assert queue.wait_idle(1) is True


def test_a_job_left_running_by_a_dead_worker_is_marked_failed(queue):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = queue.this_worker().rpartition(":")[0]
    queue.enqueue()
    queue.enqueue()  # no: still one waiting
    _jobs().update(status="RUNNING", started_at=timezone.now(), worker_ids=[f"{host}:{dead.pid}"])
    queue.enqueue()
    live = _jobs().get(status="READY")
    live.status, live.worker_ids = "RUNNING", [queue.this_worker()]
    live.save()
    assert queue.fail_interrupted() == 1
    assert sorted(_jobs().values_list("status", flat=True)) == ["FAILED", "READY", "RUNNING"]  # and queued anew
    assert "WorkerGone" in _jobs().get(status="FAILED").exception_class_path


@pytest.mark.django_db
def test_the_api_import_schedules_a_refresh_once_committed(admin_client, act, queue,
                                                          django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    build_world(act)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        r = admin_client.post("/api/v1/exchange/import", {"file": SimpleUploadedFile("v.csv", CSV)})
    assert r.status_code == 200, r.content
    assert r.json()["refresh"] == "scheduled"
    assert len(callbacks) == 1
    assert _jobs().count() == 1


@pytest.mark.django_db
def test_a_dry_run_schedules_nothing(admin_client, act, queue, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    build_world(act)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        r = admin_client.post("/api/v1/exchange/import", {"dry_run": "true", "file": SimpleUploadedFile("v.csv", CSV)})
    assert r.status_code == 200, r.content
    assert "refresh" not in r.json()
    assert callbacks == []
    assert _jobs().count() == 0


@pytest.mark.django_db
def test_a_grid_save_schedules_a_refresh(act, queue, django_capture_on_commit_callbacks):
    from bilim.approval.entry import save_cells
    from bilim.metadata.models import DataSet

    w = build_world(act)
    ds = DataSet.objects.get(code="SCHOOL_CENSUS")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        res = save_cells(ds, w["schools"][0], "2024S", {"v:CLASSES": "12", "orig:CLASSES": ""}, "tester")
    assert res.saved == 1, res.errors
    assert len(callbacks) == 1
    assert _jobs().count() == 1


@pytest.mark.django_db
def test_a_registry_event_schedules_a_refresh(act, queue, django_capture_on_commit_callbacks):
    from bilim.registry import events

    w = build_world(act)
    plan = events.plan_from_data({"kind": "rename", "unit": w["schools"][0].code,
                                  "effective_date": "2024-09-01", "legal_act": act.pk, "name_kk": "Жаңа атау"})
    with django_capture_on_commit_callbacks(execute=True):
        events.apply(plan, "tester")
    assert _jobs().count() == 1


@pytest.mark.django_db
def test_with_refresh_off_the_import_says_so(admin_client, act):
    from django.core.files.uploadedfile import SimpleUploadedFile

    build_world(act)
    r = admin_client.post("/api/v1/exchange/import", {"file": SimpleUploadedFile("v.csv", CSV)})
    assert r.status_code == 200
    assert r.json()["refresh"].startswith("not scheduled")
    assert _jobs().count() == 0


def test_the_mode_comes_from_the_setting_unless_set_in_code(monkeypatch):
    from bilim.analytics import refresher

    monkeypatch.setattr(refresher, "MODE", None)
    with override_settings(BILIM_REFRESH_MODE="off"):
        assert refresher.request().startswith("not scheduled")
    with override_settings(BILIM_REFRESH_MODE="background"):
        assert refresher.mode() == "queue"  # the old name of the default


def test_an_unknown_mode_is_refused_with_the_allowed_ones(monkeypatch):
    from bilim.analytics import refresher

    monkeypatch.setattr(refresher, "MODE", None)
    with override_settings(BILIM_REFRESH_MODE="sometimes"), \
            pytest.raises(ValueError, match="BILIM_REFRESH_MODE must be queue, inline or off, not 'sometimes'"):
        refresher.request()


def test_bilim_worker_help():
    env = {**os.environ, "BILIM_LANGUAGE": "en"}
    out = subprocess.run([sys.executable, "-m", "bilim.cli", "worker", "--help"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "usage: bilim worker" in out.stdout
    assert "analytics refresh jobs" in out.stdout and "--batch" in out.stdout


def test_serve_restarts_a_worker_that_died_and_stops_it():
    from bilim.web.management.commands.serve import RefreshWorker

    w = RefreshWorker(io.StringIO(), command=[sys.executable, "-c", "import time; time.sleep(600)"])
    w.RESTART_DELAY = 0.0
    w.start()
    first = w.proc
    assert first is not None and first.poll() is None
    w.check()
    assert w.proc is first  # alive: left alone
    first.kill()
    first.wait()
    w.check()  # what gunicorn's master loop does about once a second
    second = w.proc
    assert second is not first and second.poll() is None
    w.stop()
    assert second.poll() is not None  # stopped with serve
    w.check()
    assert w.proc is second  # not restarted once stopping
    assert w.out.getvalue().count("Refresh worker started") == 2


def test_a_forked_web_worker_leaving_does_not_stop_the_refresh_worker():
    from bilim.web.management.commands.serve import RefreshWorker

    w = RefreshWorker(io.StringIO(), command=[sys.executable, "-c", "import time; time.sleep(600)"])
    w.start()
    try:
        w.owner = -1  # as seen from a gunicorn worker forked inside serve's `try`
        w.stop()
        assert w.proc.poll() is None
    finally:
        w.owner = os.getpid()
        w.stop()
    assert w.proc.poll() is not None
