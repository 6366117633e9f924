"""Registry and competence write pages: forms, preview before apply, errors beside their field, roles."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bilim.authority.models import Competence, Delegation
from bilim.registry import selectors as rsel
from bilim.registry.models import LegalAct, OrgUnit, Restructuring
from tests.authority.world import LegalActFactory


@pytest.fixture
def ministry(client_as):
    return client_as("ministry")


@pytest.fixture
def order(world):
    return LegalActFactory(kind="decision", number="5", date=dt.date(2024, 8, 1), issuer="Akimat of Almaty",
                           title_en="On transferring kindergartens")


def _fingerprint(html: str) -> str:
    return re.search(r'name="previewed" value="([0-9a-f]*)"', html).group(1)


def test_a_legal_act_is_registered_from_its_page(world, ministry):
    r = ministry.post("/registry/acts/", {"kind": "order", "number": "77", "date": "2024-09-01",
                                          "issuer": "Minister", "title_en": "On district offices"})
    assert r.status_code == 302
    act = LegalAct.objects.get(number="77")
    page = ministry.get(r["Location"]).content.decode()
    assert 'id="act-created"' in page and "On district offices" in page
    bad = ministry.post("/registry/acts/", {"kind": "order", "date": "2024-13-01", "issuer": "M", "title_en": "x"})
    assert bad.status_code == 200 and 'class="errorlist' in bad.content.decode()
    assert LegalAct.objects.filter(pk=act.pk).count() == 1


def test_a_transfer_is_previewed_then_applied(world, ministry, order):
    kg = [OrgUnit.objects.create(code=f"KG{i}", kind="organization", org_type="PRESCHOOL", subtype="KINDERGARTEN",
                                 name_kk=f"Балабақша {i}", opened=dt.date(2000, 1, 1)) for i in (1, 2)]
    from bilim.registry.models import GoverningRelation, TerritorialRelation

    for u in kg:
        TerritorialRelation.objects.create(unit=u, parent=world.KZ_75_01, valid_from=dt.date(2000, 1, 1))
        GoverningRelation.objects.create(unit=u, body=world.AK75, valid_from=dt.date(2000, 1, 1))
    form = {"legal_act": order.pk, "effective_date": "2024-09-01", "governed_by": "AK75",
            "governed_type": "subtype:KINDERGARTEN", "body": "UO75", "action": "preview"}
    page = ministry.get("/registry/events/new/transfer/").content.decode()
    assert 'name="governed_by"' in page and 'list="unit-codes"' in page
    r = ministry.post("/registry/events/new/transfer/", form)
    html = r.content.decode()
    assert r.status_code == 200 and 'id="preview"' in html and 'id="apply-button"' in html
    assert "KG1" in html and "KG2" in html and "AK75 → UO75" in html
    assert 'id="preview-no-aggregates"' in html
    assert not Restructuring.objects.filter(kind="transfer").exists(), "a preview records nothing"
    # Apply with a form that differs from the preview: previewed again, nothing recorded
    changed = ministry.post("/registry/events/new/transfer/", {**form, "action": "apply", "body": "AK75",
                                                                "previewed": _fingerprint(html)})
    assert 'id="changed-since-preview"' in changed.content.decode()
    applied = ministry.post("/registry/events/new/transfer/", {**form, "action": "apply",
                                                                "previewed": _fingerprint(html)})
    assert applied.status_code == 302
    ev = Restructuring.objects.get(kind="transfer")
    assert applied["Location"] == f"/registry/events/{ev.pk}/"
    assert {u.code for u in rsel.governed_by(world.UO75, dt.date(2024, 9, 1))} >= {"KG1", "KG2"}
    assert ev.recorded_by == ministry.user.username
    detail = ministry.get(applied["Location"]).content.decode()
    assert 'id="reverse-form"' in detail


def test_a_move_preview_lists_the_aggregates_and_a_reversal_undoes_it(world, ministry, order):
    from bilim.collection.services import save_value

    save_value(data_element="ENROL", period="2024S", org_unit=world.SCH1, value=30,
               categories={"SEX": "F", "GRADE": "G01"}, actor="t")
    form = {"legal_act": order.pk, "effective_date": "2024-09-01", "unit": "KZ-75-01", "parent": "KZ-19",
            "action": "preview"}
    html = ministry.post("/registry/events/new/move/", form).content.decode()
    assert 'id="preview-historical"' in html and 'id="preview-current"' in html
    assert "KZ-19" in html and "KZ-75" in html and "2024S" in html
    r = ministry.post("/registry/events/new/move/", {**form, "action": "apply", "previewed": _fingerprint(html)})
    ev = Restructuring.objects.get(kind="move")
    assert r.status_code == 302 and rsel.parent_on(world.KZ_75_01, dt.date(2024, 10, 1)).code == "KZ-19"
    rev = {"legal_act": order.pk, "effective_date": "2024-12-01", "action": "preview"}
    html = ministry.post(f"/registry/events/{ev.pk}/reverse/", rev).content.decode()
    assert 'id="preview"' in html
    r = ministry.post(f"/registry/events/{ev.pk}/reverse/", {**rev, "action": "apply",
                                                             "previewed": _fingerprint(html)})
    assert r.status_code == 302
    assert rsel.parent_on(world.KZ_75_01, dt.date(2025, 1, 1)).code == "KZ-75"


def test_errors_stand_beside_their_field_in_the_users_language(world, client_as, order):
    c = client_as("ministry")
    c.user.language = "kk"
    c.user.save()
    html = c.post("/registry/events/new/move/", {"legal_act": order.pk, "effective_date": "2024-09-01",
                                                 "unit": "KZ-75-01", "parent": "NOPE", "action": "preview"},
                  HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    field = html[html.index('for="id_parent"') - 300:html.index('for="id_parent"') + 600]
    assert "NOPE" in field and 'class="errorlist' in field
    assert "No org unit" not in field, "the message is translated"
    assert not Restructuring.objects.filter(kind="move").exists()


def test_delegation_pages_change_the_holder_at_once(world, ministry):
    law = LegalActFactory(kind="law", number="319-III", date=dt.date(2007, 7, 27), issuer="Parliament")
    r = ministry.post("/competences/new/", {"code": "EXTRA_EDU", "name_kk": "Қосымша", "name_en": "Additional powers",
                                            "level": "ministry", "body_subtype": "MINISTRY", "valid_from": "2007-07-27",
                                            "legal_act": law.pk})
    assert r.status_code == 302 and Competence.objects.filter(code="EXTRA_EDU").exists()
    order = LegalActFactory(kind="order", number="145", date=dt.date(2022, 3, 1), issuer="Minister")
    r = ministry.post("/competences/delegations/new/", {
        "competence": "EXTRA_EDU", "grantor": "MIN", "grantee": "AK75", "scope_unit": "KZ-75",
        "valid_from": "2022-04-01", "legal_act": order.pk})
    assert r.status_code == 302 and "/competences/holder/" in r["Location"]
    # the answer fragment alone (the page's pickers list every body, the akimat included)
    answer = ministry.get(r["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "Almaty akimat" in answer
    d = Delegation.objects.get()
    assert f'href="/competences/delegations/{d.pk}/revoke/"' in ministry.get("/competences/delegations/").content.decode()
    bad = ministry.post(f"/competences/delegations/{d.pk}/revoke/", {"effective_date": "2020-01-01",
                                                                     "legal_act": order.pk})
    assert bad.status_code == 200 and 'class="errorlist' in bad.content.decode()
    r = ministry.post(f"/competences/delegations/{d.pk}/revoke/", {"effective_date": "2024-01-01",
                                                                   "legal_act": order.pk, "reason_en": "done"})
    assert r.status_code == 302
    after = ministry.get("/competences/holder/?competence=EXTRA_EDU&unit=SCH1&date=2024-06-01",
                         HTTP_HX_REQUEST="true").content.decode()
    assert "Almaty akimat" not in after
    r = ministry.post("/competences/EXTRA_EDU/assign/", {"level": "ministry", "body_subtype": "AKIMAT",
                                                         "valid_from": "2025-01-01", "legal_act": law.pk})
    assert r.status_code == 200 and 'class="errorlist' in r.content.decode()


def test_write_pages_are_refused_to_readers(world, client_as):
    district = client_as("district", world.KZ_75_01)
    for url in ("/registry/events/new/move/", "/competences/new/", "/competences/delegations/new/"):
        assert district.get(url).status_code == 403, url
    assert district.post("/registry/acts/", {"kind": "order", "date": "2024-01-01", "issuer": "M",
                                              "title_en": "x"}).status_code == 403
    assert district.get("/registry/acts/").status_code == 200
    assert 'id="act-form"' not in district.get("/registry/acts/").content.decode()
