"""Factories for registry tests (factory_boy) and a helper that opens units through the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import factory
from factory.django import DjangoModelFactory

from bilim.registry import services
from bilim.registry.models import Kind, LegalAct, OrgUnit
from bilim.registry.services import UnitSpec

D2000 = dt.date(2000, 1, 1)


class LegalActFactory(DjangoModelFactory):
    class Meta:
        model = LegalAct

    kind = LegalAct.ActKind.DECREE
    number = factory.Sequence(lambda n: str(100 + n))
    date = D2000
    issuer = "President of the Republic of Kazakhstan"
    title_en = factory.Sequence(lambda n: f"Test act {n}")
    title_ru = factory.Sequence(lambda n: f"Тестовый акт {n}")
    title_kk = factory.Sequence(lambda n: f"Сынақ акті {n}")


class UnitSpecFactory(factory.Factory):
    """What `open_unit` needs; an organization (a school) unless told otherwise."""

    class Meta:
        model = UnitSpec

    code = factory.Sequence(lambda n: f"T-{n:05d}")
    kind = Kind.ORGANIZATION
    name_kk = factory.LazyAttribute(lambda o: f"{o.code} мектебі")
    name_ru = factory.LazyAttribute(lambda o: f"Школа {o.code}")
    name_en = factory.LazyAttribute(lambda o: f"School {o.code}")
    parent = None
    governing_body = None
    attrs = factory.LazyFunction(lambda: {"org_type": "SCHOOL", "area": "URBAN"})


@dataclass
class Tree:
    """KZ > R1 (D1, D2), R2 (D3); authorities MIN (ministry), R1-EDU, D1-EDU, D2-EDU; school S1 in D1."""

    act: LegalAct
    kz: OrgUnit
    r1: OrgUnit
    r2: OrgUnit
    d1: OrgUnit
    d2: OrgUnit
    d3: OrgUnit
    ministry: OrgUnit
    r1_edu: OrgUnit
    d1_edu: OrgUnit
    d2_edu: OrgUnit
    s1: OrgUnit


def open_(code: str, kind: str, parent: OrgUnit | None, act: LegalAct, body: OrgUnit | None = None,
          date: dt.date = D2000, **attrs) -> OrgUnit:
    spec = UnitSpecFactory(code=code, kind=kind, parent=parent, governing_body=body, attrs=attrs,
                           name_en=f"{code} name", name_kk=f"{code} атауы", name_ru=f"{code} название")
    return services.open_unit(spec, date, act, actor="test")


