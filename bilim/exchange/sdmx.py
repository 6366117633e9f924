"""SDMX output of indicator values for UNESCO UIS and other statistical consumers.

Three documents, all built from the DataFrame the analytics service returns (`indicator, period,
ou_code, [sex|area], numerator, denominator, value, mode`), so they never compute anything:

* `structure_xml` — an SDMX-ML 2.1 Structure message: codelists CL_INDICATOR, CL_REF_AREA, CL_SEX,
  CL_LOCATION, CL_UNIT_MEASURE, the concept scheme CS_BILIM, the data structure definition
  DSD_EDU (dimensions REF_AREA, INDICATOR, SEX, LOCATION, TIME_PERIOD; primary measure OBS_VALUE;
  attribute UNIT_MEASURE attached to INDICATOR) and the dataflow DF_EDU;
* `data_xml` — an SDMX-ML 2.1 structure-specific data message for DSD_EDU (one Series per
  REF_AREA × INDICATOR × SEX × LOCATION, observations by TIME_PERIOD);
* `data_json` — the same data as an SDMX-JSON 1.0 data message (structure embedded).

Time periods. Bilim's school year `2024S` runs 2024-09-01..2025-08-31. With `time_format="uis"`
(the default) it is reported as the UIS reference year, the calendar year in which the school
year ends (`2025`); a calendar year stays `2024`, a quarter is `2024-Q1`, a month `2024-01`. When
two requested periods would fall on the same reference year (school year 2023S and calendar year
2024), the export refuses and asks for `time_format="range"`, which writes SDMX time ranges
(`2024-09-01/P1Y`, exact and never ambiguous).

Codes: SEX is F, M or _T (total); LOCATION is URBAN, RURAL or _T; a missing value (NaN) is left
out rather than written as an empty observation.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pandas as pd

from bilim.metadata import periods as bilim_periods

AGENCY = "BILIM"
VERSION = "1.0"
DSD_ID = "DSD_EDU"
DATAFLOW_ID = "DF_EDU"
CONCEPT_SCHEME = "CS_BILIM"
DIMENSIONS = ("REF_AREA", "INDICATOR", "SEX", "LOCATION")  # series key, then TIME_PERIOD
TIME_FORMATS = ("uis", "range")
TOTAL = "_T"
LANGS = ("en", "ru", "kk")

NS = {
    "message": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message",
    "structure": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure",
    "common": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common",
    "ss": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
DSD_URN = f"urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure={AGENCY}:{DSD_ID}({VERSION})"

CONCEPTS: dict[str, dict[str, str]] = {
    "REF_AREA": {"en": "Reference area", "ru": "Территория", "kk": "Аумақ"},
    "INDICATOR": {"en": "Indicator", "ru": "Показатель", "kk": "Көрсеткіш"},
    "SEX": {"en": "Sex", "ru": "Пол", "kk": "Жынысы"},
    "LOCATION": {"en": "Location (urban/rural)", "ru": "Местность (город/село)", "kk": "Елді мекен (қала/ауыл)"},
    "TIME_PERIOD": {"en": "Time period", "ru": "Период", "kk": "Кезең"},
    "OBS_VALUE": {"en": "Observation value", "ru": "Значение", "kk": "Мәні"},
    "UNIT_MEASURE": {"en": "Unit of measure", "ru": "Единица измерения", "kk": "Өлшем бірлігі"},
}
SEX_CODES: dict[str, dict[str, str]] = {
    "F": {"en": "Female", "ru": "Женский", "kk": "Әйел"},
    "M": {"en": "Male", "ru": "Мужской", "kk": "Ер"},
    TOTAL: {"en": "Total", "ru": "Всего", "kk": "Барлығы"},
}
LOCATION_CODES: dict[str, dict[str, str]] = {
    "URBAN": {"en": "Urban", "ru": "Город", "kk": "Қала"},
    "RURAL": {"en": "Rural", "ru": "Село", "kk": "Ауыл"},
    TOTAL: {"en": "Total", "ru": "Всего", "kk": "Барлығы"},
}
_UNIT_CODES = {"%": "PT", "KZT": "KZT"}
_ID = re.compile(r"^[A-Za-z0-9_@$\-]+$")


class SdmxError(ValueError):
    """The selection cannot be written as SDMX (the message says why and what to do)."""


def unit_code(unit: str) -> str:
    """An SDMX id for an indicator's unit: '%' -> PT, 'pupils per teacher' -> PUPILS_PER_TEACHER."""
    if unit in _UNIT_CODES:
        return _UNIT_CODES[unit]
    text = unit.replace("%", "PT ")
    code = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").upper()
    return code or "NUMBER"


def time_period(code: str, time_format: str = "uis") -> str:
    """A Bilim period code as an SDMX TIME_PERIOD (see the module docstring)."""
    if time_format not in TIME_FORMATS:
        raise SdmxError(f"time_format must be one of {', '.join(TIME_FORMATS)}, not {time_format!r}")
    try:
        p = bilim_periods.parse(str(code))
    except bilim_periods.PeriodError as e:
        raise SdmxError(str(e)) from None
    if time_format == "range":
        return p.iso()
    if p.type == "school_year":
        return str(p.start.year + 1)
    if p.type == "year":
        return str(p.start.year)
    if p.type == "quarter":
        return f"{p.start.year}-Q{(p.start.month - 1) // 3 + 1}"
    if p.type == "month":
        return f"{p.start.year}-{p.start.month:02d}"
    return p.iso()  # terms: an exact range


# --- from the analytics DataFrame to observations ------------------------------------------------

def observations(df: pd.DataFrame, time_format: str = "uis") -> list[tuple[tuple[str, ...], str, float]]:
    """((REF_AREA, INDICATOR, SEX, LOCATION), TIME_PERIOD, value) for every row with a finite value."""
    missing = [c for c in ("indicator", "period", "ou_code", "value") if c not in df.columns]
    if len(df) == 0:
        return []
    if missing:
        raise SdmxError(f"the indicator table lacks column(s) {', '.join(missing)}")
    periods = [str(p) for p in dict.fromkeys(df["period"].tolist())]
    times = {p: time_period(p, time_format) for p in periods}
    clash: dict[str, list[str]] = {}
    for p, t in times.items():
        clash.setdefault(t, []).append(p)
    both = {t: ps for t, ps in clash.items() if len(ps) > 1}
    if both:
        t, ps = next(iter(both.items()))
        raise SdmxError(f"periods {' and '.join(ps)} both report as TIME_PERIOD {t}; "
                        "ask for one of them, or use time_format=range (ISO time ranges)")
    sex = df["sex"] if "sex" in df.columns else None
    area = df["area"] if "area" in df.columns else None
    out: list[tuple[tuple[str, ...], str, float]] = []
    seen: set[tuple[tuple[str, ...], str]] = set()
    for i, (ind, per, ou, val) in enumerate(zip(df["indicator"], df["period"], df["ou_code"], df["value"],
                                                 strict=True)):
        try:
            v = float(val)
        except (TypeError, ValueError):
            continue
        if not math.isfinite(v):
            continue
        key = (str(ou), str(ind), _code(sex, i, SEX_CODES), _code(area, i, LOCATION_CODES))
        for part in key:
            if not _ID.match(part):
                raise SdmxError(f"'{part}' cannot be an SDMX code (letters, digits, _ @ $ - only)")
        t = times[str(per)]
        if (key, t) in seen:
            raise SdmxError(f"two values for {':'.join(key)} in {per}; the table must have one row per key")
        seen.add((key, t))
        out.append((key, t, v))
    out.sort(key=lambda o: (o[0], o[1]))
    return out


def _code(col: pd.Series | None, i: int, codes: Mapping[str, Any]) -> str:
    if col is None:
        return TOTAL
    v = col.iloc[i]
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or str(v) in ("", "TOTAL", "total"):
        return TOTAL
    v = str(v).upper()
    if v not in codes:
        raise SdmxError(f"'{v}' is not a code of {'CL_SEX' if 'F' in codes else 'CL_LOCATION'} "
                        f"({', '.join(codes)})")
    return v


def _fmt(v: float) -> str:
    if v.is_integer() and abs(v) < 1e16:
        return str(int(v))
    return repr(v)


# --- descriptions (names for codes) -----------------------------------------------------------------

def indicator_info(codes: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """code -> {"name": {lang: text}, "unit": str} from the analytics catalogue (all when codes is None)."""
    from bilim.analytics.catalogue import load_catalogue

    cat = load_catalogue()
    wanted = list(cat.indicators) if codes is None else list(dict.fromkeys(codes))
    out = {}
    for c in wanted:
        ind = cat.indicators.get(c)
        out[c] = {"name": dict(ind.name) if ind else {"en": c}, "unit": ind.unit if ind else ""}
    return out


def area_names(codes: Iterable[str] | None = None) -> dict[str, dict[str, str]]:
    """code -> {lang: name} from the registry (republic, regions and districts when codes is None).

    Works without a database too (names = codes), so documents can be built from a bare table."""
    wanted = None if codes is None else list(dict.fromkeys(codes))
    try:
        from bilim.registry.models import OrgUnit

        qs = OrgUnit.objects.all()
        qs = qs.filter(code__in=wanted) if wanted is not None else qs.filter(
            kind__in=("republic", "region", "district"))
        found = {code: {"en": en or code, "ru": ru or en or code, "kk": kk or en or code}
                 for code, en, ru, kk in qs.order_by("code").values_list("code", "name_en", "name_ru", "name_kk")}
    except Exception:  # noqa: BLE001 - no database (a script, a test without one): codes name themselves
        found = {}
    if wanted is None:
        return found
    return {c: found.get(c, {"en": c}) for c in wanted}


# --- SDMX-ML 2.1 Structure message -------------------------------------------------------------------

def _names(names: Mapping[str, str], tag: str = "common:Name", indent: str = "") -> str:
    items = [(lang, names[lang]) for lang in LANGS if names.get(lang)] or [("en", next(iter(names.values()), ""))]
    return "".join(f'{indent}<{tag} xml:lang="{lang}">{escape(text)}</{tag}>\n' for lang, text in items)


def _header(kind: str, extra: str = "") -> str:
    prepared = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return (f"  <message:Header>\n    <message:ID>{kind}_{uuid.uuid4().hex[:12].upper()}</message:ID>\n"
            f"    <message:Test>false</message:Test>\n    <message:Prepared>{prepared}</message:Prepared>\n"
            f'    <message:Sender id="{AGENCY}"/>\n{extra}  </message:Header>\n')


def _codelist(cl_id: str, name: Mapping[str, str], codes: Mapping[str, Mapping[str, str]]) -> str:
    urn = f"urn:sdmx:org.sdmx.infomodel.codelist.Codelist={AGENCY}:{cl_id}({VERSION})"
    out = [f'      <structure:Codelist id="{cl_id}" agencyID="{AGENCY}" version="{VERSION}" urn="{urn}" '
           'isFinal="false">\n', _names(name, indent="        ")]
    for code, names in codes.items():
        code_urn = f"urn:sdmx:org.sdmx.infomodel.codelist.Code={AGENCY}:{cl_id}({VERSION}).{code}"
        out.append(f"        <structure:Code id={quoteattr(code)} urn={quoteattr(code_urn)}>\n")
        out.append(_names(names, indent="          "))
        out.append("        </structure:Code>\n")
    out.append("      </structure:Codelist>\n")
    return "".join(out)


def _concept_ref(cid: str) -> str:
    return (f'<structure:ConceptIdentity><Ref id="{cid}" maintainableParentID="{CONCEPT_SCHEME}" '
            f'maintainableParentVersion="{VERSION}" agencyID="{AGENCY}" package="conceptscheme" '
            'class="Concept"/></structure:ConceptIdentity>')


def _enum(cl_id: str) -> str:
    return (f'<structure:LocalRepresentation><structure:Enumeration><Ref id="{cl_id}" version="{VERSION}" '
            f'agencyID="{AGENCY}" package="codelist" class="Codelist"/></structure:Enumeration>'
            "</structure:LocalRepresentation>")


def structure_xml(indicators: Iterable[str] | None = None, areas: Iterable[str] | None = None) -> str:
    """The SDMX-ML 2.1 Structure message (DSD_EDU and its codelists).

    `indicators`/`areas` restrict the codelists (e.g. to the codes of one data message); None means
    the whole indicator catalogue and the republic, regions and districts of the registry."""
    inds = indicator_info(indicators)
    units: dict[str, dict[str, str]] = {}
    for info in inds.values():
        units.setdefault(unit_code(info["unit"]), {"en": info["unit"] or "number"})
    area = area_names(areas)
    body = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<message:Structure xmlns:message="{NS["message"]}" xmlns:structure="{NS["structure"]}" '
        f'xmlns:common="{NS["common"]}">\n',
        _header("BILIM_STRUCTURE"),
        "  <message:Structures>\n",
        "    <structure:Dataflows>\n",
        f'      <structure:Dataflow id="{DATAFLOW_ID}" agencyID="{AGENCY}" version="{VERSION}" '
        f'urn="urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow={AGENCY}:{DATAFLOW_ID}({VERSION})" isFinal="false">\n',
        _names({"en": "Education indicators (Bilim EMIS)", "ru": "Показатели образования (Bilim)",
                "kk": "Білім беру көрсеткіштері (Bilim)"}, indent="        "),
        f'        <structure:Structure><Ref id="{DSD_ID}" version="{VERSION}" agencyID="{AGENCY}" '
        'package="datastructure" class="DataStructure"/></structure:Structure>\n',
        "      </structure:Dataflow>\n    </structure:Dataflows>\n",
        "    <structure:Codelists>\n",
        _codelist("CL_INDICATOR", {"en": "Indicators", "ru": "Показатели", "kk": "Көрсеткіштер"},
                  {c: info["name"] for c, info in inds.items()}),
        _codelist("CL_REF_AREA", {"en": "Reference areas", "ru": "Территории", "kk": "Аумақтар"}, area),
        _codelist("CL_SEX", {"en": "Sex", "ru": "Пол", "kk": "Жынысы"}, SEX_CODES),
        _codelist("CL_LOCATION", {"en": "Location (urban/rural)", "ru": "Местность", "kk": "Елді мекен"},
                  LOCATION_CODES),
        _codelist("CL_UNIT_MEASURE", {"en": "Units of measure", "ru": "Единицы измерения",
                                      "kk": "Өлшем бірліктері"}, units),
        "    </structure:Codelists>\n",
        "    <structure:Concepts>\n",
        f'      <structure:ConceptScheme id="{CONCEPT_SCHEME}" agencyID="{AGENCY}" version="{VERSION}" '
        f'urn="urn:sdmx:org.sdmx.infomodel.conceptscheme.ConceptScheme={AGENCY}:{CONCEPT_SCHEME}({VERSION})" '
        'isFinal="false">\n',
        _names({"en": "Bilim statistical concepts", "ru": "Статистические понятия Bilim",
                "kk": "Bilim статистикалық ұғымдары"}, indent="        "),
    ]
    for cid, names in CONCEPTS.items():
        body.append(f'        <structure:Concept id="{cid}" urn="urn:sdmx:org.sdmx.infomodel.conceptscheme.'
                    f'Concept={AGENCY}:{CONCEPT_SCHEME}({VERSION}).{cid}">\n')
        body.append(_names(names, indent="          "))
        body.append("        </structure:Concept>\n")
    body += [
        "      </structure:ConceptScheme>\n    </structure:Concepts>\n",
        "    <structure:DataStructures>\n",
        f'      <structure:DataStructure id="{DSD_ID}" agencyID="{AGENCY}" version="{VERSION}" urn="{DSD_URN}" '
        'isFinal="false">\n',
        _names({"en": "Education indicators by area, sex and location", "ru": "Показатели образования",
                "kk": "Білім беру көрсеткіштері"}, indent="        "),
        "        <structure:DataStructureComponents>\n",
        '          <structure:DimensionList id="DimensionDescriptor">\n',
    ]
    for pos, (cid, cl) in enumerate(zip(DIMENSIONS, ("CL_REF_AREA", "CL_INDICATOR", "CL_SEX", "CL_LOCATION"),
                                        strict=True), start=1):
        body.append(f'            <structure:Dimension id="{cid}" position="{pos}">{_concept_ref(cid)}'
                    f"{_enum(cl)}</structure:Dimension>\n")
    body += [
        f'            <structure:TimeDimension id="TIME_PERIOD" position="{len(DIMENSIONS) + 1}">'
        f'{_concept_ref("TIME_PERIOD")}<structure:LocalRepresentation><structure:TextFormat '
        'textType="ObservationalTimePeriod"/></structure:LocalRepresentation></structure:TimeDimension>\n',
        "          </structure:DimensionList>\n",
        '          <structure:AttributeList id="AttributeDescriptor">\n',
        f'            <structure:Attribute id="UNIT_MEASURE" assignmentStatus="Mandatory">{_concept_ref("UNIT_MEASURE")}'
        f'{_enum("CL_UNIT_MEASURE")}<structure:AttributeRelationship><structure:Dimension><Ref id="INDICATOR"/>'
        "</structure:Dimension></structure:AttributeRelationship></structure:Attribute>\n",
        "          </structure:AttributeList>\n",
        '          <structure:MeasureList id="MeasureDescriptor">\n',
        f'            <structure:PrimaryMeasure id="OBS_VALUE">{_concept_ref("OBS_VALUE")}'
        '<structure:LocalRepresentation><structure:TextFormat textType="Double"/>'
        "</structure:LocalRepresentation></structure:PrimaryMeasure>\n",
        "          </structure:MeasureList>\n",
        "        </structure:DataStructureComponents>\n      </structure:DataStructure>\n",
        "    </structure:DataStructures>\n  </message:Structures>\n</message:Structure>\n",
    ]
    return "".join(body)


# --- SDMX-ML 2.1 structure-specific data message ----------------------------------------------------

def _series(obs: list[tuple[tuple[str, ...], str, float]]) -> dict[tuple[str, ...], list[tuple[str, float]]]:
    series: dict[tuple[str, ...], list[tuple[str, float]]] = {}
    for key, t, v in obs:
        series.setdefault(key, []).append((t, v))
    return series


def data_xml(df: pd.DataFrame, time_format: str = "uis", units: Mapping[str, str] | None = None) -> str:
    """The values of an indicator table as an SDMX-ML 2.1 structure-specific data message (DSD_EDU).

    `units` (indicator -> unit text) defaults to the analytics catalogue."""
    obs = observations(df, time_format)
    series = _series(obs)
    unit_of = _units(units, {k[1] for k in series})
    ns_data = f"{DSD_URN}:ObsLevelDim:TIME_PERIOD"
    structure = (f'    <message:Structure structureID="{AGENCY}_{DSD_ID}_{VERSION.replace(".", "_")}" '
                 f'namespace="{ns_data}" dimensionAtObservation="TIME_PERIOD">\n'
                 f"      <common:Structure><URN>{DSD_URN}</URN></common:Structure>\n    </message:Structure>\n")
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<message:StructureSpecificData xmlns:message="{NS["message"]}" xmlns:ss="{NS["ss"]}" '
        f'xmlns:common="{NS["common"]}" xmlns:xsi="{NS["xsi"]}" xmlns:ns1="{ns_data}">\n',
        _header("BILIM_DATA", structure),
        f'  <message:DataSet ss:structureRef="{AGENCY}_{DSD_ID}_{VERSION.replace(".", "_")}" '
        'xsi:type="ns1:DataSetType" ss:dataScope="DataStructure" action="Information">\n',
    ]
    for key, points in series.items():
        attrs = " ".join(f"{d}={quoteattr(k)}" for d, k in zip(DIMENSIONS, key, strict=True))
        out.append(f'    <Series {attrs} UNIT_MEASURE="{unit_of[key[1]]}">\n')
        for t, v in points:
            out.append(f'      <Obs TIME_PERIOD={quoteattr(t)} OBS_VALUE="{_fmt(v)}"/>\n')
        out.append("    </Series>\n")
    out.append("  </message:DataSet>\n</message:StructureSpecificData>\n")
    return "".join(out)


def _units(units: Mapping[str, str] | None, codes: Iterable[str]) -> dict[str, str]:
    if units is None:
        units = {c: info["unit"] for c, info in indicator_info(codes).items()}
    return {c: unit_code(units.get(c, "")) for c in codes}


# --- SDMX-JSON 1.0 data message ----------------------------------------------------------------------

def data_json(df: pd.DataFrame, time_format: str = "uis", units: Mapping[str, str] | None = None,
              lang: str = "en") -> str:
    """The same data as an SDMX-JSON 1.0 data message, with its structure (names in `lang`)."""
    obs = observations(df, time_format)
    series = _series(obs)
    inds = [k for k in dict.fromkeys(k[1] for k in series)]
    info: dict[str, dict[str, Any]] = indicator_info(inds) if units is None else {c: {"name": {"en": c}, "unit": units.get(c, "")}
                                                       for c in inds}
    unit_of = {c: unit_code(info[c]["unit"]) for c in inds}
    areas = area_names(sorted({k[0] for k in series}))

    def name(names: Mapping[str, str], default: str) -> str:
        return names.get(lang) or names.get("en") or default

    values: list[list[str]] = [sorted({k[i] for k in series}) for i in range(len(DIMENSIONS))]
    times = sorted({t for _, t, _ in obs})
    pos = [{v: j for j, v in enumerate(vals)} for vals in values]
    tpos = {t: j for j, t in enumerate(times)}
    unit_values = sorted(set(unit_of.values()))
    upos = {u: j for j, u in enumerate(unit_values)}
    names_for = [lambda c: name(areas.get(c, {}), c), lambda c: name(info[c]["name"], c),
                 lambda c: name(SEX_CODES[c], c), lambda c: name(LOCATION_CODES[c], c)]
    dims = [{"id": d, "name": name(CONCEPTS[d], d), "keyPosition": i,
             "values": [{"id": v, "name": names_for[i](v)} for v in values[i]]}
            for i, d in enumerate(DIMENSIONS)]
    unit_text: dict[str, str] = {}
    for c in inds:
        unit_text.setdefault(unit_of[c], info[c]["unit"] or "number")
    doc = {
        "header": {"id": f"BILIM_DATA_{uuid.uuid4().hex[:12].upper()}", "test": False,
                   "prepared": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
                   "sender": {"id": AGENCY, "name": "Bilim EMIS"}},
        "dataSets": [{
            "action": "Information",
            "series": {
                ":".join(str(pos[i][k]) for i, k in enumerate(key)): {
                    "attributes": [upos[unit_of[key[1]]]],
                    "observations": {str(tpos[t]): [v] for t, v in points},
                }
                for key, points in series.items()
            },
        }],
        "structure": {
            "name": "Education indicators (Bilim EMIS)",
            "links": [{"rel": "datastructure", "urn": DSD_URN}],
            "dimensions": {
                "dataSet": [],
                "series": dims,
                "observation": [{"id": "TIME_PERIOD", "name": name(CONCEPTS["TIME_PERIOD"], "TIME_PERIOD"),
                                 "keyPosition": len(DIMENSIONS), "role": "time",
                                 "values": [{"id": t, "name": t} for t in times]}],
            },
            "attributes": {
                "dataSet": [],
                "series": [{"id": "UNIT_MEASURE", "name": name(CONCEPTS["UNIT_MEASURE"], "UNIT_MEASURE"),
                            "values": [{"id": u, "name": unit_text[u]} for u in unit_values]}],
                "observation": [],
            },
        },
    }
    return json.dumps(doc, ensure_ascii=False, indent=1)


# --- from a selection to a table (CLI and API) --------------------------------------------------------

BY_ALIASES = {"SEX": "SEX", "AREA": "AREA", "LOCATION": "AREA"}


def parse_by(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """'SEX,LOCATION' -> ('SEX', 'AREA'); None -> both; 'none' -> totals only."""
    if text is None:
        return ("SEX", "AREA")
    items = [p.strip().upper() for p in (text.replace(";", ",").split(",") if isinstance(text, str) else text)
             if p.strip()]
    if items in ([], ["NONE"]):
        return ()
    bad = [i for i in items if i not in BY_ALIASES]
    if bad:
        raise SdmxError(f"by: unknown disaggregation {', '.join(bad)} (use SEX, LOCATION or none)")
    return tuple(dict.fromkeys(BY_ALIASES[i] for i in items))


def select(codes: Sequence[str], periods: Sequence[str], ou: Sequence[str] | str | None,
           by: Sequence[str] = ("SEX", "AREA"), mode: str = "current", *, user: Any = None) -> pd.DataFrame:
    """Totals plus each requested disaggregation, in one table, for `user` (None: the operator).

    The question is parsed into one `IndicatorQuery` (`ou`: the selection language of
    `bilim.analytics.query`) and `permissions.decide_access` decides on it, as for the analytics API:
    scope today, no single organization for the public, the user's approval level. An indicator
    that does not allow a disaggregation is given as a total only."""
    from bilim.accounts.permissions import decide_access
    from bilim.analytics import query as q

    if not list(dict.fromkeys(codes)):
        raise SdmxError("name at least one indicator")
    if not periods:
        raise SdmxError("name at least one period (e.g. 2024S)")
    try:
        query = q.parse_query(list(codes), list(periods), ou, mode=mode)
    except q.QueryError as e:
        raise SdmxError(str(e)) from None
    res = q.answer(decide_access(query, user), splits=(None, *by))
    if res.empty:
        return pd.DataFrame(columns=["indicator", "period", "ou_code", "sex", "area", "value"])
    return res.reset_index(drop=True)
