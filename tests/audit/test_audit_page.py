"""The audit page: who may open it, filters, the CSV of the filtered rows, the chain check panel."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection

from bilim.audit import services as audit
from bilim.audit.models import AuditRecord
from bilim.audit.views import diff

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail():
    audit.record("aliya", "accounts.language", "User", "aliya", {"language": "kk"}, {"language": "ru"})
    audit.record("bolat", "registry.open", "OrgUnit", "KZ-10", None, {"code": "KZ-10"})
    audit.record("aliya", "collection.save_value", "DataValue", "ENROL/2024S/1", {"value": 1}, {"value": 2})
    audit.record("aliya", "collection.import", "DataValueBatch", "b-1", None, {"rows": 10})
    # one old record, written with its own timestamp (the chain hashes the stored time)
    audit.record("carl", "projects.create", "Project", "P-1", None, {"places": 300},
                 at=dt.datetime(2020, 1, 15, 10, 0, tzinfo=dt.UTC))
    return AuditRecord.objects.order_by("id")


def _user(role: str, **kw):
    from bilim.accounts.models import User

    return User.objects.create_user(f"u-{role}", password="a-long-test-password", role=role, **kw)


@pytest.fixture
def ministry(client):
    client.force_login(_user("ministry"))
    return client


def _ids(resp) -> list[int]:
    return [r["rec"].id for r in resp.context["rows"]]


def _csv(resp) -> list[dict[str, str]]:
    body = b"".join(resp.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_sign_in_required(client, trail):
    for url in ("/audit/", "/audit/export.csv", "/audit/verify/"):
        resp = client.get(url)
        assert resp.status_code == 302 and "/accounts/login/" in resp["Location"], url


def test_roles_without_audit_read_get_403(client, mini_registry, trail):
    client.force_login(_user("district", scope=mini_registry["district"]))
    for url in ("/audit/", "/audit/export.csv", "/audit/verify/"):
        assert client.get(url).status_code == 403, url
    assert 'href="/audit/"' not in client.get("/registry/").content.decode()


def test_page_lists_newest_first_with_changes(ministry, trail):
    resp = ministry.get("/audit/")
    assert resp.status_code == 200
    assert _ids(resp) == [r.id for r in trail.order_by("-id")]
    page = resp.content.decode()
    assert 'href="/audit/"' in page  # the nav link for a role that reads the audit trail
    assert "accounts.language" in page and "DataValueBatch" in page
    assert '<del>&quot;kk&quot;</del> → <ins>&quot;ru&quot;</ins>' in page  # only the changed key, compact JSON


def test_filters_narrow_the_rows(ministry, trail):
    def ids(**q):
        return _ids(ministry.get("/audit/", q))

    assert len(ids()) == 5
    assert len(ids(actor="aliya")) == 3
    assert len(ids(action="collection")) == 2       # a prefix, not only whole segments
    assert len(ids(action="collection.save")) == 1
    assert len(ids(actor="aliya", action="accounts.")) == 1
    assert len(ids(object_type="OrgUnit")) == 1
    assert len(ids(object_type="DataValue", object_id="ENROL/2024S/1")) == 1
    assert ids(until="2020-12-31") == [trail.get(actor="carl").id]
    assert len(ids(since="2021-01-01")) == 4
    assert ids(since="2020-01-15", until="2020-01-15") == [trail.get(actor="carl").id]
    resp = ministry.get("/audit/", {"since": "not-a-date"})
    assert resp.status_code == 200 and len(_ids(resp)) == 5 and resp.context["form"].errors


def test_pagination_50_a_page(ministry, trail):
    audit.record_many([("bulk", "collection.save_value", "DataValue", str(i), None, {"value": i})
                       for i in range(60)])
    first = ministry.get("/audit/", {"actor": "bulk"})
    assert len(_ids(first)) == 50 and first.context["page"].paginator.num_pages == 2
    assert "actor=bulk&amp;page=2" in first.content.decode()
    second = ministry.get("/audit/", {"actor": "bulk", "page": 2})
    assert len(_ids(second)) == 10 and max(_ids(second)) < min(_ids(first))


def test_csv_matches_the_filters(ministry, trail):
    resp = ministry.get("/audit/export.csv", {"actor": "aliya", "action": "collection."})
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    rows = _csv(resp)
    expected = list(trail.filter(actor="aliya", action__startswith="collection.").order_by("-id"))
    assert [int(r["id"]) for r in rows] == [r.id for r in expected]
    assert rows[1]["before"] == '{"value": 1}' and rows[1]["after"] == '{"value": 2}'
    assert rows[0]["hash"] == expected[0].hash
    assert len(_csv(ministry.get("/audit/export.csv"))) == 5
    assert _csv(ministry.get("/audit/export.csv", {"until": "2020-12-31"}))[0]["actor"] == "carl"


def test_verify_panel_ok_then_reports_the_tampered_record(ministry, trail):
    panel = ministry.get("/audit/verify/").content.decode()
    assert 'data-ok="true"' in panel and "Chain OK: 5 records checked." in panel
    assert 'data-ok="true"' in ministry.get("/audit/?verify=1").content.decode()

    victim = trail[2]
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {AuditRecord._meta.db_table} SET actor = %s WHERE id = %s", ["mallory", victim.id])
    for url in ("/audit/verify/", "/audit/?verify=1"):
        page = ministry.get(url).content.decode()
        assert 'data-ok="false"' in page, url
        assert f"Chain broken at record #{victim.id}" in page
        assert "the record was altered" in page


def test_diff_shapes():
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": [1]}) == [("b", "2", "3"), ("c", "", "[1]")]
    assert diff(None, {"x": "қ"}) == [("x", "", '"қ"')]
    assert diff({"x": 1}, None) == [("x", "1", "")]
    assert diff(None, None) == []
    assert diff(None, [1, 2]) == [("", "", "[1,2]")]
    long = diff(None, {"t": "x" * 500})[0][2]
    assert len(long) == 120 and long.endswith("…")


def test_date_filter_labels_are_a_search_range_in_russian(ministry, trail):
    from django.utils import translation

    with translation.override("ru"):
        page = ministry.get("/audit/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Действует с" not in page  # the validity-period wording of registry tables
    assert re.search(r'<label>С<input type="date" name="since"', page), re.findall(r'<label>[^<]*<input[^>]*since', page)
    assert re.search(r'<label>По<input type="date" name="until"', page)
