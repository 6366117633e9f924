"""The work of each role, done through the pages in Debian's Chromium, on a demo server of its own.

Starting from a fresh small demo: an administrator adds a district user with a scope; that user enters
and submits its schools' census and approves the district; the region approves; a secretary records a
collegium meeting with an agenda, a report, a proposal and the instruction it becomes; the responsible
body files an execution report; the ministry registers a legal act and delegates a power to the Almaty
city akimat, and the holder answer changes; an akimat user records a project stage's actual dates; a
restructuring is previewed and applied. Screenshots in kk and en land in var/screenshots/workflow-*.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from tests.browser.conftest import shot, sign_in
from tests.livedemo import ADMIN

pytestmark = pytest.mark.browser

PASSWORD = "Steppe-Census-2026"
DISTRICT, REGION, SCHOOLS = "KZ-35-014", "KZ-62", ("970140100406", "020840100424")
PERIOD = "2024S"


def _page(browser, demo, who: tuple[str, str] | None = None, lang: str = "en"):
    """A new browser context on `demo`, signed in as `who` (the administrator by default), in `lang`."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale={"kk": "kk-KZ"}.get(lang, lang))
    pg = ctx.new_page()
    pg.set_default_timeout(20000)
    pg.base = demo.url
    sign_in(pg, who or ADMIN, to="/")
    set_lang(pg, lang)
    return pg


def set_lang(pg, code: str) -> None:
    token = next(c["value"] for c in pg.context.cookies() if c["name"] == "csrftoken")
    r = pg.request.post(pg.base + "/language/", max_redirects=0,
                        form={"language": code, "next": "/", "csrfmiddlewaretoken": token})
    assert r.status == 302, r.status


def pick(pg, field: str, text: str, code: str, within: str = "main") -> None:
    """Choose `code` in the org-unit picker named `field` (inside `within`) by typing `text`, as a user would."""
    box = pg.locator(within).locator(f"[data-ou-picker]:has(input[name={field}_q])")
    q = box.locator(f"input[name={field}_q]")
    q.click()
    q.fill(text)
    option = box.locator("li[role=option]", has_text=re.compile(rf"^{re.escape(code)}\b")).first
    option.wait_for()
    option.dispatch_event("mousedown")
    assert box.locator(f"input[name={field}]").input_value() == code


def submit(pg, form: str) -> None:
    with pg.expect_navigation():
        pg.click(f"#{form} button[type=submit]")
    pg.wait_for_load_state("networkidle")


def add_user(demo, username: str, role: str, scope: str | None = None) -> tuple[str, str]:
    """An account made with the CLI, for the steps whose subject is not account administration."""
    demo.env["BILIM_PASSWORD"] = PASSWORD
    demo.run("users", "add", username, "--role", role, *(["--scope", scope] if scope else []))
    return username, PASSWORD


def register_act(pg, kind: str, number: str, issuer: str, title_kk: str, title_en: str) -> None:
    """Register a legal act (dated today) on the acts page, as the first step of a decision that rests on it."""
    pg.goto(pg.base + "/registry/acts/")
    pg.select_option("#id_kind", kind)
    pg.fill("#id_number", number)
    pg.fill("#id_date", dt.date.today().isoformat())
    pg.fill("#id_issuer", issuer)
    pg.fill("#id_title_kk", title_kk)
    pg.fill("#id_title_en", title_en)
    submit(pg, "act-form")


def choose_act(pg, title: str) -> None:
    """Pick, in the form's legal-act list, the act whose label holds `title`."""
    option = pg.locator("#id_legal_act option", has_text=title).first
    pg.select_option("#id_legal_act", option.get_attribute("value"))


def test_an_administrator_adds_a_district_user_who_submits_and_the_region_approves(browser, fresh_demo):
    admin = _page(browser, fresh_demo)
    admin.goto(admin.base + "/accounts/users/new/")
    admin.fill("#id_username", "zhezkazgan")
    admin.select_option("#id_role", "district")
    admin.fill("#id_scope", DISTRICT)
    admin.fill("#id_first_name", "Айгүл")
    admin.select_option("#id_language", "kk")
    admin.fill("#id_password", PASSWORD)
    admin.fill("#id_password2", PASSWORD)
    shot(admin, "workflow-en-1-add-user")
    submit(admin, "user-form")
    assert "/accounts/users/zhezkazgan/" in admin.url
    assert admin.input_value("#id_scope").startswith(DISTRICT)
    assert admin.locator("#messages li").count() == 1  # said once, not by the base and the page both

    # the district office, in Kazakh: its home leads to the approval of its district
    district = _page(browser, fresh_demo, ("zhezkazgan", PASSWORD), lang="kk")
    district.goto(district.base + "/")
    shot(district, "workflow-kk-2-district-home")
    district.goto(district.base + f"/collection/approval/SCHOOL_CENSUS/{DISTRICT}/{PERIOD}/")
    assert district.locator("#approve-blocked button").is_disabled()
    for n, school in enumerate(SCHOOLS):
        district.goto(district.base + f"/collection/entry/SCHOOL_CENSUS/{school}/{PERIOD}/")
        if n == 0:  # one correction first: 3 more girls in grade 1
            cell = district.locator('input[name="v:ENROL:SEX=F,GRADE=G01"]')
            before = int(cell.input_value() or 0)
            cell.fill(str(before + 3))
            shot(district, "workflow-kk-3-entry")
            assert district.locator("#bar-submit").is_disabled()  # unsaved changes are not submitted
            district.once("dialog", lambda d: d.accept())
            submit(district, "entry-form")
            assert district.locator('input[name="v:ENROL:SEX=F,GRADE=G01"]').input_value() == str(before + 3)
        assert district.locator("#bar-submit").is_enabled()  # the sticky bar: Save and Submit at hand
        with district.expect_navigation():
            district.click("#bar-submit")
        district.wait_for_load_state("networkidle")
        assert district.locator("#workflow input[value=submit]").count() == 0
        # the form is locked now: the grid does not take values
        assert not district.locator('input[name="v:ENROL:SEX=F,GRADE=G01"]').is_editable()
    district.goto(district.base + f"/collection/approval/SCHOOL_CENSUS/{DISTRICT}/{PERIOD}/")
    with district.expect_navigation():
        district.click("#workflow form:has(input[value=approve]) button")
    shot(district, "workflow-kk-4-district-approved")
    status = fresh_demo_status(district, DISTRICT)
    assert status == "approved"

    region_user = add_user(fresh_demo, "ulytau", "region", REGION)
    region = _page(browser, fresh_demo, region_user)
    region.goto(region.base + f"/collection/approval/SCHOOL_CENSUS/{REGION}/{PERIOD}/")
    with region.expect_navigation():
        region.click("#workflow form:has(input[value=approve]) button")
    shot(region, "workflow-en-5-region-approved")
    assert fresh_demo_status(region, REGION) == "approved"
    history = region.inner_text("main")
    assert "ulytau" in history


def fresh_demo_status(pg, code: str) -> str:
    """The approval status of the census for `code`, as the API tells it."""
    r = pg.request.get(pg.base + f"/api/v1/collection/approvals/SCHOOL_CENSUS/{code}/{PERIOD}")
    assert r.ok, r.text()[:300]
    return r.json()["status"]


def test_a_secretary_records_a_meeting_whose_instruction_gets_an_execution_report(browser, fresh_demo):
    sec = _page(browser, fresh_demo, add_user(fresh_demo, "secretary", "secretariat"))
    sec.goto(sec.base + "/meetings/new/")
    sec.fill("#id_code", "MOE-2026-11-20")
    sec.select_option("#id_kind", "collegium")
    sec.fill("#id_date", "2026-11-20")
    pick(sec, "organizer", "Ministry", "KZ-MOE")
    sec.fill("#id_title_kk", "Оқу-ағарту министрлігі алқасының отырысы")
    sec.fill("#id_title_en", "Meeting of the collegium of the Ministry of Education")
    submit(sec, "meeting-form")
    assert "/meetings/MOE-2026-11-20/" in sec.url
    if not sec.url.endswith("/edit/"):
        sec.goto(sec.base + "/meetings/MOE-2026-11-20/edit/")
    pick(sec, "body", "Ulytau", "KZ-62-EDU", within="#participant-form")
    sec.fill("#participant-form input[name=representative]", "Серік Әбенов")
    sec.select_option("#participant-form select[name=role]", "speaker")
    submit(sec, "participant-form")
    sec.fill("#agenda-form input[name=title_kk]", "Ұлытау облысындағы мектеп желісі")
    sec.fill("#agenda-form input[name=title_en]", "The school network of Ulytau Region")
    submit(sec, "agenda-form")
    sec.select_option("#report-form select[name=agenda_item]", index=1)
    sec.fill("#report-form input[name=speaker]", "Серік Әбенов")
    sec.fill("#report-form input[name=topic_kk]", "Орын тапшылығы туралы")
    sec.fill("#report-form input[name=topic_en]", "On the shortage of school places")
    submit(sec, "report-form")
    sec.fill("#proposal-form textarea[name=text_kk]", "Жезқазғанда жаңа мектептің жобасын әзірлеу")
    sec.fill("#proposal-form textarea[name=text_en]", "Prepare the design of a new school in Zhezkazgan")
    submit(sec, "proposal-form")
    for table, text in (("participants", "Серік Әбенов"), ("agenda", "school network"),
                        ("reports", "shortage of school places"), ("proposals", "new school in Zhezkazgan")):
        assert text in sec.inner_text(f"#{table}"), table
    shot(sec, "workflow-en-6-meeting-record")
    with sec.expect_navigation():
        sec.locator("#proposals a.make-instruction").first.click()
    deadline = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    pick(sec, "responsible", "Ulytau", "KZ-62-EDU")
    sec.fill("#id_deadline", deadline)
    sec.fill("#id_indicator_codes", "PTR_ISCED1")
    submit(sec, "instruction-form")
    assert re.search(r"/instructions/MOE-2026-11-20/1/$", sec.url), sec.url
    assert "Prepare the design of a new school" in sec.inner_text("main")

    # the responsible body (the region department) reports what it has done, in Kazakh
    region = _page(browser, fresh_demo, add_user(fresh_demo, "ulytau-edu", "region", REGION), lang="kk")
    region.goto(region.base + "/instructions/MOE-2026-11-20/1/do/report/")
    region.fill("#id_date", dt.date.today().isoformat())
    region.fill("#id_text", "Жобалау-сметалық құжаттама тапсырыс берілді")
    submit(region, "report-form")
    assert "Жобалау-сметалық құжаттама тапсырыс берілді" in region.inner_text("main")
    shot(region, "workflow-kk-7-execution-report")
    meeting = sec.request.get(sec.base + "/api/v1/governance/meetings/MOE-2026-11-20").json()
    assert meeting["instructions"][0]["code"] == "MOE-2026-11-20/1"


def _holder(pg, competence: str, unit: str, day: str) -> str:
    pg.goto(pg.base + f"/competences/holder/?competence={competence}&unit={unit}&date={day}")
    return pg.inner_text("main")


def test_the_ministry_delegates_a_power_to_the_almaty_akimat_and_the_holder_answer_changes(browser, fresh_demo):
    ministry = _page(browser, fresh_demo, add_user(fresh_demo, "ministry", "ministry"))
    school = "KZ-75-002"
    day = dt.date.today().isoformat()
    assert "Akimat of Almaty" not in _holder(ministry, "PRIVATE_LICENSING", school, day)
    register_act(ministry, "order", "512", "Minister of Enlightenment",
                 "Алматы қаласының әкімдігіне жекеменшік мектептерді лицензиялау өкілеттігін беру",
                 "On delegating the licensing of private schools to the akimat of Almaty")
    ministry.goto(ministry.base + "/competences/delegations/new/")
    ministry.select_option("#id_competence", "PRIVATE_LICENSING")
    ministry.fill("#id_grantor", "KZ-MOE")
    ministry.fill("#id_grantee", "KZ-75-AKIMAT")
    ministry.fill("#id_scope_unit", "KZ-75")
    ministry.fill("#id_valid_from", day)
    choose_act(ministry, "licensing of private schools to the akimat of Almaty")
    submit(ministry, "delegation-form")
    shot(ministry, "workflow-en-8-delegation")
    answer = _holder(ministry, "PRIVATE_LICENSING", school, day)
    assert "Akimat of Almaty" in answer
    assert "512" in answer
    shot(ministry, "workflow-en-9-holder")


def test_an_akimat_user_records_a_stage_of_the_palace_modernization(browser, fresh_demo):
    akimat = _page(browser, fresh_demo, add_user(fresh_demo, "almaty-akimat", "region", "KZ-75"), lang="kk")
    akimat.goto(akimat.base + "/projects/ALA-PALACE/stages/")
    today = dt.date.today()
    # the design stage is planned first, then, once work has begun, its actual start is recorded
    akimat.select_option("#id_kind", "design")
    started = (today - dt.timedelta(days=30)).isoformat()
    akimat.fill("#id_planned_start", started)
    akimat.fill("#id_planned_end", (today + dt.timedelta(days=90)).isoformat())
    submit(akimat, "stage-form")
    akimat.locator("#stages a", has_text=re.compile("Өңдеу|Edit")).first.click()
    akimat.wait_for_load_state("networkidle")
    assert akimat.locator("#id_planned_start").input_value() == started
    akimat.fill("#id_actual_start", started)
    submit(akimat, "stage-form")
    assert "/stages/" in akimat.url and "?stage" not in akimat.url
    shot(akimat, "workflow-kk-10-stage")
    detail = akimat.request.get(akimat.base + "/api/v1/projects/projects/ALA-PALACE").json()
    assert any(s.get("actual_start") == started for s in detail["stages"])
    # outside its city the same user is refused
    r = akimat.request.get(akimat.base + "/projects/SHY-SCHOOL-1/stages/")
    assert r.status in (403, 404)


def test_a_restructuring_is_previewed_then_applied(browser, fresh_demo):
    ministry = _page(browser, fresh_demo, add_user(fresh_demo, "registrar", "ministry"))
    ministry.goto(ministry.base + "/registry/events/new/move/")
    ministry.select_option("#id_legal_act", index=1)
    ministry.fill("#id_effective_date", dt.date.today().isoformat())
    ministry.fill("#id_description", "Secondary School No. 2 moves to Satpayev")
    ministry.fill("#id_unit", SCHOOLS[1])
    ministry.fill("#id_parent", "KZ-35-009")
    with ministry.expect_navigation():
        ministry.click("#preview-button")
    preview = ministry.inner_text("main")
    assert SCHOOLS[1] in preview
    shot(ministry, "workflow-en-11-restructuring-preview")
    with ministry.expect_navigation():
        ministry.click("#event-form button[name=action][value=apply]")
    assert re.search(r"/registry/events/\d+/$", ministry.url), ministry.url
    unit = ministry.request.get(ministry.base + f"/api/v1/orgunits/{SCHOOLS[1]}").json()
    assert unit["parent"] == "KZ-35-009"
    shot(ministry, "workflow-en-12-restructuring-applied")





FIND_TRANSFERS = """
import datetime as dt, json
from bilim.registry import selectors as rs
from bilim.registry.models import OrgUnit
day = dt.date.today()
for akimat in OrgUnit.objects.filter(subtype="AKIMAT", code__regex=r"-[0-9]{3}-AKIMAT$").order_by("code"):
    kgs = [u.code for u in rs.governed_by(akimat, day) if u.subtype == "KINDERGARTEN"]
    region = rs.parent_on(OrgUnit.objects.get(code=akimat.code.removesuffix("-AKIMAT")), day)
    if kgs and region is not None and OrgUnit.objects.filter(code=region.code + "-EDU").exists():
        print("FOUND=" + json.dumps([akimat.code, region.code + "-EDU", kgs]))
        break
"""


def _transfer(pg, governed_by: str, of_type: str, body: str, description: str) -> str:
    """Preview, then apply, the transfer of every unit of `of_type` governed by `governed_by` to `body`."""
    pg.goto(pg.base + "/registry/events/new/transfer/")
    choose_act(pg, "On transferring preschool organizations")
    pg.fill("#id_effective_date", dt.date.today().isoformat())
    pg.fill("#id_description", description)
    pg.fill("#id_governed_by", governed_by)
    pg.select_option("#id_governed_type", of_type)
    pg.fill("#id_body", body)
    with pg.expect_navigation():
        pg.click("#preview-button")
    preview = pg.inner_text("#preview")
    with pg.expect_navigation():
        pg.click("#apply-button")
    assert re.search(r"/registry/events/\d+/$", pg.url), pg.url
    return preview


def test_a_district_akimats_kindergartens_pass_to_the_region_department_through_the_pages(browser, fresh_demo):
    """As one demo region did by its akimat's resolution, now for a district akimat that kept its kindergartens."""
    out = fresh_demo.run("shell", "-c", FIND_TRANSFERS)
    akimat, dept, kgs = json.loads(next(li for li in out.splitlines() if li.startswith("FOUND=")).removeprefix("FOUND="))
    ministry = _page(browser, fresh_demo, add_user(fresh_demo, "reformer", "ministry"))
    register_act(ministry, "decision", "77", "Akimat of the region",  # the decision the transfer rests on
                 "Мектепке дейінгі ұйымдарды облыстық білім басқармасына беру туралы",
                 "On transferring preschool organizations to the region education department")
    preview = _transfer(ministry, akimat, "subtype:KINDERGARTEN", dept,
                        "Kindergartens pass from the district akimat to the region education department")
    assert all(k in preview for k in kgs) and f"{akimat} → {dept}" in preview
    shot(ministry, "workflow-en-13-kindergartens-transferred")
    for code in kgs:
        unit = ministry.request.get(ministry.base + f"/api/v1/orgunits/{code}").json()
        assert unit["governing_body"] == dept, unit
