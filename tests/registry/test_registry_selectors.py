"""Selectors answer "as of a date": the tree, ancestors, descendants, governing body and history."""

from __future__ import annotations

import datetime as dt

import pytest

from bilim.registry import selectors, services
from bilim.registry.models import Kind
from bilim.registry.services import UnitSpec

from .factories import LegalActFactory, open_

pytestmark = pytest.mark.django_db

BEFORE = dt.date(2009, 12, 31)
SPLIT = dt.date(2010, 1, 1)
AFTER = dt.date(2015, 1, 1)


@pytest.fixture
def split_tree(tree):
    """R1 splits on 2010-01-01: D1 (with school S1) forms the new region R3."""
    act = LegalActFactory(number="887", title_en="Formation of R3")
    services.split_unit(tree.r1, [(UnitSpec("R3", Kind.REGION, "R3 kk", "R3 ru", "R3 name", parent=tree.kz),
                                   [tree.d1])], SPLIT, act)
    services.transfer_units([tree.s1], tree.ministry, dt.date(2012, 1, 1), act)
    return tree


def _codes(node):
    return {node.unit.code: sorted(_codes(c) for c in node.children) if node.children else None}


def test_tree_as_of_dates(split_tree):
    t = split_tree
    before = selectors.tree(BEFORE, kinds=(Kind.REGION, Kind.DISTRICT))
    assert before.unit == t.kz
    regions = {c.unit.code: sorted(g.unit.code for g in c.children) for c in before.children}
    assert regions == {"R1": ["D1", "D2"], "R2": ["D3"]}
    after = selectors.tree(AFTER, kinds=(Kind.REGION, Kind.DISTRICT))
    regions = {c.unit.code: sorted(g.unit.code for g in c.children) for c in after.children}
    assert regions == {"R1": ["D2"], "R2": ["D3"], "R3": ["D1"]}
    # depth limit and a root that does not exist yet
    assert all(not c.children for c in selectors.tree(AFTER, max_depth=1).children)
    assert selectors.tree(BEFORE, root=selectors.get_unit("R3")) is None
    assert selectors.tree(AFTER, root=t.r1).as_dict()["code"] == "R1"


def test_ancestors_and_parent_follow_the_date(split_tree):
    t = split_tree
    assert [u.code for u in selectors.ancestors(t.s1, BEFORE)] == ["D1", "R1", "KZ"]
    assert [u.code for u in selectors.ancestors(t.s1, AFTER)] == ["D1", "R3", "KZ"]
    assert selectors.ancestors(t.kz, AFTER) == []
    assert selectors.parent_on(t.d1, dt.date(1999, 1, 1)) is None  # before it opened


def test_descendants_and_children(split_tree):
    t = split_tree
    before = set(selectors.descendants(t.r1, BEFORE).values_list("code", flat=True))
    assert {"D1", "D2", "S1", "D1-EDU", "D2-EDU", "R1-EDU"} <= before
    after = set(selectors.descendants(t.r1, AFTER).values_list("code", flat=True))
    assert "D1" not in after and "S1" not in after and "D2" in after
    assert set(selectors.descendants(selectors.get_unit("R3"), AFTER, kind=Kind.ORGANIZATION)
               .values_list("code", flat=True)) == {"S1"}
    assert set(selectors.children(t.kz, BEFORE, kind=Kind.REGION).values_list("code", flat=True)) == {"R1", "R2"}


def test_governing_body_as_of(split_tree):
    t = split_tree
    assert selectors.governing_body_on(t.s1, AFTER) == t.ministry
    assert selectors.governing_body_on(t.s1, dt.date(2011, 6, 1)) == t.d1_edu
    assert selectors.governing_body_on(t.kz, AFTER) is None
    assert list(selectors.governed_by(t.ministry, AFTER)) == [t.s1]


def test_history_lists_every_change_in_date_order_with_its_act(split_tree):
    t = split_tree
    entries = selectors.history(t.d1)
    terr = [(e.date, e.value.split()[0], e.valid_to) for e in entries if e.relation == "territorial"]
    assert terr == [(dt.date(2000, 1, 1), "R1", SPLIT), (SPLIT, "R3", None)]
    last = [e for e in entries if e.relation == "territorial"][-1]
    assert last.legal_act.number == "887"
    assert [e.date for e in entries] == sorted(e.date for e in entries)


def test_history_shows_closing(tree):
    act = LegalActFactory()
    services.close_unit(tree.s1, AFTER, act, description="Closed for the test")
    closed = [e for e in selectors.history(tree.s1) if e.relation == "closed"]
    assert len(closed) == 1 and closed[0].date == AFTER and closed[0].legal_act == act


def test_units_on(tree):
    late = open_("S9", Kind.ORGANIZATION, tree.d1, tree.act, body=tree.d1_edu, date=SPLIT, org_type="SCHOOL")
    assert late not in selectors.units_on(BEFORE, Kind.ORGANIZATION)
    assert late in selectors.units_on(AFTER, Kind.ORGANIZATION)
    assert selectors.exists_on(late, SPLIT) and not selectors.exists_on(late, BEFORE)
