"""Demo collegium: the expanded collegium of the Ministry of Education and Science of 5 September 2019.

Real: the date; that it was chaired and summed up by the Minister A. Aimagambetov; that it set the
tasks of education in light of the Address of the Head of State of 2 September 2019 "Constructive
public dialogue — the basis of stability and prosperity of Kazakhstan"; that the plenary part heard
the ministry, region education departments and international organizations, and that the
discussion went on in sections. Reconstructed (and marked so): the section titles, the reports (by
position, no names), the wording of proposals and instructions, deadlines, statuses and reports on
execution. The proposals follow the ones in the project's seeds: district offices under the region,
kindergartens to the education departments, equal funding for rural and urban pupils, digital
technology — plus three-shift schools, which the capital projects demo links to.

`seed_demo()` never fails the demo build: a missing unit is logged and its part skipped.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from bilim.authority.demo import find_authority, find_unit, ministry
from bilim.registry import selectors as registry
from bilim.registry.models import Kind, LegalAct, OrgUnit

from . import services
from .models import Meeting, Status

log = logging.getLogger(__name__)
ACTOR = "demo"
DAY = dt.date(2019, 9, 5)
CODE = "MES-2019-09-05"
RECON_EN = " (demo reconstruction)"
RECON_RU = " (демонстрационная реконструкция)"
RECON_KK = " (демо-реконструкция)"

SECTIONS = [
    ("Мектепке дейінгі тәрбие және оқыту", "Дошкольное воспитание и обучение", "Preschool education"),
    ("Орта білім беру: ауыл мен қала мектептері", "Среднее образование: сельские и городские школы",
     "Secondary education: rural and urban schools"),
    ("Білім беруді басқару және қаржыландыру", "Управление и финансирование образования",
     "Governance and financing of education"),
    ("Білім беруді цифрландыру", "Цифровизация образования", "Digitalization of education"),
]


# The minister who chaired the 2019 meeting, in the Cyrillic spelling the protocol uses (one name field).
MINISTER = "А. К. Аймагамбетов"


def _region_depts(day: dt.date) -> list[OrgUnit]:
    rep = OrgUnit.objects.filter(kind=Kind.REPUBLIC).order_by("code").first()
    if rep is None:
        return []
    out = []
    for region in registry.children(rep, day, kind=Kind.REGION).order_by("code"):
        dept = find_authority(region, "REGION_DEPT", day)
        if dept is not None:
            out.append(dept)
    return out


def seed_demo(today: dt.date | None = None) -> dict[str, Any]:
    """The 5 September 2019 expanded collegium with participants, agenda, reports, proposals, instructions."""
    done: dict[str, Any] = {"meetings": 0, "instructions": 0}
    if Meeting.objects.filter(code=CODE).exists():
        log.warning("demo: meeting %s already present; governance demo not seeded again", CODE)
        return done
    moe = ministry(DAY)
    if moe is None:
        log.warning("demo: no ministry on %s; governance demo skipped", DAY)
        return done
    depts = _region_depts(DAY)
    by_region = {registry.parent_on(d, DAY).code: d for d in depts}
    protocol = LegalAct.objects.create(
        kind=LegalAct.ActKind.PROTOCOL, date=DAY, issuer="Ministry of Education and Science",
        title_en="Protocol of the expanded meeting of the collegium" + RECON_EN,
        title_ru="Протокол расширенного заседания коллегии" + RECON_RU,
        title_kk="Кеңейтілген алқа отырысының хаттамасы" + RECON_KK)
    m = services.create_meeting(
        CODE, Meeting.MeetingKind.EXPANDED, DAY, moe, actor=ACTOR, protocol=protocol,
        title_kk="Қазақстан Республикасы Білім және ғылым министрлігі алқасының кеңейтілген отырысы",
        title_ru="Расширенное заседание коллегии Министерства образования и науки Республики Казахстан",
        title_en="Expanded meeting of the collegium of the Ministry of Education and Science of the Republic of "
                 "Kazakhstan",
        venue_kk="Нұр-Сұлтан қаласы", venue_ru="город Нур-Султан", venue_en="Nur-Sultan",
        chair_name=MINISTER,
        chair_position_kk="Қазақстан Республикасының Білім және ғылым министрі",
        chair_position_ru="Министр образования и науки Республики Казахстан",
        chair_position_en="Minister of Education and Science of the Republic of Kazakhstan",
        summary_en="Tasks of education and science in light of the Address of the Head of State of 2 September 2019 "
                   "\"Constructive public dialogue — the basis of stability and prosperity of Kazakhstan\": protecting "
                   "children's rights, the quality gap between small-class and full schools and between rural and "
                   "urban schools, career guidance, the quality of higher education. The plenary part heard the "
                   "ministry, region education departments and international organizations; the discussion continued "
                   "in sections. The Minister summed up: normative acts implementing the Address are to be drafted "
                   "and adopted.",
        summary_ru="Задачи образования и науки в свете Послания Главы государства от 2 сентября 2019 года "
                   "«Конструктивный общественный диалог — основа стабильности и процветания Казахстана»: защита прав "
                   "детей, разрыв в качестве знаний между малокомплектными и полными, сельскими и городскими школами, "
                   "профориентация, качество высшего образования. На пленарной части выступили сотрудники "
                   "министерства, управлений образования регионов и международных организаций; обсуждение "
                   "продолжилось на секциях. Министр подвёл итоги: необходимо разработать и принять нормативные "
                   "правовые акты по реализации Послания.",
        summary_kk="Мемлекет басшысының 2019 жылғы 2 қыркүйектегі «Сындарлы қоғамдық диалог — Қазақстанның "
                   "тұрақтылығы мен өркендеуінің негізі» Жолдауы аясындағы білім және ғылым міндеттері: балалар "
                   "құқықтарын қорғау, шағын жинақты және толық, ауыл және қала мектептері арасындағы білім сапасының "
                   "алшақтығы, кәсіптік бағдар, жоғары білім сапасы. Пленарлық бөлімде министрлік, өңірлік білім "
                   "басқармалары және халықаралық ұйымдар өкілдері сөз сөйледі; талқылау секцияларда жалғасты.")
    services.add_participant(m, moe, MINISTER, role="chair", actor=ACTOR,
                             position_en="Minister", position_ru="Министр", position_kk="Министр")
    for d in depts:
        services.add_participant(m, d, role="member", actor=ACTOR, position_en="Head of the department",
                                 position_ru="Руководитель управления", position_kk="Басқарма басшысы")
    for code in ("KZ-71", "KZ-75", "KZ-79"):
        akimat = find_authority(find_unit(code), "AKIMAT", DAY)
        if akimat is not None:
            services.add_participant(m, akimat, role="member", actor=ACTOR, position_en="Deputy akim",
                                     position_ru="Заместитель акима", position_kk="Әкімнің орынбасары")
    services.add_participant(m, None, role="guest", actor=ACTOR,
                             position_en="Representatives of international organizations",
                             position_ru="Представители международных организаций",
                             position_kk="Халықаралық ұйымдардың өкілдері")

    plenary = services.add_agenda_item(
        m, 1, "Мемлекет басшысының Жолдауы аясындағы білім беру жүйесінің міндеттері", actor=ACTOR,
        title_ru="Задачи системы образования в свете Послания Главы государства",
        title_en="Tasks of the education system in light of the Address of the Head of State")
    sections = [services.add_agenda_item(m, i + 2, kk, part="section", actor=ACTOR, section_kk=kk, section_ru=ru,
                                         section_en=en + RECON_EN, title_ru=ru, title_en=en)
                for i, (kk, ru, en) in enumerate(SECTIONS)]
    minister_report = services.add_report(
        m, "Жолдауды іске асыру жөніндегі білім және ғылым министрлігінің міндеттері", speaker=MINISTER,
        body=moe, agenda_item=plenary, order=1, actor=ACTOR,
        topic_ru="Задачи министерства по реализации Послания",
        topic_en="The ministry's tasks in implementing the Address",
        summary_en="Government and ministry have clear instructions; effective measures must start at once.",
        summary_ru="Правительству и министерству даны чёткие поручения; меры нужно принимать незамедлительно.")
    dept_reports = []
    # the region departments' reports: the department is the speaker (the head's name is not in the sources)
    for order, (region_code, section, en, ru, kk) in enumerate([
        ("KZ-35", 2, "Managing education through a single vertical: district offices and the region department",
         "Единая вертикаль управления: районные отделы и управление области",
         "Білім беруді біртұтас тік құрылым арқылы басқару: аудандық бөлімдер және облыстық басқарма"),
        ("KZ-61", 1, "Preschool places and the transfer of kindergartens to the education departments",
         "Места в дошкольных организациях и передача детских садов управлениям образования",
         "Мектепке дейінгі ұйымдардағы орындар және балабақшаларды білім басқармаларына беру"),
        ("KZ-75", 1, "Three-shift schools and the deficit of pupil places in a growing city",
         "Трехсменные школы и дефицит ученических мест в растущем городе",
         "Өсіп келе жатқан қаладағы үш ауысымды мектептер және оқушы орындарының тапшылығы"),
    ], start=2):
        dept = by_region.get(region_code)
        if dept is None:
            continue
        dept_reports.append((region_code, services.add_report(
            m, kk, body=dept, agenda_item=sections[section], order=order, actor=ACTOR, topic_ru=ru,
            topic_en=en)))
    reports = dict(dept_reports)

    proposals = {}
    for key, report, by, kk, ru, en in [
        ("offices", reports.get("KZ-35"), by_region.get("KZ-35"),
         "Аудандық білім бөлімдерін облыстық білім басқармаларына бағындыру",
         "Передать районные отделы образования в подчинение управлениям образования областей",
         "Place district education offices under the region education departments"),
        ("kindergartens", reports.get("KZ-61"), by_region.get("KZ-61"),
         "Балабақшаларды аудандық әкімдіктерден білім беру органдарына беру",
         "Передать детские сады из ведения районных акиматов органам управления образованием",
         "Transfer kindergartens from the district akimats to the education departments"),
        ("funding", minister_report, moe,
         "Ауыл және қала оқушыларын қаржыландыруды теңестіру",
         "Обеспечить равное финансирование сельских и городских учащихся",
         "Equal funding for rural and urban pupils"),
        ("digital", minister_report, moe,
         "Мектептерге цифрлық технологияларды енгізу: кең жолақты интернет, компьютерлер, цифрлық ресурстар",
         "Внедрить в школах цифровые технологии: широкополосный интернет, компьютеры, цифровые ресурсы",
         "Bring digital technology into schools: broadband, computers, digital learning resources"),
        ("shifts", reports.get("KZ-75"), by_region.get("KZ-75"),
         "Үш ауысымды мектептерді және оқушы орындарының тапшылығын жою",
         "Ликвидировать трехсменные школы и дефицит ученических мест",
         "Eliminate three-shift schools and the deficit of pupil places"),
    ]:
        proposals[key] = services.add_proposal(m, kk, proposed_by=by, report=report, order=len(proposals) + 1,
                                               actor=ACTOR, text_ru=ru, text_en=en)
    done["meetings"] = 1
    done["instructions"] = _instructions(m, moe, by_region, proposals)
    log.info("demo: governance seeded %s", done)
    return done


def _instructions(m: Meeting, moe: OrgUnit, by_region: dict[str, OrgUnit], proposals: dict) -> int:
    D = dt.date
    n = 0
    depts = list(by_region.values())
    kz = OrgUnit.objects.filter(kind=Kind.REPUBLIC).order_by("code").first()

    def issue(key: str, number: str, responsible: OrgUnit | None, deadline: dt.date, kk: str, ru: str, en: str,
              **kw: Any):
        nonlocal n
        if responsible is None:
            log.warning("demo: no responsible body for instruction %s; skipped", number)
            return None
        n += 1
        return services.issue_instruction(
            f"{CODE}-{number}", kk + RECON_KK, responsible, deadline, meeting=m, proposal=proposals.get(key),
            number=number, text_ru=ru + RECON_RU, text_en=en + RECON_EN, actor=ACTOR, **kw)

    # 1. district offices under the region departments — executed on time (the registry moves them 2021-01-01)
    i1 = issue("offices", "1", moe, D(2020, 12, 31),
               "Аудандық білім бөлімдерін облыстық басқармаларға бағындыру жөнінде нормативтік актілерді әзірлеу",
               "Разработать нормативные акты о подчинении районных отделов образования управлениям образования "
               "областей", "Draft the acts placing district education offices under the region departments",
               co_executors=depts[:5], control_level="minister")
    if i1:
        services.add_execution_report(i1, D(2020, 3, 2), "Draft distribution of functions prepared and sent to the "
                                      "regions for comment.", actor=ACTOR)
        services.add_execution_report(i1, D(2020, 12, 28), "Order on the distribution of functions signed; "
                                      "district offices are placed under the region departments from 1 January 2021.",
                                      attachment_name="order-distribution-of-functions.pdf", actor=ACTOR)
        services.change_status(i1, Status.EXECUTED, D(2020, 12, 28), actor=ACTOR)

    # 2. kindergartens to the education department — extended, then executed within the new deadline
    i2 = issue("kindergartens", "2", by_region.get("KZ-35"), D(2021, 12, 31),
               "Балабақшаларды аудандық әкімдіктерден облыстық білім басқармасына беруді ұйымдастыру",
               "Организовать передачу детских садов из ведения районных акиматов управлению образования области",
               "Organize the transfer of kindergartens from the district akimats to the region education department",
               org_unit=find_unit("KZ-35"), indicator_codes=["PRESCH_COV_3_6"], control_level="vice_minister")
    if i2:
        services.add_execution_report(i2, D(2021, 6, 1), "Inventory of kindergartens and their staff completed.",
                                      actor=ACTOR)
        services.extend_deadline(i2, D(2022, 12, 31), "Transfer of budget programmes to the region level from the "
                                 "next budget year", D(2021, 12, 10), decision="Vice minister" + RECON_EN, actor=ACTOR)
        services.add_execution_report(i2, D(2022, 12, 20), "Kindergartens transferred from 1 January 2023.",
                                      actor=ACTOR)
        services.change_status(i2, Status.EXECUTED, D(2022, 12, 20), actor=ACTOR)

    # 3. equal funding for rural and urban pupils — in progress, overdue
    i3 = issue("funding", "3", moe, D(2021, 9, 1),
               "Ауыл және қала оқушыларын жан басына шаққандағы қаржыландыру нормативтерін теңестіру",
               "Выровнять нормативы подушевого финансирования сельских и городских учащихся",
               "Equalize per-capita funding norms for rural and urban pupils",
               co_executors=depts[:3], org_unit=kz, indicator_codes=["EXP_PER_PUPIL"], control_level="minister")
    if i3:
        services.add_execution_report(i3, D(2020, 10, 1), "Per-capita financing methodology under revision.",
                                      actor=ACTOR)

    # 4. digital technology — in progress, extended, not yet due
    i4 = issue("digital", "4", moe, D(2022, 12, 31),
               "Барлық мектептерді кең жолақты интернетке қосу және компьютерлермен жарақтандыру",
               "Подключить все школы к широкополосному интернету и оснастить компьютерами",
               "Connect every school to broadband and equip it with computers",
               org_unit=kz, indicator_codes=["BROADBAND_PCT", "PC_PER_100"], control_level="government")
    if i4:
        services.add_execution_report(i4, D(2021, 12, 1), "Broadband connection of rural schools under way.",
                                      actor=ACTOR)
        services.extend_deadline(i4, D(2027, 12, 31), "Connection of remote rural schools by satellite",
                                 D(2022, 12, 15), decision="Office of the Prime Minister" + RECON_EN, actor=ACTOR)

    # 5. digital journals — removed from control (superseded)
    i5 = issue("digital", "5", moe, D(2020, 9, 1),
               "Электрондық журналды енгізу бойынша бірыңғай талаптарды бекіту",
               "Утвердить единые требования к электронному журналу",
               "Approve uniform requirements for the electronic school journal", control_level="department")
    if i5:
        services.change_status(i5, Status.REMOVED, D(2020, 4, 15), "Superseded by the national digitalization "
                               "programme; removed from control", actor=ACTOR)

    # 6. three-shift schools in Almaty — in progress, overdue; capital projects refer to it
    i6 = issue("shifts", "6", by_region.get("KZ-75"), D(2025, 9, 1),
               "Үш ауысымды мектептерді жою үшін жаңа мектептер салу кестесін әзірлеу және іске асыру",
               "Разработать и реализовать график строительства школ для ликвидации трехсменного обучения",
               "Draw up and carry out a school-building schedule to end three-shift schooling",
               co_executors=[d for c, d in by_region.items() if c in ("KZ-71", "KZ-79")],
               org_unit=find_unit("KZ-75"), indicator_codes=["SHIFT3_PCT", "OVERCAP_PCT"], control_level="minister")
    if i6:
        services.add_execution_report(i6, D(2020, 2, 1), "Schedule approved; first schools under construction.",
                                      actor=ACTOR)

    # 7. kindergartens elsewhere — new, overdue (no report yet)
    issue("kindergartens", "7", by_region.get("KZ-61"), D(2020, 6, 1),
          "Мектепке дейінгі ұйымдардағы орындар тапшылығын жою жоспарын ұсыну",
          "Представить план ликвидации дефицита мест в дошкольных организациях",
          "Submit a plan to close the deficit of preschool places", org_unit=find_unit("KZ-61"),
          indicator_codes=["PRESCH_COV_3_6"], control_level="vice_minister")
    return n
