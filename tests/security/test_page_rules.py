"""Every web page has a permission rule, and the rule and the scope are enforced for every role.

If this file fails after you add a page: decorate its view with
`bilim.accounts.permissions.permission_required(family, action)` (or `no_permission_required(reason)`
for a page that shows no data), then add the route to PAGE_FAMILIES and a sample request to SAMPLES
below so the role matrix covers it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, path

from bilim.accounts import permissions as perms
from bilim.accounts.models import Role

pytestmark = pytest.mark.django_db

EXCLUDED_PREFIXES = ("admin/", "i18n/", "api/", "static/", "media/")
EXCLUDED_NAMES = {"web:login", "web:logout"}  # Django's own sign-in and sign-out views
DS, PE, OPEN_PE = "SCHOOL_CENSUS", "2024S", "2023S"
SCHOOL, OTHER_SCHOOL, DISTRICT, OFFICE = "100000000001", "100000000002", "KZ-63-001", "KZ-63-001-EDU"
R, W, M = perms.READ, perms.WRITE, perms.BY_METHOD

# The family and action of every page, written out so that a change is deliberate (None: open page).
PAGE_FAMILIES: dict[str, tuple[str | None, str | None]] = {
    "web:home": ("analytics", R),
    "web:set_language": (None, None),
    "web:picker_units": ("registry", R),
    "web:registry": ("registry", R),
    "web:registry_export": ("registry", R),
    "web:orgunit": ("registry", R),
    "web:compare": ("analytics", R),
    "web:equity": ("analytics", R),
    "web:competences": ("authority", R),
    "web:holder": ("authority", R),
    "web:powers": ("authority", R),
    "web:competence_history": ("authority", R),
    "web:meetings": ("governance", R),
    "web:meeting_new": ("governance", M),
    "web:meeting_edit": ("governance", M),
    "web:meeting_delete": ("governance", W),
    "web:instruction_new": ("governance", M),
    "web:instruction_do": ("governance", M),
    "web:timeline": ("projects", R),
    "web:project_stages": ("projects", M),
    "web:meeting": ("governance", R),
    "web:instructions": ("governance", R),
    "web:instruction": ("governance", R),
    "web:control": ("governance", R),
    "web:projects": ("projects", R),
    "web:project_list": ("projects", R),
    "web:project_map": ("projects", R),
    "web:project": ("projects", R),
    "web:report_passport": ("analytics", R),
    "web:report_comparison": ("analytics", R),
    "web:report_equity": ("analytics", R),
    "web:report_protocol": ("governance", R),
    "web:report_control": ("governance", R),
    "web:report_projects": ("projects", R),
    "approval:index": ("data", R),
    "approval:entry": ("data", M),
    "approval:action": ("data", W),
    "approval:approval": ("data", R),
    "approval:validation": ("data", R),
    "approval:completeness": ("data", R),
    "exchange:upload": ("data", W),
    "exchange:job": ("data", W),
    "exchange:job_progress": ("data", W),
    "exchange:template": ("data", R),
    "web:overview": ("analytics", R),
    "audit:records": ("audit", R),
    "audit:export": ("audit", R),
    "audit:verify": ("audit", R),
    "accounts:users": ("users", R),
    "accounts:user_new": ("users", M),
    "accounts:user": ("users", M),
    "accounts:user_active": ("users", W),
    "accounts:user_password": ("users", W),
    "accounts:token_issue": ("users", W),
    "accounts:token_revoke": ("users", W),
    # registry and competence writes
    "web:legal_acts": ("registry", M),
    "web:events": ("registry", R),
    "web:event_new": ("registry", W),
    "web:event": ("registry", R),
    "web:event_reverse": ("registry", W),
    "web:competence_new": ("authority", W),
    "web:competence_assign": ("authority", W),
    "web:delegations": ("authority", R),
    "web:delegation_new": ("authority", W),
    "web:delegation_revoke": ("authority", W),
}

# (route name, method, url, data, status when allowed); "{job}" is the caller's own import job.
SAMPLES = [
    ("web:home", "GET", "/", None, 200),
    ("web:picker_units", "GET", "/pickers/units/?q=school&kind=organization", None, 200),
    ("web:registry", "GET", "/registry/", None, 200),
    ("web:registry_export", "GET", "/registry/export.csv", None, 200),
    ("web:orgunit", "GET", f"/ou/{SCHOOL}/", None, 200),
    ("web:compare", "GET", "/compare/", None, 200),
    ("web:equity", "GET", "/equity/", None, 200),
    ("web:competences", "GET", "/competences/", None, 200),
    ("web:holder", "GET", f"/competences/holder/?competence=T_COMP&unit={SCHOOL}", None, 200),
    ("web:powers", "GET", f"/competences/powers/?body={OFFICE}", None, 200),
    ("web:competence_history", "GET", "/competences/T_COMP/", None, 200),
    ("web:meetings", "GET", "/meetings/", None, 200),
    ("web:meeting", "GET", "/meetings/T-COL/", None, 200),
    ("web:instructions", "GET", "/instructions/", None, 200),
    ("web:instruction", "GET", "/instructions/T-COL/1/", None, 200),
    ("web:control", "GET", "/control/", None, 200),
    ("web:projects", "GET", "/projects/", None, 200),
    ("web:timeline", "GET", "/projects/timeline/", None, 200),
    ("web:project_stages", "GET", "/projects/T-PRJ/stages/", None, 200),
    ("web:meeting_new", "GET", "/meetings/new/", None, 200),
    ("web:meeting_edit", "GET", "/meetings/T-COL/edit/", None, 200),
    ("web:instruction_new", "GET", "/instructions/new/?meeting=T-COL", None, 200),
    ("web:instruction_do", "GET", "/instructions/T-COL/1/do/report/", None, 200),
    ("web:project_list", "GET", "/projects/list/", None, 200),
    ("web:project_map", "GET", "/projects/map/", None, 200),
    ("web:project", "GET", "/projects/T-PRJ/", None, 200),
    ("web:report_passport", "GET", "/reports/passport/KZ.pdf", None, 200),
    ("web:report_comparison", "GET", "/reports/comparison/GER_ISCED1.pdf", None, 200),
    ("web:report_equity", "GET", "/reports/equity/KZ.pdf", None, 200),
    ("web:report_protocol", "GET", "/reports/protocol/T-COL.pdf", None, 200),
    ("web:report_control", "GET", "/reports/control/KZ.pdf", None, 200),
    ("web:report_projects", "GET", "/reports/projects/KZ.pdf", None, 200),
    ("approval:index", "GET", "/collection/", None, 200),
    ("approval:entry", "GET", f"/collection/entry/{DS}/{SCHOOL}/{PE}/", None, 200),
    ("approval:approval", "GET", f"/collection/approval/{DS}/{SCHOOL}/{PE}/", None, 200),
    ("approval:validation", "GET", f"/collection/validation/{DS}/{SCHOOL}/{PE}/", None, 200),
    ("approval:completeness", "GET", f"/collection/completeness/{DS}/{PE}/?ou={SCHOOL}", None, 200),
    ("exchange:upload", "GET", "/exchange/upload/", None, 200),
    ("exchange:job", "GET", "/exchange/jobs/{job}/", None, 200),
    ("exchange:job_progress", "GET", "/exchange/jobs/{job}/progress/", None, 200),
    ("exchange:template", "GET", f"/exchange/template/?data_set={DS}&org_unit={SCHOOL}&period={PE}", None, 200),
    ("web:overview", "GET", "/overview/", None, 200),
    ("audit:records", "GET", "/audit/?action=collection.", None, 200),
    ("audit:export", "GET", "/audit/export.csv?actor=t", None, 200),
    ("audit:verify", "GET", "/audit/verify/", None, 200),
    ("accounts:users", "GET", "/accounts/users/", None, 200),
    ("accounts:user_new", "GET", "/accounts/users/new/", None, 200),
    ("accounts:user", "GET", "/accounts/users/u-public/", None, 200),
    ("web:legal_acts", "GET", "/registry/acts/", None, 200),
    ("web:events", "GET", "/registry/events/", None, 200),
    ("web:event_new", "GET", "/registry/events/new/move/", None, 200),
    ("web:event", "GET", "/registry/events/{event}/", None, 200),
    ("web:event_reverse", "GET", "/registry/events/{event}/reverse/", None, 200),
    ("web:competence_new", "GET", "/competences/new/", None, 200),
    ("web:competence_assign", "GET", "/competences/T_COMP/assign/", None, 200),
    ("web:delegations", "GET", "/competences/delegations/", None, 200),
    ("web:delegation_new", "GET", "/competences/delegations/new/", None, 200),
    ("web:delegation_revoke", "GET", "/competences/delegations/{delegation}/revoke/", None, 200),
    # writes last: they may change what later requests see
    ("approval:entry", "POST", f"/collection/entry/{DS}/{SCHOOL}/{PE}/", {}, 302),
    ("approval:action", "POST", f"/collection/action/{DS}/{SCHOOL}/{PE}/", {"action": "submit"}, 302),
    ("web:legal_acts", "POST", "/registry/acts/", {"kind": "order", "date": "2024-01-01", "issuer": "M",
                                                   "title_en": "Sample"}, 302),
    ("accounts:user_password", "POST", "/accounts/users/u-public/password/",
     {"password": "Steppe-Horizon-2031", "password2": "Steppe-Horizon-2031"}, 302),
    ("accounts:token_issue", "POST", "/accounts/users/u-public/tokens/", {"name": "t"}, 200),
    ("accounts:token_revoke", "POST", "/accounts/users/u-public/tokens/zzzz/revoke/", {}, 302),
    ("accounts:user_active", "POST", "/accounts/users/u-public/active/", {"active": "1"}, 302),
    ("web:meeting_delete", "POST", "/meetings/NO-SUCH/delete/", {}, 404),
]


# --- (a) every page has a rule ---------------------------------------------------------------------

def _walk(patterns, prefix: str = "", namespace: str = ""):
    """(route, 'namespace:name', callback) of every URL pattern, resolvers followed recursively."""
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            ns = p.namespace or ""
            yield from _walk(p.url_patterns, route, f"{namespace}:{ns}".strip(":") if ns else namespace)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or "")
            yield route, name, p.callback


def _pages():
    for route, name, callback in _walk(get_resolver().url_patterns):
        if route.startswith(EXCLUDED_PREFIXES) or name in EXCLUDED_NAMES:
            continue
        yield route, name, callback


def _missing_rules(pages) -> list[str]:
    out = []
    for route, name, callback in pages:
        rule = getattr(callback, "bilim_permission", None)
        if not isinstance(rule, perms.PageRule):
            out.append(f"{route} ({name or repr(callback)})")
        elif rule.family is None and not rule.reason:
            out.append(f"{route} ({name}): open without a reason")
        elif rule.family is not None and rule.family not in perms.FAMILIES:
            out.append(f"{route} ({name}): unknown family {rule.family}")
    return out


def test_every_page_has_a_permission_rule():
    pages = list(_pages())
    assert len(pages) >= len(PAGE_FAMILIES), "the URL walk found too few pages"
    missing = _missing_rules(pages)
    assert not missing, ("pages without a permission rule (decorate them with permission_required from "
                         "bilim/accounts/permissions.py): " + ", ".join(missing))


def test_every_page_has_the_expected_rule_and_a_matrix_sample():
    names = {name for _route, name, _cb in _pages()}
    unnamed = [route for route, name, _cb in _pages() if not name]
    assert not unnamed, f"name these routes so the matrix can refer to them: {unnamed}"
    assert names == set(PAGE_FAMILIES), (f"new pages: {sorted(names - set(PAGE_FAMILIES))}; "
                                         f"gone: {sorted(set(PAGE_FAMILIES) - names)}")
    for _route, name, callback in _pages():
        rule = callback.bilim_permission
        assert (rule.family, rule.action) == PAGE_FAMILIES[name], f"{name}: {rule}"
    sampled = {s[0] for s in SAMPLES}
    needing = {n for n, (family, _a) in PAGE_FAMILIES.items() if family is not None}
    assert needing <= sampled, f"add a sample request for: {sorted(needing - sampled)}"


def test_the_walk_notices_an_undecorated_view():
    def bare(request):  # pragma: no cover - never called
        return None

    @perms.permission_required("registry")
    def ruled(request):  # pragma: no cover - never called
        return None

    patterns = [path("bare/", bare, name="bare"), path("ruled/", ruled, name="ruled")]
    assert _missing_rules(_walk(patterns)) == ["bare/ (bare)"]


def test_a_rule_needs_a_known_family():
    with pytest.raises(ValueError):
        perms.permission_required("registy")
    with pytest.raises(ValueError):
        perms.no_permission_required("  ")


# --- fixtures --------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _no_warehouse(settings, tmp_path):
    """Indicator pages render their 'no warehouse yet' state: fast, and the same for every role."""
    settings.BILIM_WAREHOUSE_PATH = tmp_path / "none.duckdb"


def _census_values(unit, period: str) -> None:
    """Pupils and teachers of a school: enough for the form to pass its blocking rules."""
    from bilim.collection.services import save_value

    save_value(data_element="ENROL", period=period, org_unit=unit, value=12,
               categories={"SEX": "F", "GRADE": "G01"}, actor="t")
    save_value(data_element="TEACH", period=period, org_unit=unit, value=2, actor="t")


def _climb(*codes: str, period: str = PE) -> None:
    """Submit reporters / approve units (as the system), in the order given."""
    from bilim.approval import services
    from bilim.approval.selectors import is_reporter
    from bilim.metadata.models import DataSet
    from bilim.registry.models import OrgUnit

    ds = DataSet.objects.get(code=DS)
    for code in codes:
        unit = OrgUnit.objects.get(code=code)
        (services.submit if is_reporter(ds, unit) else services.approve)(ds, unit, period)


@pytest.fixture
def pages(world, users):
    """Objects the sample pages show: a meeting and an instruction, a project, a competence; the census
    form of PE accepted all the way up (visible to every data reader), and one value in it."""
    from bilim.authority import services as authority
    from bilim.governance import services as governance
    from bilim.projects import services as projects
    from bilim.registry.models import LegalAct

    law = LegalAct.objects.create(kind="law", number="319-III", date=dt.date(2007, 7, 27), issuer="Parliament",
                                  title_en="Law on Education")
    authority.create_competence("T_COMP", "Құзырет", "district", "DISTRICT_OFFICE", law, dt.date(2007, 7, 27),
                                name_en="Test competence")
    m = governance.create_meeting("T-COL", "expanded_collegium", dt.date(2023, 9, 5), world["office"], "Алқа",
                                  title_en="Collegium")
    governance.issue_instruction("T-COL/1", "Бірінші", world["office"], dt.date(2030, 1, 1), meeting=m,
                                 text_en="First")
    projects.create_project("T-PRJ", "new_construction", "Мектеп", world["district"], [world["school"]],
                            title_en="School")
    _census_values(world["school"], PE)
    _climb(SCHOOL, OTHER_SCHOOL, DISTRICT, "KZ-10-002", "KZ-10", "KZ")
    from bilim.registry.models import Restructuring

    event = Restructuring.objects.filter(kind="move", subjects=world["district"]).first()
    from bilim.authority.models import Competence
    from bilim.registry import services as rs

    akimat = rs.open_unit(rs.UnitSpec("KZ-63-001-AK", "authority", "Әкімдік", name_en="District akimat",
                                      parent=world["district"], attrs={"subtype": "AKIMAT"}), dt.date(2000, 1, 1), law)
    delegation = authority.delegate(Competence.objects.get(code="T_COMP"), world["office"], akimat,
                                    dt.date(2023, 1, 1), law, scope_unit=world["district"])
    return world | {"event": event, "delegation": delegation}


def _request(client, method, url, data):
    return client.get(url) if method == "GET" else client.post(url, data or {})


# --- (b) the role × page matrix --------------------------------------------------------------------

@pytest.mark.parametrize("role", [r.value for r in Role])
def test_role_matrix_over_every_page(role, as_role, users, pages):
    from bilim.exchange.models import ImportJob

    client = as_role(role)
    job = ImportJob.objects.create(user=users[role], file_name="v.csv", status=ImportJob.Status.DONE, report={})
    caps = perms.CAPABILITIES[role]
    for name, method, url, data, ok in SAMPLES:
        family, action = PAGE_FAMILIES[name]
        action = action or (R if method == "GET" else W)
        url = url.replace("{event}", str(pages["event"].pk)).replace("{delegation}", str(pages["delegation"].pk))
        resp = _request(client, method, url.replace("{job}", str(job.pk)), data)
        if family in caps[action]:
            assert resp.status_code == ok, f"{role} {method} {url}: {resp.status_code} (expected {ok})"
        else:
            assert resp.status_code == 403, f"{role} {method} {url} should be forbidden, got {resp.status_code}"
            assert b'id="forbidden"' in resp.content, "a 403 page, not a bare response"


def test_anonymous_is_sent_to_sign_in_everywhere(client, pages):
    for _name, method, url, data, _ok in SAMPLES:
        url = url.replace("{event}", str(pages["event"].pk)).replace("{delegation}", str(pages["delegation"].pk))
        resp = _request(client, method, url.replace("{job}", "00000000-0000-0000-0000-000000000000"), data)
        assert resp.status_code == 302 and "/accounts/login/" in resp["Location"], f"{method} {url}"


def test_the_language_switch_is_open(client, world):
    assert client.post("/language/", {"language": "ru", "next": "/"}).status_code == 302


def test_navigation_shows_only_permitted_families(as_role, pages):
    page = as_role("public").get("/").content.decode()
    assert "/compare/" in page and 'href="/registry/"' not in page and 'href="/meetings/"' not in page
    assert "Registry profile of the republic" not in page
    org = as_role("organization").get("/").content.decode()
    assert 'href="/registry/"' in org and 'href="/projects/"' not in org


# --- (c) scope -------------------------------------------------------------------------------------

def test_district_officer_sees_its_own_school_only(as_role, pages):
    c = as_role("district")
    assert c.get(f"/ou/{SCHOOL}/").status_code == 200
    assert c.get(f"/collection/entry/{DS}/{SCHOOL}/{OPEN_PE}/").status_code == 200
    assert c.get(f"/ou/{OTHER_SCHOOL}/").status_code == 403
    assert c.get(f"/collection/entry/{DS}/{OTHER_SCHOOL}/{OPEN_PE}/").status_code == 403
    assert c.get(f"/collection/approval/{DS}/{OTHER_SCHOOL}/{PE}/").status_code == 403
    assert c.get(f"/collection/validation/{DS}/{OTHER_SCHOOL}/{PE}/").status_code == 403
    assert c.get("/ou/KZ/").status_code == 403  # not upwards either


def test_district_officer_cannot_write_outside_its_district(as_role, pages):
    from bilim.collection.models import DataValue

    c = as_role("district")
    key = "ENROL:SEX=M,GRADE=G01"
    post = {f"v:{key}": "7", f"orig:{key}": "", f"ver:{key}": ""}
    assert c.post(f"/collection/entry/{DS}/{OTHER_SCHOOL}/{OPEN_PE}/", post).status_code == 403
    assert not DataValue.objects.filter(org_unit__code=OTHER_SCHOOL).exists()
    assert c.post(f"/collection/entry/{DS}/{SCHOOL}/{OPEN_PE}/", post).status_code == 302
    assert DataValue.objects.filter(org_unit__code=SCHOOL, period=OPEN_PE, sex="M").exists()


def test_registry_browser_and_export_list_only_units_in_scope(as_role, pages):
    district = as_role("district")
    page = district.get("/registry/").content.decode()
    assert SCHOOL in page and OTHER_SCHOOL not in page
    csv = district.get("/registry/export.csv").content.decode("utf-8-sig")
    assert SCHOOL in csv and OTHER_SCHOOL not in csv
    region = as_role("region").get("/registry/export.csv").content.decode("utf-8-sig")
    assert SCHOOL in region and OTHER_SCHOOL in region
    org = as_role("organization").get("/registry/").content.decode()
    assert SCHOOL in org and OTHER_SCHOOL not in org
    assert district.get("/registry/?region=KZ-63").status_code == 403  # naming a unit outside the scope


def test_region_sees_its_districts_in_child_tables(as_role, pages):
    page = as_role("region").get("/ou/KZ-10/").content.decode()
    assert DISTRICT in page and "KZ-10-002" in page
    assert as_role("region").get("/ou/KZ-63/").status_code == 403


def test_public_sees_aggregates_only(as_role, pages):
    c = as_role("public")
    assert c.get("/").status_code == 200
    assert c.get("/compare/").status_code == 200
    assert c.get(f"/ou/{SCHOOL}/").status_code == 403
    assert c.get("/ou/KZ-10/").status_code == 403
    assert c.get("/registry/").status_code == 403
    assert c.get("/registry/export.csv").status_code == 403
    assert c.get(f"/collection/entry/{DS}/{SCHOOL}/{PE}/").status_code == 403


def test_completeness_lists_only_units_in_scope(as_role, pages):
    c = as_role("region")
    page = c.get(f"/collection/completeness/{DS}/{PE}/").content.decode()  # default: the scope, not KZ
    assert "KZ-10-002" in page and DISTRICT in page
    assert c.get(f"/collection/completeness/{DS}/{PE}/?ou=KZ").status_code == 403
    district = as_role("district").get(f"/collection/completeness/{DS}/{PE}/").content.decode()
    assert "KZ-10-002" not in district


def test_a_scoped_role_without_scope_sees_nothing(client, world):
    from bilim.accounts.models import User

    lost = User.objects.create_user("lost", password="a-long-test-password", role="district")
    client.force_login(lost)
    assert client.get(f"/ou/{SCHOOL}/").status_code == 403
    assert client.get(f"/collection/completeness/{DS}/{PE}/").status_code == 403
    assert SCHOOL not in client.get("/registry/").content.decode()


def test_authority_pages_check_the_units_named(as_role, pages):
    c = as_role("district")
    assert c.get(f"/competences/holder/?competence=T_COMP&unit={OTHER_SCHOOL}").status_code == 403
    assert c.get(f"/competences/holder/?competence=T_COMP&unit={SCHOOL}").status_code == 200
    assert c.get("/competences/powers/?body=KZ-63").status_code == 403


# --- approval: actions by level, unapproved data by level ---------------------------------------------

def test_approval_actions_respect_scope_and_level(as_role, world, users):
    from bilim.approval.selectors import status_of
    from bilim.metadata.models import DataSet

    ds = DataSet.objects.get(code=DS)
    assert as_role("organization").post(f"/collection/action/{DS}/{SCHOOL}/{OPEN_PE}/",
                                         {"action": "submit"}).status_code == 302
    assert status_of(ds, OPEN_PE, world["school"]) == "submitted"
    # the region may not approve for the district (wrong level): refused by the workflow, nothing changes
    as_role("region").post(f"/collection/action/{DS}/{DISTRICT}/{OPEN_PE}/", {"action": "approve"})
    assert status_of(ds, OPEN_PE, world["district"]) == "open"
    # a district may not act outside its scope at all
    assert as_role("district").post(f"/collection/action/{DS}/KZ-10-002/{OPEN_PE}/",
                                    {"action": "approve"}).status_code == 403
    assert as_role("district").post(f"/collection/action/{DS}/{DISTRICT}/{OPEN_PE}/",
                                    {"action": "approve"}).status_code == 302
    assert status_of(ds, OPEN_PE, world["district"]) == "approved"


def _entry(role_client, unit=SCHOOL, period=OPEN_PE):
    return role_client.get(f"/collection/entry/{DS}/{unit}/{period}/").status_code


def test_unapproved_values_stay_with_the_levels_that_may_see_them(as_role, world, users):
    _census_values(world["school"], OPEN_PE)
    clients = {r: as_role(r) for r in ("admin", "ministry", "region", "district", "organization")}

    def seen() -> set[str]:
        return {r for r, c in clients.items() if _entry(c) == 200}

    assert seen() == {"admin", "district", "organization"}  # open: the school and the district above it
    _climb(SCHOOL, period=OPEN_PE)
    assert seen() == {"admin", "district", "organization"}  # submitted: waiting for the district
    _climb(OTHER_SCHOOL, DISTRICT, period=OPEN_PE)
    assert seen() == {"admin", "region", "district", "organization"}  # district approved: the region's turn
    _climb("KZ-10-002", "KZ-10", period=OPEN_PE)
    assert seen() == set(clients)  # region approved: the ministry sees it
    forbidden = clients["ministry"].get(f"/collection/entry/{DS}/{OTHER_SCHOOL}/2022S/")
    assert forbidden.status_code == 403 and b"not approved up to your level" in forbidden.content


def test_validation_page_and_api_hide_unapproved_values(as_role, world):
    _census_values(world["school"], OPEN_PE)
    page = as_role("ministry").get(f"/collection/validation/{DS}/KZ/{OPEN_PE}/").content.decode()
    assert 'id="hidden-units"' in page and SCHOOL not in page
    assert as_role("region").get(f"/api/v1/collection/validation/{DS}/{SCHOOL}/{OPEN_PE}").status_code == 403
    assert as_role("district").get(f"/api/v1/collection/validation/{DS}/{SCHOOL}/{OPEN_PE}").status_code == 200
    assert as_role("admin").get(f"/api/v1/collection/validation/{DS}/{SCHOOL}/{OPEN_PE}").status_code == 200


def test_values_reader_follows_the_documented_rule(world, users):
    from bilim.metadata.models import DataSet

    ds = DataSet.objects.get(code=DS)
    school, other = world["school"], world["other_school"]
    assert perms.can_read_values(users["organization"], school, ds, OPEN_PE)
    assert not perms.can_read_values(users["organization"], other, ds, OPEN_PE)  # scope first
    assert not perms.can_read_values(users["secretariat"], school, ds, OPEN_PE)  # no data capability
    assert not perms.can_read_values(users["public"], world["abai"], ds, OPEN_PE)
    assert perms.can_read_values(users["region"], world["district"], ds, OPEN_PE)  # the level directly above
    assert not perms.can_read_values(users["ministry"], world["district"], ds, OPEN_PE)
