"""The refresh is incremental and idempotent: partitions are rebuilt whole, never patched."""

from __future__ import annotations

import duckdb
import pytest
from django.db.models import F
from django.test.utils import override_settings
from django.utils import timezone

from bilim.analytics import service
from bilim.analytics.refresh import refresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def wh(small_demo, tmp_path):
    """A fresh warehouse built from the demo, for one test (each test changes values). Without the
    cube: these tests are about the facts, and the cube's own refreshes are tested in test_cube.py."""
    path = tmp_path / "warehouse.duckdb"
    with override_settings(BILIM_WAREHOUSE_PATH=path, BILIM_CUBE=False):
        first = refresh()
        assert first.changed and first.registry_rebuilt
        yield path


def _facts(path, where: str = "TRUE", params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as db:
        return db.execute(f"SELECT de, period, ou_id, sex, age, grade, qual, exp, lang, area, value FROM facts "
                          f"WHERE {where} ORDER BY ALL", params or []).fetchall()


def _count(path) -> int:
    with duckdb.connect(str(path), read_only=True) as db:
        return db.execute("SELECT COUNT(*) FROM facts").fetchone()[0]


def _total(path, de: str, period: str) -> float:
    with duckdb.connect(str(path), read_only=True) as db:
        return db.execute("SELECT SUM(value) FROM facts WHERE de = ? AND period = ?", [de, period]).fetchone()[0]


def _values():
    from bilim.collection.models import DataValue

    return DataValue.objects


def test_second_refresh_does_nothing(wh):
    before, stat = _count(wh), wh.stat()
    again = refresh()
    assert not again.changed
    assert again.rebuilt == [] and again.dropped == [] and again.unchanged > 0
    assert _count(wh) == before
    assert wh.stat().st_mtime_ns == stat.st_mtime_ns  # not even rewritten


def test_one_changed_value_rebuilds_exactly_its_partition(wh):
    value = _values().filter(data_element__code="ENROL", period="2024S", grade="G01",
                             org_unit__code__startswith="").order_by("id").first()
    total_before, n_before = _total(wh, "ENROL", "2024S"), _count(wh)
    gid = service.indicators(["GER_ISCED1"], ["2024S"], ou_codes=["KZ"])["numerator"].iloc[0]
    _values().filter(pk=value.pk).update(value=F("value") + 100, version=F("version") + 1,
                                         updated=timezone.now())
    report = refresh()
    assert report.rebuilt == [("ENROL", "2024S")]
    assert report.dropped == [] and not report.registry_rebuilt
    assert _total(wh, "ENROL", "2024S") == pytest.approx(total_before + 100)  # counted once, not twice
    assert _count(wh) == n_before
    after = service.indicators(["GER_ISCED1"], ["2024S"], ou_codes=["KZ"])["numerator"].iloc[0]
    assert after == pytest.approx(gid + 100)
    assert not refresh().changed  # and then it is idempotent again


def test_a_deleted_partition_is_dropped(wh):
    deleted, _ = _values().filter(data_element__code="COMPUTERS", period="2022S").delete()
    assert deleted > 0
    n_before = _count(wh)
    report = refresh()
    assert report.dropped == [("COMPUTERS", "2022S")] and report.rebuilt == []
    assert _facts(wh, "de = 'COMPUTERS' AND period = '2022S'") == []
    assert _count(wh) == n_before - deleted
    with duckdb.connect(str(wh), read_only=True) as db:
        assert db.execute("SELECT COUNT(*) FROM partitions WHERE de = 'COMPUTERS' AND period = '2022S'"
                          ).fetchone()[0] == 0


def test_full_refresh_gives_identical_facts(wh, tmp_path):
    value = _values().filter(data_element__code="TEACH", period="2023S").order_by("id").first()
    _values().filter(pk=value.pk).update(value=F("value") + 3, version=F("version") + 1, updated=timezone.now())
    _values().filter(data_element__code="CLASSES", period="2021S").delete()
    refresh()
    incremental = _facts(wh)
    other = tmp_path / "full.duckdb"
    with override_settings(BILIM_WAREHOUSE_PATH=other):
        full = refresh(full=True)
    assert full.registry_rebuilt and full.dropped == []
    assert _facts(other) == incremental
    again = refresh(full=True)  # a full refresh over an existing warehouse as well
    assert again.fact_rows == len(incremental)
    assert _facts(wh) == incremental


def test_a_registry_change_rebuilds_the_dimensions_only(wh):
    from bilim.registry.models import OrgUnit

    OrgUnit.objects.filter(code="KZ-63").update(name_en="East Kazakhstan (renamed)")
    report = refresh()
    assert report.registry_rebuilt and report.rebuilt == [] and report.dropped == []
    assert service.unit_names(["KZ-63"])["KZ-63"]["name"] == "East Kazakhstan (renamed)"


def test_readers_see_a_whole_snapshot(wh):
    """A reader opened before a refresh keeps its snapshot; the service reconnects to the new one."""
    old = service.connect()
    n_old = old.raw_sql("SELECT COUNT(*) FROM facts").fetchone()[0]
    _values().filter(data_element__code="BROADBAND", period="2024S").delete()
    refresh()
    assert old.raw_sql("SELECT COUNT(*) FROM facts").fetchone()[0] == n_old
    assert service.connect().raw_sql("SELECT COUNT(*) FROM facts").fetchone()[0] < n_old
