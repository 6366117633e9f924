"""The shape of the demo country: regions, their districts and the real restructurings between them.

What is real here: the 20 first-level units and their ISO codes (`data/kz_regions.csv`), the former
South Kazakhstan Region (`KZ-YUZ`, its former ISO code), the 2018 and 2022 splits and the names of
the districts of the regions those splits touched and of the city districts of Almaty, Astana and
Shymkent (from general knowledge, not from an official register). What is synthetic: every other
district ("District 3 of Akmola Region"), all codes below region level, populations, bounding
boxes (rough), and every organization.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

START = dt.date(2000, 1, 1)  # the demo history starts here; every initial unit opens on this date
SKO_SPLIT = dt.date(2018, 6, 19)
REGIONS_2022 = dt.date(2022, 6, 8)
OFFICE_REFORM = dt.date(2021, 1, 1)  # district education offices move under region departments
KINDERGARTEN_REFORM = dt.date(2023, 1, 1)  # Karaganda kindergartens move to the region department
KINDERGARTEN_REFORM_REGION = "KZ-35"
SCHOOL_CLOSURES = dt.date(2022, 9, 1)
NEW_SCHOOLS = dt.date(2023, 9, 1)
SCHOOL_YEARS = (2020, 2021, 2022, 2023, 2024)

CSV_PATH = Path(__file__).with_name("data") / "kz_regions.csv"


@dataclass(frozen=True)
class RegionInfo:
    code: str
    kind: str  # oblast | city
    name_en: str
    name_kk: str
    name_ru: str
    centre_en: str
    created: dt.date | None
    pop_k: float  # population, thousands (rounded, approximate)
    youth: float  # relative share of children (south > north)
    gdp: float  # GDP per capita relative to the republic
    growth: float  # yearly migration growth of the population
    bbox: tuple[float, float, float, float]  # lat0, lat1, lon0, lon1 (rough)
    tight: bool = False  # fast-growing: schools over capacity, three shifts
    kaz: float = 0.6  # share of Kazakh-medium schools
    centre_weight: float = 6.0  # weight of the centre city among the region's districts


# code: (pop_k, youth, gdp, growth, bbox, tight, kaz, centre_weight)
_FACTS: dict[str, tuple] = {
    "KZ-10": (605, 0.95, 0.65, -0.004, (46.6, 50.9, 77.6, 83.4), False, 0.75, 6.0),
    "KZ-11": (785, 0.85, 0.85, -0.004, (50.4, 53.5, 68.9, 73.9), False, 0.45, 5.0),
    "KZ-15": (930, 1.05, 0.90, 0.006, (45.6, 50.9, 55.6, 62.9), False, 0.75, 9.0),
    "KZ-19": (1500, 1.05, 0.60, 0.012, (42.9, 45.4, 74.6, 80.1), False, 0.70, 1.5),
    "KZ-23": (700, 1.20, 2.60, 0.008, (45.6, 49.4, 47.1, 54.4), False, 0.95, 6.0),
    "KZ-27": (690, 0.95, 1.00, -0.002, (48.6, 51.4, 47.1, 54.4), False, 0.70, 5.0),
    "KZ-31": (1215, 1.15, 0.50, 0.000, (42.7, 45.9, 69.6, 75.4), False, 0.85, 4.0),
    "KZ-33": (700, 1.00, 0.50, -0.002, (44.1, 46.7, 76.6, 82.2), False, 0.75, 4.0),
    "KZ-35": (1130, 0.85, 1.05, -0.004, (47.0, 50.9, 70.6, 77.9), False, 0.45, 6.0),
    "KZ-39": (830, 0.80, 0.90, -0.006, (49.3, 53.9, 60.6, 66.4), False, 0.40, 5.0),
    "KZ-43": (830, 1.25, 0.70, 0.002, (43.6, 47.4, 60.1, 67.4), False, 0.97, 6.0),
    "KZ-47": (780, 1.35, 1.35, 0.018, (41.6, 45.4, 51.1, 56.4), True, 0.95, 6.0),
    "KZ-55": (750, 0.85, 1.15, -0.004, (50.6, 53.9, 73.6, 78.9), False, 0.40, 6.0),
    "KZ-59": (530, 0.75, 0.75, -0.010, (52.6, 55.2, 67.1, 73.9), False, 0.30, 5.0),
    "KZ-61": (2100, 1.35, 0.35, 0.010, (41.1, 45.4, 66.6, 70.4), True, 0.90, 2.5),
    "KZ-62": (220, 1.00, 1.30, -0.006, (46.1, 49.4, 64.6, 70.9), False, 0.85, 4.0),
    "KZ-63": (720, 0.80, 1.20, -0.006, (48.6, 50.9, 81.6, 86.9), False, 0.35, 6.0),
    "KZ-71": (1350, 1.15, 1.40, 0.035, (51.06, 51.24, 71.32, 71.58), True, 0.75, 1.0),
    "KZ-75": (2230, 0.95, 1.60, 0.025, (43.19, 43.34, 76.82, 77.04), True, 0.60, 1.0),
    "KZ-79": (1200, 1.30, 0.50, 0.030, (42.26, 42.41, 69.51, 69.74), True, 0.85, 1.0),
}

SKO = RegionInfo(
    code="KZ-YUZ", kind="oblast", name_en="South Kazakhstan Region", name_kk="Оңтүстік Қазақстан облысы",
    name_ru="Южно-Казахстанская область", centre_en="Shymkent", created=None, pop_k=0, youth=1.3, gdp=0.4,
    growth=0.0, bbox=(41.1, 45.4, 66.6, 70.4), kaz=0.9,
)


def load_regions() -> dict[str, RegionInfo]:
    """The 20 regions of today from the reference CSV, with the demo's rough facts attached."""
    out: dict[str, RegionInfo] = {}
    with CSV_PATH.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            pop, youth, gdp, growth, bbox, tight, kaz, cw = _FACTS[row["iso_code"]]
            out[row["iso_code"]] = RegionInfo(
                code=row["iso_code"], kind=row["kind"], name_en=row["name_en"], name_kk=row["name_kk"],
                name_ru=row["name_ru"], centre_en=row["centre_en"],
                created=dt.date.fromisoformat(row["created"]) if row["created"] else None,
                pop_k=pop, youth=youth, gdp=gdp, growth=growth, bbox=bbox, tight=tight, kaz=kaz, centre_weight=cw,
            )
    return out


# The restructurings: new region <- source region, with the date.
SPLITS = {
    "KZ-61": ("KZ-YUZ", SKO_SPLIT),
    "KZ-79": ("KZ-YUZ", SKO_SPLIT),
    "KZ-10": ("KZ-63", REGIONS_2022),
    "KZ-33": ("KZ-19", REGIONS_2022),
    "KZ-62": ("KZ-35", REGIONS_2022),
}

# Named districts: (en, kk, ru, type) where type is C (centre city), c (other city of regional
# significance), d (rural district), u (city district of a city of republican significance).
NAMED_DISTRICTS: dict[str, list[tuple[str, str, str, str]]] = {
    "KZ-63": [
        ("Oskemen City", "Өскемен қаласы", "город Усть-Каменогорск", "C"),
        ("Ridder City", "Риддер қаласы", "город Риддер", "c"),
        ("Altai District", "Алтай ауданы", "Алтайский район", "d"),
        ("Glubokoe District", "Глубокое ауданы", "Глубоковский район", "d"),
        ("Zaisan District", "Зайсан ауданы", "Зайсанский район", "d"),
        ("Katon-Karagai District", "Катонқарағай ауданы", "Катон-Карагайский район", "d"),
        ("Kurchum District", "Күршім ауданы", "Курчумский район", "d"),
        ("Samar District", "Самар ауданы", "Самарский район", "d"),
        ("Tarbagatai District", "Тарбағатай ауданы", "Тарбагатайский район", "d"),
        ("Ulan District", "Ұлан ауданы", "Уланский район", "d"),
        ("Shemonaikha District", "Шемонаиха ауданы", "Шемонаихинский район", "d"),
    ],
    "KZ-10": [
        ("Semey City", "Семей қаласы", "город Семей", "C"),
        ("Kurchatov City", "Курчатов қаласы", "город Курчатов", "c"),
        ("Abai District", "Абай ауданы", "Абайский район", "d"),
        ("Aiagoz District", "Аягөз ауданы", "Аягозский район", "d"),
        ("Beskaragai District", "Бесқарағай ауданы", "Бескарагайский район", "d"),
        ("Borodulikha District", "Бородулиха ауданы", "Бородулихинский район", "d"),
        ("Zhanasemey District", "Жаңасемей ауданы", "Жанасемейский район", "d"),
        ("Zharma District", "Жарма ауданы", "Жарминский район", "d"),
        ("Kokpekty District", "Көкпекті ауданы", "Кокпектинский район", "d"),
        ("Urzhar District", "Үржар ауданы", "Урджарский район", "d"),
    ],
    "KZ-19": [
        ("Konaev City", "Қонаев қаласы", "город Конаев", "C"),
        ("Balkhash District", "Балқаш ауданы", "Балхашский район", "d"),
        ("Enbekshikazakh District", "Еңбекшіқазақ ауданы", "Енбекшиказахский район", "d"),
        ("Zhambyl District", "Жамбыл ауданы", "Жамбылский район", "d"),
        ("Ile District", "Іле ауданы", "Илийский район", "d"),
        ("Karasai District", "Қарасай ауданы", "Карасайский район", "d"),
        ("Kegen District", "Кеген ауданы", "Кегенский район", "d"),
        ("Raiymbek District", "Райымбек ауданы", "Райымбекский район", "d"),
        ("Talgar District", "Талғар ауданы", "Талгарский район", "d"),
        ("Uigur District", "Ұйғыр ауданы", "Уйгурский район", "d"),
    ],
    "KZ-33": [
        ("Taldykorgan City", "Талдықорған қаласы", "город Талдыкорган", "C"),
        ("Tekeli City", "Текелі қаласы", "город Текели", "c"),
        ("Aksu District", "Ақсу ауданы", "Аксуский район", "d"),
        ("Alakol District", "Алакөл ауданы", "Алакольский район", "d"),
        ("Eskeldi District", "Ескелді ауданы", "Ескельдинский район", "d"),
        ("Karatal District", "Қаратал ауданы", "Каратальский район", "d"),
        ("Kerbulak District", "Кербұлақ ауданы", "Кербулакский район", "d"),
        ("Koksu District", "Көксу ауданы", "Коксуский район", "d"),
        ("Panfilov District", "Панфилов ауданы", "Панфиловский район", "d"),
        ("Sarkand District", "Сарқан ауданы", "Саркандский район", "d"),
    ],
    "KZ-35": [
        ("Karaganda City", "Қарағанды қаласы", "город Караганда", "C"),
        ("Temirtau City", "Теміртау қаласы", "город Темиртау", "c"),
        ("Balkhash City", "Балқаш қаласы", "город Балхаш", "c"),
        ("Saran City", "Саран қаласы", "город Сарань", "c"),
        ("Shakhtinsk City", "Шахтинск қаласы", "город Шахтинск", "c"),
        ("Priozersk City", "Приозерск қаласы", "город Приозерск", "c"),
        ("Abai District", "Абай ауданы", "Абайский район", "d"),
        ("Aktogay District", "Ақтоғай ауданы", "Актогайский район", "d"),
        ("Bukhar-Zhyrau District", "Бұқар жырау ауданы", "Бухар-Жырауский район", "d"),
        ("Karkaraly District", "Қарқаралы ауданы", "Каркаралинский район", "d"),
        ("Nura District", "Нұра ауданы", "Нуринский район", "d"),
        ("Osakarov District", "Осакаров ауданы", "Осакаровский район", "d"),
        ("Shet District", "Шет ауданы", "Шетский район", "d"),
    ],
    "KZ-62": [
        ("Zhezkazgan City", "Жезқазған қаласы", "город Жезказган", "C"),
        ("Satbayev City", "Сәтбаев қаласы", "город Сатпаев", "c"),
        ("Karazhal City", "Қаражал қаласы", "город Каражал", "c"),
        ("Ulytau District", "Ұлытау ауданы", "Улытауский район", "d"),
        ("Zhanaarka District", "Жаңаарқа ауданы", "Жанааркинский район", "d"),
    ],
    "KZ-61": [
        ("Turkistan City", "Түркістан қаласы", "город Туркестан", "C"),
        ("Arys City", "Арыс қаласы", "город Арыс", "c"),
        ("Kentau City", "Кентау қаласы", "город Кентау", "c"),
        ("Baidibek District", "Бәйдібек ауданы", "Байдибекский район", "d"),
        ("Kazygurt District", "Қазығұрт ауданы", "Казыгуртский район", "d"),
        ("Maktaaral District", "Мақтаарал ауданы", "Мактааральский район", "d"),
        ("Ordabasy District", "Ордабасы ауданы", "Ордабасинский район", "d"),
        ("Otyrar District", "Отырар ауданы", "Отырарский район", "d"),
        ("Sairam District", "Сайрам ауданы", "Сайрамский район", "d"),
        ("Saryagash District", "Сарыағаш ауданы", "Сарыагашский район", "d"),
        ("Sozak District", "Созақ ауданы", "Сузакский район", "d"),
        ("Tolebi District", "Төле би ауданы", "Толебийский район", "d"),
        ("Tulkibas District", "Түлкібас ауданы", "Тюлькубасский район", "d"),
        ("Shardara District", "Шардара ауданы", "Шардаринский район", "d"),
    ],
    "KZ-79": [
        ("Abai District of Shymkent", "Шымкент қаласы Абай ауданы", "Абайский район города Шымкент", "u"),
        ("Al-Farabi District of Shymkent", "Шымкент қаласы Әл-Фараби ауданы",
         "Аль-Фарабийский район города Шымкент", "u"),
        ("Enbekshi District of Shymkent", "Шымкент қаласы Еңбекші ауданы", "Енбекшинский район города Шымкент", "u"),
        ("Karatau District of Shymkent", "Шымкент қаласы Қаратау ауданы", "Каратауский район города Шымкент", "u"),
    ],
    "KZ-71": [
        ("Almaty District of Astana", "Астана қаласы Алматы ауданы", "район Алматы города Астаны", "u"),
        ("Baikonyr District of Astana", "Астана қаласы Байқоңыр ауданы", "район Байконыр города Астаны", "u"),
        ("Yesil District of Astana", "Астана қаласы Есіл ауданы", "район Есиль города Астаны", "u"),
        ("Saryarka District of Astana", "Астана қаласы Сарыарқа ауданы", "район Сарыарка города Астаны", "u"),
        ("Nura District of Astana", "Астана қаласы Нұра ауданы", "район Нура города Астаны", "u"),
    ],
    "KZ-75": [
        ("Alatau District of Almaty", "Алматы қаласы Алатау ауданы", "Алатауский район города Алматы", "u"),
        ("Almaly District of Almaty", "Алматы қаласы Алмалы ауданы", "Алмалинский район города Алматы", "u"),
        ("Auezov District of Almaty", "Алматы қаласы Әуезов ауданы", "Ауэзовский район города Алматы", "u"),
        ("Bostandyk District of Almaty", "Алматы қаласы Бостандық ауданы", "Бостандыкский район города Алматы", "u"),
        ("Zhetysu District of Almaty", "Алматы қаласы Жетісу ауданы", "Жетысуский район города Алматы", "u"),
        ("Medeu District of Almaty", "Алматы қаласы Медеу ауданы", "Медеуский район города Алматы", "u"),
        ("Nauryzbay District of Almaty", "Алматы қаласы Наурызбай ауданы", "Наурызбайский район города Алматы", "u"),
        ("Turksib District of Almaty", "Алматы қаласы Түрксіб ауданы", "Турксибский район города Алматы", "u"),
    ],
}

# Regions whose districts other than the centre city are synthetic: number of districts (incl. centre).
SYNTHETIC_DISTRICT_COUNTS = {
    "KZ-11": 19, "KZ-15": 13, "KZ-23": 8, "KZ-27": 13, "KZ-31": 11, "KZ-39": 20, "KZ-43": 8, "KZ-47": 7,
    "KZ-55": 13, "KZ-59": 14,
}

CENTRE_NAMES = {  # en -> (kk, ru) for the centres of the regions with synthetic districts
    "Kokshetau": ("Көкшетау қаласы", "город Кокшетау"),
    "Aktobe": ("Ақтөбе қаласы", "город Актобе"),
    "Atyrau": ("Атырау қаласы", "город Атырау"),
    "Oral": ("Орал қаласы", "город Уральск"),
    "Taraz": ("Тараз қаласы", "город Тараз"),
    "Kostanay": ("Қостанай қаласы", "город Костанай"),
    "Kyzylorda": ("Қызылорда қаласы", "город Кызылорда"),
    "Aktau": ("Ақтау қаласы", "город Актау"),
    "Pavlodar": ("Павлодар қаласы", "город Павлодар"),
    "Petropavl": ("Петропавл қаласы", "город Петропавловск"),
}

# Districts of the `--scale small` country (by English name, per region of today).
SMALL_DISTRICTS = {
    "KZ-63": ["Oskemen City", "Glubokoe District"],
    "KZ-10": ["Semey City", "Urzhar District"],
    "KZ-19": ["Konaev City", "Talgar District"],
    "KZ-33": ["Taldykorgan City"],
    "KZ-35": ["Karaganda City", "Bukhar-Zhyrau District"],
    "KZ-62": ["Zhezkazgan City"],
    "KZ-61": ["Turkistan City", "Saryagash District"],
    "KZ-79": ["Al-Farabi District of Shymkent", "Abai District of Shymkent"],
    "KZ-75": ["Almaly District of Almaty", "Bostandyk District of Almaty"],
}

# Universities per region of today (national scale); the rest of the 120 go to other centres.
UNIVERSITIES = {"KZ-75": 40, "KZ-71": 22, "KZ-79": 9, "KZ-35": 7}
UNIVERSITIES_SMALL = {"KZ-75": 3, "KZ-79": 1, "KZ-35": 1, "KZ-63": 1, "KZ-10": 1}


def ru_genitive(name: str) -> str:
    """Genitive of a Russian region/district name as used in authority names ("Акимат ...")."""
    special = {"город Астана": "города Астаны", "город Алматы": "города Алматы", "город Шымкент": "города Шымкента"}
    if name in special:
        return special[name]
    words = name.split(" ")
    out = []
    for w in words[:3]:
        lw = w.lower()
        if lw.endswith("ская") or lw.endswith("цкая"):
            w = w[:-2] + "ой"
        elif lw.endswith("ий") and len(w) > 3:
            w = w[:-2] + "ого"
        elif lw.endswith("ый"):
            w = w[:-2] + "ого"
        elif lw == "область":
            w = w[:-1] + "и"
        elif lw in ("район", "город"):
            w = w + "а"
        out.append(w)
    out[0] = out[0][0].lower() + out[0][1:] if out[0] in ("Область", "Район") else out[0]
    return " ".join(out + words[3:])


def kk_genitive(name: str) -> str:
    """Kazakh genitive of 'X облысы / ауданы / қаласы' (all end in a back vowel): add -ның."""
    return name + "ның"
