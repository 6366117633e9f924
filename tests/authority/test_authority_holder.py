"""Who holds power X over organization Y on date D: defaults, delegations at their exact dates, revocation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from bilim.audit.models import AuditRecord
from bilim.authority import selectors, services
from bilim.authority.models import Delegation
from bilim.authority.services import AuthorityError

from .world import LegalActFactory

D = dt.date


@pytest.fixture
def comps(world):
    law = LegalActFactory(kind="law", issuer="Parliament", title_en="Law on Education", date=D(2007, 7, 27))
    return {
        "ADDED_EDU": services.create_competence("ADDED_EDU", "Қосымша білім", "ministry", "MINISTRY", law,
                                                D(2007, 7, 27), name_en="Additional education programmes"),
        "NETWORK": services.create_competence("NETWORK", "Мектеп желісі", "region", "AKIMAT", law, D(2007, 7, 27),
                                              name_en="Approving the school network"),
        "DIRECTORS": services.create_competence("DIRECTORS", "Директорлар", "district", "DISTRICT_OFFICE", law,
                                                D(2007, 7, 27), name_en="Appointing school directors"),
        "law": law,
    }


def holder(comp, unit, day):
    ans = selectors.holder_on(comp, unit, day)
    return ans.holder.code if ans.holder else None


def test_default_holder_walks_territorial_ancestors(world, comps):
    day = D(2020, 1, 1)
    assert holder(comps["ADDED_EDU"], world.SCH1, day) == "MIN"
    assert holder(comps["NETWORK"], world.SCH1, day) == "AK75"
    assert holder(comps["NETWORK"], world.SCH3, day) == "AK19"
    assert holder(comps["DIRECTORS"], world.SCH1, day) == "RO75"
    assert holder(comps["DIRECTORS"], world.SCH3, day) == "RO19"
    ans = selectors.holder_on(comps["DIRECTORS"], world.SCH1, day)
    data = ans.as_dict()
    assert data["basis"] == "default"
    assert data["default"]["territory"]["code"] == "KZ-75-01"
    assert data["act"]["title"] == "Law on Education"


def test_district_power_over_unit_without_district_falls_to_region(world, comps):
    ans = selectors.holder_on(comps["DIRECTORS"], world.PAL, D(2020, 1, 1))
    assert ans.holder.code == "UO75"
    assert "falls to the region" in ans.notes[0]


def test_before_the_assigning_act_nobody_holds_it(world, comps):
    ans = selectors.holder_on(comps["NETWORK"], world.SCH1, D(2005, 1, 1))
    assert ans.holder is None and ans.basis == "none"
    assert "assigned to no level" in ans.notes[0]


def test_delegation_changes_the_answer_exactly_at_its_dates(world, comps):
    order = LegalActFactory(date=D(2022, 3, 28), title_en="Delegation to Almaty akimat")
    d = services.delegate(comps["ADDED_EDU"], world.MIN, world.AK75, D(2022, 4, 1), order, scope_unit=world.KZ_75,
                          valid_to=D(2025, 1, 1), actor="t")
    c = comps["ADDED_EDU"]
    assert holder(c, world.SCH1, D(2022, 3, 31)) == "MIN"
    assert holder(c, world.SCH1, D(2022, 4, 1)) == "AK75"      # valid_from is inclusive
    assert holder(c, world.PAL, D(2022, 4, 1)) == "AK75"       # anything under the city
    assert holder(c, world.SCH3, D(2022, 4, 1)) == "MIN"       # outside the scope
    assert holder(c, world.SCH1, D(2024, 12, 31)) == "AK75"
    assert holder(c, world.SCH1, D(2025, 1, 1)) == "MIN"       # valid_to is exclusive
    ans = selectors.holder_on(c, world.SCH1, D(2023, 1, 1)).as_dict()
    assert ans["basis"] == "delegation"
    assert ans["default"]["holder"]["code"] == "MIN"
    assert ans["delegations"][0]["id"] == d.pk
    assert ans["act"]["title"] == "Delegation to Almaty akimat"
    assert ans["default"]["act"]["title"] == "Law on Education"


def test_revocation_restores_the_default_and_leaves_the_delegation_untouched(world, comps):
    c = comps["ADDED_EDU"]
    d = services.delegate(c, world.MIN, world.AK75, D(2022, 4, 1), LegalActFactory(), scope_unit=world.KZ_75)
    before = Delegation.objects.filter(pk=d.pk).values().get()
    services.revoke(d, D(2023, 9, 1), LegalActFactory(title_en="Revocation order"), reason_en="Policy change",
                    actor="t")
    assert holder(c, world.SCH1, D(2023, 8, 31)) == "AK75"
    assert holder(c, world.SCH1, D(2023, 9, 1)) == "MIN"
    assert Delegation.objects.filter(pk=d.pk).values().get() == before  # never edited
    hist = selectors.competence_history(c)
    assert [e["event"] for e in hist] == ["assignment", "delegation", "revocation"]
    assert hist[2]["act"]["title"] == "Revocation order"
    with pytest.raises(AuthorityError):
        services.revoke(Delegation.objects.get(pk=d.pk), D(2024, 1, 1), LegalActFactory())
    assert AuditRecord.objects.filter(action="authority.revoke", object_id=str(d.pk)).count() == 1


def test_revocation_must_fall_inside_the_delegation(world, comps):
    d = services.delegate(comps["ADDED_EDU"], world.MIN, world.AK75, D(2022, 4, 1), LegalActFactory(),
                          scope_unit=world.KZ_75, valid_to=D(2023, 1, 1))
    with pytest.raises(ValidationError):
        services.revoke(d, D(2022, 4, 1), LegalActFactory())
    with pytest.raises(ValidationError):
        services.revoke(d, D(2023, 1, 1), LegalActFactory())


def test_explicit_set_of_organizations_and_narrowest_scope_wins(world, comps):
    c = comps["NETWORK"]
    services.delegate(c, world.AK75, world.UO75, D(2021, 1, 1), LegalActFactory(), organizations=[world.SCH2])
    assert holder(c, world.SCH2, D(2021, 1, 1)) == "UO75"
    assert holder(c, world.SCH1, D(2021, 1, 1)) == "AK75"


def test_redelegation_chain_and_only_the_holder_may_delegate(world, comps):
    c = comps["ADDED_EDU"]
    with pytest.raises(AuthorityError, match="held by MIN"):
        services.delegate(c, world.AK75, world.UO75, D(2022, 4, 1), LegalActFactory(), scope_unit=world.KZ_75)
    services.delegate(c, world.MIN, world.AK75, D(2022, 4, 1), LegalActFactory(), scope_unit=world.KZ_75)
    services.delegate(c, world.AK75, world.UO75, D(2022, 6, 1), LegalActFactory(), scope_unit=world.KZ_75_01)
    ans = selectors.holder_on(c, world.SCH1, D(2022, 7, 1))
    assert [d.grantee.code for d in ans.delegations] == ["AK75", "UO75"]
    assert ans.holder.code == "UO75"
    assert holder(c, world.PAL, D(2022, 7, 1)) == "AK75"


def test_delegation_rules(world, comps):
    c = comps["ADDED_EDU"]
    with pytest.raises(AuthorityError, match="either a territorial unit or a set"):
        services.delegate(c, world.MIN, world.AK75, D(2022, 4, 1), LegalActFactory())
    with pytest.raises(AuthorityError, match="organizations only"):
        services.delegate(c, world.MIN, world.AK75, D(2022, 4, 1), LegalActFactory(), organizations=[world.KZ_75])
    with pytest.raises(ValidationError):
        services.delegate(c, world.MIN, world.SCH1, D(2022, 4, 1), LegalActFactory(), scope_unit=world.KZ_75)
    with pytest.raises(ValidationError):
        services.delegate(c, world.MIN, world.AK75, D(2022, 4, 1), LegalActFactory(), scope_unit=world.KZ_75,
                          valid_to=D(2022, 4, 1))
    assert not Delegation.objects.exists()


def test_reassignment_moves_the_default_level(world, comps):
    c = comps["DIRECTORS"]
    services.reassign_competence(c, "region", "REGION_DEPT", D(2021, 1, 1), LegalActFactory(), actor="t")
    assert holder(c, world.SCH1, D(2020, 12, 31)) == "RO75"
    assert holder(c, world.SCH1, D(2021, 1, 1)) == "UO75"
    with pytest.raises(AuthorityError, match="cannot be inserted before"):
        services.reassign_competence(c, "district", "AKIMAT", D(2020, 6, 1), LegalActFactory())
    with pytest.raises(ValidationError):
        services.reassign_competence(c, "ministry", "AKIMAT", D(2022, 1, 1), LegalActFactory())


def test_powers_of_a_body(world, comps):
    services.delegate(comps["ADDED_EDU"], world.MIN, world.AK75, D(2022, 4, 1), LegalActFactory(),
                      scope_unit=world.KZ_75)
    powers = selectors.powers_of(world.AK75, D(2023, 1, 1))
    assert [(p["competence"]["code"], p["basis"]) for p in powers] == [("ADDED_EDU", "delegation"),
                                                                      ("NETWORK", "default")]
    assert powers[1]["scope"]["unit"]["code"] == "KZ-75"
    assert [p["competence"]["code"] for p in selectors.powers_of(world.AK75, D(2021, 1, 1))] == ["NETWORK"]
    ministry = selectors.powers_of(world.MIN, D(2023, 1, 1))
    assert ministry[0]["delegated_away"][0]["grantee"]["code"] == "AK75"
