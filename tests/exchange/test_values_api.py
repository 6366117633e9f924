"""`GET /api/v1/exchange/values`: the stored values in the export layouts, filtered and paged.

On the value world of `tests/collection/world.py` (KZ > KZ-11 > KZ-11-001 > schools S1..S3), as an
administrator; scope and the approval rule are in tests/security/test_access_values_api.py. The
endpoint must answer what `bilim export` writes (the same rows, the same writers), so the tests
compare with `export_values` and send the answers back to the import.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from bilim.exchange.services import export_values, import_file

pytestmark = pytest.mark.django_db

URL = "/api/v1/exchange/values"
IMPORT = "/api/v1/exchange/import"

SEED = (
    "dataElement,period,orgUnit,value,SEX,GRADE,EXP,comment\n"
    "ENROL,2024S,S1,10,F,G01,,\n"
    "ENROL,2024S,S1,11,M,G01,,\n"
    "ENROL,2024S,S2,20,F,G01,,from the form\n"
    "ENROL,2023S,S1,9,F,G01,,\n"
    "CAPACITY,2024S,S1,300,,,,\n"
    "TEACH,2024S,S3,7,F,,,\n"
    "EXPEND,2024,S1,1234567.891,,,CAPITAL,\n"
    "POP,2024,KZ-11-001,5000,F,,,\n"
)
TOTAL = 8


@pytest.fixture
def values(world):
    report = import_file(SEED.encode(), actor="seed", name="seed.csv")
    assert report.ok, report.errors
    return report


def get(client, **params):
    resp = client.get(URL, params)
    assert resp.status_code == 200, resp.content[:500]
    return resp


def keys(resp) -> list[tuple[str, str, str, str]]:
    """(dataElement, period, orgUnit, categoryOptionCombo) of a JSON answer, in its order."""
    return [(v["dataElement"], v["period"], v["orgUnit"], v.get("categoryOptionCombo", ""))
            for v in resp.json()["dataValues"]]


def reimport(client, content: bytes, name: str) -> dict:
    resp = client.post(IMPORT, {"file": SimpleUploadedFile(name, content), "dry_run": "true"})
    assert resp.status_code == 200, resp.content[:1000]
    return resp.json()


# --- the layouts ----------------------------------------------------------------------------------

def test_json_is_the_export_with_a_dhis2_pager(admin_client, values):
    resp = get(admin_client)
    assert resp["Content-Type"].startswith("application/json")
    body = resp.json()
    assert body["pager"] == {"page": 1, "pageSize": 1000, "total": TOTAL, "pageCount": 1}
    assert body["dataValues"] == json.loads(export_values(format="dhis2"))["dataValues"]
    assert {"dataElement": "ENROL", "period": "2024S", "orgUnit": "S2", "categoryOptionCombo": "F_G01",
            "value": "20", "comment": "from the form"} in body["dataValues"]
    assert resp["X-Total-Count"] == str(TOTAL)
    assert "Link" not in resp  # one page: no next


def test_csv_and_adx_are_the_export_writers(admin_client, values):
    text = get(admin_client, format="csv").content.decode()
    assert text == export_values(format="csv")
    assert text.splitlines()[0] == "dataElement,period,orgUnit,value,SEX,AGE,GRADE,QUAL,EXP,LANG,comment"
    adx = get(admin_client, format="adx")
    assert adx["Content-Type"].startswith("application/xml")

    def stamp(x: str) -> str:  # the export time is the only difference
        return re.sub(r' exported="[^"]+"', "", x)

    assert stamp(adx.content.decode()) == stamp(export_values(format="adx"))
    assert '<group dataSet="SCHOOL_CENSUS" orgUnit="S1" period="2024-09-01/P1Y">' in adx.content.decode()


# --- filters --------------------------------------------------------------------------------------

def test_data_element_filter_separated_or_repeated(admin_client, values):
    one = keys(get(admin_client, dataElement="ENROL;CAPACITY"))
    assert {k[0] for k in one} == {"ENROL", "CAPACITY"} and len(one) == 5
    assert keys(get(admin_client, dataElement=["ENROL", "CAPACITY"])) == one
    assert {k[0] for k in keys(get(admin_client, dataElement="TEACH"))} == {"TEACH"}


def test_period_filter_accepts_codes_and_iso_intervals(admin_client, values):
    school_year = keys(get(admin_client, period="2024S"))
    assert {k[1] for k in school_year} == {"2024S"} and len(school_year) == 5
    assert keys(get(admin_client, period="2024-09-01/P1Y")) == school_year
    assert {k[1] for k in keys(get(admin_client, period=["2023S", "2024"]))} == {"2023S", "2024"}
    both = keys(get(admin_client, period="2023S;2024S", dataElement="ENROL"))
    assert len(both) == 4


def test_org_unit_children_level_and_children_selections(admin_client, values):
    assert {k[2] for k in keys(get(admin_client, orgUnit="S2"))} == {"S2"}
    # children=true (the default, as `bilim export --ou`): the district and every unit under it
    assert {k[2] for k in keys(get(admin_client, orgUnit="KZ-11-001"))} == {"KZ-11-001", "S1", "S2", "S3"}
    # children=false: the district's own values (population) only
    assert keys(get(admin_client, orgUnit="KZ-11-001", children="false")) == [("POP", "2024", "KZ-11-001", "F")]
    # the analytics selection language: LEVEL- within a boundary, CHILDREN-
    assert {k[2] for k in keys(get(admin_client, orgUnit="KZ-11;LEVEL-organization"))} == {"S1", "S2", "S3"}
    assert {k[2] for k in keys(get(admin_client, orgUnit="LEVEL-district"))} == {"KZ-11-001", "S1", "S2", "S3"}
    assert {k[2] for k in keys(get(admin_client, orgUnit="LEVEL-district", children="false"))} == {"KZ-11-001"}
    assert {k[2] for k in keys(get(admin_client, orgUnit="CHILDREN-KZ-11-001"))} == {"S1", "S2", "S3"}
    assert {k[2] for k in keys(get(admin_client, orgUnit="S1;S3", children="false"))} == {"S1", "S3"}


def test_data_set_filter_keeps_the_forms_elements(admin_client, values):
    census = keys(get(admin_client, dataSet="SCHOOL_CENSUS"))
    assert {k[0] for k in census} == {"ENROL", "CAPACITY", "TEACH"}
    assert {k[0] for k in keys(get(admin_client, dataSet="SCHOOL_FINANCE"))} == {"EXPEND"}
    assert {k[0] for k in keys(get(admin_client, dataSet="SCHOOL_CENSUS", dataElement="TEACH"))} == {"TEACH"}
    adx = get(admin_client, dataSet="POPULATION", format="adx").content.decode()
    assert 'dataSet="POPULATION" orgUnit="KZ-11-001" period="2024-01-01/P1Y"' in adx


# --- pages ----------------------------------------------------------------------------------------

def test_pages_cut_the_export_without_gaps_or_repeats(admin_client, values):
    whole = keys(get(admin_client))
    seen: list = []
    page, links = 1, []
    while True:
        resp = get(admin_client, pageSize=3, page=page)
        body = resp.json()
        assert body["pager"] == {"page": page, "pageSize": 3, "total": TOTAL, "pageCount": 3}
        assert resp["X-Total-Count"] == str(TOTAL)
        seen += keys(resp)
        links.append(resp.get("Link", ""))
        if 'rel="next"' not in resp.get("Link", ""):
            break
        page += 1
    assert seen == whole and page == 3
    assert f"{URL}?pageSize=3&page=2" in links[0] and 'rel="next"' in links[0] and 'rel="prev"' not in links[0]
    assert 'page=2>; rel="prev"' in links[2] and 'page=1>; rel="prev"' in links[1]
    past = get(admin_client, pageSize=3, page=9).json()
    assert past["dataValues"] == [] and past["pager"]["total"] == TOTAL


def test_csv_and_adx_pages_carry_the_total_and_the_next_link(admin_client, values):
    resp = get(admin_client, format="csv", pageSize=5, dataElement="ENROL;CAPACITY;TEACH")
    rows = list(csv.DictReader(io.StringIO(resp.content.decode())))
    assert len(rows) == 5 and resp["X-Total-Count"] == "6"
    assert 'rel="next"' in resp["Link"] and "format=csv" in resp["Link"] and "page=2" in resp["Link"]
    last = get(admin_client, format="csv", pageSize=5, page=2, dataElement="ENROL;CAPACITY;TEACH")
    assert len(last.content.decode().splitlines()) == 2 and 'rel="next"' not in last.get("Link", "")
    adx = get(admin_client, format="adx", pageSize=2)
    assert adx.content.decode().count("<dataValue ") == 2 and adx["X-Total-Count"] == str(TOTAL)
    assert 'rel="next"' in adx["Link"]


# --- round trip -----------------------------------------------------------------------------------

def test_json_reimported_in_a_dry_run_is_all_unchanged(admin_client, values):
    content = get(admin_client).content
    report = reimport(admin_client, content, "values.json")
    assert report["ok"] and report["format"] == "dhis2"
    assert (report["rows"], report["created"], report["updated"], report["unchanged"]) == (TOTAL, 0, 0, TOTAL)


def test_every_page_and_layout_reimports_unchanged(admin_client, values):
    for page in (1, 2, 3):
        report = reimport(admin_client, get(admin_client, pageSize=3, page=page).content, f"p{page}.json")
        assert report["unchanged"] == report["rows"] > 0 and report["created"] == report["updated"] == 0
    for fmt, name in (("csv", "v.csv"), ("adx", "v.xml")):
        report = reimport(admin_client, get(admin_client, format=fmt).content, name)
        assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, TOTAL), (fmt, report)


def test_a_changed_value_is_not_reported_unchanged(admin_client, values):
    """The round-trip test above could pass on a dry run that reports everything unchanged."""
    body = get(admin_client, dataElement="CAPACITY").json()
    body["dataValues"][0]["value"] = "301"
    report = reimport(admin_client, json.dumps(body).encode(), "changed.json")
    assert (report["updated"], report["unchanged"]) == (1, 0)


# --- bad parameters -------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "param"), [
    ("dataElement=NOPE", "dataElement"),
    ("dataElement=ENROL;NOPE", "dataElement"),
    ("dataElement=ENROL%00", "dataElement"),
    ("period=2024X", "period"),
    ("period=2024S%00", "period"),
    ("period=3024S", "period"),
    ("orgUnit=%00", "orgUnit"),
    ("orgUnit=NOPE", "orgUnit"),
    ("orgUnit=LEVEL-planet", "orgUnit"),
    ("orgUnit=CHILDREN-NOPE", "orgUnit"),
    ("dataSet=NOPE", "dataSet"),
    ("dataSet=SCHOOL_CENSUS;POPULATION", "dataSet"),
    ("dataSet=POPULATION&dataElement=ENROL", "dataElement"),
    ("pageSize=0", "pageSize"),
    ("pageSize=10001", "pageSize"),
    ("page=0", "page"),
    ("page=-3", "page"),
    ("format=xlsx", "format"),
    ("format=json%00", "format"),
])
def test_bad_parameters_are_a_400_naming_the_parameter(admin_client, values, query, param):
    resp = admin_client.get(f"{URL}?{query}")
    assert resp.status_code == 400, (resp.status_code, resp.content[:300])
    body = resp.json()
    assert body["code"] == "bad_request"
    assert body["message"].startswith(f"{param}: "), body["message"]


def test_the_largest_page_size_is_allowed(admin_client, values):
    assert get(admin_client, pageSize=10000).json()["pager"]["pageSize"] == 10000


def test_anonymous_gets_401(client, values):
    resp = client.get(URL)
    assert resp.status_code == 401 and resp.json()["code"] == "unauthorized"
