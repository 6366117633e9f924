"""The materialised cube holds exactly what the on-demand engine computes, and stays so incrementally.

Its own module, so its own warehouse (the conftest's is per module): the incremental tests rewrite it.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest
from django.db.models import F
from django.test.utils import override_settings
from django.utils import timezone

from bilim.analytics import cube, engine, service
from bilim.analytics.refresh import refresh

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def cube_warehouse(small_demo, django_db_blocker, tmp_path_factory):
    path = tmp_path_factory.mktemp("cube") / "warehouse.duckdb"
    with override_settings(BILIM_WAREHOUSE_PATH=path, BILIM_CUBE=True):
        with django_db_blocker.unblock():
            report = refresh(full=True)
        assert report.cube is not None and report.cube.rebuilt and report.cube.rows > 0
        yield path


def _engine_rows(level: int, mode: str, by: str | None, periods: list[str]) -> pd.DataFrame:
    """Every aggregate unit's rows computed from the facts a reader of `level` sees (no cube)."""
    cat = service.catalogue()
    with service.as_reader(level):
        con = service.connect()
        refs = engine.reference_dates(periods, mode)  # type: ignore[arg-type]
        targets = pd.concat([engine.resolve_targets(con, periods, refs, level=k) for k in cube.CUBE_KINDS])
        res = engine._compute_defs(con, [cat[c] for c in cat.codes()], periods, by=by, mode=mode,  # type: ignore[arg-type]
                                   targets=targets)
    return engine._public(res, by)  # type: ignore[arg-type]


def _cube_rows(level: int, mode: str, by: str | None, periods: list[str]) -> pd.DataFrame:
    frames = []
    with service.as_reader(level):
        for kind in cube.CUBE_KINDS:
            got = service._cube_answer(service.catalogue().codes(), periods, ou_codes=None, level=kind, within=None,
                                       by=by, mode=mode, as_of=None)
            assert got is not None, (level, mode, by, kind)
            frames.append(got)
    return pd.concat(frames, ignore_index=True)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    keys = [c for c in a.columns if c not in ("numerator", "denominator", "value")]
    a = a.sort_values(keys, ignore_index=True, na_position="first")
    b = b.sort_values(keys, ignore_index=True, na_position="first")
    pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9)


@pytest.mark.parametrize("by", [None, "SEX", "AREA"])
@pytest.mark.parametrize("mode", ["historical", "current"])
def test_every_cube_cell_equals_the_engine_for_every_reader_level(cube_warehouse, mode, by):
    periods = service.periods_known()
    recent = [p for p in periods if p >= "2022"]  # where approval differs between levels, and a year before
    for level in (0, 1, 2, 3, 4):
        asked = periods if level == 0 else recent
        got, want = _cube_rows(level, mode, by, asked), _engine_rows(level, mode, by, asked)
        assert len(want) > 100
        _same(got, want)


def test_reader_levels_see_different_cells_where_approval_differs(cube_warehouse):
    """Not a vacuous comparison: the demo's open census year is hidden from the public."""
    with service.as_reader(0):
        admin = service.indicators(["PTR_ISCED1"], ["2024S"], ou_codes=["KZ"])
    with service.as_reader(4):
        public = service.indicators(["PTR_ISCED1"], ["2024S"], ou_codes=["KZ"])
    assert len(admin) == 1 and public.empty


def test_organizations_are_computed_on_demand_not_read_from_the_cube(cube_warehouse):
    from bilim.registry.models import OrgUnit

    school = OrgUnit.objects.filter(kind="organization", org_type="SCHOOL").order_by("code").first()
    assert service._cube_answer(["PTR_ISCED1"], ["2023S"], ou_codes=[school.code], level=None, within=None, by=None,
                                mode="historical", as_of=None) is None
    assert not service.indicators(["PTR_ISCED1"], ["2023S"], ou_codes=[school.code], mode="historical").empty


def test_current_as_of_a_date_with_another_hierarchy_is_computed_on_demand(cube_warehouse):
    old_map = dt.date(2020, 1, 1)  # before the demo's restructurings
    assert service._cube_answer(["GER_ISCED1"], ["2021S"], ou_codes=None, level="region", within=None, by=None,
                                mode="current", as_of=old_map) is None
    got = service.indicators(["GER_ISCED1"], ["2021S"], level="region", mode="current", as_of=old_map)
    want = service.indicators(["GER_ISCED1"], ["2021S"], level="region", mode="current", as_of=old_map,
                              use_cube=False, cache=False)
    _same(got, want)


def test_a_selection_within_a_region_reads_the_districts_it_had_on_each_date(cube_warehouse):
    for mode in ("historical", "current"):
        got = service.indicators(["PTR_ISCED1", "GER_ISCED1"], ["2020S", "2024S"], level="district", within="KZ-62",
                                 mode=mode)
        want = service.indicators(["PTR_ISCED1", "GER_ISCED1"], ["2020S", "2024S"], level="district", within="KZ-62",
                                  mode=mode, use_cube=False, cache=False)
        assert len(want) > 0
        _same(got, want)


def _cube_cells(path, indicator: str, period: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as db:
        return db.execute("SELECT level, mode, split, ou_code, dim, numerator, denominator, value FROM cube "
                          "WHERE indicator = ? AND period = ? ORDER BY ALL", [indicator, period]).fetchall()


def _whole_cube(path) -> tuple[pd.DataFrame, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as db:
        rows = db.execute("SELECT * FROM cube").df()
        pairs = db.execute("SELECT * FROM cube_pairs ORDER BY ALL").fetchall()
    keys = ["level", "mode", "split", "indicator", "period", "ou_id", "dim"]
    return rows.sort_values(keys, ignore_index=True), pairs


def test_changed_values_recompute_only_their_cells_and_units_and_equal_a_full_build(cube_warehouse, tmp_path):
    """Values of three schools change (one updated, one deleted, one in a year not yet approved to the
    top, so reader levels are concerned): the refresh recomputes the cells that read those partitions
    for those schools' ancestors only, and the cube then equals one built from scratch."""
    from bilim.collection.models import DataValue

    with duckdb.connect(str(cube_warehouse), read_only=True) as db:
        open_period, hidden_ou = db.execute("SELECT period, ou_id FROM visibility WHERE de = 'ENROL' "
                                            "ORDER BY period DESC, ou_id LIMIT 1").fetchone()
    row = DataValue.objects.filter(data_element__code="ENROL", period="2022S", grade="G02").order_by("pk").first()
    gone = DataValue.objects.filter(data_element__code="TEACH", period="2022S").exclude(
        org_unit_id=row.org_unit_id).order_by("pk").first()
    hidden = DataValue.objects.filter(data_element__code="ENROL", period=open_period, org_unit_id=hidden_ou
                                      ).order_by("pk").first()
    untouched = _cube_cells(cube_warehouse, "PTR_ISCED1", "2023S")
    before_ptr = _cube_cells(cube_warehouse, "PTR_ISCED1", "2022S")
    with override_settings(BILIM_WAREHOUSE_PATH=cube_warehouse, BILIM_CUBE=True):
        DataValue.objects.filter(pk=row.pk).update(value=F("value") + 7, version=F("version") + 1,
                                                   updated=timezone.now())
        DataValue.objects.filter(pk=gone.pk).delete()
        DataValue.objects.filter(pk=hidden.pk).update(value=F("value") + 5)
        report = refresh()
    assert report.rebuilt == sorted({("ENROL", "2022S"), ("TEACH", "2022S"), ("ENROL", open_period)})
    cat = service.catalogue()
    expected = cube.affected(cat, service.periods_known(), set(report.rebuilt))
    assert report.cube is not None and not report.cube.rebuilt
    assert report.cube.pairs == len(expected) < len(cat.codes()) * len(service.periods_known()) / 2
    assert report.cube.units is not None and report.cube.units < 20  # the schools and their ancestors
    assert report.cube.level_pairs > 0  # the open year's cells of reader levels as well
    assert ("PROMR_G01", "2021S") in expected  # a flow rate of 2021S reads the 2022S census
    assert ("PTR_ISCED1", "2023S") not in expected
    assert _cube_cells(cube_warehouse, "PTR_ISCED1", "2022S") != before_ptr  # pupils per teacher moved
    assert _cube_cells(cube_warehouse, "PTR_ISCED1", "2023S") == untouched
    scratch = tmp_path / "scratch.duckdb"
    with override_settings(BILIM_WAREHOUSE_PATH=scratch, BILIM_CUBE=True):
        assert refresh(full=True).cube.rebuilt
    (got, got_pairs), (want, want_pairs) = _whole_cube(cube_warehouse), _whole_cube(scratch)
    assert got_pairs == want_pairs
    pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-9)


def test_a_refresh_after_nothing_changed_writes_nothing(cube_warehouse):
    with override_settings(BILIM_WAREHOUSE_PATH=cube_warehouse, BILIM_CUBE=True):
        refresh()
        stamp = cube_warehouse.stat().st_mtime_ns
        report = refresh()
    assert not report.changed and report.cube is None
    assert cube_warehouse.stat().st_mtime_ns == stamp


def test_parity_of_regions_is_read_from_the_cube_and_equals_the_engine(cube_warehouse, monkeypatch):
    """The equity page asks four parity questions of every region and the republic: each was computed
    from the facts (a second each on the national demo) although the cube holds the split figures."""
    from bilim.analytics.parity import parity

    codes = ["GER_ISCED1", "NER_ISCED2", "PTR_ISCED1"]
    for index, mode in (("GPIA", "historical"), ("LPIA", "current")):
        with service.as_reader(0):
            want = parity(service.connect(), codes, ["2023S"], index=index, level="region", mode=mode)

        def computed(*a, **kw):
            raise AssertionError("computed from the facts")

        with monkeypatch.context() as mp:
            mp.setattr(engine, "_compute_defs", computed)
            with service.as_reader(0):
                got = service.parity(codes, ["2023S"], index=index, level="region", mode=mode)
        assert len(want) > 5 and want["value"].notna().sum() > 5
        pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-9)
