"""Demo capital programme, written after the demo registry (and the governance demo) is built.

Real (the Minister's announcement of March 2022 on additional education in Almaty): full
modernization of the existing Palace of Schoolchildren; two modern innovative creative centres to be
commissioned; three houses of schoolchildren to be built the next year after demolition of the old
buildings, with design under way; school sports grounds renewed; young tourists' and young
naturalists' stations modernized. Synthetic (flagged `synthetic=True` and "(synthetic demo)" in the
titles): every amount, date and milestone, and three new-school projects in Astana, Shymkent and
Turkistan Region linked to the collegium instruction on three-shift schools.

Almaty's organizations are found by org_type ADDITIONAL and subtype under KZ-75; houses of
schoolchildren are PALACE units whose name says "house". A missing unit is logged and skipped.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from bilim.authority.demo import find_unit
from bilim.governance.models import Instruction
from bilim.registry import selectors as registry
from bilim.registry.models import Kind, OrgType, OrgUnit

from . import services
from .models import Project, ProjectStatus

log = logging.getLogger(__name__)
ACTOR = "demo"
D = dt.date
SYN_EN, SYN_RU, SYN_KK = " (synthetic demo)", " (синтетические демо-данные)", " (синтетикалық демо)"
PROGRAMME = {
    "programme_kk": "Алматы қаласында қосымша білім беруді дамыту",
    "programme_ru": "Развитие дополнительного образования в городе Алматы",
    "programme_en": "Development of additional education in Almaty",
}


def _additional(region: OrgUnit, subtype: str, day: dt.date) -> list[OrgUnit]:
    return list(registry.descendants(region, day, kind=Kind.ORGANIZATION)
                .filter(org_type=OrgType.ADDITIONAL, subtype=subtype).order_by("code"))


def _is_house(u: OrgUnit) -> bool:
    return "house" in u.name_en.lower() or "дом " in u.name_ru.lower() or "үйі" in u.name_kk.lower()


def _project(code: str, type: str, territory: OrgUnit, orgs: list[OrgUnit], kk: str, ru: str, en: str,
             budget: dict[int, tuple[int, int]], milestones: list[tuple[str, str, str, str, dt.date, dt.date | None]],
             statuses: list[tuple[str, dt.date, str]], places: int = 0, today: dt.date | None = None,
             **fields: Any) -> Project:
    p = services.create_project(code, type, kk + SYN_KK, territory, orgs, on=today, actor=ACTOR, title_ru=ru + SYN_RU,
                                title_en=en + SYN_EN, places=places, synthetic=True, **fields)
    for year, (planned, spent) in budget.items():
        services.set_budget(p, year, planned=planned, spent=spent, actor=ACTOR)
    for kind, mkk, mru, men, planned, actual in milestones:
        services.add_milestone(p, mkk, planned, kind=kind, actual_date=actual, name_ru=mru, name_en=men, actor=ACTOR)
    for to, day, note in statuses:
        services.change_status(p, to, day, note, actor=ACTOR)
    return p


DESIGN = ("design", "Жобалау-сметалық құжаттама", "Проектно-сметная документация", "Design documentation")
EXPERT = ("expertise", "Мемлекеттік сараптама", "Государственная экспертиза", "State expertise")
DEMOL = ("demolition", "Ескі ғимаратты бұзу", "Снос старого здания", "Demolition of the old building")
WORKS = ("works", "Құрылыс-монтаж жұмыстары", "Строительно-монтажные работы", "Construction and installation works")
OPEN = ("commissioning", "Пайдалануға беру", "Ввод в эксплуатацию", "Commissioning")


def _ms(kind: tuple[str, str, str, str], planned: dt.date, actual: dt.date | None):
    return (*kind, planned, actual)


def seed_demo(today: dt.date | None = None) -> dict[str, Any]:
    today = today or dt.date.today()
    done: dict[str, Any] = {"projects": 0}
    if Project.objects.filter(code__startswith="ALA-").exists():
        log.warning("demo: Almaty projects already present; projects demo not seeded again")
        return done
    almaty = find_unit("KZ-75")
    made: list[Project] = []
    if almaty is not None:
        made += _almaty(almaty, today)
    made += _new_schools(today)
    done["projects"] = len(made)
    log.info("demo: projects seeded %s", done)
    return done


def _almaty(almaty: OrgUnit, today: dt.date) -> list[Project]:
    made: list[Project] = []
    palaces = _additional(almaty, "PALACE", today)
    houses = [u for u in palaces if _is_house(u)]
    palace = next((u for u in palaces if not _is_house(u)), None)
    if palace is None:
        log.warning("demo: no palace of schoolchildren under KZ-75; its modernization skipped")
    else:
        made.append(_project(
            "ALA-PALACE", "modernization", almaty, [palace],
            "Алматы қалалық Оқушылар сарайын толық жаңғырту", "Полная модернизация Дворца школьников города Алматы",
            "Full modernization of the Almaty Palace of Schoolchildren",
            {2021: (2_400_000_000, 2_350_000_000), 2022: (3_100_000_000, 3_050_000_000)},
            [_ms(DESIGN, D(2021, 3, 1), D(2021, 2, 15)), _ms(WORKS, D(2022, 6, 30), D(2022, 8, 20)),
             _ms(OPEN, D(2022, 9, 1), D(2022, 9, 1))],
            [(ProjectStatus.CONSTRUCTION, D(2021, 4, 1), ""), (ProjectStatus.COMPLETED, D(2022, 9, 1), "")],
            today=today, **PROGRAMME))
    centres = _additional(almaty, "CREATIVE_CENTRE", today)
    if len(centres) < 2:
        log.warning("demo: %d creative centre(s) under KZ-75, expected 2", len(centres))
    for i, centre in enumerate(centres[:2], start=1):
        made.append(_project(
            f"ALA-CREATIVE-{i}", "new_construction", almaty, [centre],
            f"№{i} инновациялық шығармашылық орталығын салу және пайдалануға беру",
            f"Строительство и ввод в эксплуатацию центра инновационного творчества № {i}",
            f"Building and commissioning Innovative Creative Centre No. {i}",
            {2021: (1_200_000_000, 1_150_000_000), 2022: (900_000_000, 880_000_000)},
            [_ms(DESIGN, D(2021, 2, 1), D(2021, 2, 1)), _ms(WORKS, D(2022, 5, 1), D(2022, 5, 20)),
             _ms(OPEN, D(2022, 9, 1), D(2022, 9, 1) if i == 1 else D(2022, 10, 3))],
            [(ProjectStatus.CONSTRUCTION, D(2021, 3, 1), ""), (ProjectStatus.COMPLETED, D(2022, 10, 3), "")],
            today=today, **PROGRAMME))
    if len(houses) < 3:
        log.warning("demo: %d house(s) of schoolchildren under KZ-75, expected 3", len(houses))
    for i, house in enumerate(houses[:3], start=1):
        made.append(_project(
            f"ALA-HOUSE-{i}", "demolition_rebuild", almaty, [house],
            f"№{i} оқушылар үйі: ескі ғимаратты бұзып, жаңасын салу",
            f"Дом школьников № {i}: снос старого здания и строительство нового",
            f"House of Schoolchildren No. {i}: demolition of the old building and construction of a new one",
            {2022: (150_000_000, 120_000_000), 2023: (1_800_000_000, 400_000_000 * (4 - i))},
            [_ms(DESIGN, D(2022, 12, 1), D(2022, 11, 20) if i == 1 else None),
             _ms(EXPERT, D(2023, 2, 1), None), _ms(DEMOL, D(2023, 4, 1), None),
             _ms(WORKS, D(2024, 8, 1), None), _ms(OPEN, D(2024, 9, 1), None)],
            [(ProjectStatus.DESIGN, D(2022, 3, 1), "")], today=today, **PROGRAMME))
    schools = list(registry.descendants(almaty, today, kind=Kind.ORGANIZATION)
                   .filter(org_type=OrgType.SCHOOL).order_by("code")[:6])
    if schools:
        made.append(_project(
            "ALA-SPORTS", "sports_ground", almaty, schools,
            "Мектептердің спорт алаңдарын жаңарту", "Реконструкция школьных спортивных площадок",
            "Renewal of school sports grounds",
            {2022: (300_000_000, 290_000_000), 2023: (250_000_000, 245_000_000)},
            [_ms(WORKS, D(2022, 8, 25), D(2022, 8, 30)), _ms(OPEN, D(2023, 9, 1), D(2023, 8, 28))],
            [(ProjectStatus.CONSTRUCTION, D(2022, 5, 1), ""), (ProjectStatus.COMPLETED, D(2023, 8, 28), "")],
            today=today, **PROGRAMME))
    else:
        log.warning("demo: no schools under KZ-75; sports grounds skipped")
    for subtype, code, kk, ru, en in [
        ("YOUNG_TOURISTS", "ALA-TOURISTS", "Жас туристер станциясын жаңғырту", "Модернизация станции юных туристов",
         "Modernization of the young tourists' station"),
        ("YOUNG_NATURALISTS", "ALA-NATURALISTS", "Жас натуралистер станциясын жаңғырту",
         "Модернизация станции юных натуралистов", "Modernization of the young naturalists' station"),
    ]:
        units = _additional(almaty, subtype, today)
        if not units:
            log.warning("demo: no %s under KZ-75; its modernization skipped", subtype)
            continue
        made.append(_project(
            code, "modernization", almaty, units[:1], kk, ru, en,
            {2022: (180_000_000, 175_000_000), 2023: (120_000_000, 60_000_000)},
            [_ms(DESIGN, D(2022, 4, 1), D(2022, 4, 1)), _ms(WORKS, D(2023, 6, 1), D(2023, 11, 15)),
             _ms(OPEN, D(2023, 9, 1), D(2023, 12, 1))],
            [(ProjectStatus.CONSTRUCTION, D(2022, 5, 1), ""), (ProjectStatus.COMPLETED, D(2023, 12, 1), "")],
            today=today, **PROGRAMME))
    return made


def _district_of(region_code: str, day: dt.date) -> OrgUnit | None:
    region = find_unit(region_code)
    if region is None:
        return None
    return registry.children(region, day, kind=Kind.DISTRICT).order_by("code").first() or region


def _new_schools(today: dt.date) -> list[Project]:
    """New schools against the deficit of places, linked to the collegium instruction on three-shift schools."""
    instruction = Instruction.objects.filter(code="MES-2019-09-05-6").first()
    made = []
    for code, region_code, places, budget, milestones, statuses in [
        ("AST-SCHOOL-1", "KZ-71", 1200, {2022: (1_500_000_000, 1_480_000_000), 2023: (2_900_000_000, 2_900_000_000)},
         [_ms(DESIGN, D(2022, 2, 1), D(2022, 2, 1)), _ms(WORKS, D(2023, 7, 1), D(2023, 7, 20)),
          _ms(OPEN, D(2023, 9, 1), D(2023, 9, 1))],
         [(ProjectStatus.CONSTRUCTION, D(2022, 3, 1), ""), (ProjectStatus.COMPLETED, D(2023, 9, 1), "")]),
        ("SHY-SCHOOL-1", "KZ-79", 1500, {2023: (1_700_000_000, 1_600_000_000), 2024: (3_200_000_000, 1_100_000_000)},
         [_ms(DESIGN, D(2023, 2, 1), D(2023, 3, 10)), _ms(WORKS, D(2024, 8, 1), None),
          _ms(OPEN, D(2024, 9, 1), None)],
         [(ProjectStatus.CONSTRUCTION, D(2023, 4, 1), "")]),
        ("TUR-SCHOOL-1", "KZ-61", 600, {2024: (250_000_000, 90_000_000)},
         [_ms(DESIGN, D(2024, 12, 1), None), _ms(WORKS, D(2026, 8, 1), None), _ms(OPEN, D(2026, 9, 1), None)],
         [(ProjectStatus.DESIGN, D(2024, 3, 1), "")]),
    ]:
        territory = _district_of(region_code, today)
        if territory is None:
            continue
        made.append(_project(
            code, "new_construction", territory, [],
            f"{places} орындық жаңа мектеп салу", f"Строительство новой школы на {places} мест",
            f"New school for {places} pupils", budget, milestones, statuses, places=places, today=today,
            instruction=instruction, lat=territory.lat, lon=territory.lon))
    return made
