"""Demo competence register, written after the demo registry is built (`seed_demo()`).

Real: the Law "On Education" of 27 July 2007 No. 319-III as the act that assigns powers to levels;
the Minister's decision, announced in March 2022, to give the Almaty city akimat additional powers in
education; the Minister's order distributing functions between region education departments and the
district education offices placed under them, in force from 1 January 2021. Reconstructed (and said
so in the acts' titles): which powers exactly, the order dates and numbers (left blank), and the
per-capita financing moving to the region department with the 2021 reform.

Units are looked up, never assumed: regions by ISO code, authorities by subtype under their
territory. A missing unit is logged and its part skipped; the seeder never fails the demo build.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from bilim.registry import selectors as registry
from bilim.registry.models import Kind, LegalAct, OrgUnit

from . import services
from .models import Competence

log = logging.getLogger(__name__)
ACTOR = "demo"
RECONSTRUCTION = " — demo reconstruction (number and exact date not verified)"

LAW_DATE = dt.date(2007, 7, 27)
REFORM_2021 = dt.date(2021, 1, 1)
ALMATY_2022 = dt.date(2022, 4, 1)

# code, level, subtype, kk, ru, en
COMPETENCES: list[tuple[str, str, str, str, str, str]] = [
    ("SCHOOL_NETWORK", "region", "AKIMAT", "Мектептер желісін бекіту", "Утверждение сети школ",
     "Approving the school network"),
    ("ORG_OPEN_CLOSE", "region", "AKIMAT", "Мемлекеттік білім беру ұйымдарын ашу, қайта ұйымдастыру және жабу",
     "Открытие, реорганизация и закрытие государственных организаций образования",
     "Opening, reorganizing and closing public organizations of education"),
    ("DIRECTOR_APPOINT", "district", "DISTRICT_OFFICE", "Мектеп директорларын тағайындау",
     "Назначение директоров школ", "Appointing school directors"),
    ("PER_CAPITA_FIN", "district", "AKIMAT", "Жан басына шаққандағы қаржыландыру",
     "Подушевое финансирование", "Per-capita financing"),
    ("CONSTRUCTION_REPAIR", "region", "AKIMAT", "Білім беру объектілерін салу және жөндеу",
     "Строительство и ремонт объектов образования", "Construction and repair of education facilities"),
    ("ADDED_EDU_PROGRAMMES", "ministry", "MINISTRY", "Қосымша білім беру бағдарламаларын бекіту",
     "Утверждение программ дополнительного образования", "Approving additional education programmes"),
    ("INNOVATION_SITES", "ministry", "MINISTRY", "Инновациялық және эксперименттік алаңдар мәртебесін беру",
     "Присвоение статуса инновационной и экспериментальной площадки",
     "Granting the status of innovation and experimental site"),
    ("TEACHER_ATTESTATION", "region", "REGION_DEPT", "Педагогтерді аттестаттау", "Аттестация педагогов",
     "Teacher attestation"),
    ("PRIVATE_LICENSING", "ministry", "MINISTRY", "Жекеменшік мектептерді лицензиялау",
     "Лицензирование частных школ", "Licensing private schools"),
    ("PRESCHOOL_PLACEMENT", "district", "DISTRICT_OFFICE", "Балаларды мектепке дейінгі ұйымдарға орналастыру",
     "Направление детей в дошкольные организации", "Preschool placement"),
]


def find_unit(code: str) -> OrgUnit | None:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        log.warning("demo: org unit %s not found; skipping what depends on it", code)
    return unit


def find_authority(territory: OrgUnit | None, subtype: str, day: dt.date) -> OrgUnit | None:
    """The authority of `subtype` placed under `territory` on `day` (lowest code if several)."""
    if territory is None:
        return None
    body = registry.children(territory, day, kind=Kind.AUTHORITY).filter(subtype=subtype).order_by("code").first()
    if body is None:
        log.warning("demo: no %s under %s on %s; skipping what depends on it", subtype, territory.code, day)
    return body


def ministry(day: dt.date) -> OrgUnit | None:
    return find_authority(OrgUnit.objects.filter(kind=Kind.REPUBLIC).order_by("code").first(), "MINISTRY", day)


def _act(kind: str, date: dt.date, issuer: str, en: str, ru: str, kk: str, number: str = "") -> LegalAct:
    act, _ = LegalAct.objects.get_or_create(kind=kind, date=date, issuer=issuer, title_en=en,
                                            defaults={"title_ru": ru, "title_kk": kk, "number": number})
    return act


def law_on_education() -> LegalAct:
    return _act(LegalAct.ActKind.LAW, LAW_DATE, "Parliament of the Republic of Kazakhstan",
                "On Education (Articles 5 and 6: competence of the authorized body and of local executive bodies)",
                "Об образовании", "Білім туралы", number="319-III")


def seed_demo(today: dt.date | None = None) -> dict[str, Any]:
    """Competences with their default levels, the 2021 reassignment and the 2022 Almaty delegation."""
    today = today or dt.date.today()
    done: dict[str, Any] = {"competences": 0, "reassignments": 0, "delegations": 0}
    if Competence.objects.exists():
        log.warning("demo: competences already present; authority demo not seeded again")
        return done
    law = law_on_education()
    comps: dict[str, Competence] = {}
    for i, (code, level, subtype, kk, ru, en) in enumerate(COMPETENCES):
        comps[code] = services.create_competence(code, kk, level, subtype, law, LAW_DATE, name_ru=ru, name_en=en,
                                                 sort_order=i + 1, actor=ACTOR)
    done["competences"] = len(comps)

    # 2021: district offices placed under the region departments; financing follows (reconstruction).
    reform = _act(LegalAct.ActKind.ORDER, dt.date(2020, 12, 31), "Minister of Education and Science",
                  "On the distribution of functions between region education departments and the district education "
                  "offices accountable to them (in force 1 January 2021)" + RECONSTRUCTION,
                  "О распределении функций между управлениями образования областей и подотчетными им отделами "
                  "образования (вводится в действие с 1 января 2021 года) — демонстрационная реконструкция",
                  "Облыстардың білім басқармалары мен оларға есеп беретін білім бөлімдері арасында функцияларды бөлу "
                  "туралы (2021 жылғы 1 қаңтардан бастап) — демо-реконструкция")
    services.reassign_competence(comps["PER_CAPITA_FIN"], "region", "REGION_DEPT", REFORM_2021, reform, actor=ACTOR)
    done["reassignments"] = 1

    # 2022: additional powers in education to the Almaty city akimat, by order of the Minister.
    almaty = find_unit("KZ-75")
    akimat = find_authority(almaty, "AKIMAT", ALMATY_2022)
    moe = ministry(ALMATY_2022)
    if almaty is not None and akimat is not None and moe is not None:
        order = _act(LegalAct.ActKind.ORDER, ALMATY_2022, "Minister of Education and Science",
                     "On granting additional powers in education to the akimat of Almaty city (decision announced "
                     "by the Minister in March 2022)" + RECONSTRUCTION,
                     "О предоставлении акимату города Алматы дополнительных полномочий в сфере образования "
                     "(решение объявлено министром в марте 2022 года) — демонстрационная реконструкция",
                     "Алматы қаласының әкімдігіне білім беру саласында қосымша өкілеттіктер беру туралы "
                     "(шешімді министр 2022 жылғы наурызда жариялады) — демо-реконструкция")
        for code in ("ADDED_EDU_PROGRAMMES", "INNOVATION_SITES"):
            services.delegate(comps[code], moe, akimat, ALMATY_2022, order, scope_unit=almaty, actor=ACTOR,
                              note_en="Almaty's organizations of education become the ministry's main innovation "
                                      "sites; the akimat supports new initiatives financially and organizationally.",
                              note_ru="Организации образования города — главные инновационные площадки министерства; "
                                      "акимат финансово и организационно поддерживает новые инициативы.",
                              note_kk="Қаланың білім беру ұйымдары — министрліктің негізгі инновациялық алаңдары; "
                                      "әкімдік жаңа бастамаларды қаржылай және ұйымдастырушылық тұрғыда қолдайды.")
            done["delegations"] += 1
    log.info("demo: authority seeded %s", done)
    return done
