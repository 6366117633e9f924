"""Meetings and instructions are filtered to the signed-in user's scope on every page and API endpoint.

World (tests/authority/world.py): the district office RO75 lies in the Almaly district (KZ-75-01) of
Almaty (KZ-75); RO19 lies in another region (KZ-19); the ministry MIN sits directly under the republic.
An instruction belongs to the scope of its responsible body, its co-executors and its org unit; a meeting
to that of its organizer, its participants, speakers and proposers, and of the instructions it issued.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from bilim.governance import services
from bilim.governance.models import Instruction, Status

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def records(world):
    """A meeting and an instruction in the district, the same in another region, and a national instruction."""
    inside = services.create_meeting("M-IN", "collegium", D(2023, 9, 1), world.RO75, "Алқа", title_en="Almaly board")
    services.issue_instruction("M-IN/1", "Ішкі", world.RO75, D(2030, 1, 1), meeting=inside, text_en="Inside")
    outside = services.create_meeting("M-OUT", "collegium", D(2023, 9, 2), world.RO19, "Алқа", title_en="Ile board")
    services.issue_instruction("M-OUT/1", "Сыртқы", world.RO19, D(2030, 1, 1), meeting=outside, text_en="Outside")
    services.issue_instruction("NAT-1", "Ұлттық", world.MIN, D(2030, 1, 1), issued_on=D(2023, 1, 10),
                               source=Instruction.Source.PROGRAMME, text_en="National")
    return world


@pytest.fixture
def district(client_as, records):
    return client_as("district", records.KZ_75_01)


@pytest.fixture
def national(client_as, records):
    return client_as("ministry")


def _codes(resp) -> set[str]:
    assert resp.status_code == 200, resp.content[:300]
    return {row["code"] for row in resp.json()}


# --- instructions: pages -----------------------------------------------------------------------------

def test_instruction_page_of_a_district_lists_its_own_instruction_only(district):
    page = district.get("/instructions/").content.decode()
    assert "/instructions/M-IN/1/" in page
    assert "/instructions/M-OUT/1/" not in page and "/instructions/NAT-1/" not in page


def test_instruction_page_of_a_national_user_lists_every_instruction(national):
    page = national.get("/instructions/").content.decode()
    assert all(f"/instructions/{c}/" in page for c in ("M-IN/1", "M-OUT/1", "NAT-1"))


def test_instruction_card_in_scope_is_shown(district):
    resp = district.get("/instructions/M-IN/1/")
    assert resp.status_code == 200 and "Inside" in resp.content.decode()


def test_instruction_card_outside_the_scope_is_forbidden(district):
    resp = district.get("/instructions/M-OUT/1/")
    assert resp.status_code == 403 and b'id="forbidden"' in resp.content
    assert b"Outside" not in resp.content


def test_responsible_filter_drop_down_offers_bodies_in_scope_only(district):
    page = district.get("/instructions/").content.decode()
    assert 'value="RO75"' in page and 'value="RO19"' not in page and 'value="MIN"' not in page


# --- instructions: API -------------------------------------------------------------------------------

def test_instruction_api_list_of_a_district_holds_its_own_instruction_only(district):
    assert _codes(district.get("/api/v1/governance/instructions")) == {"M-IN/1"}


def test_instruction_api_list_of_a_national_user_holds_every_instruction(national):
    assert _codes(national.get("/api/v1/governance/instructions")) == {"M-IN/1", "M-OUT/1", "NAT-1"}


def test_instruction_api_detail_in_scope_is_answered(district):
    resp = district.get("/api/v1/governance/instructions/M-IN/1")
    assert resp.status_code == 200 and resp.json()["code"] == "M-IN/1"


def test_instruction_api_detail_outside_the_scope_is_forbidden(district):
    resp = district.get("/api/v1/governance/instructions/M-OUT/1")
    assert resp.status_code == 403 and resp.json()["code"] == "forbidden"


def test_instruction_api_detail_of_an_unknown_code_is_not_found(district):
    assert district.get("/api/v1/governance/instructions/NOPE").status_code == 404


def test_naming_a_responsible_body_outside_the_scope_is_refused(district):
    assert district.get("/api/v1/governance/instructions?responsible=RO19").status_code == 403


def test_national_instruction_is_hidden_from_a_region(client_as, records):
    region = client_as("region", records.KZ_75)
    assert _codes(region.get("/api/v1/governance/instructions")) == {"M-IN/1"}


def test_region_sees_the_instructions_of_its_districts(client_as, records):
    region = client_as("region", records.KZ_75)
    assert region.get("/api/v1/governance/instructions/M-IN/1").status_code == 200


def test_a_co_executor_in_scope_makes_an_instruction_visible(district, records):
    services.issue_instruction("NAT-2", "Бірлескен", records.MIN, D(2030, 1, 1), issued_on=D(2023, 1, 10),
                               source=Instruction.Source.PROGRAMME, co_executors=[records.RO75])
    assert "NAT-2" in _codes(district.get("/api/v1/governance/instructions"))


def test_the_org_unit_of_an_instruction_in_scope_makes_it_visible(district, records):
    services.issue_instruction("NAT-3", "Көрсеткіш", records.MIN, D(2030, 1, 1), issued_on=D(2023, 1, 10),
                               source=Instruction.Source.PROGRAMME, org_unit=records.SCH1)
    assert "NAT-3" in _codes(district.get("/api/v1/governance/instructions"))


# --- meetings ----------------------------------------------------------------------------------------

def test_meeting_api_list_of_a_district_holds_its_own_meeting_only(district):
    assert _codes(district.get("/api/v1/governance/meetings")) == {"M-IN"}


def test_meeting_api_list_of_a_national_user_holds_every_meeting(national):
    assert _codes(national.get("/api/v1/governance/meetings")) == {"M-IN", "M-OUT"}


def test_meeting_page_of_a_district_lists_its_own_meeting_only(district):
    page = district.get("/meetings/").content.decode()
    assert "/meetings/M-IN/" in page and "/meetings/M-OUT/" not in page


def test_meeting_api_detail_outside_the_scope_is_forbidden(district):
    resp = district.get("/api/v1/governance/meetings/M-OUT")
    assert resp.status_code == 403 and resp.json()["code"] == "forbidden"


def test_meeting_page_outside_the_scope_is_forbidden(district):
    assert district.get("/meetings/M-OUT/").status_code == 403


def test_a_national_meeting_shows_a_district_only_the_instructions_in_its_scope(district, records):
    m = services.create_meeting("M-NAT", "expanded_collegium", D(2023, 9, 5), records.MIN, "Алқа")
    services.issue_instruction("M-NAT/1", "Алматыға", records.RO75, D(2030, 1, 1), meeting=m)
    services.issue_instruction("M-NAT/2", "Іле", records.RO19, D(2030, 1, 1), meeting=m)
    d = district.get("/api/v1/governance/meetings/M-NAT").json()
    assert [i["code"] for i in d["instructions"]] == ["M-NAT/1"]


def test_a_participating_body_in_scope_makes_a_meeting_visible(district, records):
    m = services.create_meeting("M-GUEST", "collegium", D(2023, 9, 6), records.UO19, "Алқа")
    services.add_participant(m, records.RO75, "Guest", role="guest")
    assert district.get("/api/v1/governance/meetings/M-GUEST").status_code == 200


# --- control dashboard -------------------------------------------------------------------------------

def test_control_api_of_a_district_counts_its_own_instructions_only(district):
    s = district.get("/api/v1/governance/control").json()
    assert s["totals"]["total"] == 1
    assert [r["body"]["code"] for r in s["by_body"]] == ["RO75"]


def test_control_api_of_a_national_user_counts_every_instruction(national):
    assert national.get("/api/v1/governance/control").json()["totals"]["total"] == 3


def test_control_page_of_a_district_shows_no_body_outside_its_scope(district):
    page = district.get("/control/").content.decode()
    assert "Almaly education office" in page and "Ile education office" not in page


# --- writes ------------------------------------------------------------------------------------------

def test_status_change_outside_the_scope_is_refused(district, records):
    ins = Instruction.objects.get(code="M-OUT/1")
    with pytest.raises(PermissionDenied):
        services.change_status(ins, Status.IN_PROGRESS, D(2023, 10, 1), user=district.user)
    ins.refresh_from_db()
    assert ins.status == Status.NEW and not ins.status_changes.exists()


def test_status_change_inside_the_scope_is_recorded(district, records):
    ins = Instruction.objects.get(code="M-IN/1")
    services.change_status(ins, Status.IN_PROGRESS, D(2023, 10, 1), user=district.user)
    ins.refresh_from_db()
    assert ins.status == Status.IN_PROGRESS


def test_extension_outside_the_scope_is_refused(district, records):
    ins = Instruction.objects.get(code="M-OUT/1")
    with pytest.raises(PermissionDenied):
        services.extend_deadline(ins, D(2031, 1, 1), "More time", D(2023, 10, 1), decision="Board",
                                 user=district.user)
    ins.refresh_from_db()
    assert ins.deadline == D(2030, 1, 1)


def test_execution_report_outside_the_scope_is_refused(district, records):
    ins = Instruction.objects.get(code="M-OUT/1")
    with pytest.raises(PermissionDenied):
        services.add_execution_report(ins, D(2023, 10, 1), "Done", user=district.user)
    assert not ins.execution_reports.exists()


def test_issuing_an_instruction_to_a_body_outside_the_scope_is_refused(district, records):
    with pytest.raises(PermissionDenied):
        services.issue_instruction("M-IN/2", "Сыртқа", records.RO19, D(2030, 1, 1),
                                   meeting=records.RO75.meetings_organized.get(), user=district.user)
    assert not Instruction.objects.filter(code="M-IN/2").exists()


def test_a_role_without_governance_write_cannot_change_an_instruction(client_as, records):
    org = client_as("organization", records.SCH1)
    with pytest.raises(PermissionDenied):
        services.change_status(Instruction.objects.get(code="M-IN/1"), Status.IN_PROGRESS, D(2023, 10, 1),
                               user=org.user)


# --- the Django admin --------------------------------------------------------------------------------

def test_admin_instruction_list_of_a_scoped_administrator_is_filtered(client_as, records):
    admin = client_as("admin", records.KZ_75_01)
    page = admin.get("/admin/governance/instruction/").content.decode()
    assert "M-IN/1" in page and "M-OUT/1" not in page
