"""The must-show behaviours through the CLI (`bilim orgunits ...`, `bilim demo`, `bilim ensure_demo_admin`)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from bilim.registry.models import OrgUnit

pytestmark = pytest.mark.django_db

SEMEY = "KZ-63-012"


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_abai_did_not_exist_in_2021(small_demo):
    out = run("orgunits", "show", "KZ-10", "--as-of", "2021-01-01")
    assert "did not exist on 2021-01-01" in out
    assert "opened on 2022-06-08" in out


def test_abai_in_2023_is_under_kz_with_its_districts(small_demo):
    out = run("orgunits", "show", "KZ-10", "--as-of", "2023-01-01")
    assert "KZ-10 Abai Region" in out
    assert "territorial parent chain: KZ Republic of Kazakhstan" in out
    assert f"{SEMEY}" in out and "Semey City" in out and "Urzhar District" in out


def test_history_of_a_moved_district_shows_both_parents_dates_and_act(small_demo):
    out = run("orgunits", "history", SEMEY)
    assert "KZ-63 East Kazakhstan Region until 2022-06-08" in out
    assert "2022-06-08  territorial parent  KZ-10 Abai Region (in force)" in out
    assert "No. 887 of 2022-05-03" in out


def test_history_in_russian(small_demo):
    out = run("orgunits", "history", SEMEY, "--lang", "ru")
    assert "Восточно-Казахстанская область" in out and "Абайская область" in out


def test_south_kazakhstan_history_and_shymkent(small_demo):
    out = run("orgunits", "show", "KZ-YUZ", "--as-of", "2019-01-01")
    assert "did not exist on 2019-01-01" in out and "closed on 2018-06-19" in out
    out = run("orgunits", "history", "KZ-YUZ-001")
    assert "KZ-YUZ South Kazakhstan Region until 2018-06-19" in out and "No. 702 of 2018-06-19" in out


def test_demo_if_empty_does_nothing_when_built(small_demo):
    before = OrgUnit.objects.count()
    out = run("demo", "--scale", "small", "--if-empty")
    assert "nothing to do" in out
    assert OrgUnit.objects.count() == before
    with pytest.raises(CommandError, match="already contains"):
        run("demo", "--scale", "small")


def test_ensure_demo_admin_creates_then_updates(db):
    out = run("ensure_demo_admin")
    assert "admin" in out and "bilim-demo-2026" in out
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.is_staff and user.role == "admin"
    assert user.check_password("bilim-demo-2026")
    user.set_password("changed")
    user.save()
    assert "Updated" in run("ensure_demo_admin")
    user.refresh_from_db()
    assert user.check_password("bilim-demo-2026")
    assert get_user_model().objects.filter(username="admin").count() == 1
