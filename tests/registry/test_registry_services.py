"""Registry services: every restructuring keeps the two relations' history consistent, or is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from bilim.audit.models import AuditRecord
from bilim.registry import selectors, services
from bilim.registry.models import (
    ALLOWED_PARENT_KINDS,
    GoverningRelation,
    Kind,
    NameRecord,
    OrgUnit,
    Restructuring,
    TerritorialRelation,
)
from bilim.registry.services import RegistryError, UnitSpec

from .factories import D2000, LegalActFactory, UnitSpecFactory, open_

D2010 = dt.date(2010, 1, 1)
D2015 = dt.date(2015, 1, 1)
D2020 = dt.date(2020, 1, 1)

pytestmark = pytest.mark.django_db


def test_open_unit_writes_relations_name_event_and_audit(tree):
    s = tree.s1
    assert s.opened == D2000
    assert TerritorialRelation.objects.get(unit=s).parent == tree.d1
    assert GoverningRelation.objects.get(unit=s).body == tree.d1_edu
    assert NameRecord.objects.get(unit=s).name_en == "S1 name"
    event = s.restructurings.get()
    assert event.kind == Restructuring.EventKind.OPEN and event.legal_act == tree.act
    assert AuditRecord.objects.filter(action="registry.open", object_id="S1").exists()


def test_open_rejects_wrong_parent_kind_missing_parent_and_duplicate_code(tree):
    with pytest.raises(RegistryError, match="cannot be placed under"):
        open_("X1", Kind.DISTRICT, tree.kz, tree.act)  # a district must sit in a region
    with pytest.raises(RegistryError, match="needs a territorial parent"):
        open_("X2", Kind.REGION, None, tree.act)
    with pytest.raises(RegistryError, match="already used"):
        open_("S1", Kind.ORGANIZATION, tree.d1, tree.act, org_type="SCHOOL")
    assert not OrgUnit.objects.filter(code__in=["X1", "X2"]).exists()


def test_open_rejects_a_body_that_is_not_an_authority_or_not_yet_open(tree):
    with pytest.raises(RegistryError, match="must be an authority"):
        open_("S2", Kind.ORGANIZATION, tree.d1, tree.act, body=tree.d1, org_type="SCHOOL")
    late = open_("LATE-EDU", Kind.AUTHORITY, tree.d1, tree.act, date=D2020, subtype="DISTRICT_OFFICE")
    with pytest.raises(RegistryError, match="does not exist on 2010-01-01"):
        open_("S3", Kind.ORGANIZATION, tree.d1, tree.act, body=late, date=D2010, org_type="SCHOOL")


def test_move_changes_parent_from_its_date_and_keeps_the_past(tree):
    act = LegalActFactory()
    services.move_unit(tree.s1, tree.d2, D2010, act)
    assert selectors.parent_on(tree.s1, dt.date(2009, 12, 31)) == tree.d1
    assert selectors.parent_on(tree.s1, D2010) == tree.d2
    old, new = TerritorialRelation.objects.filter(unit=tree.s1).order_by("valid_from")
    assert (old.valid_from, old.valid_to, new.valid_from, new.valid_to) == (D2000, D2010, D2010, None)
    assert new.event.legal_act == act


def test_overlapping_intervals_are_rejected(tree):
    # a second open-ended link written behind the services' back is caught by the invariant check
    TerritorialRelation.objects.create(unit=tree.s1, parent=tree.d2, valid_from=D2010)
    with pytest.raises(RegistryError, match="overlap"):
        services.check_intervals(tree.s1)


def test_gap_while_open_is_rejected(tree):
    link = TerritorialRelation.objects.get(unit=tree.s1)
    link.valid_to = D2010
    link.save()
    TerritorialRelation.objects.create(unit=tree.s1, parent=tree.d2, valid_from=D2015)
    with pytest.raises(RegistryError, match="gap"):
        services.check_intervals(tree.s1)


def test_two_changes_of_one_relation_on_one_day_and_a_no_op_move_are_rejected(tree):
    services.move_unit(tree.s1, tree.d2, D2010, tree.act)
    with pytest.raises(RegistryError, match="already changed on 2010-01-01"):
        services.move_unit(tree.s1, tree.d1, D2010, tree.act)
    with pytest.raises(RegistryError, match="already under D2"):
        services.move_unit(tree.s1, tree.d2, D2015, tree.act)


def test_event_dated_before_a_later_change_is_rejected(tree):
    services.move_unit(tree.s1, tree.d2, D2015, tree.act)
    with pytest.raises(RegistryError, match="cannot be inserted before it"):
        services.move_unit(tree.s1, tree.d1, D2010, tree.act)
    # nothing of the refused event was kept
    assert TerritorialRelation.objects.filter(unit=tree.s1).count() == 2
    assert not Restructuring.objects.filter(effective_date=D2010).exists()


def test_cycle_is_rejected(tree, monkeypatch):
    # the standard kinds make a cycle impossible; a country that lets a region sit in a district must
    # still never be able to put a region under its own district
    monkeypatch.setitem(ALLOWED_PARENT_KINDS, Kind.REGION, {Kind.REPUBLIC, Kind.DISTRICT})
    with pytest.raises(RegistryError, match="cycle"):
        services.move_unit(tree.r1, tree.d1, D2010, tree.act)
    assert selectors.parent_on(tree.r1, D2015) == tree.kz


def test_close_with_children_or_governed_units_is_rejected(tree):
    with pytest.raises(RegistryError, match="still has .* child unit"):
        services.close_unit(tree.d1, D2010, tree.act)
    with pytest.raises(RegistryError, match="still governs 1 unit"):
        services.close_unit(tree.d1_edu, D2010, tree.act)
    assert OrgUnit.objects.get(code="D1").closed is None


def test_close_ends_every_interval_and_the_unit_disappears_from_views(tree):
    services.close_unit(tree.s1, D2010, tree.act)
    tree.s1.refresh_from_db()
    assert tree.s1.closed == D2010
    assert not TerritorialRelation.objects.filter(unit=tree.s1, valid_to__isnull=True).exists()
    assert not GoverningRelation.objects.filter(unit=tree.s1, valid_to__isnull=True).exists()
    assert tree.s1 in selectors.children(tree.d1, dt.date(2009, 1, 1))
    assert tree.s1 not in selectors.children(tree.d1, D2010)
    assert tree.s1 not in selectors.units_on(D2015)
    with pytest.raises(RegistryError, match="not open"):
        services.move_unit(tree.s1, tree.d2, D2015, tree.act)


def test_transfer_changes_governing_body_for_all_units_in_one_event(tree):
    s2 = open_("S2", Kind.ORGANIZATION, tree.d1, tree.act, body=tree.d1_edu, org_type="SCHOOL")
    act = LegalActFactory(kind="resolution", title_en="Schools to the region department")
    ev = services.transfer_units([tree.s1, s2], tree.r1_edu, D2010, act)
    assert ev.kind == Restructuring.EventKind.TRANSFER
    assert ev.details == {"to": "R1-EDU", "from": {"S1": "D1-EDU", "S2": "D1-EDU"}}
    for s in (tree.s1, s2):
        assert selectors.governing_body_on(s, dt.date(2009, 12, 31)) == tree.d1_edu
        assert selectors.governing_body_on(s, D2010) == tree.r1_edu
    assert set(selectors.governed_by(tree.r1_edu, D2015)) == {tree.s1, s2}
    assert list(selectors.governed_by(tree.d1_edu, D2015)) == []
    # territory is untouched by a transfer
    assert selectors.parent_on(tree.s1, D2015) == tree.d1


def test_transfer_rejects_non_authority_body_and_empty_list(tree):
    with pytest.raises(RegistryError, match="must be an authority"):
        services.transfer_units([tree.s1], tree.r1, D2010, tree.act)
    with pytest.raises(RegistryError, match="at least one unit"):
        services.transfer_units([], tree.r1_edu, D2010, tree.act)


def test_rename_keeps_the_old_name_in_history(tree):
    act = LegalActFactory(title_en="Renaming")
    services.rename_unit(tree.s1, D2010, act, "Жаңа атау", "Новое название", "New name")
    tree.s1.refresh_from_db()
    assert tree.s1.name_en == "New name"
    assert selectors.name_on(tree.s1, dt.date(2005, 1, 1)).name_en == "S1 name"
    assert selectors.name_on(tree.s1, D2015).name_en == "New name"
    names = [(e.date, e.value, e.valid_to) for e in selectors.history(tree.s1) if e.relation == "name"]
    assert [n[0] for n in names] == [D2000, D2010]
    assert names[0][2] == D2010
    with pytest.raises(RegistryError, match="name change on or after"):
        services.rename_unit(tree.s1, dt.date(2005, 1, 1), act, "Ескі")


def test_split_opens_a_new_region_moves_districts_and_can_close_the_source(tree):
    act = LegalActFactory(number="702", title_en="Split")
    new = UnitSpec("R3", Kind.REGION, "R3 kk", "R3 ru", "R3 name", parent=tree.kz)
    # the source still has authorities: closing it in the same event is refused, and nothing is kept
    with pytest.raises(RegistryError, match="still has"):
        services.split_unit(tree.r1, [(new, [tree.d1]), (tree.r2, [tree.d2])], D2010, act, close_source=True)
    assert not OrgUnit.objects.filter(code="R3").exists()
    ev = services.split_unit(tree.r1, [(new, [tree.d1]), (tree.r2, [tree.d2])], D2010, act)
    r3 = OrgUnit.objects.get(code="R3")
    assert r3.opened == D2010 and not r3.exists_on(dt.date(2009, 1, 1))
    assert selectors.parent_on(tree.d1, D2010) == r3 and selectors.parent_on(tree.d2, D2010) == tree.r2
    assert selectors.parent_on(tree.d1, dt.date(2009, 12, 31)) == tree.r1
    assert ev.details["parts"] == {"R3": ["D1"], "R2": ["D2"]}
    # organizations follow their district
    assert selectors.ancestors(tree.s1, D2015) == [tree.d1, r3, tree.kz]
    assert selectors.ancestors(tree.s1, dt.date(2005, 1, 1)) == [tree.d1, tree.r1, tree.kz]
    with pytest.raises(RegistryError, match="not under R1"):
        services.split_unit(tree.r1, [(r3, [tree.d3])], D2015, act)


def test_split_with_close_source(tree):
    act = LegalActFactory()
    # empty R1 of everything but its districts: its department governs nobody, so it can close first
    services.close_unit(tree.r1_edu, dt.date(2009, 1, 1), act)
    new = UnitSpec("R3", Kind.REGION, "R3 kk", "", "R3", parent=tree.kz)
    services.split_unit(tree.r1, [(new, [tree.d1, tree.d2])], D2010, act, close_source=True)
    tree.r1.refresh_from_db()
    assert tree.r1.closed == D2010
    assert {u.code for u in selectors.children(tree.kz, D2015, Kind.REGION)} == {"R2", "R3"}
    assert {u.code for u in selectors.children(tree.kz, dt.date(2009, 6, 1), Kind.REGION)} == {"R1", "R2"}


def test_merge_moves_children_and_governed_units_and_closes_sources(tree):
    act = LegalActFactory()
    target = UnitSpec("D12-EDU", Kind.AUTHORITY, "kk", "", "Merged office", parent=tree.d1,
                      attrs={"subtype": "DISTRICT_OFFICE"})
    s2 = open_("S2", Kind.ORGANIZATION, tree.d2, act, body=tree.d2_edu, org_type="SCHOOL")
    services.merge_units([tree.d1_edu, tree.d2_edu], target, D2010, act)
    merged = OrgUnit.objects.get(code="D12-EDU")
    assert selectors.governing_body_on(tree.s1, D2010) == merged
    assert selectors.governing_body_on(s2, D2010) == merged
    for code in ("D1-EDU", "D2-EDU"):
        assert OrgUnit.objects.get(code=code).closed == D2010
    with pytest.raises(RegistryError, match="merged into itself"):
        services.merge_units([tree.d1], tree.d1, D2015, act)


def test_reverse_event_move_transfer_rename(tree):
    act = LegalActFactory()
    move = services.move_unit(tree.s1, tree.d2, D2010, act)
    back = services.reverse_event(move, D2015, act)
    assert back.reverses == move and back.kind == Restructuring.EventKind.MOVE
    assert selectors.parent_on(tree.s1, D2015) == tree.d1
    assert selectors.parent_on(tree.s1, dt.date(2012, 1, 1)) == tree.d2  # the past stays as it was

    transfer = services.transfer_units([tree.s1], tree.r1_edu, D2010, act)
    services.reverse_event(transfer, D2015, act)
    assert selectors.governing_body_on(tree.s1, D2015) == tree.d1_edu
    assert selectors.governing_body_on(tree.s1, dt.date(2012, 1, 1)) == tree.r1_edu

    rename = services.rename_unit(tree.d3, D2010, act, "Жаңа", "Новый", "New")
    services.reverse_event(rename, D2015, act)
    tree.d3.refresh_from_db()
    assert tree.d3.name_en == "D3 name"
    assert selectors.name_on(tree.d3, dt.date(2012, 1, 1)).name_en == "New"


def test_reverse_event_rules(tree):
    act = LegalActFactory()
    move = services.move_unit(tree.s1, tree.d2, D2010, act)
    with pytest.raises(RegistryError, match="after the event"):
        services.reverse_event(move, D2010, act)
    split = services.split_unit(tree.r1, [(tree.r2, [tree.d2])], D2010, act)
    with pytest.raises(RegistryError, match="opposite event"):
        services.reverse_event(split, D2015, act)


def test_bulk_register_many_units_with_parents_in_the_same_batch(db):
    act = LegalActFactory()
    kz = UnitSpecFactory(code="KZ", kind=Kind.REPUBLIC, attrs={})
    region = OrgUnit(code="R", kind=Kind.REGION)  # a placeholder for a unit later in the batch
    specs = [kz, UnitSpecFactory(code="R", kind=Kind.REGION, parent=OrgUnit(code="KZ", kind=Kind.REPUBLIC),
                                 attrs={})]
    specs += [UnitSpecFactory(code=f"D{i}", kind=Kind.DISTRICT, parent=region, attrs={}) for i in range(1000)]
    ev = services.bulk_register(specs, D2000, act)
    assert ev.details == {"count": 1002}
    assert OrgUnit.objects.count() == 1002
    assert TerritorialRelation.objects.filter(parent__code="R").count() == 1000
    assert selectors.ancestors(OrgUnit.objects.get(code="D999"), D2010)[-1].code == "KZ"


def test_bulk_register_rejects_duplicates_and_codes_in_use(tree):
    act = LegalActFactory()
    dup = [UnitSpecFactory(code="N1", parent=tree.d1), UnitSpecFactory(code="N1", parent=tree.d1)]
    with pytest.raises(RegistryError, match="Duplicate"):
        services.bulk_register(dup, D2010, act)
    with pytest.raises(RegistryError, match="already in use: S1"):
        services.bulk_register([UnitSpecFactory(code="S1", parent=tree.d1)], D2010, act)
    with pytest.raises(RegistryError, match="cannot be placed under"):
        services.bulk_register([UnitSpecFactory(code="N2", parent=tree.kz)], D2010, act)
