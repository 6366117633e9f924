"""Registry browser, exports, org-unit profile and language switching."""

from __future__ import annotations

import io

import pytest

pytestmark = pytest.mark.django_db


def test_pages_require_sign_in(client, mini_registry):
    resp = client.get("/registry/")
    assert resp.status_code == 302
    assert "/accounts/login/" in resp["Location"]


def test_registry_browser_lists_and_filters(admin_client, mini_registry):
    page = admin_client.get("/registry/?area=RURAL").content.decode()
    assert "100000000001" in page
    assert "100000000001" not in admin_client.get("/registry/?area=URBAN").content.decode()


def test_registry_filters_by_region_as_of(admin_client, mini_registry):
    assert "100000000001" in admin_client.get("/registry/?region=KZ-10&as_of=2023-01-01").content.decode()
    assert "100000000001" not in admin_client.get("/registry/?region=KZ-10&as_of=2021-01-01").content.decode()


def test_registry_csv_export_matches_filters(admin_client, mini_registry):
    resp = admin_client.get("/registry/export.csv?type=SCHOOL")
    text = resp.content.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("code,name_kk")
    assert len(lines) == 2 and lines[1].startswith("100000000001,")


def test_registry_xlsx_export(admin_client, mini_registry):
    from openpyxl import load_workbook

    resp = admin_client.get("/registry/export.xlsx")
    ws = load_workbook(io.BytesIO(resp.content)).active
    rows = list(ws.values)
    assert rows[0][0] == "code" and rows[1][0] == "100000000001"


def test_profile_shows_both_hierarchies_and_history(admin_client, mini_registry):
    page = admin_client.get("/ou/KZ-63-001/?as_of=2023-01-01").content.decode()
    assert "Abai" in page or "Абай" in page
    assert "887" in page  # the legal act of the move appears in the history table
    assert "100000000001" in page  # child school


def test_profile_says_when_unit_did_not_exist(admin_client, mini_registry):
    page = admin_client.get("/ou/KZ-10/?as_of=2021-01-01").content.decode()
    assert 'class="error"' in page


def test_language_is_remembered_per_user(admin_client, mini_registry):
    admin_client.post("/language/", {"language": "ru", "next": "/registry/"})
    admin_client.user.refresh_from_db()
    assert admin_client.user.language == "ru"
    page = admin_client.get("/ou/KZ-63-001/").content.decode()
    assert '<html lang="ru" ' in page
