"""Single-flight answers and warm-before-swap in the analytics service (on the small demo warehouse)."""

from __future__ import annotations

import threading
import time

import duckdb
import pandas as pd
import pytest
from django.test.utils import override_settings

pytestmark = pytest.mark.django_db
WAREHOUSE_CUBE = False  # engine semantics; the cube is compared with the engine in test_cube.py


@pytest.fixture(autouse=True)
def computed_not_read_from_the_cube(monkeypatch):
    """The memo is for the questions the cube does not hold (organizations, another as-of date);
    these tests ask about the republic for brevity, so the cube is set aside."""
    from bilim.analytics import service

    monkeypatch.setattr(service, "_cube_answer", lambda *a, **kw: None)


def test_concurrent_askers_of_one_question_compute_it_once(warehouse, monkeypatch):
    from collections import OrderedDict

    from bilim.analytics import engine, service

    monkeypatch.setattr(service, "_cache", OrderedDict())
    calls = []
    real = engine.compute

    def slow_compute(*a, **kw):
        calls.append(1)
        time.sleep(0.3)
        return real(*a, **kw)

    monkeypatch.setattr(engine, "compute", slow_compute)
    results = []

    def ask():
        results.append(service.indicators(["GER_ISCED1"], ["2024S"], ou_codes=["KZ"]))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 8
    assert len(calls) == 1
    assert all(r.equals(results[0]) for r in results)


def test_a_failed_computation_is_reported_to_every_asker(warehouse, monkeypatch):
    from collections import OrderedDict

    from bilim.analytics import engine, service

    monkeypatch.setattr(service, "_cache", OrderedDict())

    def broken(*a, **kw):
        time.sleep(0.1)
        raise RuntimeError("engine broke")

    monkeypatch.setattr(engine, "compute", broken)
    errors = []

    def ask():
        try:
            service.indicators(["GER_ISCED1"], ["2024S"], ou_codes=["KZ"])
        except RuntimeError as e:
            errors.append(str(e))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == ["engine broke"] * 4
    assert not service._inflight


def test_readers_keep_the_warm_snapshot_until_the_new_one_is_warmed(warehouse, monkeypatch, tmp_path):
    """After a refresh swapped the file, the first reader still gets the old (memoised) answer and a
    background thread warms the new snapshot; once it has switched, the new answer is served, and it
    was computed by the warm-up, not by the reader."""
    import shutil
    from collections import OrderedDict

    from bilim.analytics import engine, service

    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(warehouse, copy)
    monkeypatch.setattr(service, "_cache", OrderedDict())
    monkeypatch.setattr(service, "_hot", OrderedDict())
    monkeypatch.setattr(service, "WARM_BEFORE_SWAP", True)
    question = dict(codes=["GER_ISCED1"], periods=["2024S"], ou_codes=["KZ"])
    with override_settings(BILIM_WAREHOUSE_PATH=copy):
        old = service.indicators(**question)
        # a "refresh": a new file at the path with every enrolment doubled
        new_file = tmp_path / "new.duckdb"
        shutil.copyfile(copy, new_file)
        with duckdb.connect(str(new_file)) as db:
            db.execute("UPDATE facts SET value = value * 2 WHERE de = 'ENROL'")
            db.execute("UPDATE partitions SET sum_version = sum_version + 1 WHERE de = 'ENROL'")  # as a refresh does
        new_file.replace(copy)

        still_old = service.indicators(**question)
        assert still_old["value"].tolist() == old["value"].tolist()

        deadline = time.monotonic() + 60
        while service._state["warming"] is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        calls = []
        real = engine.compute
        monkeypatch.setattr(engine, "compute", lambda *a, **kw: calls.append(1) or real(*a, **kw))
        fresh = service.indicators(**question)
    assert fresh["value"].iloc[0] == pytest.approx(2 * old["value"].iloc[0])
    assert calls == []  # answered from the warm-up


def _fresh_service(warehouse, monkeypatch, tmp_path):
    """A copy of the warehouse to replace, and a service with empty memo, warm list and dependencies."""
    import shutil
    from collections import OrderedDict

    from bilim.analytics import service

    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(warehouse, copy)
    for name in ("_cache", "_hot"):
        monkeypatch.setattr(service, name, OrderedDict())
    monkeypatch.setattr(service, "_deps", {})
    monkeypatch.setattr(service, "WARM_BEFORE_SWAP", True)
    return copy


def test_answers_that_read_no_changed_element_are_carried_to_the_new_snapshot(warehouse, monkeypatch, tmp_path):
    """A refresh that only rebuilt CLASSES keeps the enrolment answers; the class-size one is redone."""
    import shutil

    from bilim.analytics import engine, service

    per_class = next(c for c in service.catalogue().indicators
                     if service._elements_of([c]) and "CLASSES" in service._elements_of([c]))
    assert "CLASSES" not in service._elements_of(["GER_ISCED1"])
    copy = _fresh_service(warehouse, monkeypatch, tmp_path)
    with override_settings(BILIM_WAREHOUSE_PATH=copy):
        ger = service.indicators(["GER_ISCED1"], ["2023S"], ou_codes=["KZ"])
        pcr = service.indicators([per_class], ["2023S"], ou_codes=["KZ"])
        new_file = tmp_path / "new.duckdb"
        shutil.copyfile(copy, new_file)
        with duckdb.connect(str(new_file)) as db:
            db.execute("UPDATE facts SET value = value * 2 WHERE de = 'CLASSES'")
            db.execute("UPDATE partitions SET sum_version = sum_version + 1 WHERE de = 'CLASSES'")
        new_file.replace(copy)
        asked = []
        real = engine.compute
        monkeypatch.setattr(engine, "compute", lambda con, codes, *a, **kw: asked.append(list(codes)) or
                            real(con, codes, *a, **kw))
        service.adopt()
        assert asked == [[per_class]]  # the warm-up redid only the answer that reads CLASSES
        assert service._state["carried"] >= 1
        again_ger = service.indicators(["GER_ISCED1"], ["2023S"], ou_codes=["KZ"])
        again_pcr = service.indicators([per_class], ["2023S"], ou_codes=["KZ"])
    assert asked == [[per_class]]
    assert again_ger["value"].tolist() == ger["value"].tolist()
    assert again_pcr["value"].iloc[0] != pcr["value"].iloc[0]


def test_a_registry_change_carries_nothing_over(warehouse, monkeypatch, tmp_path):
    import shutil

    from bilim.analytics import service

    copy = _fresh_service(warehouse, monkeypatch, tmp_path)
    with override_settings(BILIM_WAREHOUSE_PATH=copy):
        service.indicators(["GER_ISCED1"], ["2023S"], ou_codes=["KZ"])
        new_file = tmp_path / "new.duckdb"
        shutil.copyfile(copy, new_file)
        with duckdb.connect(str(new_file)) as db:
            db.execute("UPDATE meta SET value = 'changed' WHERE key = 'registry'")
        new_file.replace(copy)
        service.adopt()
    assert service._state["carried"] == 0


def test_the_dependency_list_does_not_outgrow_the_memo(warehouse, monkeypatch, tmp_path):
    from bilim.analytics import service

    copy = _fresh_service(warehouse, monkeypatch, tmp_path)
    monkeypatch.setattr(service, "CACHE_SIZE", 2)
    with override_settings(BILIM_WAREHOUSE_PATH=copy):
        for period in ("2020S", "2021S", "2022S", "2023S"):
            for ou in ("KZ", "KZ-63", "KZ-10"):
                service.indicators(["PTR_ISCED1"], [period], ou_codes=[ou])
    assert len(service._cache) == 2
    assert len(service._deps) <= 4 * 2 + 1


def test_the_equity_measures_reuse_the_memoised_organization_values(warehouse, monkeypatch):
    """The equity page and report show a region's funding distribution and its measures: the
    organizations' values were computed twice, once for each."""
    from collections import OrderedDict

    from bilim.analytics import equity, service

    monkeypatch.setattr(service, "_cache", OrderedDict())
    with service.as_reader(0):
        want = equity.equity(service.connect(), "EXP_PER_PUPIL", ["KZ-10"], ["2023S"])
    computed = []
    real = equity._compute_defs
    monkeypatch.setattr(equity, "_compute_defs", lambda *a, **kw: computed.append(1) or real(*a, **kw))
    with service.as_reader(0):
        values = service.org_values("EXP_PER_PUPIL", "KZ-10", ["2023S"])
        got = service.equity("EXP_PER_PUPIL", ["KZ-10"], ["2023S"])
    assert len(computed) == 1
    assert len(values) >= 3 and len(want) == len(equity.MEASURES)
    pd.testing.assert_frame_equal(got, want)
