"""SDMX output: the structure and data messages parse with the `sdmx1` library and carry the values."""

from __future__ import annotations

import io
import json
import math

import pandas as pd
import pytest
import sdmx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bilim.exchange import sdmx as bs

ROWS = [
    # indicator, period, ou_code, sex, area, value
    ("GER_ISCED1", "2024S", "KZ", None, None, 101.25),
    ("GER_ISCED1", "2024S", "KZ", "F", None, 100.5),
    ("GER_ISCED1", "2024S", "KZ", "M", None, 102.0),
    ("GER_ISCED1", "2024S", "KZ", None, "URBAN", 99.75),
    ("GER_ISCED1", "2024S", "KZ", None, "RURAL", 103.125),
    ("GER_ISCED1", "2023S", "KZ-11", None, None, 98.0),
    ("PTR_ISCED1", "2024S", "KZ", None, None, 17.3),
    ("PTR_ISCED1", "2024S", "KZ-11", "F", None, 1e-7),
    ("PTR_ISCED1", "2024S", "KZ-11", "M", None, float("nan")),  # missing: left out
]


def frame(rows=ROWS) -> pd.DataFrame:
    return pd.DataFrame([dict(indicator=i, period=p, ou_code=o, sex=s, area=a, numerator=1.0, denominator=1.0,
                              value=v, mode="current") for i, p, o, s, a, v in rows])


def expected(time_format="uis") -> dict[tuple, float]:
    out = {}
    for i, p, o, s, a, v in ROWS:
        if math.isnan(v):
            continue
        out[(o, i, s or "_T", a or "_T", bs.time_period(p, time_format))] = v
    return out


def as_dict(series: pd.Series) -> dict[tuple, float]:
    s = series.reset_index()
    cols = ["REF_AREA", "INDICATOR", "SEX", "LOCATION", "TIME_PERIOD"]
    return {tuple(str(r[c]) for c in cols): float(r["value"]) for _, r in s.iterrows()}


@pytest.fixture
def structure(tmp_path):
    path = tmp_path / "structure.xml"
    path.write_text(bs.structure_xml(["GER_ISCED1", "PTR_ISCED1"], ["KZ", "KZ-11"]), encoding="utf-8")
    return sdmx.read_sdmx(path)


def test_structure_message_parses_with_codelists_and_dsd(structure):
    cl = structure.codelist
    assert set(cl) >= {"CL_INDICATOR", "CL_REF_AREA", "CL_SEX", "CL_LOCATION", "CL_UNIT_MEASURE"}
    assert [c.id for c in cl["CL_SEX"]] == ["F", "M", "_T"]
    assert [c.id for c in cl["CL_LOCATION"]] == ["URBAN", "RURAL", "_T"]
    assert {c.id for c in cl["CL_INDICATOR"]} == {"GER_ISCED1", "PTR_ISCED1"}
    assert {c.id for c in cl["CL_REF_AREA"]} == {"KZ", "KZ-11"}
    assert "PT" in {c.id for c in cl["CL_UNIT_MEASURE"]}
    assert str(cl["CL_INDICATOR"]["GER_ISCED1"].name) .startswith("Gross enrolment ratio")
    assert cl["CL_INDICATOR"]["GER_ISCED1"].name.localizations["ru"].startswith("Валовой")
    cs = structure.concept_scheme["CS_BILIM"]
    assert {c.id for c in cs} >= {"REF_AREA", "TIME_PERIOD", "INDICATOR", "SEX", "LOCATION", "OBS_VALUE",
                                  "UNIT_MEASURE"}
    dsd = structure.structure["DSD_EDU"]
    assert [d.id for d in dsd.dimensions.components] == ["REF_AREA", "INDICATOR", "SEX", "LOCATION", "TIME_PERIOD"]
    assert type(dsd.dimensions.get("TIME_PERIOD")).__name__ == "TimeDimension"
    assert dsd.dimensions.get("SEX").local_representation.enumerated.id == "CL_SEX"
    assert [m.id for m in dsd.measures.components] == ["OBS_VALUE"]
    assert [a.id for a in dsd.attributes.components] == ["UNIT_MEASURE"]
    assert "DF_EDU" in structure.dataflow


def test_full_structure_lists_the_whole_catalogue(db):
    from bilim.analytics.catalogue import load_catalogue

    msg = sdmx.read_sdmx(io.BytesIO(bs.structure_xml().encode()))
    assert {c.id for c in msg.codelist["CL_INDICATOR"]} == set(load_catalogue().indicators)


@pytest.mark.parametrize("time_format", ["uis", "range"])
def test_structure_specific_data_round_trips(structure, tmp_path, time_format):
    path = tmp_path / "data.xml"
    path.write_text(bs.data_xml(frame(), time_format=time_format), encoding="utf-8")
    msg = sdmx.read_sdmx(path, structure=structure.structure["DSD_EDU"])
    got = as_dict(sdmx.to_pandas(msg))
    assert got == expected(time_format)
    ds = msg.data[0]
    units = {(k.values["INDICATOR"].value, a.value.id if hasattr(a.value, "id") else str(a.value))
             for k, s in ds.series.items() for a in [k.attrib.get("UNIT_MEASURE") or s[0].attached_attribute.get(
                 "UNIT_MEASURE")] if a is not None}
    assert units == {("GER_ISCED1", "PT"), ("PTR_ISCED1", "PUPILS_PER_TEACHER")}


@pytest.mark.parametrize("time_format", ["uis", "range"])
def test_sdmx_json_round_trips(tmp_path, time_format):
    text = bs.data_json(frame(), time_format=time_format)
    path = tmp_path / "data.json"
    path.write_text(text, encoding="utf-8")
    msg = sdmx.read_sdmx(path)
    assert as_dict(sdmx.to_pandas(msg)) == expected(time_format)
    doc = json.loads(text)
    assert doc["structure"]["dimensions"]["observation"][0]["id"] == "TIME_PERIOD"
    assert doc["structure"]["attributes"]["series"][0]["id"] == "UNIT_MEASURE"


def test_time_periods():
    assert bs.time_period("2024S") == "2025"  # UIS reference year: the year the school year ends
    assert bs.time_period("2024") == "2024"
    assert bs.time_period("2024Q3") == "2024-Q3"
    assert bs.time_period("202402") == "2024-02"
    assert bs.time_period("2024S", "range") == "2024-09-01/P1Y"
    with pytest.raises(bs.SdmxError, match="time_format"):
        bs.time_period("2024S", "weird")


def test_periods_on_the_same_reference_year_are_refused_unless_ranges():
    df = frame([("GER_ISCED1", "2023S", "KZ", None, None, 1.0), ("GER_ISCED1", "2024", "KZ", None, None, 2.0)])
    with pytest.raises(bs.SdmxError, match="time_format=range"):
        bs.data_xml(df)
    assert "2023-09-01/P1Y" in bs.data_xml(df, time_format="range")


def test_bad_tables_give_clear_errors():
    with pytest.raises(bs.SdmxError, match="lacks column"):
        bs.data_xml(pd.DataFrame({"indicator": ["X"]}))
    with pytest.raises(bs.SdmxError, match="CL_SEX"):
        bs.data_xml(frame([("GER_ISCED1", "2024S", "KZ", "X", None, 1.0)]))
    with pytest.raises(bs.SdmxError, match="one row per key"):
        bs.data_xml(frame([("GER_ISCED1", "2024S", "KZ", None, None, 1.0)] * 2))
    with pytest.raises(bs.SdmxError, match="SDMX code"):
        bs.data_xml(frame([("GER_ISCED1", "2024S", "K Z", None, None, 1.0)]))


def test_empty_selection_is_a_valid_message(structure, tmp_path):
    path = tmp_path / "empty.xml"
    path.write_text(bs.data_xml(frame([])), encoding="utf-8")
    msg = sdmx.read_sdmx(path, structure=structure.structure["DSD_EDU"])
    assert sum(len(ds.obs) for ds in msg.data) == 0


def test_xml_special_characters_are_escaped():
    # names come from the registry and catalogue; codes are checked; nothing can break the XML
    text = bs.structure_xml(["GER_ISCED1"], ["KZ"])
    import xml.dom.minidom

    xml.dom.minidom.parseString(text.encode())


# --- through the analytics service, the CLI and the API -----------------------------------------------

@pytest.fixture
def warehouse(monkeypatch):
    """The analytics service on the synthetic warehouse (no refresh, no Django data needed)."""
    import ibis

    from bilim.analytics import service
    from bilim.analytics.synthetic import synthetic_warehouse
    from bilim.analytics.warehouse import load_warehouse

    s = synthetic_warehouse()
    con = load_warehouse(ibis.duckdb.connect(), facts=s.facts, org_units=s.org_units, closure=s.closure)
    monkeypatch.setattr(service, "connect", lambda: con)
    # results are memoised per snapshot stamp: give this warehouse its own stamp and an empty memo
    from collections import OrderedDict

    monkeypatch.setattr(service, "_cache", OrderedDict())
    monkeypatch.setitem(service._state, "stamp", ("synthetic", id(con)))
    return con


def test_values_from_the_service_round_trip(warehouse, tmp_path):
    from bilim.analytics import service

    df = bs.select(["GER_ISCED1", "PTR_ISCED1"], ["2024S"], ["KZ", "KZ-R1"], ("SEX", "AREA"))
    regions = bs.select(["GER_ISCED1"], ["2024S"], ["LEVEL-region"], ())
    assert set(regions["ou_code"]) == {"KZ-R1", "KZ-R2"}
    assert not df.empty and {"F", "M"} <= set(df["sex"].dropna()) and {"URBAN", "RURAL"} <= set(df["area"].dropna())
    totals = service.indicators(["GER_ISCED1"], ["2024S"], ou_codes=["KZ"])
    path = tmp_path / "s.xml"
    path.write_text(bs.structure_xml(["GER_ISCED1", "PTR_ISCED1"], sorted(set(df["ou_code"]))), encoding="utf-8")
    dsd = sdmx.read_sdmx(path).structure["DSD_EDU"]
    (tmp_path / "d.xml").write_text(bs.data_xml(df), encoding="utf-8")
    got = sdmx.to_pandas(sdmx.read_sdmx(tmp_path / "d.xml", structure=dsd))
    assert got.loc[("KZ", "GER_ISCED1", "_T", "_T", "2025")] == pytest.approx(float(totals["value"].iloc[0]))
    assert len(got) == df["value"].notna().sum()
    json_got = sdmx.to_pandas(sdmx.read_sdmx(io.BytesIO(bs.data_json(df).encode())))
    assert as_dict(json_got) == as_dict(got)


def test_export_command_writes_sdmx(warehouse, tmp_path, db):
    from django.core.management import call_command

    out = tmp_path / "out.xml"
    call_command("export", "--sdmx-ml", "--indicator", "GER_ISCED1,PTR_ISCED1", "--period", "2024S",
                 "--ou", "KZ,LEVEL-region", "--by", "SEX", "-o", str(out))
    structure = tmp_path / "dsd.xml"
    call_command("export", "--sdmx-structure", "--indicator", "GER_ISCED1,PTR_ISCED1", "--ou", "KZ,KZ-R1,KZ-R2",
                 "-o", str(structure))
    dsd = sdmx.read_sdmx(structure).structure["DSD_EDU"]
    got = sdmx.to_pandas(sdmx.read_sdmx(out, structure=dsd)).reset_index()
    assert set(got["REF_AREA"]) == {"KZ-R1", "KZ-R2"}  # LEVEL-region within KZ: the regions
    assert set(got["SEX"]) == {"F", "M", "_T"} and set(got["LOCATION"]) == {"_T"}
    jout = tmp_path / "out.json"
    call_command("export", "--sdmx-json", "--indicator", "GER_ISCED1", "--period", "2024S", "--ou", "KZ",
                 "-o", str(jout))
    assert len(sdmx.to_pandas(sdmx.read_sdmx(jout))) == 5  # total, F, M, URBAN, RURAL


def test_every_series_key_of_the_data_is_valid_against_the_structure_of_the_same_selection(warehouse, tmp_path, db):
    """The structure and the data message are exported for one selection (`KZ,LEVEL-region`, by SEX): every
    dimension value of every series is a code of the structure's code lists, the regions included."""
    from django.core.management import call_command

    sel = ["--indicator", "GER_ISCED1,PTR_ISCED1", "--ou", "KZ,LEVEL-region"]
    call_command("export", "--sdmx-structure", *sel, "-o", str(tmp_path / "dsd.xml"))
    call_command("export", "--sdmx-ml", *sel, "--period", "2024S", "--by", "SEX", "-o", str(tmp_path / "d.xml"))
    msg = sdmx.read_sdmx(tmp_path / "dsd.xml")
    dsd = msg.structure["DSD_EDU"]
    data = sdmx.read_sdmx(tmp_path / "d.xml", structure=dsd).data[0]
    assert data.series, "the data message holds series"
    for key in data.series:
        for dim, kv in key.values.items():
            codes = {c.id for c in dsd.dimensions.get(dim).local_representation.enumerated}
            assert kv.value in codes, (dim, kv.value)
    ref_area = {c.id for c in dsd.dimensions.get("REF_AREA").local_representation.enumerated}
    assert {"KZ-R1", "KZ-R2"} <= ref_area


def test_export_command_errors_are_clear(warehouse, db):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="NOPE"):
        call_command("export", "--sdmx-ml", "--indicator", "NOPE", "--period", "2024S")
    with pytest.raises(CommandError, match="period"):
        call_command("export", "--sdmx-json", "--indicator", "GER_ISCED1")


def test_api_sdmx_endpoints(warehouse, admin_client):
    r = admin_client.get("/api/v1/exchange/sdmx", {"dx": "GER_ISCED1;PTR_ISCED1", "pe": "2024S", "ou": "KZ",
                                                   "format": "xml"})
    assert r.status_code == 200, r.content
    assert r["Content-Type"].startswith("application/xml")
    s = admin_client.get("/api/v1/exchange/sdmx/structure", {"dx": "GER_ISCED1;PTR_ISCED1", "ou": "KZ"})
    assert s.status_code == 200
    dsd = sdmx.read_sdmx(io.BytesIO(s.content)).structure["DSD_EDU"]
    data = sdmx.to_pandas(sdmx.read_sdmx(io.BytesIO(r.content), structure=dsd))
    j = admin_client.get("/api/v1/exchange/sdmx", {"dx": "GER_ISCED1;PTR_ISCED1", "pe": "2024S", "ou": "KZ",
                                                   "format": "json"})
    assert j.status_code == 200 and "sdmx" in j["Content-Type"]
    assert as_dict(sdmx.to_pandas(sdmx.read_sdmx(io.BytesIO(j.content)))) == as_dict(data)
    bad = admin_client.get("/api/v1/exchange/sdmx", {"dx": "NOPE", "pe": "2024S"})
    assert bad.status_code == 400 and "NOPE" in bad.json()["message"]
    full = admin_client.get("/api/v1/exchange/sdmx/structure")
    assert full.status_code == 200 and b"CL_INDICATOR" in full.content


def test_api_sdmx_without_warehouse_is_503(admin_client, monkeypatch):
    from bilim.analytics import service

    def missing():
        raise service.WarehouseMissing("no warehouse")

    monkeypatch.setattr(service, "connect", missing)
    r = admin_client.get("/api/v1/exchange/sdmx", {"dx": "GER_ISCED1", "pe": "2024S"})
    assert r.status_code == 503 and r.json()["code"] == "warehouse_missing"


key = st.tuples(st.sampled_from(["GER_ISCED1", "PTR_ISCED1", "NER_ISCED2"]), st.sampled_from(["2022S", "2023S",
                                                                                               "2024S"]),
                st.sampled_from(["KZ", "KZ-11", "100000000001"]),
                st.sampled_from([(None, None), ("F", None), ("M", None), (None, "URBAN"), (None, "RURAL")]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.dictionaries(key, st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                                             st.integers(min_value=-10**15, max_value=10**15).map(float)),
                              max_size=12))
def test_any_values_round_trip_exactly(structure, tmp_path, values):
    rows = [(i, p, o, s, a, v) for (i, p, o, (s, a)), v in values.items()]
    df = frame(rows)
    want = {(o, i, s or "_T", a or "_T", bs.time_period(p)): v for i, p, o, s, a, v in rows if math.isfinite(v)}
    xml_msg = sdmx.read_sdmx(io.BytesIO(bs.data_xml(df).encode()),
                             structure=structure.structure["DSD_EDU"])
    assert as_dict(sdmx.to_pandas(xml_msg)) == want if want else True
    json_msg = sdmx.read_sdmx(io.BytesIO(bs.data_json(df).encode()))
    if want:
        assert as_dict(sdmx.to_pandas(json_msg)) == want


def test_messages_are_sdmx1_objects_and_the_data_set_is_complete_sdmx_ml():
    """Both messages are sdmx1 model objects; what sdmx1's writer omits in structure-specific data
    (the DataSet's action, ss:structureRef, dataScope, xsi:type; the header's namespace) is written."""
    from lxml import etree
    from sdmx import message

    assert isinstance(bs.structure_message(["GER_ISCED1"], ["KZ"]), message.StructureMessage)
    msg = bs.data_message(frame())
    assert isinstance(msg, message.DataMessage) and len(msg.data[0].series) == 8
    root = etree.fromstring(bs.data_xml(frame()).encode())
    ns = {"mes": bs.NS["message"], "ss": bs.NS["ss"], "xsi": bs.NS["xsi"]}
    ds = root.find("mes:DataSet", ns)
    assert ds.get("action") == "Information"
    assert ds.get(f"{{{bs.NS['ss']}}}structureRef") == "DSD_EDU" == root.find(
        "mes:Header/mes:Structure", ns).get("structureID")
    assert ds.get(f"{{{bs.NS['ss']}}}dataScope") == "DataStructure"
    prefix, _, local = ds.get(f"{{{bs.NS['xsi']}}}type").partition(":")
    assert local == "DataSetType" and ds.nsmap[prefix] == root.find("mes:Header/mes:Structure", ns).get("namespace")
    assert root.find("mes:Header/mes:Structure/{http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common}Structure/URN",
                     ns).text == bs.DSD_URN
