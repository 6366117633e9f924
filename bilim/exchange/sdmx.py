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

The two SDMX-ML messages are sdmx1 model objects (`structure_message`, `data_message`) written by
`sdmx.to_xml`; `data_json` is written here, as sdmx1 has no SDMX-JSON writer. For a selection,
`selection_areas` gives the structure exactly the areas the data for that selection can hold.

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
from typing import TYPE_CHECKING, Any

import pandas as pd

from bilim.metadata import periods as bilim_periods

if TYPE_CHECKING:  # pragma: no cover
    from sdmx import message as sdmx_message

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


# --- SDMX-ML 2.1 with the sdmx1 information model ----------------------------------------------------
#
# Both SDMX-ML messages are sdmx1 model objects (`sdmx.model.v21`) written by `sdmx.to_xml`, so the
# documents are what the library that reads them (UIS, the tests) understands, not hand-made markup.
# Where sdmx1's writer (2.28) cannot express what SDMX-ML 2.1 requires, we fill in its gaps:
#
# * URNs: it derives them from Python class names (`DataStructureDefinition=`, `DataflowDefinition=`
#   instead of SDMX's `DataStructure=`, `Dataflow=`) and writes none for codes and concepts, so every
#   artefact and item is given its URN explicitly;
# * the component lists (`DimensionList`, ...) need their fixed ids, `isExternalReference` needs a
#   boolean (None is written as "none");
# * in the structure-specific data message (`_finish_data`) it writes `action` as the Python enum
#   ("ActionType.information"), `structureRef` without the structure-specific namespace, and neither
#   the DataSet's `xsi:type`/`dataScope` nor the header's `namespace`; these are set on the written
#   tree afterwards.
#
# What is not reproduced: the observation value is written as Python writes the float (`98.0`
# rather than the former `98`; the same number), and the sender and DSD reference in the header
# take sdmx1's forms (`structureID="DSD_EDU"`, a URN reference).

_STRUCTURE_PKG = {"Codelist": "codelist", "Code": "codelist", "ConceptScheme": "conceptscheme",
                  "Concept": "conceptscheme", "DataStructure": "datastructure", "Dataflow": "datastructure"}
_CODELIST_NAMES: dict[str, dict[str, str]] = {
    "CL_INDICATOR": {"en": "Indicators", "ru": "Показатели", "kk": "Көрсеткіштер"},
    "CL_REF_AREA": {"en": "Reference areas", "ru": "Территории", "kk": "Аумақтар"},
    "CL_SEX": {"en": "Sex", "ru": "Пол", "kk": "Жынысы"},
    "CL_LOCATION": {"en": "Location (urban/rural)", "ru": "Местность", "kk": "Елді мекен"},
    "CL_UNIT_MEASURE": {"en": "Units of measure", "ru": "Единицы измерения", "kk": "Өлшем бірліктері"},
}
_DIMENSION_CODELISTS = dict(zip(DIMENSIONS, ("CL_REF_AREA", "CL_INDICATOR", "CL_SEX", "CL_LOCATION"), strict=True))


def _text(names: Mapping[str, str]) -> dict[str, str]:
    """The localisations of a name in LANGS order, leaving out empty ones (never none at all)."""
    items = {lang: names[lang] for lang in LANGS if names.get(lang)}
    return items or {"en": next(iter(names.values()), "")}


def _urn(cls: str, ident: str, item: str | None = None) -> str:
    return (f"urn:sdmx:org.sdmx.infomodel.{_STRUCTURE_PKG[cls]}.{cls}={AGENCY}:{ident}({VERSION})"
            + (f".{item}" if item is not None else ""))


def _maintained(cls: type, urn_class: str, ident: str, names: Mapping[str, str], **kw: Any) -> Any:
    return cls(id=ident, maintainer=_agency(), version=VERSION, is_final=False, is_external_reference=False,
               name=_text(names), urn=_urn(urn_class, ident), **kw)


def _agency() -> Any:
    from sdmx.model import v21

    return v21.Agency(id=AGENCY)


def _codelist(cl_id: str, codes: Mapping[str, Mapping[str, str]]) -> Any:
    from sdmx.model import v21

    cl = _maintained(v21.Codelist, "Codelist", cl_id, _CODELIST_NAMES[cl_id])
    for code, names in codes.items():
        cl.append(v21.Code(id=code, name=_text(names), urn=_urn("Code", cl_id, code)))
    return cl


def _artefacts(inds: Mapping[str, Mapping[str, str]], areas: Mapping[str, Mapping[str, str]],
               units: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """Codelists, concept scheme, DSD_EDU and DF_EDU as sdmx1 objects (names: code -> {lang: text})."""
    from sdmx.model import common, v21

    cls = {
        "CL_INDICATOR": _codelist("CL_INDICATOR", inds),
        "CL_REF_AREA": _codelist("CL_REF_AREA", areas),
        "CL_SEX": _codelist("CL_SEX", SEX_CODES),
        "CL_LOCATION": _codelist("CL_LOCATION", LOCATION_CODES),
        "CL_UNIT_MEASURE": _codelist("CL_UNIT_MEASURE", units),
    }
    cs = _maintained(v21.ConceptScheme, "ConceptScheme", CONCEPT_SCHEME,
                     {"en": "Bilim statistical concepts", "ru": "Статистические понятия Bilim",
                      "kk": "Bilim статистикалық ұғымдары"})
    for cid, names in CONCEPTS.items():
        cs.append(v21.Concept(id=cid, name=_text(names), urn=_urn("Concept", CONCEPT_SCHEME, cid)))

    def facet(kind: Any) -> Any:
        return common.Representation(non_enumerated=[common.Facet(value_type=kind)])

    dsd = _maintained(v21.DataStructureDefinition, "DataStructure", DSD_ID,
                      {"en": "Education indicators by area, sex and location", "ru": "Показатели образования",
                       "kk": "Білім беру көрсеткіштері"},
                      dimensions=v21.DimensionDescriptor(id="DimensionDescriptor"),
                      attributes=v21.AttributeDescriptor(id="AttributeDescriptor"),
                      measures=v21.MeasureDescriptor(id="MeasureDescriptor"))
    for pos, cid in enumerate(DIMENSIONS, start=1):
        dsd.dimensions.append(v21.Dimension(
            id=cid, order=pos, concept_identity=cs[cid],
            local_representation=common.Representation(enumerated=cls[_DIMENSION_CODELISTS[cid]])))
    dsd.dimensions.append(v21.TimeDimension(id="TIME_PERIOD", order=len(DIMENSIONS) + 1,
                                            concept_identity=cs["TIME_PERIOD"],
                                            local_representation=facet(common.FacetValueType.observationalTimePeriod)))
    dsd.attributes.append(v21.DataAttribute(
        id="UNIT_MEASURE", concept_identity=cs["UNIT_MEASURE"], usage_status=v21.UsageStatus.mandatory,
        related_to=common.DimensionRelationship(dimensions=[dsd.dimensions.get("INDICATOR")]),
        local_representation=common.Representation(enumerated=cls["CL_UNIT_MEASURE"])))
    dsd.measures.append(v21.PrimaryMeasure(id="OBS_VALUE", concept_identity=cs["OBS_VALUE"],
                                           local_representation=facet(common.FacetValueType.double)))
    dataflow = _maintained(v21.DataflowDefinition, "Dataflow", DATAFLOW_ID,
                           {"en": "Education indicators (Bilim EMIS)", "ru": "Показатели образования (Bilim)",
                            "kk": "Білім беру көрсеткіштері (Bilim)"}, structure=dsd)
    return {"codelists": cls, "concepts": cs, "dsd": dsd, "dataflow": dataflow}


def _header(kind: str) -> Any:
    from sdmx import message

    return message.Header(id=f"{kind}_{uuid.uuid4().hex[:12].upper()}", test=False,
                          prepared=dt.datetime.now(dt.UTC).replace(microsecond=0), sender=_agency())


def structure_message(indicators: Iterable[str] | None = None,
                      areas: Iterable[str] | None = None) -> sdmx_message.StructureMessage:
    """The structure message as an `sdmx.message.StructureMessage` (what `structure_xml` writes).

    `indicators`/`areas` restrict the codelists (the areas of a selection: `selection_areas`); None
    means the whole indicator catalogue and the republic, regions and districts of the registry."""
    from sdmx import message

    inds = indicator_info(indicators)
    units: dict[str, dict[str, str]] = {}
    for info in inds.values():
        units.setdefault(unit_code(info["unit"]), {"en": info["unit"] or "number"})
    parts = _artefacts({c: info["name"] for c, info in inds.items()}, area_names(areas), units)
    msg = message.StructureMessage(header=_header("BILIM_STRUCTURE"))
    msg.add(parts["dataflow"])
    for cl in parts["codelists"].values():
        msg.add(cl)
    msg.add(parts["concepts"])
    msg.add(parts["dsd"])
    return msg


def structure_xml(indicators: Iterable[str] | None = None, areas: Iterable[str] | None = None) -> str:
    """The SDMX-ML 2.1 Structure message (DSD_EDU and its codelists), written by sdmx1.

    `indicators`/`areas` as in `structure_message`."""
    import sdmx

    return sdmx.to_xml(structure_message(indicators, areas), pretty_print=True).decode("utf-8")


# --- SDMX-ML 2.1 structure-specific data message ----------------------------------------------------

def _series(obs: list[tuple[tuple[str, ...], str, float]]) -> dict[tuple[str, ...], list[tuple[str, float]]]:
    series: dict[tuple[str, ...], list[tuple[str, float]]] = {}
    for key, t, v in obs:
        series.setdefault(key, []).append((t, v))
    return series


def data_message(df: pd.DataFrame, time_format: str = "uis",
                 units: Mapping[str, str] | None = None) -> sdmx_message.DataMessage:
    """The values of an indicator table as an `sdmx.message.DataMessage` with one structure-specific
    DataSet for DSD_EDU: a series per REF_AREA × INDICATOR × SEX × LOCATION with UNIT_MEASURE,
    observations by TIME_PERIOD. `units` (indicator -> unit text) defaults to the analytics catalogue.

    The DSD it refers to carries codelists of the codes used here only (names = codes); the full
    names are in the structure message."""
    from sdmx import message
    from sdmx.model import v21

    obs = observations(df, time_format)
    series = _series(obs)
    unit_of = _units(units, {k[1] for k in series})

    def used(i: int) -> dict[str, dict[str, str]]:
        return {c: {"en": c} for c in sorted({k[i] for k in series})}

    parts = _artefacts(used(1), used(0), {u: {"en": u} for u in sorted(set(unit_of.values()))})
    dsd = parts["dsd"]
    obs_value = dsd.measures.get("OBS_VALUE")
    ds = v21.StructureSpecificDataSet(structured_by=dsd, action=v21.ActionType.information)
    for key, points in series.items():
        sk = dsd.make_key(v21.SeriesKey, {**dict(zip(DIMENSIONS, key, strict=True)), "UNIT_MEASURE": unit_of[key[1]]})
        ds.add_obs([v21.Observation(dimension=dsd.make_key(v21.Key, {"TIME_PERIOD": t}), value=v, value_for=obs_value)
                    for t, v in points], sk)
    msg = message.DataMessage(header=_header("BILIM_DATA"), dataflow=parts["dataflow"],
                              observation_dimension=dsd.dimensions.get("TIME_PERIOD"))
    msg.data.append(ds)
    return msg


def data_xml(df: pd.DataFrame, time_format: str = "uis", units: Mapping[str, str] | None = None) -> str:
    """The values of an indicator table as an SDMX-ML 2.1 structure-specific data message (DSD_EDU),
    built as sdmx1 objects (`data_message`) and written by sdmx1 (`_finish_data` adds what it omits)."""
    import sdmx

    return _finish_data(sdmx.to_xml(data_message(df, time_format, units), pretty_print=True))


def _finish_data(xml: bytes) -> str:
    """Set what sdmx1's writer leaves out or writes wrongly in a structure-specific data message
    (see the comment above `_text`): the header's `namespace`, and on the DataSet `action`,
    `ss:structureRef`, `ss:dataScope` and the `xsi:type` naming the DSD-specific type."""
    from lxml import etree

    ns_data = f"{DSD_URN}:ObsLevelDim:TIME_PERIOD"
    root = etree.fromstring(xml)
    for structure in root.iter(f"{{{NS['message']}}}Structure"):
        structure.set("namespace", ns_data)
    for old in root.findall(f"{{{NS['message']}}}DataSet"):
        new = etree.Element(old.tag, nsmap={"ns1": ns_data})
        new.set(f"{{{NS['ss']}}}structureRef", old.get("structureRef") or DSD_ID)
        new.set(f"{{{NS['xsi']}}}type", "ns1:DataSetType")
        new.set(f"{{{NS['ss']}}}dataScope", "DataStructure")
        new.set("action", "Information")
        new.text, new.tail = old.text, old.tail
        new.extend(list(old))
        old.getparent().replace(old, new)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


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


def selection_areas(ou: Sequence[str] | str, periods: Sequence[str] = (), mode: str = "current", *,
                    indicators: Sequence[str] | None = None, user: Any = None) -> list[str]:
    """The REF_AREA codes a data message for this selection can hold, for `user` (None: the operator),
    for the structure message's CL_REF_AREA.

    The same `IndicatorQuery` and access decision as `select`, and the same resolution of the
    selection (`query.units`): `KZ;LEVEL-region` gives the regions, `CHILDREN-KZ-63` the districts of
    that region, each on the hierarchy of the periods (none named: of every period in the warehouse),
    and only the units the user may see. Before, the structure took the selection's codes alone, so
    its codelist held `KZ` while the data held the regions and the series keys were not in the DSD."""
    from bilim.accounts.permissions import decide_access
    from bilim.analytics import query as q
    from bilim.analytics.catalogue import load_catalogue

    try:
        query = q.parse_query(list(indicators or load_catalogue().indicators), list(periods), ou, mode=mode)
    except q.QueryError as e:
        raise SdmxError(str(e)) from None
    return q.units(decide_access(query, user), every_period=True)
