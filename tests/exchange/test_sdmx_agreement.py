"""Structure and data agree (issue 14, item 2): for one selection, every series key of the SDMX data
message is made of codes of the structure message's codelists, and the values are the analytics
values. Before, the structure took only the codes of the selection, so `KZ,LEVEL-region` described
`KZ` while the data held the regions."""

from __future__ import annotations

import io
import math

import pytest
import sdmx
from django.core.management import call_command

from bilim.exchange import sdmx as bs
from tests.exchange.test_sdmx import warehouse  # noqa: F401 - the synthetic warehouse fixture

INDICATORS = ["GER_ISCED1", "PTR_ISCED1"]
DIMENSIONS = ["REF_AREA", "INDICATOR", "SEX", "LOCATION"]


def codelists(structure_msg) -> dict[str, set[str]]:
    """Dimension id -> the codes of its codelist, as the DSD of a parsed structure message says."""
    dsd = structure_msg.structure["DSD_EDU"]
    return {d: {c.id for c in dsd.dimensions.get(d).local_representation.enumerated} for d in DIMENSIONS}


def invalid_keys(data_msg, structure_msg) -> list[tuple[str, str]]:
    """(dimension, value) of every series key value that is not a code of its dimension's codelist."""
    codes = codelists(structure_msg)
    bad = []
    for key in data_msg.data[0].series:
        for d in DIMENSIONS:
            value = str(key.values[d].value)
            if value not in codes[d]:
                bad.append((d, value))
    return bad


def observed(data_msg) -> dict[tuple[str, ...], float]:
    s = sdmx.to_pandas(data_msg).reset_index()
    return {tuple(str(r[c]) for c in [*DIMENSIONS, "TIME_PERIOD"]): float(r["value"]) for _, r in s.iterrows()}


def analytics_values(df) -> dict[tuple[str, ...], float]:
    """The analytics table as SDMX keys (missing values are not observations)."""
    out = {}
    for r in df.itertuples():
        if r.value is None or not math.isfinite(float(r.value)):
            continue
        sex = r.sex if isinstance(r.sex, str) else "_T"
        area = r.area if isinstance(r.area, str) else "_T"
        out[(r.ou_code, r.indicator, sex, area, bs.time_period(r.period))] = float(r.value)
    return out


@pytest.mark.parametrize("ou", ["KZ,LEVEL-region", "KZ,LEVEL-district", "KZ-R1,LEVEL-district", "CHILDREN-KZ",
                                "KZ,KZ-R2", "LEVEL-region,CHILDREN-KZ-R2"])
def test_every_series_key_is_in_the_structure_of_the_same_selection(warehouse, db, ou):  # noqa: F811
    from bilim.analytics import service

    df = bs.select(INDICATORS, ["2024S"], ou, ("SEX", "AREA"))
    structure = sdmx.read_sdmx(io.BytesIO(
        bs.structure_xml(INDICATORS, bs.selection_areas(ou, ["2024S"], indicators=INDICATORS)).encode()))
    data = sdmx.read_sdmx(io.BytesIO(bs.data_xml(df).encode()), structure=structure.structure["DSD_EDU"])
    assert len(data.data[0].series) > 0
    assert invalid_keys(data, structure) == []
    got = observed(data)
    assert got == analytics_values(df) and got
    # and those are the values the analytics service gives for the units on its own
    if ou == "KZ,LEVEL-region":
        totals = service.indicators(INDICATORS, ["2024S"], level="region", within="KZ")
        for r in totals.itertuples():
            assert got[(r.ou_code, r.indicator, "_T", "_T", "2025")] == pytest.approx(float(r.value))
        assert {k[0] for k in got} == set(totals["ou_code"]) == {"KZ-R1", "KZ-R2"}


def test_the_structure_for_a_level_lists_the_level_not_its_boundary(warehouse, db, tmp_path):  # noqa: F811
    """The regression: `--sdmx-structure --ou KZ,LEVEL-region` listed only KZ in CL_REF_AREA."""
    out = tmp_path / "dsd.xml"
    call_command("export", "--sdmx-structure", "--indicator", "GER_ISCED1", "--ou", "KZ,LEVEL-region", "-o", str(out))
    areas = {c.id for c in sdmx.read_sdmx(out).codelist["CL_REF_AREA"]}
    assert areas == {"KZ-R1", "KZ-R2"}  # exactly the regions: KZ is the boundary, not returned
    call_command("export", "--sdmx-structure", "--indicator", "GER_ISCED1", "--ou", "CHILDREN-KZ-R1", "-o", str(out))
    assert {c.id for c in sdmx.read_sdmx(out).codelist["CL_REF_AREA"]} == {"D11", "D12"}


def test_cli_structure_and_data_of_one_selection_agree(warehouse, db, tmp_path):  # noqa: F811
    data, dsd = tmp_path / "data.xml", tmp_path / "dsd.xml"
    sel = ["--indicator", ",".join(INDICATORS), "--ou", "KZ,LEVEL-district"]
    call_command("export", "--sdmx-ml", *sel, "--period", "2024S", "-o", str(data))
    call_command("export", "--sdmx-structure", *sel, "-o", str(dsd))
    structure = sdmx.read_sdmx(dsd)
    msg = sdmx.read_sdmx(data, structure=structure.structure["DSD_EDU"])
    assert invalid_keys(msg, structure) == []
    assert {str(k.values["REF_AREA"].value) for k in msg.data[0].series} == codelists(structure)["REF_AREA"] == {
        "D11", "D12", "D21", "D22"}


def test_api_structure_and_data_of_one_selection_agree(warehouse, admin_client):  # noqa: F811
    sel = {"dx": "GER_ISCED1;PTR_ISCED1", "ou": "KZ;LEVEL-region", "pe": "2024S"}
    s = admin_client.get("/api/v1/exchange/sdmx/structure", sel)
    assert s.status_code == 200, s.content
    r = admin_client.get("/api/v1/exchange/sdmx", {**sel, "format": "xml"})
    assert r.status_code == 200, r.content
    structure = sdmx.read_sdmx(io.BytesIO(s.content))
    data = sdmx.read_sdmx(io.BytesIO(r.content), structure=structure.structure["DSD_EDU"])
    assert codelists(structure)["REF_AREA"] == {"KZ-R1", "KZ-R2"}
    assert invalid_keys(data, structure) == [] and len(data.data[0].series) > 0
    # without pe: over every period of the warehouse (the same areas here: one hierarchy)
    s = admin_client.get("/api/v1/exchange/sdmx/structure", {"ou": "KZ;LEVEL-region"})
    assert s.status_code == 200 and codelists(sdmx.read_sdmx(io.BytesIO(s.content)))["REF_AREA"] == {"KZ-R1", "KZ-R2"}
    bad = admin_client.get("/api/v1/exchange/sdmx/structure", {"ou": "LEVEL-planet"})
    assert bad.status_code == 400 and "planet" in bad.json()["message"]
