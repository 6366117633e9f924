"""A dry-run import is not an oracle (issue 11, item 2): a writer learns nothing about a cell it may
not read — not whether it holds a value (created / updated), nor which (unchanged).

On the mini registry: school 100000000001's 2024S census is open, so the ministry may not read its
values (the region has not approved), though the ministry's role may write data.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from bilim.exchange.services import import_file

pytestmark = pytest.mark.django_db

SCHOOL = "100000000001"
HEADER = "dataElement,period,orgUnit,value\n"


@pytest.fixture
def stored(world):
    report = import_file((HEADER + f"CAPACITY,2024S,{SCHOOL},556\n").encode(), actor="seed", name="seed.csv")
    assert report.ok, report.errors
    return report


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


# one file per guess (a file may not name a cell twice): 555 would be 'updated', 556 'unchanged',
# 557 'updated'; COMPUTERS was never stored ('created')
GUESSES = [f"CAPACITY,2024S,{SCHOOL},555", f"CAPACITY,2024S,{SCHOOL},556", f"CAPACITY,2024S,{SCHOOL},557",
           f"COMPUTERS,2024S,{SCHOOL},3"]


def guess(row: str) -> bytes:
    return (HEADER + row + "\n").encode()


def api_dry_run(user, row: str):
    return client_for(user).post("/api/v1/exchange/import", {
        "file": SimpleUploadedFile("guess.csv", guess(row)), "dry_run": "true"})


@pytest.fixture
def inline_jobs(monkeypatch):
    from bilim.exchange import jobs

    monkeypatch.setattr(jobs, "INLINE", True)


def test_the_ministry_may_not_read_the_cell(stored, users):
    r = client_for(users["ministry"]).get(f"/api/v1/collection/validation/SCHOOL_CENSUS/{SCHOOL}/2024S")
    assert r.status_code == 403


def test_dry_run_through_the_api_reveals_nothing_about_unreadable_cells(stored, users):
    answers = []
    for row in GUESSES:
        r = api_dry_run(users["ministry"], row)
        assert r.status_code == 422, r.content
        body = r.json()
        assert (body["created"], body["updated"], body["unchanged"]) == (0, 0, 0)
        [error] = body["errors"]
        assert error["line"] == 2 and error["field"] == "value"
        assert "may not read" in error["reason"] and SCHOOL in error["reason"]
        answers.append((body["message"], error["reason"].replace("COMPUTERS", "CAPACITY")))
    # the same answer whether the guess matches the stored value, differs from it, or the cell is empty
    assert len(set(answers)) == 1


def test_dry_run_through_the_upload_page_reveals_nothing(stored, users, inline_jobs):
    from bilim.exchange.models import ImportJob

    c = client_for(users["ministry"])
    for row in GUESSES:
        c.post("/exchange/upload/", {"file": SimpleUploadedFile("guess.csv", guess(row)), "dry_run": "1"})
    jobs = ImportJob.objects.filter(user=users["ministry"])
    assert jobs.count() == len(GUESSES)
    for job in jobs:
        assert job.status == "rejected"
        assert (job.report["created"], job.report["updated"], job.report["unchanged"]) == (0, 0, 0)
        assert {e["field"] for e in job.report["errors"]} == {"value"}


def test_the_cli_import_as_a_user_is_checked_the_same_way(stored, users, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    path = tmp_path / "guess.csv"
    path.write_bytes(guess(GUESSES[1]))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import", str(path), "--dry-run", "--quiet", "--user", "u-ministry", stderr=err)
    assert "may not read the stored values of CAPACITY" in err.getvalue()


def test_a_writer_that_may_read_the_cell_still_gets_the_counts(stored, users):
    counts = []
    for row in GUESSES:
        r = api_dry_run(users["district"], row)
        assert r.status_code == 200, r.content
        counts.append((r.json()["created"], r.json()["updated"], r.json()["unchanged"]))
    assert counts == [(0, 1, 0), (0, 0, 1), (0, 1, 0), (1, 0, 0)]


def test_an_unreadable_row_gets_no_other_message(stored):
    """A lock or a rule message would tell about the cell: the unreadable row says only that."""
    report = import_file(guess(f"CAPACITY,2024S,{SCHOOL},-5"), dry_run=True, name="g.csv",
                         readable=lambda de, pe, ou: False)
    assert not report.ok and [e.field for e in report.errors] == ["value"]
