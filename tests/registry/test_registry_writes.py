"""Registry writes as pages and the API make them: legal acts, event plans, preview, apply, reversal."""

from __future__ import annotations

import datetime as dt

import pytest

from bilim.audit.models import AuditRecord
from bilim.registry import events
from bilim.registry import selectors as rsel
from bilim.registry.models import GoverningRelation, LegalAct, OrgUnit, Restructuring, TerritorialRelation
from bilim.registry.services import RegistryError

from .factories import open_

D = dt.date(2015, 1, 1)


@pytest.fixture
def valued(tree):
    """S1 (in D1 of R1) reports pupils for 2010S and 2020S; a second school S2 in D2 reports too."""
    from bilim.collection.services import save_value

    s2 = open_("S2", "organization", tree.d2, tree.act, body=tree.d2_edu, org_type="SCHOOL", area="RURAL")
    for period in ("2010S", "2020S"):
        save_value(data_element="ENROL", period=period, org_unit=tree.s1, value=10,
                   categories={"SEX": "F", "GRADE": "G01"}, actor="t")
        save_value(data_element="ENROL", period=period, org_unit=s2, value=5,
                   categories={"SEX": "M", "GRADE": "G01"}, actor="t")
    tree.s2 = s2
    return tree


def _state():
    return (TerritorialRelation.objects.count(), GoverningRelation.objects.count(), Restructuring.objects.count(),
            AuditRecord.objects.count(), list(OrgUnit.objects.values_list("code", "name_en", "closed")))


def test_legal_act_create_update_delete_are_audited(db):
    act = events.create_act("minister", kind="order", number="12", date=dt.date(2024, 5, 1), issuer="Ministry",
                            title_en="On kindergartens")
    assert AuditRecord.objects.filter(action="registry.act_create", object_id=str(act.pk)).exists()
    events.update_act(act, "minister", number="12-a")
    act.refresh_from_db()
    assert act.number == "12-a"
    events.delete_act(act, "minister")
    assert not LegalAct.objects.filter(pk=act.pk).exists()
    assert AuditRecord.objects.filter(action="registry.act_delete").count() == 1


def test_a_cited_act_cannot_be_deleted_and_bad_input_names_the_field(tree):
    with pytest.raises(RegistryError) as e:
        events.delete_act(tree.act)
    assert "act" in e.value.message_dict and "cited by" in e.value.message_dict["act"][0]
    with pytest.raises(RegistryError) as e:
        events.create_act(kind="nonsense", date=dt.date(2024, 1, 1), issuer="X", title_en="t")
    assert "kind" in e.value.message_dict
    with pytest.raises(RegistryError) as e:
        events.create_act(kind="order", date=dt.date(2024, 1, 1), issuer="X")
    assert "title_kk" in e.value.message_dict


def test_plan_from_data_names_every_bad_field(tree):
    base = {"kind": "move", "effective_date": "2015-01-01", "legal_act": tree.act.pk}
    for data, field in [
        ({**base, "effective_date": "2015-13-01"}, "effective_date"),
        ({**base, "legal_act": 999999}, "legal_act"),
        ({**base, "unit": "NOPE", "parent": "D2"}, "unit"),
        ({**base, "unit": "S1"}, "parent"),
        ({**base, "kind": "explode", "unit": "S1"}, "kind"),
        ({**base, "kind": "transfer", "units": "S1, NOPE", "body": "D2-EDU"}, "units"),
    ]:
        with pytest.raises(RegistryError) as e:
            events.plan_from_data(data)
        assert field in e.value.message_dict, (data, e.value)


def test_preview_of_a_move_names_values_aggregates_and_indicators_and_writes_nothing(valued):
    plan = events.plan_from_data({"kind": "move", "effective_date": D.isoformat(), "legal_act": valued.act.pk,
                                  "unit": "S1", "parent": "D3"})
    before = _state()
    pv = events.preview(plan, today=dt.date(2025, 1, 1))
    assert _state() == before, "a preview leaves no trace"
    assert [c["code"] for c in pv["changes"]] == ["S1"]
    assert pv["changes"][0]["parent"] == {"from": "D1", "to": "D3"}
    hist, cur = pv["modes"]["historical"], pv["modes"]["current"]
    # historical: only 2020S (reference date 2020-10-01) is read through the new map; 2010S stays
    assert [(v["data_element"], v["period"], v["values"]) for v in hist["values"]] == [("ENROL", "2020S", 1)]
    assert {(a["code"], a["change"]) for a in hist["aggregates"]} == {
        ("D1", "loses"), ("R1", "loses"), ("D3", "gains"), ("R2", "gains")}
    # current: every period is restated onto today's map
    assert {v["period"] for v in cur["values"]} == {"2010S", "2020S"}
    assert all(a["periods"] == ["2010S", "2020S"] for a in cur["aggregates"])
    assert "KZ" not in {a["code"] for a in cur["aggregates"]}  # the republic keeps both
    assert {"GER_ISCED1", "NER_ISCED1", "GIR_G01"} <= {i["code"] for i in cur["indicators"]}
    assert all("ENROL" in i["reads"] for i in cur["indicators"])


def test_preview_of_a_transfer_moves_no_value(valued):
    plan = events.plan_from_data({"kind": "transfer", "effective_date": D.isoformat(), "legal_act": valued.act.pk,
                                  "units": ["S1", "S2"], "body": "R1-EDU"})
    pv = events.preview(plan, today=dt.date(2025, 1, 1))
    assert {(c["code"], c["body"]["from"], c["body"]["to"]) for c in pv["changes"]} == {
        ("S1", "D1-EDU", "R1-EDU"), ("S2", "D2-EDU", "R1-EDU")}
    assert pv["note"] == "no_aggregate_change"
    assert not pv["modes"]["historical"]["values"] and not pv["modes"]["current"]["aggregates"]


def test_a_future_move_changes_no_current_figure_yet(valued):
    plan = events.plan_from_data({"kind": "move", "effective_date": "2030-01-01", "legal_act": valued.act.pk,
                                  "unit": "S1", "parent": "D3"})
    pv = events.preview(plan, today=dt.date(2025, 1, 1))
    assert pv["modes"]["current"]["values"] == [] and pv["modes"]["historical"]["values"] == []
    assert pv["changes"][0]["parent"] == {"from": "D1", "to": "D3"}


def test_preview_reports_rule_violations_with_their_field(valued):
    plan = events.plan_from_data({"kind": "move", "effective_date": D.isoformat(), "legal_act": valued.act.pk,
                                  "unit": "S1", "parent": "D1"})
    with pytest.raises(RegistryError) as e:
        events.preview(plan)
    assert "already under D1" in e.value.message_dict["parent"][0]
    plan = events.plan_from_data({"kind": "close", "effective_date": D.isoformat(), "legal_act": valued.act.pk,
                                  "unit": "D1"})
    with pytest.raises(RegistryError) as e:
        events.apply(plan)
    assert "unit" in e.value.message_dict and OrgUnit.objects.get(code="D1").closed is None


def test_apply_then_reverse_by_a_later_event(valued, django_capture_on_commit_callbacks):
    plan = events.plan_from_data({"kind": "move", "effective_date": D.isoformat(), "legal_act": valued.act.pk,
                                  "unit": "S1", "parent": "D3"})
    with django_capture_on_commit_callbacks() as callbacks:
        ev = events.apply(plan, actor="minister")
    assert len(callbacks) == 1, "one analytics refresh is asked for after the commit"
    assert rsel.parent_on(valued.s1, D).code == "D3"
    assert AuditRecord.objects.filter(action="registry.move", actor="minister").exists()
    back = events.plan_from_data({"kind": "reverse", "effective_date": "2016-01-01", "legal_act": valued.act.pk,
                                  "reverses": ev.pk})
    rev = events.apply(back, actor="minister")
    assert rev.reverses_id == ev.pk
    assert rsel.parent_on(valued.s1, dt.date(2016, 1, 1)).code == "D1"
    assert rsel.parent_on(valued.s1, D).code == "D3", "history stays as it was recorded"


def test_every_kind_goes_through_a_plan(tree):
    act = tree.act.pk
    opened = events.apply(events.plan_from_data({
        "kind": "open", "effective_date": "2012-01-01", "legal_act": act,
        "new_unit": {"code": "KG1", "kind": "organization", "org_type": "PRESCHOOL", "subtype": "KINDERGARTEN",
                     "name_kk": "Балабақша", "parent": "D1", "governing_body": "D1-EDU"}}))
    assert opened.kind == "open" and OrgUnit.objects.get(code="KG1").opened == dt.date(2012, 1, 1)
    events.apply(events.plan_from_data({"kind": "rename", "effective_date": "2013-01-01", "legal_act": act,
                                        "unit": "KG1", "name_kk": "Күншуақ", "name_en": "Sunshine"}))
    assert OrgUnit.objects.get(code="KG1").name_en == "Sunshine"
    events.apply(events.plan_from_data({"kind": "close", "effective_date": "2014-01-01", "legal_act": act,
                                        "unit": "KG1"}))
    assert OrgUnit.objects.get(code="KG1").closed == dt.date(2014, 1, 1)
    split = events.apply(events.plan_from_data({
        "kind": "split", "effective_date": "2018-06-19", "legal_act": act, "source": "R1",
        "parts": [{"new_unit": {"code": "R3", "kind": "region", "name_kk": "Жаңа облыс", "parent": "KZ"},
                   "children": ["D2"]}]}))
    assert split.details["parts"] == {"R3": ["D2"]}
    assert rsel.parent_on(tree.d2, dt.date(2019, 1, 1)).code == "R3"
    merged = events.apply(events.plan_from_data({"kind": "merge", "effective_date": "2020-01-01", "legal_act": act,
                                                 "sources": ["R3"], "target": "R2"}))
    assert merged.details["target"] == "R2" and OrgUnit.objects.get(code="R3").closed == dt.date(2020, 1, 1)
    assert rsel.parent_on(tree.d2, dt.date(2020, 1, 1)).code == "R2"


# --- the API -----------------------------------------------------------------------------------------

def _post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_api_acts_crud_with_roles(tree, client_as):
    ministry = client_as("ministry")
    r = _post(ministry, "/api/v1/registry/acts", {"kind": "order", "number": "7", "date": "2024-05-01",
                                                  "issuer": "Ministry", "title_en": "On kindergartens"})
    assert r.status_code == 201, r.content
    act_id = r.json()["id"]
    assert ministry.patch(f"/api/v1/registry/acts/{act_id}", {"number": "7-a"},
                          content_type="application/json").json()["number"] == "7-a"
    listed = ministry.get("/api/v1/registry/acts?q=kindergartens").json()
    assert [a["id"] for a in listed["items"]] == [act_id]
    district = client_as("district", tree.d1)
    assert district.get("/api/v1/registry/acts").status_code == 200
    forbidden = _post(district, "/api/v1/registry/acts", {"kind": "order", "date": "2024-05-01", "issuer": "X",
                                                          "title_en": "t"})
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"
    assert ministry.delete(f"/api/v1/registry/acts/{act_id}").status_code == 204
    cited = ministry.delete(f"/api/v1/registry/acts/{tree.act.pk}")
    assert cited.status_code == 400 and cited.json()["field"] == "act"
    assert ministry.delete("/api/v1/registry/acts/99999999999").status_code == 404


def test_api_bad_input_is_a_4xx_naming_the_field(tree, client_as):
    c = client_as("ministry")
    r = _post(c, "/api/v1/registry/acts", {"kind": "order", "date": "2024-02-30", "issuer": "X"})
    assert r.status_code == 422 and "date" in str(r.json()["details"])
    r = _post(c, "/api/v1/registry/events", {"kind": "move", "effective_date": "2015-01-01",
                                             "legal_act": tree.act.pk, "unit": "S1", "parent": "NOPE"})
    assert r.status_code == 400 and r.json()["field"] == "parent" and "NOPE" in r.json()["message"]
    r = _post(c, "/api/v1/registry/events", {"kind": "move", "effective_date": "2015-01-01",
                                             "legal_act": tree.act.pk, "unit": "S1", "parent": "D1"})
    assert r.status_code == 400 and r.json()["field"] == "parent"
    r = _post(c, "/api/v1/registry/events", {"kind": "move", "effective_date": "2015-01-01",
                                             "legal_act": tree.act.pk, "unit": "S1\x00", "parent": "D2"})
    assert r.status_code == 422
    ru = client_as("ministry")
    ru.user.language = "ru"
    ru.user.save()
    r = ru.post("/api/v1/registry/events", {"kind": "move", "effective_date": "2015-01-01",
                                            "legal_act": tree.act.pk, "unit": "S1", "parent": "NOPE"},
                content_type="application/json", HTTP_ACCEPT_LANGUAGE="ru")
    assert r.status_code == 400 and "Нет" in r.json()["message"], r.json()


def test_api_preview_then_apply_then_reverse(valued, client_as):
    c = client_as("ministry")
    body = {"kind": "move", "effective_date": "2015-01-01", "legal_act": valued.act.pk, "unit": "S1",
            "parent": "D3"}
    pv = _post(c, "/api/v1/registry/events/preview", body)
    assert pv.status_code == 200, pv.content
    assert pv.json()["changes"][0]["parent"] == {"from": "D1", "to": "D3"}
    assert pv.json()["modes"]["current"]["values_total"] == 2
    assert rsel.parent_on(valued.s1, D).code == "D1"
    ev = _post(c, "/api/v1/registry/events", body)
    assert ev.status_code == 201 and ev.json()["kind"] == "move"
    assert rsel.parent_on(valued.s1, D).code == "D3"
    assert AuditRecord.objects.filter(action="registry.move", actor=c.user.username).exists()
    rev = _post(c, f"/api/v1/registry/events/{ev.json()['id']}/reversal",
                {"effective_date": "2014-01-01", "legal_act": valued.act.pk})
    assert rev.status_code == 400 and rev.json()["field"] == "effective_date"
    rev = _post(c, f"/api/v1/registry/events/{ev.json()['id']}/reversal",
                {"effective_date": "2016-01-01", "legal_act": valued.act.pk})
    assert rev.status_code == 201 and rev.json()["reverses"] == ev.json()["id"]
    got = c.get(f"/api/v1/registry/events/{ev.json()['id']}").json()
    assert got["reversed_by"] == [rev.json()["id"]]


def test_api_event_writes_are_refused_outside_role_and_scope(valued, client_as):
    from bilim.accounts.models import User

    body = {"kind": "move", "effective_date": "2015-01-01", "legal_act": valued.act.pk, "unit": "S1",
            "parent": "D3"}
    for role, scope in (("region", valued.r1), ("district", valued.d1), ("secretariat", None)):
        r = _post(client_as(role, scope), "/api/v1/registry/events", body)
        assert r.status_code == 403, role
    # a ministry account limited to a region may not name units outside it
    c = client_as("ministry", valued.r1)
    r = _post(c, "/api/v1/registry/events", body)
    assert r.status_code == 403 and "D3" in r.json()["message"]
    assert rsel.parent_on(valued.s1, D).code == "D1"
    assert User.objects.filter(role="ministry").count() == 1
