"""A tiny two-region registry built through the services, as a real one would be."""

from __future__ import annotations

import pytest

from bilim.registry.models import Kind, LegalAct

from .factories import LegalActFactory, Tree, open_


@pytest.fixture
def legal_act(db) -> LegalAct:
    return LegalActFactory()


@pytest.fixture
def tree(db) -> Tree:
    act = LegalActFactory(title_en="Initial registration")
    kz = open_("KZ", Kind.REPUBLIC, None, act)
    r1 = open_("R1", Kind.REGION, kz, act)
    r2 = open_("R2", Kind.REGION, kz, act)
    d1 = open_("D1", Kind.DISTRICT, r1, act)
    d2 = open_("D2", Kind.DISTRICT, r1, act)
    d3 = open_("D3", Kind.DISTRICT, r2, act)
    ministry = open_("MIN", Kind.AUTHORITY, kz, act, subtype="MINISTRY")
    r1_edu = open_("R1-EDU", Kind.AUTHORITY, r1, act, subtype="REGION_DEPT")
    d1_edu = open_("D1-EDU", Kind.AUTHORITY, d1, act, subtype="DISTRICT_OFFICE")
    d2_edu = open_("D2-EDU", Kind.AUTHORITY, d2, act, subtype="DISTRICT_OFFICE")
    s1 = open_("S1", Kind.ORGANIZATION, d1, act, body=d1_edu, org_type="SCHOOL", area="URBAN")
    return Tree(act, kz, r1, r2, d1, d2, d3, ministry, r1_edu, d1_edu, d2_edu, s1)
