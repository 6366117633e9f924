"""`bilim report KIND CODE --lang LANG -o FILE.pdf`: each printed report holds its subject's name in the
report's language and figures equal to the API's (text read back with pypdf)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

pytestmark = pytest.mark.django_db


def _text(path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    # the PDF keeps grouping spaces as no-break spaces; fold them so figures compare as printed
    return " ".join(p.extract_text() for p in reader.pages).replace("\xa0", " ")


def _report(tmp_path, kind: str, code: str, lang: str = "kk") -> str:
    out = tmp_path / f"{kind}.pdf"
    call_command("report", kind, code, "--lang", lang, "-o", str(out), stdout=io.StringIO())
    assert out.read_bytes()[:5] == b"%PDF-"
    return _text(out)


def _fmt(value: float, code: str, lang: str) -> str:
    from bilim.web import analytics_bridge as ab

    with translation.override(lang):
        return ab.fmt(value, code).replace("\xa0", " ")


def _api_value(admin_client, code: str, ou: str, period: str) -> float:
    body = admin_client.get(f"/api/v1/analytics?dx={code}&pe={period}&ou={ou}").json()
    (row,) = [r for r in body["rows"] if r[0] == code and r[2] == ou]
    return row[3]


@pytest.fixture
def seeded(small_demo):
    """The demo's competences, collegium meetings with instructions and capital projects (as `bilim demo`)."""
    from bilim.authority.demo import seed_demo as authority
    from bilim.governance.demo import seed_demo as governance
    from bilim.projects.demo import seed_demo as projects

    authority()
    governance()
    projects()


def _latest() -> str:
    from bilim.analytics import service

    return service.periods_available("ENROL")[-1]


def test_passport_of_a_region_in_kazakh_holds_its_name_and_the_apis_figure(warehouse, admin_client, tmp_path):
    from bilim.registry.models import OrgUnit

    text = _report(tmp_path, "passport", "KZ-75", "kk")
    assert OrgUnit.objects.get(code="KZ-75").name_kk in text
    value = _api_value(admin_client, "GER_ISCED1", "KZ-75", _latest())
    assert _fmt(value, "GER_ISCED1", "kk") in text
    assert "2024/25" in text and "2024S" not in text  # school years as people write them


def test_passport_in_english_uses_english_number_format(warehouse, admin_client, tmp_path):
    from bilim.registry.models import OrgUnit

    text = _report(tmp_path, "passport", "KZ", "en")
    assert OrgUnit.objects.get(code="KZ").name_en in text
    value = _api_value(admin_client, "EXP_PER_PUPIL", "KZ", _latest())
    printed = _fmt(value, "EXP_PER_PUPIL", "en")
    assert "," in printed and printed in text


def test_comparison_ranks_regions_with_the_apis_values(warehouse, admin_client, tmp_path):
    from bilim.registry.models import OrgUnit

    text = _report(tmp_path, "comparison", "GER_ISCED1", "ru")
    value = _api_value(admin_client, "GER_ISCED1", "KZ-75", _latest())
    assert _fmt(value, "GER_ISCED1", "ru") in text
    assert OrgUnit.objects.get(code="KZ-75").name_ru in text


def test_equity_report_prints_the_apis_gini(warehouse, admin_client, tmp_path):
    from bilim.formats.numbers import number

    text = _report(tmp_path, "equity", "KZ-75", "en")
    body = admin_client.get(f"/api/v1/analytics/equity?dx=EXP_PER_PUPIL&ou=KZ-75&pe={_latest()}&measures=GINI").json()
    gini = body["rows"][0]["value"]
    with translation.override("en"):
        assert number(gini, 3, "en") in text


def test_protocol_lists_the_meeting_and_its_instructions(seeded, admin_client, tmp_path):
    from bilim.governance.models import Meeting

    m = Meeting.objects.order_by("date").first()
    text = _report(tmp_path, "protocol", m.code, "kk")
    detail = admin_client.get(f"/api/v1/governance/meetings/{m.code}").json()
    assert " ".join(m.title_kk.split()[:3]) in " ".join(text.split())
    assert detail["instructions"], "the demo meeting issued instructions"
    first = detail["instructions"][0]
    assert first["responsible"]["code"] and str(first["number"]) in text


def test_control_report_counts_as_the_api(seeded, admin_client, tmp_path):
    text = _report(tmp_path, "control", "KZ", "en")
    body = admin_client.get("/api/v1/governance/control").json()
    totals = body["totals"]
    assert f"{totals['total']} {totals['executed']} {totals['in_progress']} {totals['overdue']}" in " ".join(text.split())


def test_projects_report_counts_as_the_api(seeded, admin_client, tmp_path):
    text = _report(tmp_path, "projects", "KZ", "en")
    body = admin_client.get("/api/v1/projects/dashboard").json()
    assert f"{body['totals']['projects']} {body['totals']['completed']}" in " ".join(text.split())


def test_unknown_subject_is_a_clear_error(small_demo, tmp_path):
    with pytest.raises(CommandError, match="NOPE"):
        call_command("report", "passport", "NOPE", "-o", str(tmp_path / "x.pdf"), stdout=io.StringIO())


def test_the_public_may_not_print_a_schools_passport(small_demo, tmp_path):
    from bilim.accounts.models import User
    from bilim.registry.models import OrgUnit

    User.objects.create_user("pub", password="x-long-password-1", role="public")
    school = OrgUnit.objects.filter(kind="organization").first()
    with pytest.raises(CommandError):
        call_command("report", "passport", school.code, "--user", "pub", "-o", str(tmp_path / "x.pdf"),
                     stdout=io.StringIO())
    assert not (tmp_path / "x.pdf").exists()
