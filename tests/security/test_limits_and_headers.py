"""Issue 11, item 7 and the low items: body limits (413), XLSX decompression bounds, Content-Security-
Policy with nonces and no inline handlers, Cache-Control no-store, idle sessions, Swagger UI vendored."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from bilim.exchange.readers import ExchangeError, read_table_xlsx
from bilim.exchange.services import import_file

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def signed_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


# --- request bodies -----------------------------------------------------------------------------------

def test_an_api_body_over_the_limit_is_refused_with_413_before_it_is_read(users, settings):
    settings.BILIM_MAX_BODY_BYTES = 1000
    r = signed_in(users["admin"]).post("/api/v1/users", data="x" * 5000, content_type="application/json")
    assert r.status_code == 413
    assert r.json()["code"] == "too_large"
    assert "at most" in r.json()["message"]


def test_a_declared_length_is_enough_to_refuse(users):
    # a 300 MB Content-Length is answered at once: nothing waits for (or buffers) the body
    r = signed_in(users["admin"]).generic("POST", "/api/v1/users", b"{}", content_type="application/json",
                                           CONTENT_LENGTH=str(300 * 2**20))
    assert r.status_code == 413


def test_a_page_body_over_the_limit_gets_a_413_page_in_the_users_language(users, settings):
    settings.BILIM_MAX_BODY_BYTES = 1000
    c = signed_in(users["admin"])
    users["admin"].language = "ru"
    users["admin"].save()
    r = c.post("/accounts/users/new/", {"username": "x" * 5000})
    assert r.status_code == 413
    body = r.content.decode()
    assert 'id="error-message"' in body and '<html lang="ru"' in body


def test_upload_paths_accept_files_above_the_ordinary_body_limit(users, settings):
    settings.BILIM_MAX_BODY_BYTES = 1000
    rows = "dataElement,period,orgUnit,value\n" + "".join(f"CAPACITY,2024S,100000000001,{i}\n" for i in range(1))
    payload = rows.encode() + b"#" * 0
    big = SimpleUploadedFile("v.csv", payload + b"\n" * 3000)
    r = signed_in(users["admin"]).post("/api/v1/exchange/import", {"file": big, "dry_run": "true"})
    assert r.status_code != 413


def test_the_upload_limit_holds_on_upload_paths(users, settings):
    settings.BILIM_MAX_UPLOAD_BYTES = 10_000
    big = SimpleUploadedFile("v.csv", b"x" * (1100 * 1024))
    r = signed_in(users["admin"]).post("/api/v1/exchange/import", {"file": big})
    assert r.status_code == 413


# --- XLSX bombs -------------------------------------------------------------------------------------

def _workbook(rows: int = 3) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["dataElement", "period", "orgUnit", "value"])
    for i in range(rows):
        ws.append(["CAPACITY", "2024S", "100000000001", 500 + i])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _bomb() -> bytes:
    """A valid workbook whose sheet is padded with 20 MB of spaces: a few KB on disk, ratio ~1000."""
    src = zipfile.ZipFile(io.BytesIO(_workbook()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * (20 * 2**20), 1)
            z.writestr(info.filename, data)
    return out.getvalue()


def test_an_ordinary_workbook_is_read():
    assert len(read_table_xlsx(_workbook()).rows) == 3


def test_a_highly_compressed_workbook_is_refused_before_parsing():
    data = _bomb()
    assert len(data) < 200_000
    with pytest.raises(ExchangeError, match="decompression bomb"):
        read_table_xlsx(data)


def test_a_workbook_inflating_past_the_total_bound_is_refused(settings):
    settings.BILIM_XLSX_MAX_UNCOMPRESSED_BYTES = 2000
    with pytest.raises(ExchangeError, match="inflates to"):
        read_table_xlsx(_workbook())


def test_a_bomb_import_writes_nothing_and_says_why(world):
    from bilim.collection.models import DataValue

    report = import_file(_bomb(), name="bomb.xlsx", actor="t")
    assert not report.ok
    assert any("decompression bomb" in e.reason for e in report.errors)
    assert DataValue.objects.count() == 0


# --- Content-Security-Policy ------------------------------------------------------------------------

def test_pages_carry_a_csp_that_forbids_inline_script_without_the_nonce(users):
    # the control page always has an inline chart script (the analytics pages only with a warehouse)
    r = signed_in(users["admin"]).get("/control/")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    # data blocks (json_script, type="application/json") are never executed; every other inline script is
    inline = [a for a in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", r.content.decode())
              if "application/json" not in a]
    assert inline, "the page has inline scripts to check"
    assert all(f'nonce="{nonce}"' in attrs for attrs in inline)


def test_no_template_uses_inline_event_handlers():
    offenders = []
    for path in (ROOT / "bilim").rglob("templates/**/*.html"):
        for m in re.finditer(r"<[^>]*\son[a-z]+\s*=", path.read_text()):
            offenders.append(f"{path.relative_to(ROOT)}: {m.group(0)[:60]}")
    assert not offenders, offenders


# --- caching ----------------------------------------------------------------------------------------

def test_data_pages_and_api_answers_are_not_stored(users):
    c = signed_in(users["admin"])
    for url in ("/compare/", "/api/v1/users", "/ou/KZ-63/"):
        r = c.get(url)
        assert "no-store" in r.headers.get("Cache-Control", ""), url


def test_static_files_keep_their_cache_lifetime(client):
    r = client.get("/static/bilim/bilim.js")
    assert r.status_code == 200
    assert "no-store" not in r.headers.get("Cache-Control", "")


# --- sessions ---------------------------------------------------------------------------------------

def test_sessions_default_to_eight_idle_hours_and_end_with_the_browser(settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def test_sign_in_cookie_has_no_lifetime_beyond_the_browser(users):
    c = Client()
    r = c.post("/accounts/login/", {"username": "u-ministry", "password": "a-long-test-password"})
    assert r.status_code == 302
    cookie = r.cookies["sessionid"]
    assert not cookie["max-age"] and not cookie["expires"]


def test_activity_pushes_the_idle_expiry_forward(users):
    from django.contrib.sessions.models import Session

    c = signed_in(users["ministry"])
    c.get("/")
    key = c.session.session_key
    s = c.session
    s["_bilim_seen"] = 0  # last seen long ago
    s.save()
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + dt.timedelta(minutes=5))
    c.get("/")
    left = Session.objects.get(pk=key).expire_date - timezone.now()
    assert left > dt.timedelta(hours=7, minutes=50)


def test_reads_within_the_touch_interval_do_not_rewrite_the_session(users):
    from django.contrib.sessions.models import Session

    c = signed_in(users["ministry"])
    c.get("/")
    key = c.session.session_key
    soon = timezone.now() + dt.timedelta(hours=1)
    Session.objects.filter(pk=key).update(expire_date=soon)
    c.get("/")
    assert Session.objects.get(pk=key).expire_date == soon


# --- API documentation ------------------------------------------------------------------------------

def test_swagger_ui_is_served_from_bilims_own_static_files(client):
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    body = r.content.decode()
    srcs = re.findall(r'(?:src|href)="([^"]+)"', body)
    assert any(s.endswith("swagger-ui-bundle.js") for s in srcs)
    assert not [s for s in srcs if s.startswith(("http:", "https:", "//"))], srcs
    for s in srcs:
        if s.startswith("/static/"):
            assert client.get(s).status_code == 200, s
