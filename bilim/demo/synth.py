"""The synthetic country, generated in memory from a seed before anything touches the database.

Everything follows from a population model, so the figures hang together: district population by
single age comes from a national births curve (rising from ~2000 to 2021), a district share and a
migration trend; the enrolment that population implies is an age-grade pattern (72 % at official
age, 25 % one year over, 3 % two years over) times a coverage rate (lower in grades 10-11, where a
quarter of pupils go to colleges instead), shared among the district's schools by a size weight.
That gives the first school year and each year's entrants (pre-school class, grade 1); from there
the pupils follow their cohorts (`cohort`): promoted, repeating, leaving or changing school, so
promotion plus repetition never exceed 100 % and dropout is never negative. Gross enrolment
ratios land near 100 % and pupil numbers grow with the cohorts.

Nothing here is an official statistic; the numbers are plausible, not true.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from bilim.registry.bin import make_bin

from . import cohort
from . import geography as geo

YEARS = geo.SCHOOL_YEARS
NY = len(YEARS)
N_AGES = 30  # A00..A29
GRADES = 12  # G00..G11
OFFSETS = (0, 1, 2)  # age = 5 + grade + offset
OFFSET_SHARE = np.array([0.72, 0.25, 0.03])
GRADE_COVERAGE = np.array([0.55] + [0.999 - 0.0012 * g for g in range(1, 10)] + [0.72, 0.71])
PRESCHOOL_AGES = (1, 2, 3, 4, 5, 6)
PRESCHOOL_COVERAGE = np.array([0.06, 0.28, 0.78, 0.86, 0.45, 0.05])
ADDED_AGES = tuple(range(6, 18))
ADDED_PROFILE = np.array([4, 7, 9, 10, 10, 10, 9, 9, 8, 7, 6, 5], dtype=float)
ADDED_PROFILE /= ADDED_PROFILE.sum()
NATIONAL_PUPILS_2024 = 3_600_000
MALE_SHARE = 0.513

# Live births in Kazakhstan, thousands (rounded, approximate; interpolated between the points).
_BIRTHS = {1990: 360, 1995: 310, 1999: 220, 2002: 227, 2005: 279, 2008: 356, 2012: 382, 2015: 400,
           2018: 397, 2020: 426, 2021: 447, 2022: 403, 2023: 388, 2024: 363}

# Stable codes of the named additional-education organizations of Almaty city (the governance
# module refers to them): role -> BIN. Valid BINs from a serial range random codes never use.
ALMATY_ADDITIONAL = {
    "palace": "950440913278",
    "creative_centre_1": "010940914586",
    "creative_centre_2": "031240915733",
    "house_1": "031140916044",
    "house_2": "060240917198",
    "house_3": "080540918369",
    "young_tourists": "970940919427",
    "young_naturalists": "981040920571",
}


def births(year: int) -> float:
    years = sorted(_BIRTHS)
    if year <= years[0]:
        return float(_BIRTHS[years[0]])
    if year >= years[-1]:
        return float(_BIRTHS[years[-1]])
    return float(np.interp(year, years, [_BIRTHS[y] for y in years]))


@dataclass
class District:
    idx: int
    code: str
    name_en: str
    name_kk: str
    name_ru: str
    dtype: str  # C centre city, c other city, d rural district, u city district
    initial_region: str
    final_region: str
    moved_on: dt.date | None
    lat: float = 0.0
    lon: float = 0.0
    share: float = 0.0
    urban: float = 0.0
    coverage: float = 1.0
    growth: float = 0.0
    synthetic_name: bool = False

    def region_on(self, day: dt.date) -> str:
        return self.initial_region if self.moved_on is None or day < self.moved_on else self.final_region

    @property
    def is_city(self) -> bool:
        return self.dtype in ("C", "c", "u")


@dataclass
class Org:
    code: str
    org_type: str
    name_en: str
    name_kk: str
    name_ru: str
    district: int
    body_role: str  # district_office | district_akimat | region_dept | ministry
    area: str
    subtype: str = ""
    small_school: bool = False
    ownership: str = "PUBLIC"
    languages: list[str] = field(default_factory=list)
    capacity: int | None = None
    shifts: int | None = None
    emergency: bool = False
    lat: float | None = None
    lon: float | None = None
    opened: dt.date | None = None  # None: from the start of the demo history
    closed: dt.date | None = None
    weight: float = 1.0
    region_role: str = ""  # for region-level additional organizations: the region they serve at first

    def attrs(self) -> dict:
        return {
            "org_type": self.org_type, "subtype": self.subtype, "small_school": self.small_school,
            "area": self.area, "ownership": self.ownership, "languages": self.languages,
            "capacity": self.capacity, "shifts": self.shifts, "emergency": self.emergency,
            "lat": None if self.lat is None else round(self.lat, 5),
            "lon": None if self.lon is None else round(self.lon, 5), "synthetic": True,
        }

    def open_on(self, day: dt.date) -> bool:
        return (self.opened is None or self.opened <= day) and (self.closed is None or day < self.closed)


@dataclass
class Country:
    scale: str
    seed: int
    regions: dict[str, geo.RegionInfo]
    districts: list[District]
    schools: list[Org]
    preschools: list[Org]
    colleges: list[Org]
    universities: list[Org]
    additional: list[Org]
    pop: np.ndarray  # [district, year, age 0..29, sex F/M] float
    enrol: np.ndarray  # [school, year, grade 0..11, offset 0..2, sex] int
    repeat: np.ndarray  # [school, year, grade 0..11, sex] int: repeaters among `enrol`
    grad: np.ndarray  # [school, year, (G09, G11), sex] int: graduates at the end of the year
    newent: np.ndarray  # [school, year, offset 0..2 (ages 6..8), sex] int: new entrants to grade 1
    school_level: np.ndarray  # [school] highest grade
    school_trait: np.ndarray  # [school] 0..1 persistent draw (broadband, results)
    presch: np.ndarray  # [preschool, year, age 1..6, sex] int
    added: np.ndarray  # [additional, year, age 6..17, sex] int
    gdp_pc: dict[tuple[str, int], float]

    def district_by_name(self, final_region: str, name_en: str) -> District:
        for d in self.districts:
            if d.final_region == final_region and d.name_en == name_en:
                return d
        raise KeyError(f"{final_region}/{name_en}")

    @property
    def initial_regions(self) -> list[str]:
        return sorted({d.initial_region for d in self.districts})

    @property
    def new_regions(self) -> list[str]:
        return sorted({d.final_region for d in self.districts} - set(self.initial_regions))

    def centre(self, region: str) -> District:
        """Where a region's own institutions sit: its centre city (Shymkent for South Kazakhstan)."""
        if region == "KZ-YUZ":
            cands = [d for d in self.districts if d.final_region == "KZ-79"]
            named = [d for d in cands if d.name_en.startswith("Al-Farabi")]
            return (named or cands)[0]
        ds = [d for d in self.districts if d.final_region == region]
        return next((d for d in ds if d.dtype == "C"), ds[0])

    def all_orgs(self) -> list[Org]:
        return [*self.schools, *self.preschools, *self.colleges, *self.universities, *self.additional]


def _sround(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Stochastic rounding: unbiased, so totals survive being split into many small cells."""
    return _round_with(x, rng.random(x.shape))


def _round_with(x: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Stochastic rounding with the uniform draws ``u`` (one per cell) given."""
    fl = np.floor(x)
    return (fl + (u < (x - fl))).astype(np.int64)


class _Codes:
    """Synthetic but well-formed BINs: a registration month, then increasing serials below 90000."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.serial = 10000

    def next(self, year_from: int = 1995, year_to: int = 2019) -> str:
        while True:
            self.serial += int(self.rng.integers(1, 4))
            if self.serial >= 90000:
                raise RuntimeError("ran out of synthetic BIN serials")
            year = int(self.rng.integers(year_from, year_to + 1))
            yymm = f"{year % 100:02d}{int(self.rng.integers(1, 13)):02d}"
            code = make_bin(yymm, self.serial)
            if code:
                return code


def _districts(regions: dict[str, geo.RegionInfo], rng: np.random.Generator) -> list[District]:
    """Every district of the national country, numbered within the region it was first registered in."""
    by_initial: dict[str, list[tuple[str, tuple[str, str, str, str], bool]]] = {}
    for final in sorted(regions):
        initial = geo.SPLITS.get(final, (final, None))[0]
        if final in geo.NAMED_DISTRICTS:
            specs = [(final, s, False) for s in geo.NAMED_DISTRICTS[final]]
        else:
            r = regions[final]
            kk, ru = geo.CENTRE_NAMES[r.centre_en]
            specs = [(final, (f"{r.centre_en} City", kk, ru, "C"), False)]
            for n in range(2, geo.SYNTHETIC_DISTRICT_COUNTS[final] + 1):
                specs.append((final, (
                    f"District {n} of {r.name_en}",
                    f"{geo.kk_genitive(r.name_kk)} №{n} ауданы",
                    f"Район № {n} {geo.ru_genitive(r.name_ru)}", "d"), True))
        by_initial.setdefault(initial, []).extend(specs)
    out: list[District] = []
    for initial in sorted(by_initial):
        # the region's own districts first, then those that later left it
        specs = sorted(by_initial[initial], key=lambda s: (s[0] != initial, s[0]))
        for n, (final, (en, kk, ru, dtype), synthetic) in enumerate(specs, start=1):
            moved = geo.SPLITS[final][1] if final in geo.SPLITS else None
            out.append(District(len(out), f"{initial}-{n:03d}", en, kk, ru, dtype, initial, final, moved,
                                synthetic_name=synthetic))
    # place, weigh and characterise them
    for final in sorted(regions):
        r = regions[final]
        ds = [d for d in out if d.final_region == final]
        lat0, lat1, lon0, lon1 = r.bbox
        raw = []
        for d in ds:
            d.lat = float(rng.uniform(lat0 + 0.1 * (lat1 - lat0), lat1 - 0.1 * (lat1 - lat0)))
            d.lon = float(rng.uniform(lon0 + 0.1 * (lon1 - lon0), lon1 - 0.1 * (lon1 - lon0)))
            base = {"C": r.centre_weight, "c": 1.2, "d": 1.0, "u": 1.0}[d.dtype]
            raw.append(base * float(rng.lognormal(0, 0.35)))
            d.urban = {"C": 0.95, "c": 0.9, "u": 0.9 if final == "KZ-79" else 1.0, "d": 0.12}[d.dtype]
            d.coverage = float(rng.uniform(0.96, 1.04))
            d.growth = r.growth + float(rng.normal(0, 0.004)) + (0.01 if d.dtype == "C" else 0.0)
        total = sum(raw)
        for d, w in zip(ds, raw, strict=True):
            d.share = w / total  # within the region; made national below
    weights = {c: r.pop_k * r.youth for c, r in regions.items()}
    wsum = sum(weights.values())
    for d in out:
        d.share *= weights[d.final_region] / wsum
    return out


def _population(districts: list[District], rng: np.random.Generator) -> np.ndarray:
    """Population by district, calendar year, single age and sex, before national calibration."""
    pop = np.zeros((len(districts), NY, N_AGES, 2))
    ages = np.arange(N_AGES)
    surv = 0.995 - 0.0004 * ages
    sex = np.array([1 - MALE_SHARE, MALE_SHARE])
    for d in districts:
        mig = np.where(ages >= 17, {"C": 1.25, "u": 1.25, "c": 1.0, "d": 0.85}[d.dtype], 1.0)
        cohort_noise = {by: float(rng.lognormal(0, 0.03)) for by in range(YEARS[0] - N_AGES, YEARS[-1] + 1)}
        for yi, year in enumerate(YEARS):
            b = np.array([births(year - a) * cohort_noise[year - a] for a in range(N_AGES)]) * 1000
            level = b * surv * mig * d.share * (1 + d.growth) ** (year - 2022)
            pop[d.idx, yi] = level[:, None] * sex[None, :]
    return pop


def _expected_enrolment(pop: np.ndarray, districts: list[District]) -> np.ndarray:
    """[district, year, grade, offset, sex]: the pupils each district's population implies."""
    e = np.zeros((len(districts), NY, GRADES, len(OFFSETS), 2))
    cov = np.array([d.coverage for d in districts])
    for g in range(GRADES):
        for j in OFFSETS:
            e[:, :, g, j, :] = pop[:, :, 5 + g + j, :] * OFFSET_SHARE[j] * GRADE_COVERAGE[g]
    return e * cov[:, None, None, None, None]


def _census(year: int) -> dt.date:
    return dt.date(year, 10, 1)


def _lang(rng: np.random.Generator, region: geo.RegionInfo) -> list[str]:
    if region.code in ("KZ-61", "KZ-79", "KZ-19", "KZ-33") and rng.random() < 0.03:
        return ["OTH"]
    u = rng.random()
    if u < region.kaz:
        return ["KAZ"]
    return ["RUS"] if u < region.kaz + (1 - region.kaz) * 0.55 else ["MIX"]


def _scatter(rng: np.random.Generator, d: District, urban: bool, region: geo.RegionInfo) -> tuple[float, float]:
    lat0, lat1, lon0, lon1 = region.bbox
    spread = 0.03 if region.kind == "city" else (0.06 if urban else 0.45)
    lat = float(np.clip(d.lat + rng.normal(0, spread), lat0, lat1))
    lon = float(np.clip(d.lon + rng.normal(0, spread * 1.4), lon0, lon1))
    return lat, lon


def _suffix(d: District) -> tuple[str, str, str]:
    return f", {d.name_en}", f" ({d.name_kk})", f" ({d.name_ru})"


SCHOOL_NAMES = {
    "SCHOOL": ("Secondary School No. {n}", "№{n} жалпы білім беретін мектеп", "Общеобразовательная школа № {n}"),
    "SMALL": ("Small-class School No. {n}", "№{n} шағын жинақты мектеп", "Малокомплектная школа № {n}"),
    "BOARDING": ("Boarding School No. {n}", "№{n} мектеп-интернат", "Школа-интернат № {n}"),
    "SPECIAL": ("Special School No. {n}", "№{n} арнайы мектеп", "Специальная школа № {n}"),
    "KINDERGARTEN": ("Kindergarten No. {n}", "№{n} балабақша", "Детский сад № {n}"),
    "MINI_CENTRE": ("Mini-centre No. {n}", "№{n} шағын орталық", "Мини-центр № {n}"),
    "COLLEGE": ("College No. {n}", "№{n} колледж", "Колледж № {n}"),
    "UNIVERSITY": ("University No. {n}", "№{n} университет", "Университет № {n}"),
    "CREATIVE_CENTRE": ("Children's Creative Centre", "Балалар шығармашылық орталығы", "Центр детского творчества"),
    "MUSIC_ART": ("Children's Music and Art School", "Балалар музыка және өнер мектебі", "Детская школа искусств"),
    "SPORTS": ("Children and Youth Sports School", "Балалар-жасөспірімдер спорт мектебі",
               "Детско-юношеская спортивная школа"),
}


def _named(kind: str, n: int, d: District) -> tuple[str, str, str]:
    en, kk, ru = (t.format(n=n) for t in SCHOOL_NAMES[kind])
    s_en, s_kk, s_ru = _suffix(d)
    return en + s_en, kk + s_kk, ru + s_ru


def generate(scale: str = "national", seed: int = 2026) -> Country:
    """Build the whole synthetic country in memory (no database access)."""
    if scale not in ("national", "small"):
        raise ValueError("scale must be 'national' or 'small'")
    rng = np.random.default_rng(seed)
    regions = geo.load_regions()
    all_districts = _districts(regions, rng)
    pop = _population(all_districts, rng)
    exp = _expected_enrolment(pop, all_districts)
    calib = NATIONAL_PUPILS_2024 / exp[:, YEARS.index(2024)].sum()
    pop *= calib
    exp *= calib
    pop_scale = 1.0
    if scale == "small":
        keep = {(r, n) for r, names in geo.SMALL_DISTRICTS.items() for n in names}
        idx = [d.idx for d in all_districts if (d.final_region, d.name_en) in keep]
        districts = [all_districts[i] for i in idx]
        pop, exp = pop[idx], exp[idx]
        for new_idx, d in enumerate(districts):
            d.idx = new_idx
        pop_scale = 0.06
        pop *= pop_scale
        exp *= pop_scale
        regions = {c: r for c, r in regions.items() if c in geo.SMALL_DISTRICTS}
    else:
        districts = all_districts
    regions = dict(regions)
    if any(d.initial_region == "KZ-YUZ" for d in districts):
        regions["KZ-YUZ"] = geo.SKO
    codes = _Codes(rng)
    empty = np.zeros(0)
    country = Country(scale, seed, regions, districts, [], [], [], [], [], pop, empty, empty, empty, empty, empty,
                      empty, empty, empty, {})
    _make_schools(country, exp, codes, rng, pop_scale)
    _make_preschools(country, codes, rng)
    _make_colleges_universities(country, exp, codes, rng)
    _make_additional(country, exp, codes, rng, pop_scale)
    _make_gdp(country, rng)
    return country


def _make_schools(c: Country, exp: np.ndarray, codes: _Codes, rng: np.random.Generator, pop_scale: float) -> None:
    i2024 = YEARS.index(2024)
    levels, weights, trends, dist_idx = [], [], [], []
    for d in c.districts:
        region = c.regions[d.final_region]
        total = exp[d.idx, i2024].sum()
        n_urban = int(round(total * d.urban / 650))
        n_rural = int(round(total * (1 - d.urban) / 360))
        if n_urban + n_rural == 0:
            n_rural = 1
        counters = {"SCHOOL": 0, "SMALL": 0, "BOARDING": 0, "SPECIAL": 0}
        for k in range(n_urban + n_rural):
            urban = k < n_urban
            kind, level, weight, small = "SCHOOL", 11, 720.0, False
            if urban:
                if rng.random() < 0.015:
                    kind, weight = "SPECIAL", 180.0
                elif rng.random() < 0.005:
                    kind, weight = "BOARDING", 250.0
            else:
                if rng.random() < 0.3:
                    small, weight = True, 45.0
                    level = int(rng.choice([4, 9, 11], p=[0.3, 0.4, 0.3]))
                elif rng.random() < 0.02:
                    kind, weight = "BOARDING", 250.0
                else:
                    weight = 520.0
                    level = 9 if rng.random() < 0.12 else 11
            name_kind = "SMALL" if small else kind
            counters[name_kind] += 1
            en, kk, ru = _named(name_kind, counters[name_kind], d)
            lat, lon = _scatter(rng, d, urban, region)
            org = Org(codes.next(), kind, en, kk, ru, d.idx, "district_office", "URBAN" if urban else "RURAL",
                      small_school=small, ownership="PRIVATE" if rng.random() < (0.04 if urban else 0.005) else "PUBLIC",
                      languages=_lang(rng, region), lat=lat, lon=lon,
                      emergency=bool(rng.random() < (0.006 if urban else 0.025)))
            if small and rng.random() < (0.006 if c.scale == "national" else 0.0):
                org.closed = geo.SCHOOL_CLOSURES
            c.schools.append(org)
            levels.append(level)
            weights.append(weight * float(rng.lognormal(-0.1, 0.45)))
            trends.append(float(rng.normal(0.0, 0.03)))
            dist_idx.append(d.idx)
        # new schools in the fast-growing cities (2023)
        if region.tight and d.dtype in ("C", "u"):
            n_new = int(round(n_urban * 0.02))
            first_of_region = d is next(x for x in c.districts if x.final_region == d.final_region)
            if c.scale == "small" and first_of_region and d.final_region in ("KZ-79", "KZ-75"):
                n_new = max(n_new, 1)
            for _ in range(n_new):
                counters["SCHOOL"] += 1
                en, kk, ru = _named("SCHOOL", counters["SCHOOL"], d)
                lat, lon = _scatter(rng, d, True, region)
                org = Org(codes.next(2023, 2023), "SCHOOL", en, kk, ru, d.idx, "district_office", "URBAN",
                          languages=_lang(rng, region), lat=lat, lon=lon, opened=geo.NEW_SCHOOLS)
                c.schools.append(org)
                levels.append(11)
                weights.append(1200.0 * float(rng.lognormal(0, 0.2)))
                trends.append(0.05)
                dist_idx.append(d.idx)
    if c.scale == "small" and not any(o.closed for o in c.schools):
        smalls = [o for o in c.schools if o.small_school]
        if smalls:
            smalls[0].closed = geo.SCHOOL_CLOSURES
    n_schools = len(c.schools)
    level_arr = np.array(levels)
    w = np.maximum(np.array(weights), 5.0)
    trend = np.array(trends)
    dist = np.array(dist_idx)
    g = np.arange(GRADES)
    first = np.array([1 if o.org_type in ("SPECIAL", "BOARDING") else 0 for o in c.schools])
    offers = (g[None, :] <= level_arr[:, None]) & (g[None, :] >= first[:, None])
    # what each school would have if it simply followed its district's population: the first year,
    # and each year's entrants, come from this; everyone else from last year's pupils (`cohort`)
    expected = np.zeros((n_schools, NY, GRADES, len(OFFSETS), 2))
    is_open = np.zeros((n_schools, NY), dtype=bool)
    for yi, year in enumerate(YEARS):
        is_open[:, yi] = [o.open_on(_census(year)) for o in c.schools]
        wy = w * (1 + trend) ** (year - 2022) * is_open[:, yi]
        cell = wy[:, None] * offers  # [school, grade]
        denom = np.zeros((len(c.districts), GRADES))
        np.add.at(denom, dist, cell)
        share = np.divide(cell, denom[dist], out=np.zeros_like(cell), where=denom[dist] > 0)
        expected[:, yi] = exp[dist, yi] * share[:, :, None, None]
    rural = np.array([o.area == "RURAL" for o in c.schools])
    # the cohorts lose what the population tables gain by migration: scale them so that the last
    # year still has the pupils the population implies (≈3.6 million nationally)
    k = expected[:, -1].sum() / cohort.expected_totals(expected, offers, is_open, rural)[-1]
    planned = np.zeros(expected.shape, dtype=np.int64)  # what the schools were built for
    start = np.zeros(expected.shape, dtype=np.int64)  # the first year and the entrants of the cohorts
    for yi in range(NY):
        u = rng.random(expected[:, yi].shape)  # one draw per cell rounds both (stochastic rounding)
        planned[:, yi] = _round_with(expected[:, yi], u)
        start[:, yi] = _round_with(k * expected[:, yi], u)
    flow = cohort.follow(start, offers, is_open, rural, dist, np.random.default_rng([c.seed, 1]))
    c.enrol, c.repeat, c.grad, c.newent = flow.enrol, flow.repeat, flow.grad, flow.newent
    c.school_level = level_arr
    c.school_trait = rng.random(n_schools)
    # capacity and shifts follow from the pupils the district's population implies (the plan the
    # school was built for): that also keeps every draw after this one, so the preschools, colleges
    # and other organizations of a seed, do not depend on the cohort model
    totals = planned.sum(axis=(2, 3, 4))  # [school, year]
    for i, o in enumerate(c.schools):
        region = c.regions[c.districts[o.district].final_region]
        seen = totals[i][totals[i] > 0]
        base = float(seen[0]) if len(seen) else 20.0
        peak = float(seen.max()) if len(seen) else 20.0
        if o.opened is not None:
            factor = rng.uniform(1.1, 1.5)
            base = peak
        elif o.area == "URBAN":
            factor = rng.uniform(0.75, 1.4) if region.tight else rng.uniform(1.0, 1.7)
        else:
            factor = rng.uniform(1.0, 2.0) if not o.small_school else rng.uniform(1.3, 3.0)
        o.capacity = max(20, int(round(base * factor / 10.0)) * 10)
        ratio = peak / o.capacity
        if o.small_school:
            o.shifts = 1
        elif ratio > 1.45 and o.area == "URBAN":
            o.shifts = 3
        elif ratio > 0.9 or (o.area == "URBAN" and rng.random() < 0.3):
            o.shifts = 2
        else:
            o.shifts = 1


def _make_preschools(c: Country, codes: _Codes, rng: np.random.Generator) -> None:
    ages = np.array(PRESCHOOL_AGES)
    i2024 = YEARS.index(2024)
    weights, dist_idx = [], []
    expected = np.zeros((len(c.districts), NY, len(ages), 2))
    for d in c.districts:
        region = c.regions[d.final_region]
        cov_d = (1.0 if d.is_city else 0.9) * float(rng.uniform(0.92, 1.05))
        for yi, year in enumerate(YEARS):
            expected[d.idx, yi] = (c.pop[d.idx, yi, ages, :] * PRESCHOOL_COVERAGE[:, None]
                                   * cov_d * (1 + 0.02 * (year - 2022)))
        total = expected[d.idx, i2024].sum()
        n_kg_u = int(round(total * d.urban * 0.85 / 210))
        n_kg_r = int(round(total * (1 - d.urban) * 0.85 / 95))
        n_mc = int(round(total * 0.15 / 28))
        if n_kg_u + n_kg_r + n_mc == 0:
            n_kg_r = 1
        counters = {"KINDERGARTEN": 0, "MINI_CENTRE": 0}
        for k in range(n_kg_u + n_kg_r + n_mc):
            sub = "KINDERGARTEN" if k < n_kg_u + n_kg_r else "MINI_CENTRE"
            urban = k < n_kg_u if sub == "KINDERGARTEN" else rng.random() < 0.25
            counters[sub] += 1
            en, kk, ru = _named(sub, counters[sub], d)
            lat, lon = _scatter(rng, d, urban, region)
            private = rng.random() < ((0.35 if urban else 0.15) if sub == "KINDERGARTEN" else 0.1)
            base = 28.0 if sub == "MINI_CENTRE" else (210.0 if urban else 95.0)
            c.preschools.append(Org(codes.next(), "PRESCHOOL", en, kk, ru, d.idx, "district_akimat",
                                    "URBAN" if urban else "RURAL", subtype=sub,
                                    ownership="PRIVATE" if private else "PUBLIC", languages=_lang(rng, region),
                                    lat=lat, lon=lon))
            weights.append(base * float(rng.lognormal(0, 0.35)))
            dist_idx.append(d.idx)
    w = np.array(weights)
    dist = np.array(dist_idx)
    denom = np.zeros(len(c.districts))
    np.add.at(denom, dist, w)
    share = w / denom[dist]
    c.presch = _sround(expected[dist] * share[:, None, None, None], rng)
    peak = c.presch.sum(axis=(2, 3)).max(axis=1)
    for o, p in zip(c.preschools, peak, strict=True):
        o.capacity = max(10, int(round(p * rng.uniform(0.9, 1.25) / 5.0)) * 5)


def _make_colleges_universities(c: Country, exp: np.ndarray, codes: _Codes, rng: np.random.Generator) -> None:
    i2024 = YEARS.index(2024)
    for d in c.districts:
        region = c.regions[d.final_region]
        total = exp[d.idx, i2024].sum()
        n = _sround(np.array([total * d.urban / 3900 + total * (1 - d.urban) / 6000]), rng)[0]
        for k in range(int(n)):
            en, kk, ru = _named("COLLEGE", k + 1, d)
            lat, lon = _scatter(rng, d, d.is_city, region)
            c.colleges.append(Org(codes.next(), "COLLEGE", en, kk, ru, d.idx, "region_dept",
                                  "URBAN" if d.is_city else "RURAL",
                                  ownership="PRIVATE" if rng.random() < 0.4 else "PUBLIC",
                                  languages=_lang(rng, region), lat=lat, lon=lon,
                                  capacity=int(rng.integers(30, 150)) * 10))
    if c.scale == "small":
        plan = dict(geo.UNIVERSITIES_SMALL)
    else:
        plan = dict(geo.UNIVERSITIES)
        others = sorted((r for r in c.regions if r not in plan and r != "KZ-YUZ"),
                        key=lambda r: -c.regions[r].pop_k)
        for k, r in enumerate(others):
            plan[r] = 3 if k < 10 else 2
    counter = 0
    for region_code in sorted(plan):
        region = c.regions[region_code]
        ds = [d for d in c.districts if d.final_region == region_code]
        for _ in range(plan[region_code]):
            d = c.centre(region_code) if region.kind == "oblast" else ds[int(rng.integers(0, len(ds)))]
            counter += 1
            en, kk, ru = _named("UNIVERSITY", counter, d)
            lat, lon = _scatter(rng, d, True, region)
            c.universities.append(Org(codes.next(), "UNIVERSITY", en, kk, ru, d.idx, "ministry", "URBAN",
                                      ownership="PRIVATE" if rng.random() < 0.45 else "PUBLIC",
                                      languages=["MIX"], lat=lat, lon=lon,
                                      capacity=int(rng.integers(20, 200)) * 100))


REGION_LEVEL = {
    "PALACE": ("Palace of Schoolchildren of {r}", "{g} Оқушылар сарайы", "Дворец школьников {g}", 3500.0),
    "YOUNG_TOURISTS": ("Young Tourists' Station of {r}", "{g} жас туристер станциясы",
                       "Станция юных туристов {g}", 700.0),
    "YOUNG_NATURALISTS": ("Young Naturalists' Station of {r}", "{g} жас натуралистер станциясы",
                          "Станция юных натуралистов {g}", 700.0),
}

# Almaty city: role -> (subtype, en, kk, ru, preferred district, size)
ALMATY_NAMED = {
    "palace": ("PALACE", "Almaty City Palace of Schoolchildren", "Алматы қалалық Оқушылар сарайы",
               "Городской Дворец школьников города Алматы", "Almaly District of Almaty", 6000.0),
    "creative_centre_1": ("CREATIVE_CENTRE", "Innovative Creative Centre No. 1 of Almaty",
                          "Алматы қаласының №1 инновациялық шығармашылық орталығы",
                          "Инновационный творческий центр № 1 города Алматы", "Bostandyk District of Almaty", 1800.0),
    "creative_centre_2": ("CREATIVE_CENTRE", "Innovative Creative Centre No. 2 of Almaty",
                          "Алматы қаласының №2 инновациялық шығармашылық орталығы",
                          "Инновационный творческий центр № 2 города Алматы", "Nauryzbay District of Almaty", 1500.0),
    "house_1": ("PALACE", "House of Schoolchildren No. 1 of Almaty", "Алматы қаласының №1 оқушылар үйі",
                "Дом школьников № 1 города Алматы", "Auezov District of Almaty", 1500.0),
    "house_2": ("PALACE", "House of Schoolchildren No. 2 of Almaty", "Алматы қаласының №2 оқушылар үйі",
                "Дом школьников № 2 города Алматы", "Alatau District of Almaty", 1400.0),
    "house_3": ("PALACE", "House of Schoolchildren No. 3 of Almaty", "Алматы қаласының №3 оқушылар үйі",
                "Дом школьников № 3 города Алматы", "Turksib District of Almaty", 1300.0),
    "young_tourists": ("YOUNG_TOURISTS", "Young Tourists' Station of Almaty", "Алматы қаласының жас туристер станциясы",
                       "Станция юных туристов города Алматы", "Medeu District of Almaty", 900.0),
    "young_naturalists": ("YOUNG_NATURALISTS", "Young Naturalists' Station of Almaty",
                          "Алматы қаласының жас натуралистер станциясы", "Станция юных натуралистов города Алматы",
                          "Bostandyk District of Almaty", 800.0),
}

FEMALE_SHARE = {"PALACE": 0.55, "CREATIVE_CENTRE": 0.58, "MUSIC_ART": 0.62, "SPORTS": 0.35,
                "YOUNG_TOURISTS": 0.45, "YOUNG_NATURALISTS": 0.55}


def _make_additional(c: Country, exp: np.ndarray, codes: _Codes, rng: np.random.Generator, pop_scale: float) -> None:
    sizes = []
    # region level: palace and the two stations in every region that exists at the start; new regions
    # get their own when they are formed, except Shymkent, which keeps South Kazakhstan's (in Shymkent)
    for region_code in [*c.initial_regions, *c.new_regions]:
        if region_code == "KZ-79":
            continue
        region = c.regions[region_code]
        opened = geo.SPLITS[region_code][1] if region_code in geo.SPLITS else None
        if region_code == "KZ-75":
            for role, (sub, en, kk, ru, where, size) in ALMATY_NAMED.items():
                ds = [d for d in c.districts if d.final_region == "KZ-75"]
                d = next((x for x in ds if x.name_en == where), ds[0])
                lat, lon = _scatter(rng, d, True, region)
                c.additional.append(Org(ALMATY_ADDITIONAL[role], "ADDITIONAL", en, kk, ru, d.idx, "region_dept",
                                        "URBAN", subtype=sub, languages=["MIX"], lat=lat, lon=lon,
                                        capacity=int(size * 0.6), region_role=region_code))
                sizes.append(size)
            continue
        d = c.centre(region_code)
        for sub, (en, kk, ru, size) in REGION_LEVEL.items():
            names = (en.format(r=region.name_en), kk.format(g=geo.kk_genitive(region.name_kk)),
                     ru.format(g=geo.ru_genitive(region.name_ru)))
            lat, lon = _scatter(rng, d, True, c.regions[d.final_region])
            c.additional.append(Org(codes.next(), "ADDITIONAL", *names, d.idx, "region_dept", "URBAN", subtype=sub,
                                    languages=["MIX"], lat=lat, lon=lon, opened=opened,
                                    capacity=int(size * 0.6), region_role=region_code))
            sizes.append(size * float(rng.lognormal(0, 0.25)))
    i2024 = YEARS.index(2024)
    for d in c.districts:
        region = c.regions[d.final_region]
        scale = float(np.clip((exp[d.idx, i2024].sum() / pop_scale / 20000) ** 0.5, 0.3, 2.0))
        for sub, base in (("CREATIVE_CENTRE", 500.0), ("MUSIC_ART", 400.0), ("SPORTS", 600.0)):
            en, kk, ru = _named(sub, 0, d)
            lat, lon = _scatter(rng, d, d.is_city, region)
            c.additional.append(Org(codes.next(), "ADDITIONAL", en, kk, ru, d.idx, "district_office",
                                    "URBAN" if d.is_city else "RURAL", subtype=sub, languages=_lang(rng, region),
                                    lat=lat, lon=lon, capacity=int(base * scale * 0.5)))
            sizes.append(base * scale * float(rng.lognormal(0, 0.3)))
    size_arr = np.maximum(np.array(sizes) * pop_scale, 20.0)
    added = np.zeros((len(c.additional), NY, len(ADDED_AGES), 2), dtype=np.int64)
    for yi, year in enumerate(YEARS):
        open_ = np.array([o.open_on(_census(year)) for o in c.additional])
        total = size_arr * 1.04 ** (year - 2022) * rng.lognormal(0, 0.05, len(size_arr)) * open_
        fshare = np.array([FEMALE_SHARE[o.subtype] for o in c.additional])
        cells = total[:, None, None] * ADDED_PROFILE[None, :, None] * np.stack([fshare, 1 - fshare], axis=1)[:, None, :]
        added[:, yi] = _sround(cells, rng)
    c.added = added


NATIONAL_GDP_PC = {2020: 3_750_000, 2021: 4_350_000, 2022: 5_300_000, 2023: 5_900_000, 2024: 6_500_000}


def _make_gdp(c: Country, rng: np.random.Generator) -> None:
    """GDP per capita in KZT per region and calendar year (for regions existing on 1 July)."""
    for code, r in c.regions.items():
        if code == "KZ-YUZ":
            continue
        for year in YEARS:
            day = dt.date(year, 7, 1)
            if r.created and r.created > day:
                continue
            c.gdp_pc[(code, year)] = round(NATIONAL_GDP_PC[year] * r.gdp * float(rng.lognormal(0, 0.03)), -3)
    for year in YEARS:
        c.gdp_pc[("KZ", year)] = float(NATIONAL_GDP_PC[year])
