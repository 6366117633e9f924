"""Org-unit codes and names (issue 11, item 4): a strict code pattern, no markup or invisible characters.

The rule lives in `OrgUnit.clean()`, so the registry services, the org-unit import (file and upload
page) and the Django admin refuse the same input with a message naming the field.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from bilim.exchange.services import import_file
from bilim.registry import services as rs
from bilim.registry.models import OrgUnit

pytestmark = pytest.mark.django_db

HEADER = "code,kind,type,name_kk,name_ru,name_en,parent,governing_body,area,valid_from\n"
DAY = dt.date(2010, 1, 1)


@pytest.mark.parametrize("code", ["<b>X</b>", "KZ/10", "kz-10", "KZ 10", "KZ-10\u200b", "KZ\u202e01", "-KZ"])
def test_services_refuse_bad_codes(mini_registry, act, code):
    with pytest.raises(ValidationError) as e:
        rs.open_unit(rs.UnitSpec(code, "district", "Аудан", parent=mini_registry["east"]), DAY, act)
    # the field as the form names it: `new_unit.code` for the unit an event opens
    assert any(k.split(".")[-1] == "code" for k in e.value.message_dict), e.value.message_dict
    assert not OrgUnit.objects.filter(code=code).exists()


@pytest.mark.parametrize("name", ['<img src=x onerror="alert(1)">', "Мектеп\u200b", "School\u202eloohcS",
                                  "Tab\there", "Line\nbreak", "NUL\x00", "\u2066isolate\u2069"])
def test_services_refuse_bad_names(mini_registry, act, name):
    with pytest.raises(ValidationError) as e:
        rs.open_unit(rs.UnitSpec("KZ-63-009", "district", "Аудан", name_en=name, parent=mini_registry["east"]),
                     DAY, act)
    assert any(k.split(".")[-1] == "name_en" for k in e.value.message_dict), e.value.message_dict
    with pytest.raises(ValidationError) as e:
        rs.rename_unit(mini_registry["district"], dt.date(2023, 1, 1), act, name_kk=name)
    assert any(k.split(".")[-1] == "name_kk" for k in e.value.message_dict), e.value.message_dict
    assert OrgUnit.objects.get(code="KZ-63-001").name_kk == "Ұржар"


def test_ordinary_names_and_codes_pass(mini_registry, act):
    rs.open_unit(rs.UnitSpec("KZ-63-009", "district", "«Болашақ» ауданы", "Район «Болашак» №2",
                             "O'Hara & Sons (No. 2)", parent=mini_registry["east"]), DAY, act)
    assert OrgUnit.objects.get(code="KZ-63-009").name_en == "O'Hara & Sons (No. 2)"


def test_import_names_the_field(mini_registry):
    text = HEADER + (
        "KZ/63,district,,Аудан,,,KZ-63,,,2010-01-01\n"
        "KZ-63-010,district,,Аудан,,<script>x</script>,KZ-63,,,2010-01-01\n"
        "KZ-63-011,district,,Ауда\u200bн,,,KZ-63,,,2010-01-01\n"
    )
    r = import_file(text.encode(), format="orgunits", dry_run=True)
    got = {(e.line, e.field) for e in r.errors}
    assert {(2, "code"), (3, "name_en"), (4, "name_kk")} <= got, [str(e) for e in r.errors]
    assert "U+200B" in next(e.reason for e in r.errors if e.line == 4)


def test_pattern_is_a_setting(mini_registry, act, settings):
    settings.BILIM_ORGUNIT_CODE_PATTERN = r"^[A-Z0-9_.-]{1,32}$"
    rs.open_unit(rs.UnitSpec("KZ_63.X", "district", "Аудан", parent=mini_registry["east"]), DAY, act)
    assert OrgUnit.objects.filter(code="KZ_63.X").exists()
