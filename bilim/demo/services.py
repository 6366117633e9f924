"""Build the deterministic synthetic demo country into the database.

All data written here are SYNTHETIC: the regions, their ISO codes and the dates and decrees of the
2018 and 2022 restructurings are real, everything below them (districts' codes and most of their
names, every organization, every figure) is generated from a seed by `bilim.demo.synth`.

The registry is written through `bilim.registry.services` — bulk registration for the mass of units,
and the same split/transfer/close services a ministry would use for each restructuring — so the demo
history obeys every invariant of the real one. Data values go in with one multi-row insert per
batch inside a single transaction (millions of rows at national scale).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from bilim.audit import services as audit
from bilim.collection.models import DataValue
from bilim.metadata.models import DataElement
from bilim.registry import services as registry
from bilim.registry.models import GoverningRelation, Kind, LegalAct, OrgUnit, Subtype, TerritorialRelation
from bilim.registry.services import UnitSpec

from . import geography as geo
from . import synth
from .synth import ALMATY_ADDITIONAL, YEARS, Country, Org

ACTOR = "demo"
ILLUSTRATIVE = " (illustrative act of the synthetic demo data set; no real number)"


class DemoExists(Exception):
    """The database already holds a republic; the demo only builds into an empty registry."""


@dataclass
class BuildReport:
    scale: str
    seed: int
    seconds: dict[str, float] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)
    values: dict[str, int] = field(default_factory=dict)
    notable: dict[str, str] = field(default_factory=dict)
    approvals: dict[str, int] = field(default_factory=dict)

    @property
    def total_values(self) -> int:
        return sum(self.values.values())


def demo_exists() -> bool:
    return OrgUnit.objects.filter(code="KZ").exists()


def build_demo(scale: str = "national", seed: int = 2026, log: Callable[[str], None] | None = None) -> BuildReport:
    """Generate the synthetic country and write it (registry, history, data values) in one transaction."""
    log = log or (lambda _msg: None)
    if demo_exists():
        raise DemoExists("The registry already contains the republic KZ; the demo builds only into an empty database.")
    report = BuildReport(scale, seed)
    t0 = time.perf_counter()
    country = synth.generate(scale, seed)
    report.seconds["generate"] = time.perf_counter() - t0
    log(f"generated synthetic country in memory ({report.seconds['generate']:.1f}s)")
    with transaction.atomic():
        t1 = time.perf_counter()
        builder = _RegistryBuilder(country, log)
        builder.build()
        report.seconds["registry"] = time.perf_counter() - t1
        report.units = builder.counts()
        report.notable = builder.notable()
        log(f"registry and its history written ({report.seconds['registry']:.1f}s)")
        t2 = time.perf_counter()
        report.values = _write_values(country, builder.ids, log)
        report.seconds["values"] = time.perf_counter() - t2
        t3 = time.perf_counter()
        report.approvals = _approve_history(log)
        report.seconds["approvals"] = time.perf_counter() - t3
        audit.record(ACTOR, "demo.build", "Demo", scale, None,
                     {"seed": seed, "scale": scale, "units": report.units, "values": report.total_values,
                      "synthetic": True})
    report.seconds["total"] = time.perf_counter() - t0
    return report


# --------------------------------------------------------------------------- approval history


def _approve_history(log: Callable[[str], None]) -> dict[str, int]:
    """Every form of every year but the latest has gone up the whole chain: reporters submitted,
    districts and regions approved, the republic accepted. The latest year stays open, so its values
    are seen by the districts (and administrators) but not yet by regions, the ministry or the public,
    and the workflow can be walked on it. Written in bulk (no step history): the demo is synthetic."""
    from bilim.approval import selectors as approval
    from bilim.approval.models import ApprovalState, Status
    from bilim.metadata.models import DataSet

    counts: dict[str, int] = {}
    now = timezone.now()
    for ds in DataSet.objects.order_by("code"):
        elements = list(ds.data_elements.values_list("pk", flat=True))
        for year in YEARS[:-1]:
            period = f"{year}S" if ds.period_type == "school_year" else str(year)
            if not DataValue.objects.filter(data_element_id__in=elements, period=period).exists():
                continue
            tree = approval.form_tree(ds, period)
            submitted = dt.datetime.combine(approval.census_date(period) + dt.timedelta(days=14), dt.time(12),
                                            tzinfo=dt.UTC)
            rows = []
            for unit_id in tree.participating:
                if unit_id in tree.reporters:
                    status = Status.SUBMITTED
                elif tree.parent.get(unit_id) is None:
                    status = Status.ACCEPTED
                else:
                    status = Status.APPROVED
                rows.append(ApprovalState(data_set=ds, period=period, org_unit_id=unit_id, status=status,
                                          submitted_at=submitted if status == Status.SUBMITTED else None,
                                          changed_by=ACTOR))
            ApprovalState.objects.bulk_create(rows, batch_size=2000)
            ApprovalState.objects.filter(data_set=ds, period=period).update(changed_at=now)
            counts[f"{ds.code} {period}"] = len(rows)
    log(f"approval states of past years written ({sum(counts.values()):,} units × forms × periods)")
    audit.record(ACTOR, "demo.approve_history", "ApprovalState", "past years", None,
                 {"forms_periods": len(counts), "states": sum(counts.values()), "synthetic": True})
    return counts


# --------------------------------------------------------------------------- registry and history

# The issuers of the demo's acts, marked for the catalogues: an act's issuer is stored as entered and
# pages show it in the reader's language where the catalogue has it (`bilim_web.issuer_label`).
ISSUERS = (gettext_noop("President of the Republic of Kazakhstan"),
           gettext_noop("Parliament of the Republic of Kazakhstan"),
           gettext_noop("Minister of Education and Science"), gettext_noop("Ministry of Education and Science"),
           gettext_noop("Akimats of Astana, Almaty, Shymkent"), gettext_noop("Bilim demo"))


def _act(kind: str, date: dt.date, issuer: str, en: str, ru: str, kk: str, number: str = "",
         illustrative: bool = True) -> LegalAct:
    suffix = ILLUSTRATIVE if illustrative else ""
    return LegalAct.objects.create(kind=kind, number=number, date=date, issuer=issuer, title_en=en + suffix,
                                   title_ru=ru + (" (иллюстративный акт синтетических демо-данных)" if illustrative else ""),
                                   title_kk=kk + (" (синтетикалық демо-деректердің иллюстративтік актісі)"
                                                  if illustrative else ""))


def region_akimat(code: str) -> str:
    return f"{code}-AKIMAT"


def region_dept(code: str) -> str:
    return f"{code}-EDU"


def district_akimat(code: str) -> str:
    return f"{code}-AKIMAT"


def district_office(code: str) -> str:
    return f"{code}-EDU"


MINISTRY = "KZ-MOE"


class _RegistryBuilder:
    def __init__(self, country: Country, log: Callable[[str], None]) -> None:
        self.c = country
        self.log = log
        self.units: dict[str, OrgUnit] = {}
        self.ids: dict[str, int] = {}

    # -- helpers
    def _refresh(self, codes: list[str]) -> None:
        for i in range(0, len(codes), 900):
            for u in OrgUnit.objects.filter(code__in=codes[i:i + 900]):
                self.units[u.code] = u
                self.ids[u.code] = u.pk

    def _register(self, specs: list[UnitSpec], date: dt.date, act: LegalAct, description: str) -> None:
        if not specs:
            return
        registry.bulk_register(specs, date, act, ACTOR, description)
        self._refresh([s.code for s in specs])

    def _placeholder(self, code: str, kind: str = Kind.AUTHORITY) -> OrgUnit:
        return self.units.get(code) or OrgUnit(code=code, kind=kind)

    def _region_spec(self, r: geo.RegionInfo) -> UnitSpec:
        lat0, lat1, lon0, lon1 = r.bbox
        return UnitSpec(r.code, Kind.REGION, r.name_kk, r.name_ru, r.name_en, parent=self.units["KZ"],
                        attrs={"synthetic": False, "lat": round((lat0 + lat1) / 2, 4), "lon": round((lon0 + lon1) / 2, 4)})

    def _region_authorities(self, r: geo.RegionInfo, region: OrgUnit) -> list[UnitSpec]:
        gkk, gru = geo.kk_genitive(r.name_kk), geo.ru_genitive(r.name_ru)
        akimat = UnitSpec(region_akimat(r.code), Kind.AUTHORITY, f"{gkk} әкімдігі", f"Акимат {gru}",
                          f"Akimat of {r.name_en}", parent=region, attrs={"subtype": Subtype.AKIMAT, "synthetic": True})
        dept = UnitSpec(region_dept(r.code), Kind.AUTHORITY, f"{gkk} білім басқармасы", f"Управление образования {gru}",
                        f"Education Department of {r.name_en}", parent=region,
                        governing_body=self._placeholder(akimat.code),
                        attrs={"subtype": Subtype.REGION_DEPT, "synthetic": True})
        return [akimat, dept]

    def _org_spec(self, o: Org, body_code: str) -> UnitSpec:
        d = self.c.districts[o.district]
        return UnitSpec(o.code, Kind.ORGANIZATION, o.name_kk, o.name_ru, o.name_en, parent=self.units[d.code],
                        governing_body=self._placeholder(body_code), attrs=o.attrs())

    def _body_code(self, o: Org, day: dt.date) -> str:
        d = self.c.districts[o.district]
        if o.body_role == "district_office":
            return district_office(d.code)
        if o.body_role == "district_akimat":
            return district_akimat(d.code)
        if o.body_role == "ministry":
            return MINISTRY
        return region_dept(d.region_on(day))

    # -- the build
    def build(self) -> None:
        c = self.c
        start = geo.START
        act0 = _act(LegalAct.ActKind.OTHER, start, "Bilim demo",
                    "Initial registration of the synthetic demo education system",
                    "Первоначальная регистрация синтетической демонстрационной системы образования",
                    "Синтетикалық демо білім беру жүйесін алғашқы тіркеу", illustrative=False)
        # territory: republic, regions of the time, districts
        self._register([UnitSpec("KZ", Kind.REPUBLIC, "Қазақстан Республикасы", "Республика Казахстан",
                                 "Republic of Kazakhstan", attrs={"synthetic": False, "lat": 48.0, "lon": 67.0})],
                       start, act0, "Republic")
        self._register([self._region_spec(c.regions[r]) for r in c.initial_regions], start, act0, "Regions")
        specs = []
        for d in c.districts:
            specs.append(UnitSpec(d.code, Kind.DISTRICT, d.name_kk, d.name_ru, d.name_en,
                                  parent=self.units[d.initial_region],
                                  attrs={"synthetic": True, "lat": round(d.lat, 4), "lon": round(d.lon, 4),
                                         "area": "URBAN" if d.is_city else "RURAL"}))
        self._register(specs, start, act0, "Districts")
        # authorities
        # the ministry under its name of the time; renamed in 2022 (`_ministry_2022`)
        specs = [UnitSpec(MINISTRY, Kind.AUTHORITY, "Қазақстан Республикасының Білім және ғылым министрлігі",
                          "Министерство образования и науки Республики Казахстан",
                          "Ministry of Education and Science of the Republic of Kazakhstan", parent=self.units["KZ"],
                          attrs={"subtype": Subtype.MINISTRY, "synthetic": True})]
        for r in c.initial_regions:
            specs += self._region_authorities(c.regions[r], self.units[r])
        for d in c.districts:
            gkk, gru = geo.kk_genitive(d.name_kk), geo.ru_genitive(d.name_ru)
            parent = self.units[d.code]
            specs.append(UnitSpec(district_akimat(d.code), Kind.AUTHORITY, f"{gkk} әкімдігі", f"Акимат {gru}",
                                  f"Akimat of {d.name_en}", parent=parent,
                                  attrs={"subtype": Subtype.AKIMAT, "synthetic": True}))
            specs.append(UnitSpec(district_office(d.code), Kind.AUTHORITY, f"{gkk} білім бөлімі",
                                  f"Отдел образования {gru}", f"Education Office of {d.name_en}", parent=parent,
                                  governing_body=self._placeholder(district_akimat(d.code)),
                                  attrs={"subtype": Subtype.DISTRICT_OFFICE, "synthetic": True}))
        self._register(specs, start, act0, "Authorities")
        # organizations existing from the start
        for label, orgs in (("Schools", c.schools), ("Preschool organizations", c.preschools),
                            ("Colleges and universities", [*c.colleges, *c.universities]),
                            ("Additional education", c.additional)):
            specs = [self._org_spec(o, self._body_code(o, start)) for o in orgs if o.opened is None]
            self._register(specs, start, act0, label)
        self.log(f"  registered {len(self.units)} units on {start}")
        # the history, in date order
        if "KZ-YUZ" in c.regions:
            self._split_sko()
        self._office_reform()
        self._regions_2022()
        self._ministry_2022()
        self._close_schools()
        self._kindergarten_reform()
        self._new_schools()

    def _governed_in(self, source_dept: str, districts: set[str], day: dt.date) -> list[OrgUnit]:
        """Units governed by `source_dept` on `day` whose territorial parent is one of `districts`."""
        body = self.units[source_dept]
        district_ids = [self.ids[d] for d in districts]
        governed = GoverningRelation.objects.filter(body=body, valid_from__lte=day).filter(
            registry._open_on(day)).values_list("unit_id", flat=True)
        placed = TerritorialRelation.objects.filter(parent_id__in=district_ids, valid_from__lte=day).filter(
            registry._open_on(day)).values_list("unit_id", flat=True)
        return list(OrgUnit.objects.filter(pk__in=governed).filter(pk__in=placed).order_by("code"))

    def _new_region(self, code: str, date: dt.date, act: LegalAct) -> None:
        """Authorities of a newly formed region and, except for Shymkent, its palace and stations."""
        r = self.c.regions[code]
        region = self.units[code]
        specs = self._region_authorities(r, region)
        self._register(specs, date, act, f"Authorities of {r.name_en}")
        orgs = [o for o in self.c.additional if o.opened == date and o.region_role == code]
        self._register([self._org_spec(o, region_dept(code)) for o in orgs], date, act,
                       f"Additional-education organizations of {r.name_en}")

    def _split_sko(self) -> None:
        c, date = self.c, geo.SKO_SPLIT
        act = _act(LegalAct.ActKind.DECREE, date, "President of the Republic of Kazakhstan",
                   "On some issues of the administrative-territorial structure of the Republic of Kazakhstan "
                   "(South Kazakhstan Region renamed Turkistan Region with its centre in Turkistan; Shymkent "
                   "made a city of republican significance)",
                   "О некоторых вопросах административно-территориального устройства Республики Казахстан",
                   "Қазақстан Республикасының әкімшілік-аумақтық құрылысының кейбір мәселелері туралы",
                   number="702", illustrative=False)
        source = self.units["KZ-YUZ"]
        parts = []
        for new in ("KZ-61", "KZ-79"):
            if new not in c.regions:
                continue
            moving = [self.units[d.code] for d in c.districts if d.final_region == new]
            parts.append((self._region_spec(c.regions[new]), moving))
        registry.split_unit(source, parts, date, act, close_source=False, actor=ACTOR,
                            description="South Kazakhstan Region divided into Turkistan Region and the city of Shymkent")
        self._refresh([p[0].code for p in parts])
        for spec, _moving in parts:
            self._new_region(spec.code, date, act)
        # what the South Kazakhstan department governed goes to the department of its new region
        for new in ("KZ-61", "KZ-79"):
            if new not in c.regions:
                continue
            ds = {d.code for d in c.districts if d.final_region == new}
            units = self._governed_in(region_dept("KZ-YUZ"), ds, date)
            if units:
                registry.transfer_units(units, self.units[region_dept(new)], date, act, ACTOR,
                                        f"Organizations of the former South Kazakhstan Region to the education "
                                        f"department of {c.regions[new].name_en}")
        for code in (region_dept("KZ-YUZ"), region_akimat("KZ-YUZ"), "KZ-YUZ"):
            registry.close_unit(self.units[code], date, act, ACTOR, f"{code} abolished with South Kazakhstan Region")
        self.log("  2018-06-19 South Kazakhstan Region split into Turkistan Region and Shymkent")

    def _office_reform(self) -> None:
        c, date = self.c, geo.OFFICE_REFORM
        regions_then = sorted({d.region_on(date) for d in c.districts})
        for r in regions_then:
            info = c.regions[r]
            act = _act(LegalAct.ActKind.DECISION, dt.date(2020, 12, 15), f"Akimat of {info.name_en}",
                       f"On placing the district education offices of {info.name_en} under the region education "
                       "department", f"О передаче районных отделов образования в ведение управления образования "
                       f"{geo.ru_genitive(info.name_ru)}",
                       f"{geo.kk_genitive(info.name_kk)} аудандық білім бөлімдерін облыстық білім басқармасының "
                       "қарамағына беру туралы")
            offices = [self.units[district_office(d.code)] for d in c.districts if d.region_on(date) == r]
            registry.transfer_units(offices, self.units[region_dept(r)], date, act, ACTOR,
                                    f"District education offices of {info.name_en} placed under the region department")
        self.log(f"  {date} district education offices moved under region education departments")

    def _regions_2022(self) -> None:
        c, date = self.c, geo.REGIONS_2022
        new = [r for r in ("KZ-10", "KZ-33", "KZ-62") if r in c.regions]
        if not new:
            return
        act = _act(LegalAct.ActKind.DECREE, dt.date(2022, 5, 3), "President of the Republic of Kazakhstan",
                   "On some issues of the administrative-territorial structure of the Republic of Kazakhstan "
                   "(formation of Abai, Jetisu and Ulytau regions; in force from 8 June 2022)",
                   "О некоторых вопросах административно-территориального устройства Республики Казахстан",
                   "Қазақстан Республикасының әкімшілік-аумақтық құрылысының кейбір мәселелері туралы",
                   number="887", illustrative=False)
        for code in new:
            source_code = geo.SPLITS[code][0]
            moving = [d for d in c.districts if d.final_region == code]
            spec = self._region_spec(c.regions[code])
            registry.split_unit(self.units[source_code], [(spec, [self.units[d.code] for d in moving])], date, act,
                                close_source=False, actor=ACTOR,
                                description=f"{c.regions[code].name_en} formed from part of "
                                            f"{c.regions[source_code].name_en}")
            self._refresh([code])
            self._new_region(code, date, act)
            units = self._governed_in(region_dept(source_code), {d.code for d in moving}, date)
            if units:
                registry.transfer_units(units, self.units[region_dept(code)], date, act, ACTOR,
                                        f"District offices and regional organizations of the districts that "
                                        f"formed {c.regions[code].name_en}")
        self.log("  2022-06-08 Abai, Jetisu and Ulytau regions formed")

    def _ministry_2022(self) -> None:
        """June 2022: science and higher education leave the ministry, which becomes the Ministry of Education
        (Оқу-ағарту министрлігі, Министерство просвещения); its 2019 meetings keep the old name."""
        date = dt.date(2022, 6, 11)
        act = _act(LegalAct.ActKind.DECREE, date, "President of the Republic of Kazakhstan",
                   "On measures to further improve the system of public administration of the Republic of Kazakhstan "
                   "(the Ministry of Education and Science reorganized)",
                   "О мерах по дальнейшему совершенствованию системы государственного управления Республики "
                   "Казахстан (реорганизация Министерства образования и науки)",
                   "Қазақстан Республикасының мемлекеттік басқару жүйесін одан әрі жетілдіру жөніндегі шаралар туралы "
                   "(Білім және ғылым министрлігін қайта ұйымдастыру)")
        registry.rename_unit(self.units[MINISTRY], date, act, "Қазақстан Республикасының Оқу-ағарту министрлігі",
                             "Министерство просвещения Республики Казахстан",
                             "Ministry of Education of the Republic of Kazakhstan", actor=ACTOR,
                             description="Ministry of Education and Science renamed Ministry of Education")

    def _close_schools(self) -> None:
        for o in self.c.schools:
            if o.closed is None:
                continue
            d = self.c.districts[o.district]
            act = _act(LegalAct.ActKind.DECISION, o.closed - dt.timedelta(days=30), f"Akimat of {d.name_en}",
                       f"On closing {o.name_en}", f"О закрытии: {o.name_ru}", f"Жабу туралы: {o.name_kk}")
            registry.close_unit(self.units[o.code], o.closed, act, ACTOR, "Small-class school closed; pupils moved "
                                                                          "to a neighbouring school")

    def _kindergarten_reform(self) -> None:
        c, date, r = self.c, geo.KINDERGARTEN_REFORM, geo.KINDERGARTEN_REFORM_REGION
        if r not in c.regions:
            return
        info = c.regions[r]
        act = _act(LegalAct.ActKind.RESOLUTION, dt.date(2022, 12, 1), f"Akimat of {info.name_en}",
                   f"On transferring state preschool organizations of {info.name_en} from the district akimats to "
                   "the region education department",
                   f"О передаче дошкольных организаций из ведения районных акиматов в управление образования "
                   f"{geo.ru_genitive(info.name_ru)}",
                   f"{geo.kk_genitive(info.name_kk)} мектепке дейінгі ұйымдарын облыстық білім басқармасына беру туралы")
        units = [self.units[o.code] for o in c.preschools
                 if c.districts[o.district].region_on(date) == r and o.open_on(date)]
        registry.transfer_units(units, self.units[region_dept(r)], date, act, ACTOR,
                                f"Kindergartens and mini-centres of {info.name_en} to the region education department")
        self.log(f"  {date} {len(units)} preschool organizations of {info.name_en} moved to the region department")

    def _new_schools(self) -> None:
        date = geo.NEW_SCHOOLS
        orgs = [o for o in self.c.schools if o.opened == date]
        if not orgs:
            return
        act = _act(LegalAct.ActKind.DECISION, dt.date(2023, 8, 15), "Akimats of Astana, Almaty, Shymkent",
                   "On opening new general education schools", "Об открытии новых общеобразовательных школ",
                   "Жаңа жалпы білім беретін мектептерді ашу туралы")
        self._register([self._org_spec(o, self._body_code(o, date)) for o in orgs], date, act, "New schools")
        self.log(f"  {date} {len(orgs)} new schools opened")

    # -- summaries
    def counts(self) -> dict[str, int]:
        qs = OrgUnit.objects.all()
        out: dict[str, int] = {str(k): qs.filter(kind=k).count()
                               for k in (Kind.REPUBLIC, Kind.REGION, Kind.DISTRICT, Kind.AUTHORITY)}
        for t in ("SCHOOL", "BOARDING", "SPECIAL", "PRESCHOOL", "COLLEGE", "UNIVERSITY", "ADDITIONAL"):
            out[t] = qs.filter(org_type=t).count()
        out["small_schools"] = qs.filter(small_school=True).count()
        return out

    def notable(self) -> dict[str, str]:
        c = self.c
        out: dict[str, str] = {}
        for d in c.districts:
            if d.moved_on is not None:
                key = f"moved district {d.initial_region}->{d.final_region}"
                out.setdefault(key, f"{d.code} {d.name_en} ({d.moved_on})")
        for role, code in ALMATY_ADDITIONAL.items():
            if code in self.ids:
                out[f"Almaty {role}"] = code
        return out


# --------------------------------------------------------------------------- data values

SEX = ("F", "M")
AGE = tuple(f"A{a:02d}" for a in range(30))
GRADE = tuple(f"G{g:02d}" for g in range(13))


class _Writer:
    """Multi-row inserts of DataValue in batches (a few million rows in about a minute on SQLite)."""

    COLUMNS = ("data_element_id", "period", "org_unit_id", "sex", "age", "grade", "qual", "exp", "lang", "value")
    ROWS_PER_STATEMENT = 100

    def __init__(self) -> None:
        self.table = DataValue._meta.db_table
        stamp = connection.ops.adapt_datetimefield_value(timezone.now())
        self.stamp = stamp
        self.de = dict(DataElement.objects.values_list("code", "id"))
        self.counts: dict[str, int] = defaultdict(int)
        qn = connection.ops.quote_name
        cols = ", ".join(qn(c) for c in (*self.COLUMNS, "comment", "stored_by", "created", "updated", "version"))
        one = "(" + ", ".join(["%s"] * len(self.COLUMNS)) + ", '', 'demo', %s, %s, 1)"
        self.sql_head = f"INSERT INTO {qn(self.table)} ({cols}) VALUES "
        self.one = one
        self.full_sql = self.sql_head + ", ".join([one] * self.ROWS_PER_STATEMENT)
        self.buffer: list = []

    def add(self, de: str, rows: Iterator[tuple] | list[tuple]) -> None:
        """rows: (period, org_unit_id, sex, age, grade, qual, exp, lang, value)"""
        de_id = self.de[de]
        n = 0
        buf = self.buffer
        for r in rows:
            buf.append((de_id, *r))
            n += 1
        self.counts[de] += n
        if len(buf) >= 50_000:
            self.flush()

    def flush(self) -> None:
        buf, self.buffer = self.buffer, []
        if not buf:
            return
        k = self.ROWS_PER_STATEMENT
        full, rest = divmod(len(buf), k)
        with connection.cursor() as cur:
            if full:
                params = []
                for i in range(full):
                    chunk = buf[i * k:(i + 1) * k]
                    flat: list = []
                    for row in chunk:
                        flat.extend(row)
                        flat.append(self.stamp)
                        flat.append(self.stamp)
                    params.append(flat)
                cur.executemany(self.full_sql, params)
            if rest:
                chunk = buf[full * k:]
                flat = []
                for row in chunk:
                    flat.extend(row)
                    flat.append(self.stamp)
                    flat.append(self.stamp)
                cur.execute(self.sql_head + ", ".join([self.one] * rest), flat)


def _nonzero_rows(arr: np.ndarray, make: Callable[..., tuple]) -> Iterator[tuple]:
    idx = np.nonzero(arr)
    values = arr[idx]
    for *ix, v in zip(*(i.tolist() for i in idx), values.tolist(), strict=True):
        yield make(*ix, v)


def _write_values(c: Country, ids: dict[str, int], log: Callable[[str], None]) -> dict[str, int]:
    rng = np.random.default_rng(c.seed + 1)
    w = _Writer()
    school_ids = np.array([ids[o.code] for o in c.schools])
    n = len(c.schools)
    rural = np.array([o.area == "RURAL" for o in c.schools])
    small = np.array([o.small_school for o in c.schools])
    capacity = np.array([o.capacity for o in c.schools], dtype=float)
    new_school = np.array([o.opened is not None for o in c.schools])
    trait = c.school_trait
    # per-school constants
    ptr = np.where(small, 4.5, np.where(rural, 10.0, 17.0)) * rng.lognormal(0, 0.15, n)
    fem = np.where(rural, 0.74, 0.83)
    trained = np.where(rural, 0.92, 0.97)
    class_size = np.where(small, 9.0, np.where(rural, 18.0, 25.0))
    ppc = np.where(small, 3.0, np.where(rural, 7.0, 11.0)) * rng.lognormal(0, 0.2, n)  # pupils per computer
    per_pupil = np.where(small, 1_600_000.0, np.where(rural, 620_000.0, 420_000.0)) * rng.lognormal(0, 0.1, n)
    unt_mean = np.where(rural, 66.0, 78.0) + rng.normal(0, 6, n)
    prev_total = None
    for yi, year in enumerate(YEARS):
        sy = f"{year}S"
        e = c.enrol[:, yi]  # [school, grade, offset, sex]
        total = e.sum(axis=(1, 2, 3))
        present = total > 0
        w.add("ENROL", _nonzero_rows(e, lambda s, g, j, x, v, sy=sy: (
            sy, int(school_ids[s]), SEX[x], AGE[5 + g + j], GRADE[g], "", "", "", v)))
        by_grade_sex = e.sum(axis=2)  # [school, grade, sex]
        # repeaters, new entrants and graduates come with the cohorts (`cohort.follow`)
        w.add("REPEAT", _nonzero_rows(c.repeat[:, yi], lambda s, g, x, v, sy=sy: (
            sy, int(school_ids[s]), SEX[x], "", GRADE[g], "", "", "", v)))
        w.add("NEWENT", _nonzero_rows(c.newent[:, yi], lambda s, j, x, v, sy=sy: (
            sy, int(school_ids[s]), SEX[x], AGE[6 + j], "", "", "", "", v)))
        w.add("GRAD", _nonzero_rows(c.grad[:, yi], lambda s, k, x, v, sy=sy: (
            sy, int(school_ids[s]), SEX[x], "", ("G09", "G11")[k], "", "", "", v)))
        teachers = np.where(present, np.maximum(3, np.round(total / ptr)), 0).astype(np.int64)
        tf = rng.binomial(teachers, fem)
        tsex = np.stack([tf, teachers - tf], axis=1)  # [school, sex]
        tt = rng.binomial(tsex, trained[:, None])
        teach = np.stack([tt, tsex - tt], axis=2)  # [school, sex, qual]
        w.add("TEACH", _nonzero_rows(teach, lambda s, x, q, v, sy=sy: (
            sy, int(school_ids[s]), SEX[x], "", "", ("TRAINED", "UNTRAINED")[q], "", "", v)))
        by_grade = by_grade_sex.sum(axis=2)
        classes = np.where(by_grade > 0, np.ceil(by_grade / class_size[:, None]), 0).astype(np.int64)
        w.add("CLASSES", _nonzero_rows(classes, lambda s, g, v, sy=sy: (
            sy, int(school_ids[s]), "", "", GRADE[g], "", "", "", v)))
        open_idx = np.nonzero(present)[0]
        w.add("CAPACITY", ((sy, int(school_ids[s]), "", "", "", "", "", "", float(capacity[s])) for s in open_idx))
        computers = np.maximum(1, np.round(total / (ppc * 0.93 ** (year - 2020))))
        w.add("COMPUTERS", ((sy, int(school_ids[s]), "", "", "", "", "", "", float(computers[s])) for s in open_idx))
        p_bb = np.where(rural, 0.35 + 0.11 * (year - 2020), 0.78 + 0.05 * (year - 2020))
        bb = (trait < p_bb).astype(float)
        w.add("BROADBAND", ((sy, int(school_ids[s]), "", "", "", "", "", "", float(bb[s])) for s in open_idx))
        takers = rng.binomial(by_grade_sex[:, 11], np.where(rural, 0.78, 0.86)[:, None])  # [school, sex]
        score = np.round(takers * (unt_mean[:, None] + rng.normal(0, 2, takers.shape))).clip(min=0)
        w.add("UNT_TAKERS", _nonzero_rows(takers, lambda s, x, v, sy=sy: (
            sy, int(school_ids[s]), SEX[x], "", "", "", "", "", v)))
        w.add("UNT_SCORE_SUM", _nonzero_rows(np.where(takers > 0, score, 0), lambda s, x, v, sy=sy: (
            sy, int(school_ids[s]), SEX[x], "", "", "", "", "", v)))
        # expenditure, calendar year: the school year starting in it, or the one ending in it if closed
        cy = str(year)
        basis = np.where(present, total, 0.67 * prev_total if prev_total is not None else 0)
        current = np.round(basis * per_pupil * 1.11 ** (year - 2020) * np.where(new_school & (year == 2023), 0.4, 1.0),
                           -3)
        capital = np.round(current * rng.uniform(0.02, 0.12, n) * np.where(rng.random(n) < 0.06, 4.0, 1.0), -3)
        capital = np.where(new_school & (year == 2023), np.round(capacity * 6_000_000, -3), capital)
        exp = np.stack([current, capital], axis=1)
        w.add("EXPEND", _nonzero_rows(exp, lambda s, k, v, cy=cy: (
            cy, int(school_ids[s]), "", "", "", "", ("CURRENT", "CAPITAL")[k], "", v)))
        prev_total = total
    log(f"  school values written ({sum(w.counts.values()):,} rows so far)")
    pre_ids = np.array([ids[o.code] for o in c.preschools])
    add_ids = np.array([ids[o.code] for o in c.additional])
    for yi, year in enumerate(YEARS):
        sy = f"{year}S"
        w.add("PRESCH_ENROL", _nonzero_rows(c.presch[:, yi], lambda s, a, x, v, sy=sy: (
            sy, int(pre_ids[s]), SEX[x], AGE[synth.PRESCHOOL_AGES[a]], "", "", "", "", v)))
        w.add("ADDED_ENROL", _nonzero_rows(c.added[:, yi], lambda s, a, x, v, sy=sy: (
            sy, int(add_ids[s]), SEX[x], AGE[synth.ADDED_AGES[a]], "", "", "", "", v)))
    dist_ids = np.array([ids[d.code] for d in c.districts])
    pop = np.round(c.pop).astype(np.int64)
    for yi, year in enumerate(YEARS):
        cy = str(year)
        w.add("POP", _nonzero_rows(pop[:, yi], lambda d, a, x, v, cy=cy: (
            cy, int(dist_ids[d]), SEX[x], AGE[a], "", "", "", "", v)))
    w.add("GDP_PC", [(str(year), ids[code], "", "", "", "", "", "", v) for (code, year), v in sorted(c.gdp_pc.items())])
    w.flush()
    log(f"  {sum(w.counts.values()):,} data values written")
    return dict(w.counts)
