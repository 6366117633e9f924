"""Form templates (generate, fill offline, import) and the upload page and import API."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from bilim.collection.models import DataValue
from bilim.exchange import jobs
from bilim.exchange.models import ImportJob
from bilim.exchange.services import import_file
from bilim.exchange.templates import TemplateError, build_template

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def inline_jobs(monkeypatch):
    monkeypatch.setattr(jobs, "INLINE", True)
    monkeypatch.setattr(jobs, "REFRESH_AFTER_IMPORT", False)


def fill(content: bytes, values: dict[tuple, float]) -> bytes:
    """Type values into the template as a person would (value column only), keep everything else."""
    wb = load_workbook(io.BytesIO(content))
    ws = wb["dataValues"]
    header = [c.value for c in ws[1]]
    at = {name: i for i, name in enumerate(header)}
    for row in ws.iter_rows(min_row=2):
        key = tuple(row[at[c]].value or "" for c in ("dataElement", "SEX", "GRADE", "QUAL", "LANG"))
        if key in values:
            row[at["value"]].value = values[key]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_template_layout(world):
    content = build_template("SCHOOL_CENSUS", "S1", "2024S")
    wb = load_workbook(io.BytesIO(content))
    assert wb.sheetnames[0] == "dataValues" and wb["lists"].sheet_state == "hidden"
    ws = wb["dataValues"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["dataElement", "period", "orgUnit", "value"] and header[-1] == "comment"
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    rows = [r for r in rows if r[0]]
    assert {r[1] for r in rows} == {"2024S"} and {r[2] for r in rows} == {"S1"}
    assert all(r[3] is None for r in rows)
    enrol = [r for r in rows if r[0] == "ENROL"]
    assert len(enrol) == 2 * 13 * 4  # SEX x GRADE x LANG (AGE left to totals: the rows stay manageable)
    assert ("CAPACITY", "2024S", "S1", None) == rows[[r[0] for r in rows].index("CAPACITY")][:4]
    assert ws.protection.sheet
    assert ws["A2"].protection.locked and not ws["D2"].protection.locked
    kinds = {dv.type for dv in ws.data_validations.dataValidation}
    assert kinds == {"list", "decimal"}


def test_generate_fill_import_stores_values(world):
    content = build_template("SCHOOL_CENSUS", "S1", "2024S")
    filled = fill(content, {("ENROL", "F", "G01", "", "KAZ"): 12, ("ENROL", "M", "G01", "", "RUS"): 14,
                            ("CAPACITY", "", "", "", ""): 320, ("TEACH", "F", "", "TRAINED", ""): 7})
    r = import_file(filled, name="filled.xlsx")
    assert r.ok, r.errors
    assert r.created == 4
    got = set(DataValue.objects.values_list("data_element__code", "period", "org_unit__code", "sex", "grade",
                                            "value"))
    assert ("ENROL", "2024S", "S1", "F", "G01", 12.0) in got and ("TEACH", "2024S", "S1", "F", "", 7.0) in got
    assert ("CAPACITY", "2024S", "S1", "", "", 320.0) in got
    assert len(got) == 4


def test_bad_value_in_a_template_names_the_excel_row(world):
    content = build_template("SCHOOL_CENSUS", "S1", "2024S")
    wb = load_workbook(io.BytesIO(content))
    ws = wb["dataValues"]
    ws["D2"].value = "many"
    ws["D3"].value = 5
    buf = io.BytesIO()
    wb.save(buf)
    r = import_file(buf.getvalue())
    assert [(e.line, e.field) for e in r.errors] == [(2, "value")]
    assert not DataValue.objects.exists()


def test_template_refuses_wrong_inputs(world):
    with pytest.raises(TemplateError, match="unknown data set"):
        build_template("NOPE", "S1", "2024S")
    with pytest.raises(TemplateError, match="unknown org unit"):
        build_template("SCHOOL_CENSUS", "S404", "2024S")
    with pytest.raises(TemplateError, match="does not report"):
        build_template("SCHOOL_CENSUS", "KZ-11", "2024S")
    with pytest.raises(TemplateError, match="school year"):
        build_template("SCHOOL_CENSUS", "S1", "2024")
    with pytest.raises(TemplateError, match="not recognised"):
        build_template("SCHOOL_CENSUS", "S1", "24")


# --- the upload page --------------------------------------------------------------------------------

GOOD = b"dataElement,period,orgUnit,value,SEX,GRADE\nENROL,2024S,S1,10,F,G01\nENROL,2024S,S2,11,M,G01\n"
BAD = b"dataElement,period,orgUnit,value,SEX,GRADE\nENROL,2024S,S1,10,F,G01\nENROL,2024S,S404,x,M,G01\n"


def upload(client, data: bytes, name="v.csv", dry_run=False):
    from django.core.files.uploadedfile import SimpleUploadedFile

    post = {"file": SimpleUploadedFile(name, data)}
    if dry_run:
        post["dry_run"] = "1"
    return client.post("/exchange/upload/", post)


def test_upload_page_requires_sign_in(client, world):
    r = client.get("/exchange/upload/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_upload_page_shows_form_and_template_picker(admin_client, world):
    r = admin_client.get("/exchange/upload/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'type="file"' in html and 'name="dry_run"' in html and "SCHOOL_CENSUS" in html
    assert 'action="/exchange/template/"' in html


def test_upload_runs_a_job_and_shows_the_report(admin_client, world):
    r = upload(admin_client, GOOD)
    assert r.status_code == 302
    job = ImportJob.objects.get()
    assert r["Location"] == f"/exchange/jobs/{job.pk}/"
    assert job.status == "done" and job.progress == 100 and job.report["created"] == 2
    assert job.user == admin_client.user
    page = admin_client.get(r["Location"]).content.decode()
    assert "Imported." in page and "hx-get" not in page
    assert DataValue.objects.count() == 2


def test_upload_dry_run_writes_nothing(admin_client, world):
    upload(admin_client, GOOD, dry_run=True)
    job = ImportJob.objects.get()
    assert job.dry_run and job.status == "done" and job.report["created"] == 2
    assert not DataValue.objects.exists()


def test_rejected_upload_lists_every_error(admin_client, world):
    r = upload(admin_client, BAD)
    job = ImportJob.objects.get()
    assert job.status == "rejected"
    assert {(e["line"], e["field"]) for e in job.report["errors"]} == {(3, "orgUnit"), (3, "value")}
    page = admin_client.get(f"/exchange/jobs/{job.pk}/progress/").content.decode()
    assert 'id="import-errors"' in page and "S404" in page and "nothing was written" in page
    assert not DataValue.objects.exists()
    assert r.status_code == 302


def test_running_job_polls_with_htmx(admin_client, world):
    job = ImportJob.objects.create(user=admin_client.user, file_name="big.csv", status="running", progress=40,
                                   stage="checking")
    html = admin_client.get(f"/exchange/jobs/{job.pk}/").content.decode()
    assert f'hx-get="/exchange/jobs/{job.pk}/progress/"' in html and 'hx-trigger="every 1s"' in html
    assert '<progress max="100" value="40"' in html


def test_progress_callback_updates_the_job_row(world, monkeypatch):
    seen = []
    real = jobs.import_file

    def spy(*a, progress=None, **kw):
        def tick(done, total, stage):
            progress(done, total, stage)
            seen.append(ImportJob.objects.values_list("progress", "stage").get())
        return real(*a, progress=tick, **kw)

    monkeypatch.setattr(jobs, "import_file", spy)
    jobs.start(GOOD, "v.csv", dry_run=False)
    assert (30, "checking") in seen
    assert ImportJob.objects.get().progress == 100


def test_other_users_jobs_are_hidden(client, admin_client, world):
    from bilim.accounts.models import User

    upload(admin_client, GOOD)
    job = ImportJob.objects.get()
    other = User.objects.create_user("other", password="pw-for-tests-only", role="ministry")
    client.force_login(other)
    assert client.get(f"/exchange/jobs/{job.pk}/").status_code == 404


def test_template_download_from_the_page(admin_client, world):
    r = admin_client.get("/exchange/template/", {"data_set": "SCHOOL_CENSUS", "org_unit": "S1", "period": "2024S"})
    assert r.status_code == 200 and r["Content-Disposition"].endswith('SCHOOL_CENSUS_S1_2024S.xlsx"')
    load_workbook(io.BytesIO(r.content))
    bad = admin_client.get("/exchange/template/", {"data_set": "SCHOOL_CENSUS", "org_unit": "S404", "period": "2024S"})
    assert bad.status_code == 400 and "unknown org unit" in bad.content.decode()


def test_scoped_user_cannot_import_outside_their_scope(client, world):
    from bilim.accounts.models import User

    user = User.objects.create_user("dist", password="pw-for-tests-only", role="district", scope=world["district"])
    client.force_login(user)
    upload(client, GOOD)
    assert ImportJob.objects.get().status == "done"
    other = User.objects.create_user("school", password="pw-for-tests-only", role="organization",
                                     scope=world["schools"][0])
    client.force_login(other)
    upload(client, GOOD.replace(b"10,F", b"12,F"))
    job = ImportJob.objects.filter(user=other).get()
    assert job.status == "rejected"
    assert [(e["line"], e["field"]) for e in job.report["errors"]] == [(3, "orgUnit")]
    assert "outside your scope" in job.report["errors"][0]["reason"]


def test_ministry_analyst_imports_values_and_its_registry_rows_are_validated(client, world):
    """The ministry records restructurings (issue 13), so its org-unit import reaches the registry rules."""
    from bilim.accounts.models import User

    analyst = User.objects.create_user("analyst", password="pw-for-tests-only", role="ministry")
    client.force_login(analyst)
    # the republic's own figures (a school's open census is not the ministry's to read, hence to write)
    upload(client, b"dataElement,period,orgUnit,value\nGDP_PC,2024,KZ,5000000\n")
    assert ImportJob.objects.get().status == "done", ImportJob.objects.get().report
    units = b"code,kind,name_kk,name_ru,name_en,parent,valid_from\nX1,district,X,X,X,KZ,2024-01-01\n"
    r = client.post("/exchange/upload/", {"file": SimpleUploadedFile("units.csv", units)})
    job = ImportJob.objects.filter(file_name="units.csv").get()
    assert r.status_code == 302 and job.status == "rejected"
    assert "cannot be placed under KZ" in job.report["errors"][0]["reason"]


# --- the import API -----------------------------------------------------------------------------------

def test_api_import_returns_the_report(admin_client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = admin_client.post("/api/v1/exchange/import", {"file": SimpleUploadedFile("v.csv", GOOD), "dry_run": "true"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["ok"] and body["dry_run"] and body["created"] == 2 and not DataValue.objects.exists()
    r = admin_client.post("/api/v1/exchange/import", {"file": SimpleUploadedFile("v.csv", BAD)})
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "import_rejected" and not body["ok"]
    assert {(e["line"], e["field"]) for e in body["errors"]} == {(3, "orgUnit"), (3, "value")}
    r = admin_client.post("/api/v1/exchange/import", {"file": SimpleUploadedFile("v.csv", GOOD)})
    assert r.status_code == 200 and r.json()["created"] == 2 and DataValue.objects.count() == 2


def test_api_template(admin_client, world):
    r = admin_client.get("/api/v1/exchange/template", {"data_set": "SCHOOL_CENSUS", "org_unit": "S1",
                                                        "period": "2024S"})
    assert r.status_code == 200
    bad = admin_client.get("/api/v1/exchange/template", {"data_set": "X", "org_unit": "S1", "period": "2024S"})
    assert bad.status_code == 400 and "unknown data set" in bad.json()["message"]


@pytest.mark.django_db(transaction=True)
def test_background_thread_finishes_and_page_stops_polling(admin_client, act, monkeypatch):
    """The real path: a thread runs the import while the page polls the job row.

    Committed for real (transaction=True): the thread has its own connection and must see the
    registry and the job row, as it does in production; inside a test transaction it cannot on
    PostgreSQL."""
    import time

    from tests.collection.world import build_world

    build_world(act)
    monkeypatch.setattr(jobs, "INLINE", False)
    r = upload(admin_client, GOOD)
    job_url = r["Location"]
    deadline = time.monotonic() + 30
    while True:
        html = admin_client.get(job_url + "progress/").content.decode()
        if "hx-get" not in html or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert "Imported." in html, html
    assert DataValue.objects.count() == 2
