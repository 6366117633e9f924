"""The entry grid: a Save with one bad count saves nothing, says which cell and why, keeps what was typed."""

from __future__ import annotations

import pytest

from bilim.collection.models import DataValue, DataValueAudit

pytestmark = pytest.mark.django_db
ENTRY = "/collection/entry/SCHOOL_CENSUS/S1/2024S/"


def cell(key: str, typed: str, original: str = "", version: str = "") -> dict[str, str]:
    return {f"v:{key}": typed, f"orig:{key}": original, f"ver:{key}": version}


@pytest.mark.parametrize(("typed", "reason"), [
    ("-5", "ENROL cannot be negative (-5 was given)"), ("2.5", "a whole number is expected, not 2.5"),
    ("2,5", "a whole number is expected, not 2.5"), ("٣", "write it with the digits 0-9"),
    ("３", "write it with the digits 0-9"), ("1e3", "ENROL is a count: write it with the digits 0-9 only"),
])
def test_one_bad_count_saves_nothing_and_names_the_cell(admin_client, country, save, typed, reason):
    save("S1", "ENROL", 12, SEX="F", GRADE="G01")
    post = {**cell("ENROL:SEX=F,GRADE=G01", "15", "12", "1"),    # a good change
            **cell("ENROL:SEX=M,GRADE=G01", typed),              # the bad cell
            **cell("CAPACITY:", "300"),                          # another good change
            **cell("ENROL:SEX=F,GRADE=G02", "")}                 # untouched
    r = admin_client.post(ENTRY, post)
    assert r.status_code == 400
    html = r.content.decode()
    # nothing was written: the good changes neither
    assert list(DataValue.objects.values_list("sex", "grade", "value")) == [("F", "G01", 12.0)]
    assert DataValueAudit.objects.count() == 1
    assert "Nothing was saved: your 3 changes are still in the form." in html
    assert "values were not saved" not in html and "other changes were saved" not in html
    # which cell (linked) and why
    assert '<a href="#c-ENROL-SEX_M-GRADE_G01">ENROL · Male · Grade 1</a>: value: ' in html
    assert reason in html
    # every change is still in the form, read at the version it was opened with
    assert 'name="v:ENROL:SEX=F,GRADE=G01" value="15"' in html
    assert 'name="orig:ENROL:SEX=F,GRADE=G01" value="12"' in html
    assert 'name="ver:ENROL:SEX=F,GRADE=G01" value="1"' in html
    assert f'name="v:ENROL:SEX=M,GRADE=G01" value="{typed}"' in html
    assert 'name="v:CAPACITY:" value="300"' in html and 'name="orig:CAPACITY:" value=""' in html
    assert 'aria-invalid="true"' in html


def test_after_correcting_the_cell_the_same_save_goes_through(admin_client, country, save):
    save("S1", "ENROL", 12, SEX="F", GRADE="G01")
    post = {**cell("ENROL:SEX=F,GRADE=G01", "15", "12", "1"), **cell("ENROL:SEX=M,GRADE=G01", "-5")}
    assert admin_client.post(ENTRY, post).status_code == 400
    post.update(cell("ENROL:SEX=M,GRADE=G01", "5"))
    r = admin_client.post(ENTRY, post)
    assert r.status_code == 302
    assert dict(DataValue.objects.values_list("sex", "value")) == {"F": 15.0, "M": 5.0}


def test_a_conflict_also_saves_nothing_and_a_second_save_overwrites(admin_client, country, save):
    save("S1", "ENROL", 12, SEX="F", GRADE="G01")
    DataValue.objects.filter(sex="F").update(version=2, value=14)  # someone else saved meanwhile
    post = {**cell("ENROL:SEX=F,GRADE=G01", "15", "12", "1"), **cell("ENROL:SEX=M,GRADE=G01", "11")}
    r = admin_client.post(ENTRY, post)
    assert r.status_code == 409
    html = r.content.decode()
    assert not DataValue.objects.filter(sex="M").exists() and DataValue.objects.get(sex="F").value == 14
    assert "Nothing was saved" in html and 'name="v:ENROL:SEX=M,GRADE=G01" value="11"' in html
    assert 'name="ver:ENROL:SEX=F,GRADE=G01" value="2"' in html
    post.update({"orig:ENROL:SEX=F,GRADE=G01": "14", "ver:ENROL:SEX=F,GRADE=G01": "2"})
    assert admin_client.post(ENTRY, post).status_code == 302
    assert dict(DataValue.objects.values_list("sex", "value")) == {"F": 15.0, "M": 11.0}


def test_count_cells_ask_for_a_numeric_keypad_amounts_for_decimals(admin_client, country):
    html = admin_client.get(ENTRY).content.decode()
    assert 'name="v:ENROL:SEX=F,GRADE=G01" value="" inputmode="numeric"' in html
