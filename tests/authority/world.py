"""A tiny registry shared by the authority, governance and projects tests.

KZ ─ MIN (ministry)
├─ KZ-75 Almaty city ─ AK75 (akimat), UO75 (education department), PAL (palace, directly under the city)
│  └─ KZ-75-01 district ─ RO75 (district office), SCH1, SCH2 (schools)
└─ KZ-19 Almaty Region ─ AK19, UO19
   └─ KZ-19-01 district ─ RO19, SCH3 (3 shifts, over capacity)
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import factory

from bilim.registry.models import LegalAct, OrgUnit
from bilim.registry.services import UnitSpec, bulk_register

START = dt.date(2000, 1, 1)


class LegalActFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LegalAct

    kind = "order"
    number = factory.Sequence(lambda n: str(100 + n))
    date = dt.date(2000, 1, 1)
    issuer = "Ministry"
    title_en = factory.Sequence(lambda n: f"Test order {n}")


def build_world() -> SimpleNamespace:
    act = LegalActFactory(kind="decree", issuer="President", title_en="Initial registration")
    u: dict[str, OrgUnit] = {}

    def reg(specs):
        bulk_register(specs, START, act, actor="test")
        u.update({s.code: OrgUnit.objects.get(code=s.code) for s in specs})

    reg([UnitSpec("KZ", "republic", "Қазақстан", name_en="Kazakhstan")])
    reg([UnitSpec("KZ-75", "region", "Алматы қаласы", name_en="Almaty", parent=u["KZ"]),
         UnitSpec("KZ-19", "region", "Алматы облысы", name_en="Almaty Region", parent=u["KZ"]),
         UnitSpec("MIN", "authority", "Министрлік", name_en="Ministry", parent=u["KZ"], attrs={"subtype": "MINISTRY"})])
    reg([UnitSpec("KZ-75-01", "district", "Алмалы ауданы", name_en="Almaly district", parent=u["KZ-75"]),
         UnitSpec("KZ-19-01", "district", "Іле ауданы", name_en="Ile district", parent=u["KZ-19"]),
         UnitSpec("AK75", "authority", "Алматы әкімдігі", name_en="Almaty akimat", parent=u["KZ-75"],
                  attrs={"subtype": "AKIMAT"}),
         UnitSpec("UO75", "authority", "Алматы білім басқармасы", name_en="Almaty education department",
                  parent=u["KZ-75"], attrs={"subtype": "REGION_DEPT"}),
         UnitSpec("AK19", "authority", "Облыс әкімдігі", name_en="Region akimat", parent=u["KZ-19"],
                  attrs={"subtype": "AKIMAT"}),
         UnitSpec("UO19", "authority", "Облыс білім басқармасы", name_en="Region education department",
                  parent=u["KZ-19"], attrs={"subtype": "REGION_DEPT"})])
    reg([UnitSpec("RO75", "authority", "Алмалы білім бөлімі", name_en="Almaly education office",
                  parent=u["KZ-75-01"], governing_body=u["UO75"], attrs={"subtype": "DISTRICT_OFFICE"}),
         UnitSpec("RO19", "authority", "Іле білім бөлімі", name_en="Ile education office", parent=u["KZ-19-01"],
                  governing_body=u["AK19"], attrs={"subtype": "DISTRICT_OFFICE"}),
         UnitSpec("PAL", "organization", "Оқушылар сарайы", name_en="Palace of schoolchildren", parent=u["KZ-75"],
                  governing_body=u["UO75"], attrs={"org_type": "ADDITIONAL", "subtype": "PALACE",
                                                   "lat": 43.23, "lon": 76.95})])
    reg([UnitSpec("SCH1", "organization", "№1 мектеп", name_en="School 1", parent=u["KZ-75-01"],
                  governing_body=u["RO75"], attrs={"org_type": "SCHOOL", "capacity": 1200, "shifts": 2}),
         UnitSpec("SCH2", "organization", "№2 мектеп", name_en="School 2", parent=u["KZ-75-01"],
                  governing_body=u["RO75"], attrs={"org_type": "SCHOOL", "capacity": 600, "shifts": 1}),
         UnitSpec("SCH3", "organization", "№3 мектеп", name_en="School 3", parent=u["KZ-19-01"],
                  governing_body=u["RO19"], attrs={"org_type": "SCHOOL", "capacity": 400, "shifts": 3,
                                                   "lat": 43.5, "lon": 77.1})])
    return SimpleNamespace(act=act, **{k.replace("-", "_"): v for k, v in u.items()})
