"""More property tests: structured garbage for every reader the first file does not cover in depth
(org units CSV, XLSX workbooks and damaged XLSX bytes, DHIS2 JSON documents, ADX documents, filled
form templates) and for the metadata JSON import. None may crash; every failure is a clear error."""

from __future__ import annotations

import csv
import io
import json
from xml.sax.saxutils import quoteattr

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bilim.collection.models import DataValue
from bilim.exchange import readers
from bilim.exchange.metadata_io import MetadataProblem, import_metadata
from bilim.exchange.services import import_file
from bilim.registry.models import OrgUnit
from tests.exchange.test_reader_properties import assert_clear

pytestmark = pytest.mark.django_db

PROPS = hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                      HealthCheck.too_slow])

text = st.one_of(
    st.text(max_size=10),
    st.sampled_from(["KZ", "KZ-11", "KZ-11-001", "S1", "S99", "region", "district", "organization", "SCHOOL",
                     "URBAN", "RURAL", "2024-09-01", "2024-13-40", "", " ", "\"", "=1+1", "1" * 300, "ENROL", "2024S",
                     "F", "G01", "NaN", "1e999", "-1", "0x1"]),
)
ORGUNIT_HEADER = ["code", "kind", "type", "name_kk", "name_ru", "name_en", "parent", "governing_body", "area",
                  "valid_from", "capacity", "shifts", "lat", "languages", "junk", ""]


@PROPS
@given(header=st.lists(st.sampled_from(ORGUNIT_HEADER), max_size=10),
       rows=st.lists(st.lists(text, max_size=11), max_size=6), dry_run=st.booleans())
@example(header=["code", "kind", "name_kk", "parent", "valid_from"], rows=[["X1", "district", "x", "KZ", "1999"]],
         dry_run=False)
def test_orgunit_csv_garbage(world, header, rows, dry_run):
    before = OrgUnit.objects.count()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    report = import_file(buf.getvalue().encode(), format="orgunits", dry_run=dry_run)
    assert_clear(report)
    if report.errors or dry_run:
        assert OrgUnit.objects.count() == before


xlsx_text = st.one_of(st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=10),
                      st.sampled_from(["ENROL", "2024S", "S1", "F", "G01", "NaN", "1e999", "", " ", "=1+1"]))
cell = st.one_of(xlsx_text, st.integers(min_value=-10**18, max_value=10**18), st.floats(allow_nan=False),
                 st.booleans(), st.none(), st.dates())


def workbook(header, rows, keywords=None) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    if keywords:
        wb.properties.keywords = keywords
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@PROPS
@given(header=st.lists(st.sampled_from(["dataElement", "period", "orgUnit", "value", "SEX", "GRADE", "comment",
                                        "code", "kind", "", "x"]), max_size=8),
       rows=st.lists(st.lists(cell, max_size=9), max_size=5),
       template=st.booleans())
def test_xlsx_workbooks_with_any_cells(world, header, rows, template):
    data = workbook(header, rows, "bilim-form-template" if template else None)
    report = import_file(data, name="x.xlsx")
    assert_clear(report)


@pytest.fixture(scope="module")
def good_xlsx():
    return workbook(["dataElement", "period", "orgUnit", "value"], [["ENROL", "2024S", "S1", 5]])


@PROPS
@given(data=st.data())
def test_damaged_xlsx_bytes(world, good_xlsx, data):
    blob = bytearray(good_xlsx)
    for _ in range(data.draw(st.integers(min_value=1, max_value=8))):
        i = data.draw(st.integers(min_value=0, max_value=len(blob) - 1))
        blob[i] = data.draw(st.integers(min_value=0, max_value=255))
    cut = data.draw(st.integers(min_value=0, max_value=len(blob)))
    damaged = bytes(blob[:cut] if data.draw(st.booleans()) else blob)
    report = import_file(damaged, name="x.xlsx")
    assert_clear(report)
    try:
        readers.read_table_xlsx(damaged)
    except readers.ExchangeError as e:
        assert e.errors


json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**20, max_value=10**20),
              st.floats(allow_nan=False, allow_infinity=False), text),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.sampled_from(["dataElement", "period", "orgUnit", "value",
                                                                "categoryOptionCombo", "attributeOptionCombo",
                                                                "comment", "dataValues", "x"]), children,
                                               max_size=6)),
    max_leaves=20,
)


@PROPS
@given(doc=json_value)
@example(doc={"dataValues": [{"dataElement": "ENROL", "period": "2024Sep", "orgUnit": "S1", "value": "3",
                              "categoryOptionCombo": "F_G01"}]})
@example(doc={"dataValues": [{"value": 10**30}, {"categoryOptionCombo": "F_F"}, {"categoryOptionCombo": "G01_F"}]})
def test_dhis2_documents(world, doc):
    report = import_file(json.dumps(doc).encode(), format="dhis2")
    assert_clear(report)


adx_attr = st.sampled_from(["orgUnit", "period", "dataSet", "dataElement", "value", "SEX", "GRADE", "bogus",
                            "completeDate"])


@PROPS
@given(groups=st.lists(st.tuples(st.dictionaries(adx_attr, text, max_size=4),
                                 st.lists(st.tuples(st.dictionaries(adx_attr, text, max_size=5),
                                                    st.one_of(st.none(), text)), max_size=4)), max_size=3),
       root=st.sampled_from(["adx", "ADX", "data"]))
def test_adx_documents(world, groups, root):
    parts = [f'<{root} xmlns="urn:ihe:qrph:adx:2015">']
    for gattrs, values in groups:
        parts.append("<group " + " ".join(f"{k}={quoteattr(v)}" for k, v in gattrs.items()) + ">")
        for attrs, note in values:
            a = " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items())
            parts.append(f"<dataValue {a}>" + (f"<annotation>{note}</annotation>" if note else "") + "</dataValue>"
                         if note is not None else f"<dataValue {a}/>")
        parts.append("</group>")
    parts.append(f"</{root}>")
    data = "".join(parts).encode()
    report = import_file(data, format="adx")
    assert_clear(report)
    assert not DataValue.objects.exists() or report.ok


# --- metadata JSON ----------------------------------------------------------------------------------

meta_key = st.sampled_from(["code", "name_kk", "name_en", "options", "categories", "data_elements", "data_sets",
                            "attached_to", "aggregation", "period_type", "sort_order", "deadline_days",
                            "org_types", "indicators", "validation_rules", "left", "right", "operator",
                            "data_set", "numerator", "de", "bilim_metadata"])
meta_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**6, max_value=10**6), text),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(meta_key, children, max_size=5)),
    max_leaves=25,
)


def assert_clear_meta(report) -> None:
    for e in report.errors:
        assert isinstance(e, MetadataProblem)
        assert e.element and isinstance(e.reason, str) and len(e.reason) > 5
        assert str(e)


@PROPS
@given(doc=st.dictionaries(st.sampled_from(["categories", "data_elements", "data_sets", "indicators",
                                            "validation_rules", "bilim_metadata", "other"]), meta_value, max_size=4))
@example(doc={"data_elements": [{"code": "X", "name_kk": "x", "categories": ["NOPE"]}]})
@example(doc={"indicators": {"indicators": [{"code": "I", "numerator": [{"de": 1}]}]}})
@example(doc={"indicators": {"indicators": [{"code": "I", "numerator": "x"}]}})
@example(doc={"validation_rules": [{"code": "R", "left": "((((", "operator": "<", "right": "1", "data_set": "X"}]})
@example(doc={"validation_rules": [{"code": "R", "left": "1", "operator": "<", "right": "1", "data_set": ["X"],
                                    "for_each": ["GRADE"], "for_each_options": "G01"}]})  # found by hypothesis: TypeError
@pytest.mark.parametrize("dry_run", [True, False])
def test_metadata_documents(world, doc, dry_run, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    report = import_metadata(json.dumps(doc).encode(), dry_run=dry_run)
    assert_clear_meta(report)


@PROPS
@given(st.binary(max_size=300))
@example(b'{"categories": [' * 5000)
def test_metadata_bytes(world, data):
    report = import_metadata(data, dry_run=True)
    assert_clear_meta(report)
    assert not report.ok or data.strip().startswith(b"{")
