"""Pages and API of the collection workflow: entry grid GET/POST, approval, validation, completeness."""

from __future__ import annotations

import pytest

from bilim.approval.services import submit
from bilim.collection.models import DataValue

pytestmark = pytest.mark.django_db
ENTRY = "/collection/entry/SCHOOL_CENSUS/S1/2024S/"


def test_pages_need_a_login(client, country):
    for url in (ENTRY, "/collection/", "/collection/completeness/SCHOOL_CENSUS/2024S/"):
        r = client.get(url)
        assert r.status_code == 302 and "/login" in r["Location"]


def test_entry_grid_shows_values_previous_year_and_versions(admin_client, country, save):
    save("S1", "ENROL", 12, SEX="F", GRADE="G01")
    save("S1", "ENROL", 9, SEX="F", GRADE="G01", period="2023S")
    save("S1", "ENROL", 4, SEX="M", GRADE="G02", AGE="A07")  # finer than the grid: shown as a placeholder
    r = admin_client.get(ENTRY)
    assert r.status_code == 200
    html = r.content.decode()
    assert 'name="v:ENROL:SEX=F,GRADE=G01" value="12"' in html
    assert 'name="ver:ENROL:SEX=F,GRADE=G01" value="1"' in html
    assert '<span class="prev">9</span>' in html
    assert 'placeholder="4"' in html
    assert 'name="v:CAPACITY:"' in html  # an element without categories is one cell
    assert "approval/entry.js" in html
    r = admin_client.get(ENTRY + "?rows_ENROL=AGE")
    assert 'name="v:ENROL:SEX=F,AGE=A07"' in r.content.decode()


def test_entry_post_saves_changed_cells_with_audit(admin_client, country, save):
    save("S1", "ENROL", 12, SEX="F", GRADE="G01")
    r = admin_client.post(ENTRY, {
        "v:ENROL:SEX=F,GRADE=G01": "15", "orig:ENROL:SEX=F,GRADE=G01": "12", "ver:ENROL:SEX=F,GRADE=G01": "1",
        "v:ENROL:SEX=M,GRADE=G01": "11", "orig:ENROL:SEX=M,GRADE=G01": "", "ver:ENROL:SEX=M,GRADE=G01": "",
        "v:CAPACITY:": "", "orig:CAPACITY:": "", "ver:CAPACITY:": "",
    })
    assert r.status_code == 302
    got = dict(DataValue.objects.filter(org_unit__code="S1").values_list("sex", "value"))
    assert got == {"F": 15, "M": 11}
    from bilim.collection.models import DataValueAudit

    assert DataValueAudit.objects.filter(by="root").count() == 2
    page = admin_client.get(r["Location"]).content.decode()
    assert "2 value(s) saved" in page
    assert "TEACHERS_IF_PUPILS" in page  # the validation panel after the save: pupils but no teachers


def test_entry_post_shows_conflicts_and_bad_values(admin_client, country, save):
    save("S1", "ENROL", 12, SEX="F", GRADE="G01")
    save("S1", "ENROL", 13, SEX="F", GRADE="G01", version=None) if False else None
    DataValue.objects.filter(sex="F").update(version=2, value=14)  # someone else saved meanwhile
    r = admin_client.post(ENTRY, {
        "v:ENROL:SEX=F,GRADE=G01": "15", "orig:ENROL:SEX=F,GRADE=G01": "12", "ver:ENROL:SEX=F,GRADE=G01": "1",
        "v:ENROL:SEX=M,GRADE=G01": "abc", "orig:ENROL:SEX=M,GRADE=G01": "", "ver:ENROL:SEX=M,GRADE=G01": "",
    })
    assert r.status_code == 409
    html = r.content.decode()
    assert "changed by" in html and "you read version 1, it is now version 2" in html
    assert "&#x27;abc&#x27; is not a number" in html
    assert 'name="ver:ENROL:SEX=F,GRADE=G01" value="2"' in html  # saving again overwrites deliberately
    assert 'name="v:ENROL:SEX=F,GRADE=G01" value="15"' in html
    assert DataValue.objects.get(sex="F").value == 14


def test_locked_form_is_read_only_and_refuses_posts(admin_client, country, save):
    save("S1", "ENROL", 12, SEX="F", GRADE="G01")
    save("S1", "TEACH", 2)
    submit("SCHOOL_CENSUS", "S1", "2024S")
    html = admin_client.get(ENTRY).content.decode()
    assert "readonly" in html and "locked" in html
    r = admin_client.post(ENTRY, {"v:ENROL:SEX=F,GRADE=G01": "15", "orig:ENROL:SEX=F,GRADE=G01": "12",
                                  "ver:ENROL:SEX=F,GRADE=G01": "1"})
    assert r.status_code == 400 and "approved and locked" in r.content.decode()


def test_workflow_buttons(admin_client, country, save):
    save("S1", "ENROL", 12, SEX="F", GRADE="G01")
    url = "/collection/action/SCHOOL_CENSUS/S1/2024S/"
    r = admin_client.post(url, {"action": "submit", "next": ENTRY}, follow=True)
    assert "blocking validation rule" in r.content.decode()  # pupils without teachers
    save("S1", "TEACH", 2)
    admin_client.post(url, {"action": "submit", "next": ENTRY})
    html = admin_client.get("/collection/approval/SCHOOL_CENSUS/KZ-11-001/2024S/").content.decode()
    assert "S1" in html and "1 of 2 not yet submitted" in html
    r = admin_client.post(url, {"action": "unapprove", "reason": "recount", "next": ENTRY}, follow=True)
    assert "Returned: S1" in r.content.decode()
    r = admin_client.post("/collection/action/SCHOOL_CENSUS/KZ-11-001/2024S/", {"action": "approve"}, follow=True)
    assert "cannot approve" in r.content.decode()


def test_validation_and_completeness_pages(admin_client, country, save):
    save("S1", "ENROL", 12, SEX="F", GRADE="G01")
    html = admin_client.get("/collection/validation/SCHOOL_CENSUS/KZ/2024S/").content.decode()
    assert "TEACHERS_IF_PUPILS" in html and 'href="/collection/entry/SCHOOL_CENSUS/S1/2024S/#de-TEACH"' in html
    r = admin_client.get("/collection/completeness/SCHOOL_CENSUS/2024S/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "KZ-11" in html and "S4" in html and "https://www.amcharts.com/" in html
    assert "kazakhstan2023Low.json" in html
    r = admin_client.get("/collection/?data_set=SCHOOL_CENSUS&ou=S1&period=2024S&page=entry")
    assert r.status_code == 302 and r["Location"] == ENTRY


def test_api(admin_client, country, save):
    save("S1", "ENROL", 400, SEX="F", GRADE="G01")
    save("S1", "CAPACITY", 100)
    r = admin_client.get("/api/v1/collection/validation/SCHOOL_CENSUS/S1/2024S")
    assert r.status_code == 200
    assert {v["rule"] for v in r.json()["violations"]} == {"TEACHERS_IF_PUPILS", "PUPILS_LE_3X_CAPACITY"}
    assert r.json()["violations"][0]["links"]
    rules = admin_client.get("/api/v1/collection/rules?data_set=SCHOOL_CENSUS").json()
    assert "GIRLS_LE_TOTAL" in {x["code"] for x in rules}
    r = admin_client.post("/api/v1/collection/approvals/SCHOOL_CENSUS/S1/2024S/submit")
    assert r.status_code == 409 and "TEACHERS_IF_PUPILS" in r.json()["message"]  # blocking rule
    save("S1", "TEACH", 20)
    r = admin_client.post("/api/v1/collection/approvals/SCHOOL_CENSUS/S1/2024S/submit")
    assert r.status_code == 200 and r.json()["status"] == "submitted" and r.json()["locked"]
    r = admin_client.post("/api/v1/collection/approvals/SCHOOL_CENSUS/KZ-11-001/2024S/approve")
    assert r.status_code == 409 and "S2" in r.json()["message"]
    r = admin_client.post("/api/v1/collection/approvals/SCHOOL_CENSUS/S1/2024S/unapprove",
                          {"reason": "fix"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "open" and r.json()["steps"][-1]["reason"] == "fix"
    c = admin_client.get("/api/v1/collection/completeness/SCHOOL_CENSUS/2024S?org_unit=KZ-11").json()
    assert c["total"]["expected"] == 3 and c["total"]["reported"] == 1
    assert [m["code"] for m in c["missing"]] == ["S2", "S3"]
    assert admin_client.get("/api/v1/collection/approvals/NOPE/S1/2024S").status_code == 404
