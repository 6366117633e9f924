"""The background refresher: writes ask for a refresh, one thread runs it, bursts coalesce.

The refresh itself is replaced by a recorder here (a real one in a background thread would need
committed data, i.e. a transactional test that empties the database for the tests after it); the
refresh is tested in test_refresh.py, the whole path under load by bench/load.py.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.test.utils import override_settings

from tests.collection.world import build_world


@pytest.fixture
def recorder(monkeypatch):
    """MODE=background with a fake refresh that records when it ran and takes 0.3 s."""
    from bilim.analytics import refresher, service

    runs: list[float] = []

    def fake_refresh() -> str:
        runs.append(time.monotonic())
        time.sleep(0.3)
        return "refreshed"

    monkeypatch.setattr(refresher, "MODE", "background")
    monkeypatch.setattr(refresher, "_run_now", fake_refresh)
    monkeypatch.setattr(service, "adopt", lambda: None)
    with override_settings(BILIM_REFRESH_DELAY=0.3, BILIM_REFRESH_MIN_INTERVAL=0):
        yield runs
        assert refresher.wait_idle(30)  # inside: a thread still waiting must see these settings


def test_a_burst_of_requests_costs_one_refresh(recorder):
    from bilim.analytics import refresher

    for _ in range(20):
        refresher._schedule()
    assert refresher.wait_idle(30)
    assert len(recorder) == 1
    assert refresher.status()["last"] == "refreshed"


def test_a_request_during_a_refresh_gets_another_after_it(recorder):
    from bilim.analytics import refresher

    refresher._schedule()
    deadline = time.monotonic() + 10
    while not recorder and time.monotonic() < deadline:  # the refresh has started
        time.sleep(0.01)
    refresher._schedule()
    assert refresher.wait_idle(30)
    assert len(recorder) == 2


def test_refreshes_keep_the_minimum_interval(recorder):
    from bilim.analytics import refresher

    with override_settings(BILIM_REFRESH_MIN_INTERVAL=1.0):
        refresher._schedule()
        deadline = time.monotonic() + 10
        while not recorder and time.monotonic() < deadline:
            time.sleep(0.01)
        refresher._schedule()
        assert refresher.wait_idle(30)
    assert len(recorder) == 2
    assert recorder[1] - recorder[0] >= 0.3 + 1.0 - 0.05  # the first run's 0.3 s, then the interval


def test_requests_from_many_threads_coalesce(recorder):
    from bilim.analytics import refresher

    threads = [threading.Thread(target=refresher._schedule) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert refresher.wait_idle(30)
    assert len(recorder) == 1


def test_a_failing_refresh_does_not_kill_the_refresher(monkeypatch):
    from bilim.analytics import refresher, service

    def broken():
        raise RuntimeError("disk full")

    monkeypatch.setattr(refresher, "MODE", "background")
    monkeypatch.setattr("bilim.analytics.refresh.refresh", broken)
    monkeypatch.setattr(service, "adopt", lambda: None)
    with override_settings(BILIM_REFRESH_DELAY=0.05, BILIM_REFRESH_MIN_INTERVAL=0):
        refresher._schedule()
        assert refresher.wait_idle(30)
    assert "failed (RuntimeError)" in refresher.status()["last"]


@pytest.mark.django_db
def test_the_api_import_schedules_a_refresh_once_committed(admin_client, act, recorder,
                                                          django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from bilim.analytics import refresher

    build_world(act)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        r = admin_client.post("/api/v1/exchange/import", {
            "file": SimpleUploadedFile("v.csv", b"dataElement,period,orgUnit,value\nCLASSES,2024S,S1,5\n")})
    assert r.status_code == 200, r.content
    assert r.json()["refresh"] == "scheduled"
    assert len(callbacks) == 1
    assert refresher.wait_idle(30)
    assert len(recorder) == 1


@pytest.mark.django_db
def test_a_dry_run_schedules_nothing(admin_client, act, recorder, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    build_world(act)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        r = admin_client.post("/api/v1/exchange/import", {
            "dry_run": "true",
            "file": SimpleUploadedFile("v.csv", b"dataElement,period,orgUnit,value\nCLASSES,2024S,S1,5\n")})
    assert r.status_code == 200, r.content
    assert "refresh" not in r.json()
    assert callbacks == []


@pytest.mark.django_db
def test_a_grid_save_schedules_a_refresh(act, recorder, django_capture_on_commit_callbacks):
    from bilim.approval.entry import save_cells
    from bilim.metadata.models import DataSet

    w = build_world(act)
    ds = DataSet.objects.get(code="SCHOOL_CENSUS")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        res = save_cells(ds, w["schools"][0], "2024S", {"v:CLASSES": "12", "orig:CLASSES": ""}, "tester")
    assert res.saved == 1, res.errors
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_with_refresh_off_the_import_says_so(admin_client, act):
    from django.core.files.uploadedfile import SimpleUploadedFile

    build_world(act)
    r = admin_client.post("/api/v1/exchange/import", {
        "file": SimpleUploadedFile("v.csv", b"dataElement,period,orgUnit,value\nCLASSES,2024S,S1,5\n")})
    assert r.status_code == 200
    assert r.json()["refresh"].startswith("not scheduled")


def test_the_mode_comes_from_the_setting_unless_set_in_code(monkeypatch):
    from bilim.analytics import refresher

    monkeypatch.setattr(refresher, "MODE", None)
    with override_settings(BILIM_REFRESH_MODE="off"):
        assert refresher.request().startswith("not scheduled")
    with override_settings(BILIM_REFRESH_MODE="sometimes"), pytest.raises(ValueError, match="BILIM_REFRESH_MODE"):
        refresher.request()
