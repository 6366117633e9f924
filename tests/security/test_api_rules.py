"""Every API operation has a permission rule, and the rule is enforced for every role.

If this file fails after you add an endpoint: declare its rule in bilim/accounts/permissions.py
(PREFIX_FAMILIES for a new router prefix, OPERATION_RULES for a per-operation rule).
"""

from __future__ import annotations

import re

import pytest

from bilim.accounts import permissions as perms
from bilim.accounts.models import Role

pytestmark = pytest.mark.django_db

# The expected capability matrix, written out so that any change to the table is deliberate.
R, W, N = "R", "RW", ""
EXPECTED = {
    #             registry metadata data analytics governance authority projects audit users
    "admin":        [W, W, W, W, W, W, W, W, W],
    "ministry":     [W, W, W, W, W, W, W, R, N],
    "region":       [R, R, W, R, W, R, W, N, N],
    "district":     [R, R, W, R, W, R, R, N, N],
    "organization": [R, R, W, R, N, N, N, N, N],
    "secretariat":  [R, R, N, R, W, R, R, N, N],
    "public":       [N, R, N, R, N, N, N, N, N],
}


def _operations():
    from bilim.api.api import api

    doc = api.get_openapi_schema()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method.upper(), path.removeprefix("/api/v1"), op


def _fill(path: str, code: str) -> str:
    return "/api/v1" + re.sub(r"\{[^}]+\}", code, path)


def test_capability_table_matches_the_expected_matrix():
    assert set(EXPECTED) == {r.value for r in Role}
    for role, row in EXPECTED.items():
        for family, cell in zip(perms.FAMILIES, row, strict=True):
            got = ("R" if perms.CAPABILITIES[role][perms.READ].__contains__(family) else "") + (
                "W" if family in perms.CAPABILITIES[role][perms.WRITE] else "")
            assert got == cell, f"{role} × {family}: table says {got!r}, expected {cell!r}"


def test_every_operation_has_a_permission_rule():
    missing = [f"{m} {p}" for m, p, _ in _operations() if perms.rule_for(m, p) is None]
    assert not missing, "operations without a permission rule (add them to bilim/accounts/permissions.py): " \
        + ", ".join(missing)


def test_every_operation_requires_authentication():
    public = [f"{m} {p}" for m, p, op in _operations() if not op.get("security")]
    assert not public, f"operations without auth: {public}"


def test_an_unknown_prefix_has_no_rule_and_is_refused(users, rf):
    from django.core.exceptions import PermissionDenied

    assert perms.rule_for("GET", "/brand-new/{code}") is None
    request = rf.get("/api/v1/brand-new/x")
    request.resolver_match = None
    with pytest.raises(PermissionDenied):
        perms.check_api_request(request, users["admin"])


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_role_matrix_over_every_operation(role, as_role, world):
    """Roles without the capability get 403 JSON on every operation; administrators never do."""
    client = as_role(role)
    checked = 0
    for method, path, _ in _operations():
        rule = perms.rule_for(method, path)
        action = rule.action_for(method)
        url = _fill(path, world["school"].code)
        resp = client.generic(method, url, data="{}", content_type="application/json")
        assert resp.status_code < 500, f"{role} {method} {url}: {resp.status_code}"
        allowed = rule.family in perms.CAPABILITIES[role][action]
        if not allowed:
            assert resp.status_code == 403, f"{role} {method} {url} should be forbidden"
            assert resp.json()["code"] == "forbidden"
        elif role == "admin":
            assert resp.status_code != 403, f"admin refused {method} {url}: {resp.content[:200]}"
        checked += 1
    assert checked > 0


def test_anonymous_gets_401_everywhere(client, world):
    for method, path, _ in _operations():
        resp = client.generic(method, _fill(path, "KZ"))
        assert resp.status_code == 401, f"{method} {path}"


# --- scope -----------------------------------------------------------------------------------------

def test_district_officer_reads_its_own_school(as_role, world):
    resp = as_role("district").get(f"/api/v1/orgunits/{world['school'].code}")
    assert resp.status_code == 200


def test_district_officer_cannot_read_a_school_in_another_district(as_role, world):
    resp = as_role("district").get(f"/api/v1/orgunits/{world['other_school'].code}")
    assert resp.status_code == 403 and resp.json()["code"] == "forbidden"
    assert as_role("district").get(f"/api/v1/orgunits/{world['other_school'].code}/history").status_code == 403


def test_district_officer_cannot_read_upwards(as_role, world):
    assert as_role("district").get("/api/v1/orgunits/KZ").status_code == 403
    assert as_role("district").get("/api/v1/orgunits?parent=KZ-10").status_code == 403


def test_lists_are_filtered_to_the_scope(as_role, world):
    codes = {i["code"] for i in as_role("district").get("/api/v1/orgunits?limit=100").json()["items"]}
    assert codes == {"KZ-63-001", "KZ-63-001-EDU", "100000000001"}
    region = {i["code"] for i in as_role("region").get("/api/v1/orgunits?limit=100").json()["items"]}
    assert {"KZ-10", "KZ-63-001", "100000000001", "KZ-10-002", "100000000002"} <= region
    assert "KZ-63" not in region and "KZ-63-003" not in region and "KZ" not in region


def test_scope_follows_todays_hierarchy(as_role, world):
    """Urzhar moved from East Kazakhstan to Abai in 2022: Abai's department sees it now, East's does not."""
    from bilim.accounts.models import User

    east_user = User.objects.create_user("east", password="a-long-test-password", role="region", scope=world["east"])
    assert perms.can_read_unit(east_user, world["east_district"])
    assert not perms.can_read_unit(east_user, world["school"])
    users_region = User.objects.get(username="u-region")
    assert perms.can_read_unit(users_region, world["school"])


def test_organization_sees_only_itself(as_role, world):
    c = as_role("organization")
    assert c.get(f"/api/v1/orgunits/{world['school'].code}").status_code == 200
    assert c.get(f"/api/v1/orgunits/{world['district'].code}").status_code == 403
    assert {i["code"] for i in c.get("/api/v1/orgunits").json()["items"]} == {world["school"].code}


def test_scoped_user_must_name_a_unit_on_unfiltered_endpoints(as_role, world):
    resp = as_role("district").get("/api/v1/authority/holder?competence=X")
    assert resp.status_code == 403
    ok = as_role("district").get("/api/v1/authority/holder?competence=X&org_unit=100000000001")
    assert ok.status_code != 403
    bad = as_role("district").get("/api/v1/authority/holder?competence=X&org_unit=100000000002")
    assert bad.status_code == 403


def test_public_sees_no_registry_and_no_single_organization(as_role, world, users):
    assert as_role("public").get("/api/v1/orgunits").status_code == 403
    assert not perms.can_read_unit(users["public"], world["school"])
    assert perms.can_read_unit(users["public"], world["abai"])


def test_scoped_role_without_scope_sees_nothing(world):
    from bilim.accounts.models import User

    u = User.objects.create_user("lost", password="a-long-test-password", role="district")
    assert perms.scoped_unit_ids(u) == frozenset()
    assert not perms.can_read_unit(u, world["school"])


def test_token_user_is_scoped_too(client, world, users):
    from bilim.accounts.services import issue_token

    key = issue_token(users["district"], "t")
    h = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get(f"/api/v1/orgunits/{world['school'].code}", **h).status_code == 200
    assert client.get(f"/api/v1/orgunits/{world['other_school'].code}", **h).status_code == 403


def test_inactive_user_token_is_refused(client, world, users):
    from bilim.accounts.services import issue_token

    key = issue_token(users["ministry"], "t")
    users["ministry"].is_active = False
    users["ministry"].save()
    assert client.get("/api/v1/orgunits/KZ", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_session_writes_need_csrf(world, users):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(users["admin"])
    for method, path, _ in _operations():
        if method != "GET":
            assert c.generic(method, _fill(path, "KZ")).status_code in (401, 403)


def test_path_unit_parameters_of_other_families_are_scoped(as_role, world):
    c = as_role("district")
    assert c.get("/api/v1/collection/approvals/F1/100000000002/2024S").status_code == 403
    assert c.get("/api/v1/collection/approvals/F1/100000000001/2024S").status_code != 403


def test_public_gets_aggregates_but_not_organizations(as_role, world):
    c = as_role("public")
    assert c.get("/api/v1/analytics?dx=GER_ISCED1&ou=100000000001").status_code == 403
    assert c.get("/api/v1/analytics/equity?dx=EXP_PER_PUPIL&ou=KZ-10&orgs=true").status_code == 403
    assert c.get("/api/v1/analytics?dx=GER_ISCED1&ou=KZ-10").status_code != 403


def test_scoped_user_cannot_smuggle_a_unit_in_a_list(as_role, world):
    c = as_role("district")
    assert c.get("/api/v1/analytics?dx=GER_ISCED1&ou=100000000001;100000000002").status_code == 403
    assert c.get("/api/v1/analytics?dx=GER_ISCED1&ou=100000000001").status_code != 403


def test_level_and_children_selectors_are_scoped(as_role, world):
    c = as_role("district")
    # every organization of the country: refused without a boundary in scope
    assert c.get("/api/v1/analytics?dx=GER_ISCED1&ou=LEVEL-organization").status_code == 403
    assert c.get("/api/v1/analytics?dx=GER_ISCED1&ou=CHILDREN-KZ").status_code == 403
    p = as_role("public")
    assert p.get("/api/v1/analytics?dx=GER_ISCED1&ou=LEVEL-organization;KZ").status_code == 403
    assert p.get("/api/v1/analytics?dx=GER_ISCED1&ou=LEVEL-region").status_code != 403


def test_the_values_read_has_its_own_data_read_rule():
    """GET /exchange/values names its units in `orgUnit` (not one of UNIT_PARAMS): its rule is explicit,
    data read, and scope-filtered because the endpoint checks the units and filters every value."""
    assert ("GET", "/exchange/values") in perms.OPERATION_RULES
    rule = perms.rule_for("GET", "/exchange/values")
    assert rule == perms.Rule("data", scope_filtered=True)
    assert rule.action_for("GET") == perms.READ
    assert "GET /exchange/values" in {f"{m} {p}" for m, p, _ in _operations()}
