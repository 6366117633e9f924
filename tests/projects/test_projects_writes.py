"""Writes for programmes, projects and stages: services, schedule states, the API (POST/PATCH/DELETE)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from bilim.audit.models import AuditRecord
from bilim.projects import services
from bilim.projects.models import Programme, Project, Schedule, Stage, project_schedule

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def reg(mini_registry):
    return mini_registry


@pytest.fixture
def project(reg):
    return services.create_project("P-1", "modernization", "Жаңғырту", reg["district"], [reg["school"]],
                                   title_en="Modernization")


def _stage(**kw) -> Stage:
    base = {"kind": "construction", "planned_start": D(2024, 1, 1), "planned_end": D(2024, 6, 30)}
    return Stage(**(base | kw))


def test_behind_schedule_now_is_not_finished_late():
    day = D(2024, 8, 1)
    assert _stage(actual_start=D(2024, 1, 10)).schedule(day) == Schedule.BEHIND  # still open past its end
    assert _stage().schedule(D(2024, 2, 1)) == Schedule.BEHIND  # not started though due
    assert _stage(actual_start=D(2024, 1, 10)).schedule(D(2024, 3, 1)) == Schedule.ON_SCHEDULE
    assert _stage().schedule(D(2023, 12, 1)) == Schedule.NOT_STARTED
    late = _stage(actual_start=D(2024, 1, 10), actual_end=D(2024, 7, 20))
    assert late.schedule(day) == Schedule.LATE and late.delay_days(day) == 20
    assert late.schedule(D(2024, 7, 1)) == Schedule.BEHIND  # on 1 July it was behind; it finished late later
    on_time = _stage(actual_start=D(2024, 1, 10), actual_end=D(2024, 6, 1))
    assert on_time.schedule(day) == Schedule.ON_TIME and on_time.delay_days(day) == 0
    assert project_schedule([on_time, late], day) == Schedule.LATE
    assert project_schedule([on_time, _stage(kind="commissioning", planned_start=D(2024, 7, 1),
                                             planned_end=D(2024, 12, 1))], day) == Schedule.BEHIND


def test_stage_rules_name_the_field(project):
    with pytest.raises(ValidationError) as e:
        services.add_stage(project, "design", D(2024, 5, 1), D(2024, 4, 1))
    assert "planned_end" in e.value.message_dict
    services.add_stage(project, "design", D(2024, 1, 1), D(2024, 4, 1))
    with pytest.raises(ValidationError) as e:
        services.add_stage(project, "design", D(2024, 1, 1), D(2024, 4, 1))
    assert "kind" in e.value.message_dict
    stage = project.stages.get()
    with pytest.raises(ValidationError) as e:
        services.update_stage(stage, actual_end=D(2024, 3, 1))
    assert "actual_start" in e.value.message_dict
    services.update_stage(stage, actual_start=D(2024, 1, 5), actual_end=D(2024, 4, 20), actor="t")
    assert AuditRecord.objects.filter(action="projects.stage_update", object_id="P-1").exists()


def test_programme_project_edit_and_delete(reg, project, client_as):
    district = client_as("district", reg["district"]).user
    region = client_as("region", reg["abai"]).user
    with pytest.raises(PermissionDenied):  # a district office reads projects, it does not write them
        services.create_programme("PR-1", "Бағдарлама", reg["district"], 2024, 2026, user=district)
    prog = services.create_programme("PR-1", "Бағдарлама", reg["district"], 2024, 2026, user=region,
                                     title_en="Programme")
    services.update_project(project, programme_ref=prog, places=300, user=region, actor="r")
    project.refresh_from_db()
    assert project.programme == "Programme" and project.places == 300
    with pytest.raises(ValidationError) as e:
        services.delete_programme(prog, user=region)
    assert "still has projects" in str(e.value)
    with pytest.raises(ValidationError):
        services.update_programme(prog, end_year=2020, user=region)
    services.set_budget(project, 2024, planned=100, spent=5)
    with pytest.raises(ValidationError) as e:
        services.delete_project(project, user=region)
    assert "cancel it" in str(e.value)
    services.delete_budget_line(project, 2024, user=region)
    services.delete_project(project, user=region, actor="r")
    assert not Project.objects.filter(code="P-1").exists()
    services.delete_programme(prog, user=region)
    assert not Programme.objects.exists()
    actions = set(AuditRecord.objects.values_list("action", flat=True))
    assert {"projects.programme_create", "projects.update", "projects.delete", "projects.programme_delete"} <= actions


def test_outside_scope_is_refused(reg, project, client_as):
    other = client_as("region", reg["east"]).user  # the district moved to Abai in 2022
    with pytest.raises(PermissionDenied):
        services.add_stage(project, "design", D(2024, 1, 1), D(2024, 4, 1), user=other)
    assert not project.stages.exists()


API = "/api/v1/projects"


def test_api_programme_project_stage_and_timeline(reg, client_as):
    c = client_as("region", reg["abai"])
    js = {"content_type": "application/json"}
    assert c.post(API + "/programmes", {"code": "PR", "title_kk": "Бағдарлама", "owner": "KZ-10",
                                        "start_year": 2024, "end_year": 2026}, **js).status_code == 201
    r = c.post(API + "/projects", {"code": "P-2", "type": "station", "title_kk": "Станция", "territory": "KZ-63-001",
                                   "programme": "PR", "places": 40}, **js)
    assert r.status_code == 201, r.content
    r = c.post(API + "/projects/P-2/stages", {"kind": "construction", "planned_start": "2024-01-01",
                                              "planned_end": "2024-06-30", "actual_start": "2024-01-10"}, **js)
    assert r.status_code == 201 and r.json()["stages"][0]["schedule"] == "behind"
    sid = r.json()["stages"][0]["id"]
    r = c.patch(f"{API}/projects/P-2/stages/{sid}", {"actual_end": "2024-07-20"}, **js)
    assert r.status_code == 200 and r.json()["stages"][0]["schedule"] == "finished_late"
    assert r.json()["schedule"] == "finished_late" and r.json()["programme_code"] == "PR"
    bad = c.patch(f"{API}/projects/P-2/stages/{sid}", {"actual_end": "2023-01-01"}, **js)
    assert bad.status_code == 400 and bad.json()["message"].startswith("actual_end:")
    assert c.put(API + "/projects/P-2/budget/2024", {"planned": "100.50", "spent": "-1"}, **js).status_code == 422
    assert c.put(API + "/projects/P-2/budget/2024", {"planned": "100.50"}, **js).json()["planned"] == 100.5
    assert c.post(API + "/projects", {"code": "P-3", "type": "castle", "title_kk": "т", "territory": "KZ-63-001"},
                  **js).json()["message"].startswith("type:")
    tl = c.get(API + "/timeline").json()
    assert [r["code"] for r in tl["rows"]] == ["P-2"] and tl["rows"][0]["stages"][0]["actual_width"] > 0
    assert c.get(API + "/programmes").json()[0]["projects"] == 1
    other = client_as("region", reg["east"])
    assert other.post(f"{API}/projects/P-2/stages", {"kind": "design", "planned_start": "2024-01-01",
                                                     "planned_end": "2024-02-01"}, **js).status_code == 403
    assert c.delete(f"{API}/projects/P-2/stages/{sid}").status_code == 204
    assert c.delete(API + "/projects/P-2/budget/2024").status_code == 204
    assert c.delete(API + "/projects/P-2").status_code == 204
    assert c.delete(API + "/programmes/PR").status_code == 204
