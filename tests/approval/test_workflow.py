"""Multi-level approval: school submits, district approves, region approves, ministry accepts."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from bilim.approval import services
from bilim.approval.models import ApprovalStep, Status
from bilim.approval.services import ApprovalError, approve, is_locked, submit, unapprove
from bilim.audit.models import AuditRecord
from bilim.audit.services import verify

pytestmark = pytest.mark.django_db
DS, PE = "SCHOOL_CENSUS", "2024S"


def _submit_all(*codes):
    for c in codes:
        submit(DS, c, PE, "clerk")


def test_full_climb_children_first(country):
    with pytest.raises(ApprovalError, match=r"2 of 2 units under it .*S1, S2"):
        approve(DS, "KZ-11-001", PE, "district")
    _submit_all("S1")
    with pytest.raises(ApprovalError, match=r"1 of 2 .*\(S2\)"):
        approve(DS, "KZ-11-001", PE, "district")
    _submit_all("S2")
    assert approve(DS, "KZ-11-001", PE, "district").status == Status.APPROVED
    with pytest.raises(ApprovalError, match="KZ-11-002"):
        approve(DS, "KZ-11", PE, "region")  # its other district has not approved
    _submit_all("S3")  # S8 closed in 2010 does not have to report; K1 (kindergarten) does not report this form
    approve(DS, "KZ-11-002", PE, "district")
    approve(DS, "KZ-11", PE, "region")
    with pytest.raises(ApprovalError, match="KZ-15"):
        approve(DS, "KZ", PE, "ministry")
    _submit_all("S4")
    approve(DS, "KZ-15-001", PE, "district")
    approve(DS, "KZ-15", PE, "region")
    assert approve(DS, "KZ", PE, "ministry").status == Status.ACCEPTED
    assert AuditRecord.objects.filter(action__startswith="approval.").count() == 4 + 3 + 2 + 1
    assert verify().ok


def test_wrong_steps_are_refused(country):
    with pytest.raises(ApprovalError, match="does not report"):
        submit(DS, "K1", PE)
    with pytest.raises(ApprovalError, match="does not report"):
        submit(DS, "S8", PE)
    submit(DS, "S1", PE)
    with pytest.raises(ApprovalError, match="already submitted"):
        submit(DS, "S1", PE)
    with pytest.raises(ApprovalError, match="submits, the level above approves"):
        approve(DS, "S1", PE)


def test_lock_follows_the_state(country):
    s1 = country["S1"]
    assert not is_locked(s1, PE, None)
    submit(DS, "S1", PE)
    from bilim.metadata.models import DataElement, DataSet

    assert is_locked(s1, PE, DataSet.objects.get(code=DS))
    assert is_locked(s1, PE, DataElement.objects.get(code="ENROL"))
    assert not is_locked(s1, PE, DataElement.objects.get(code="EXPEND"))  # another form
    assert not is_locked(s1, "2023S", None)
    assert not is_locked(country["S2"], PE, None)


def test_saving_into_a_submitted_form_raises_a_clear_locked_error(country, save):
    from bilim.collection.services import LockedError

    save("S1", "ENROL", 10, SEX="F", GRADE="G01")
    save("S1", "TEACH", 2)
    submit(DS, "S1", PE)
    with pytest.raises(LockedError, match="ENROL for S1 in 2024S is approved and locked"):
        save("S1", "ENROL", 11, SEX="F", GRADE="G01")
    unapprove(DS, "S1", PE, "wrong figure in G01", "district")
    save("S1", "CAPACITY", 100)  # open again


def test_unapprove_needs_a_reason_and_the_level_above_open(country):
    _submit_all("S1", "S2")
    approve(DS, "KZ-11-001", PE, "district")
    with pytest.raises(ApprovalError, match="reason is required"):
        unapprove(DS, "S1", PE, "  ")
    with pytest.raises(ApprovalError, match="KZ-11-001 has already approved .* withdrawn first"):
        unapprove(DS, "S1", PE, "typo")
    state = unapprove(DS, "KZ-11-001", PE, "S1 counted a class twice", "region-user")
    assert (state.status, state.reason) == (Status.OPEN, "S1 counted a class twice")
    unapprove(DS, "S1", PE, "count G03 again", "district-user")
    step = ApprovalStep.objects.filter(state__org_unit__code="S1").last()
    assert (step.action, step.from_status, step.to_status, step.by, step.by_unit, step.reason) == (
        "unapprove", "submitted", "open", "district-user", "KZ-11-001", "count G03 again")
    rec = AuditRecord.objects.filter(action="approval.unapprove").last()
    assert rec.object_id == "SCHOOL_CENSUS/2024S/S1" and rec.after["reason"] == "count G03 again"
    assert rec.before == {"status": "submitted"}
    with pytest.raises(ApprovalError, match="is open; there is nothing to return"):
        unapprove(DS, "S1", PE, "again")


def test_cascade_reopens_everything_below(country):
    _submit_all("S1", "S2", "S3")
    approve(DS, "KZ-11-001", PE)
    approve(DS, "KZ-11-002", PE)
    approve(DS, "KZ-11", PE)
    unapprove(DS, "KZ-11", PE, "recount the region", "ministry", cascade=True)
    assert not any(is_locked(country[c], PE, None) for c in ("S1", "S2", "S3", "d1", "r1"))
    assert ApprovalStep.objects.filter(action="unapprove", reason="recount the region").count() == 6


def test_only_the_right_level_may_act(country, django_user_model):
    def user(name, role, scope):
        return django_user_model.objects.create_user(name, role=role, scope=country.get(scope) if scope else None)

    school, other_school = user("school", "organization", "S1"), user("school2", "organization", "S2")
    district, region, ministry = user("dist", "district", "d1"), user("reg", "region", "r1"), user("min", "ministry", None)
    with pytest.raises(PermissionDenied):
        submit(DS, "S1", PE, other_school)
    submit(DS, "S1", PE, school)
    with pytest.raises(PermissionDenied):  # a school cannot return its own submission
        unapprove(DS, "S1", PE, "mine", school)
    with pytest.raises(PermissionDenied):  # the region is not the level directly above a school
        unapprove(DS, "S1", PE, "no", region)
    unapprove(DS, "S1", PE, "fix G01", district)
    _submit_all("S1", "S2")
    with pytest.raises(PermissionDenied):
        approve(DS, "KZ-11-001", PE, school)
    approve(DS, "KZ-11-001", PE, district)
    with pytest.raises(PermissionDenied):
        unapprove(DS, "KZ-11-001", PE, "no", district)
    unapprove(DS, "KZ-11-001", PE, "check S2", region)
    assert services._may_act_for(ministry, country["kz"], country["kz"].opened or __import__("datetime").date.today())


def test_lock_checker_agrees_with_is_locked(country):
    from bilim.metadata.models import DataElement, DataSet

    submit(DS, "S1", PE)
    check = services.lock_checker([PE, "2023S"])
    ds, enrol, expend = (DataSet.objects.get(code=DS), DataElement.objects.get(code="ENROL"),
                         DataElement.objects.get(code="EXPEND"))
    for unit in (country["S1"], country["S2"]):
        for period in (PE, "2023S"):
            for what in (None, ds, enrol, expend):
                assert check(unit, period, what) == is_locked(unit, period, what)


def test_a_blocking_rule_stops_the_submission_whatever_the_path(country, save):
    from bilim.approval.services import ApprovalError

    save("S1", "ENROL", 10, SEX="F", GRADE="G01")  # pupils but no teachers: TEACHERS_IF_PUPILS is blocking
    with pytest.raises(ApprovalError, match="TEACHERS_IF_PUPILS"):
        submit(DS, "S1", PE)
    save("S1", "TEACH", 2)
    assert submit(DS, "S1", PE).status == "submitted"


def test_a_district_office_submits_for_a_school_of_its_district_only(country, django_user_model):
    district = django_user_model.objects.create_user("dist", role="district", scope=country["d1"])
    assert submit(DS, "S1", PE, district).status == Status.SUBMITTED
    with pytest.raises(PermissionDenied):  # S3 lies in another district
        submit(DS, "S3", PE, district)


def test_without_the_setting_a_district_office_cannot_submit_for_a_school(country, django_user_model, settings):
    settings.BILIM_ROLES_SUBMITTING_FOR_ORGANIZATIONS = frozenset()
    district = django_user_model.objects.create_user("dist", role="district", scope=country["d1"])
    with pytest.raises(PermissionDenied):
        submit(DS, "S1", PE, district)
