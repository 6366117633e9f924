"""Exchange endpoints (`/api/v1/exchange/...`): SDMX output, file import, form templates.

* `GET /sdmx?dx=GER_ISCED1;PTR_ISCED1&pe=2024S&ou=KZ;LEVEL-region&by=SEX,LOCATION&format=xml|json`
  — indicator values as an SDMX-ML 2.1 structure-specific data message or SDMX-JSON 1.0;
* `GET /sdmx/structure[?dx=...&ou=...&pe=...&mode=...]` — the SDMX-ML 2.1 structure message (DSD_EDU,
  codelists); its CL_REF_AREA holds the areas `/sdmx` gives for the same selection;
* `POST /import` (multipart: `file`, `dry_run`) — the all-or-nothing import; the report lists every
  error with its line, field and reason (200 when imported, 422 when rejected);
* `GET /template?data_set=SCHOOL_CENSUS&org_unit=...&period=2024S` — a per-form XLSX template;
* `GET /values?dataElement=ENROL;TEACH&period=2024S&orgUnit=KZ-11&children=true&format=json|csv|adx`
  — stored data values in the import layouts, paged (`page`, `pageSize`): the API twin of `bilim
  export`, so what it returns `POST /import` takes back unchanged.

Thin: the documents come from `bilim.exchange.sdmx`, the import from `services.import_file`, the
values from `services.export_values_page` (the rows, query and access filter of `bilim export`).
"""

import functools
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile

from bilim.api.errors import choice_field

from . import jobs, sdmx
from .services import export_values_page, import_file
from .templates import TemplateError, build_template, template_name

PREFIX = "/exchange"
router = Router(tags=["exchange"])

XML = "application/xml; charset=utf-8"
SDMX_JSON = "application/vnd.sdmx.data+json; version=1.0; charset=utf-8"


def _items(text: str | list[str] | None, param: str = "dx") -> list[str]:
    from bilim.analytics.query import split_items

    return split_items(text, param)


def _warehouse(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        from bilim.analytics.service import WarehouseMissing

        try:
            return view(request, *args, **kwargs)
        except WarehouseMissing as e:
            return JsonResponse({"code": "warehouse_missing", "message": str(e)}, status=503)

    return wrapper


def _scope_check(request, units: list[str]) -> None:
    """Scoped users may only ask for units in their subtree (LEVEL-x needs a boundary they may see)."""
    from django.core.exceptions import PermissionDenied

    from bilim.accounts.permissions import can_read_unit, scoped_unit_ids
    from bilim.registry.models import OrgUnit

    user = getattr(request, "auth", None) or request.user
    if scoped_unit_ids(user) is None:
        return
    codes = [u for u in units if not u.upper().startswith("LEVEL-")]
    if not codes:
        raise PermissionDenied("Name an org unit in your scope (ou=CODE or ou=CODE;LEVEL-district)")
    found = {u.code: u for u in OrgUnit.objects.filter(code__in=codes)}
    for code in codes:
        if code in found and not can_read_unit(user, found[code]):
            raise PermissionDenied(f"{code} is outside your scope")


@router.get("/sdmx", summary="Indicator values as SDMX-ML 2.1 or SDMX-JSON 1.0")
@_warehouse
def sdmx_data(request, dx: str, pe: str, ou: str = "KZ", by: str | None = None, mode: str = "current",
              format: str = "xml", time_format: str = "uis"):  # noqa: A002
    """`dx`, `pe` and `ou` hold items separated by `;` (or `,`); `ou` items are unit codes or
    `LEVEL-<kind>`. `by`: SEX, LOCATION, both (default) or none. `time_format`: uis (school year
    2024S -> TIME_PERIOD 2025) or range (2024-09-01/P1Y)."""
    if format not in ("xml", "json"):
        raise ValueError("format must be xml or json")
    user = getattr(request, "auth", None) or request.user
    # one IndicatorQuery and one access decision, as /analytics (scope, public, approval level)
    df = sdmx.select(_items(dx), _items(pe, "pe"), ou, sdmx.parse_by(by), mode=mode, user=user)
    if format == "json":
        return HttpResponse(sdmx.data_json(df, time_format=time_format), content_type=SDMX_JSON)
    resp = HttpResponse(sdmx.data_xml(df, time_format=time_format), content_type=XML)
    resp["Content-Disposition"] = 'inline; filename="bilim-sdmx.xml"'
    return resp


@router.get("/sdmx/structure", summary="The SDMX-ML 2.1 data structure definition and codelists")
@_warehouse
def sdmx_structure(request, dx: str | None = None, ou: str | None = None, pe: str | None = None,
                   mode: str = "current"):
    """Without parameters: every indicator of the catalogue and the republic, regions and districts.

    With `ou` (and optionally `pe`, `mode`, as for `/sdmx`): CL_REF_AREA holds exactly the areas
    the data message for that selection can hold, resolved as `/sdmx` resolves them
    (`KZ;LEVEL-region` lists the regions) and kept to what the caller may see; without `pe`, over
    every period of the warehouse."""
    codes = _items(dx) or None
    if codes:
        from bilim.analytics.service import catalogue

        unknown = [c for c in codes if c not in catalogue().indicators]
        if unknown:
            raise ValueError(f"Unknown indicator code(s): {', '.join(unknown)}")
    areas = None
    if _items(ou, "ou"):
        user = getattr(request, "auth", None) or request.user
        areas = sdmx.selection_areas(ou, _items(pe, "pe"), mode, indicators=codes, user=user)
    return HttpResponse(sdmx.structure_xml(codes, areas), content_type=XML)


@router.post("/import", summary="Import a file (all-or-nothing); the report lists every error")
def import_values(request, file: UploadedFile = File(...), dry_run: bool = Form(False)):  # noqa: B008
    """CSV, XLSX (also filled form templates), DHIS2 dataValueSets JSON, ADX XML or org units; the
    format is detected from the name and content. 200 with the report when the file was imported
    (or would be, in a dry run); 422 with the same report when it was rejected (nothing written)."""
    user = getattr(request, "auth", None) or request.user
    report = import_file(file, dry_run=dry_run, actor=getattr(user, "username", "") or "",
                         name=file.name, unit_allowed=jobs.scope_filter(user),
                         readable=jobs.read_filter(user))
    body = jobs.report_dict(report)
    if not report.ok:
        body = {"code": "import_rejected", "message": report.summary(), **body}
        return JsonResponse(body, status=422)
    if (refresh := jobs.refresh_after(report)) is not None:
        body["refresh"] = refresh
    return JsonResponse(body)


@router.get("/template", summary="A per-form XLSX template for one org unit and period")
def form_template(request, data_set: str, org_unit: str, period: str):
    _scope_check(request, [org_unit])
    try:
        content = build_template(data_set, org_unit, period)
    except TemplateError as e:
        raise ValueError(str(e)) from None
    resp = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="{template_name(data_set, org_unit, period)}"'
    return resp


# --- stored values ---------------------------------------------------------------------------------

# `format` of GET /values -> the layout of `services` (the same writers as `bilim export`)
VALUE_FORMATS = {"json": "dhis2", "csv": "csv", "adx": "adx"}
VALUE_TYPES = {"json": "application/json; charset=utf-8", "csv": "text/csv; charset=utf-8", "adx": XML}
DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 10_000


class ValuesIn(Schema):
    """The parameters of GET /values (DHIS2's names, as the dataValueSets API spells them)."""

    dataElement: list[str] | None = Field(  # noqa: N815 - DHIS2's names
        None, description="Data element codes, separated by `;` or repeated (`dataElement=ENROL;TEACH` or "
                          "`dataElement=ENROL&dataElement=TEACH`); default: every element")
    period: list[str] | None = Field(
        None, description="Periods (`2024S`, `2024`, `2024Q1`, `202401`, `2024T1` or an ISO interval such as "
                          "`2024-09-01/P1Y`), separated by `;` or repeated; default: every period")
    orgUnit: list[str] | None = Field(  # noqa: N815
        None, description="Org units in the selection language of the analytics API: unit codes, "
                          "`LEVEL-<kind>` (republic, region, district, authority, organization; within the codes "
                          "given beside it) and `CHILDREN-<code>`, separated by `;`. Default: everything you may "
                          "read (your scope unit and its subtree). Every unit named must be in your scope")
    children: bool = Field(
        True, description="`true` (default, as `bilim export --ou`): the selected units and every unit under "
                          "them today; `false`: the selected units only (DHIS2's default)")
    dataSet: str | None = Field(  # noqa: N815
        None, description="A data set (form) code: only its data elements; ADX groups then name this form")
    format: str = Field(
        "json", description="`json` (DHIS2 dataValueSets, idScheme=code, with a `pager`), `csv` or `adx`: the "
                            "import layouts of POST /exchange/import")
    page: int = Field(1, description="Page number, from 1", json_schema_extra={"minimum": 1})
    pageSize: int = Field(  # noqa: N815
        DEFAULT_PAGE_SIZE, description=f"Values per page, 1 to {MAX_PAGE_SIZE:,}",
        json_schema_extra={"minimum": 1, "maximum": MAX_PAGE_SIZE})


class PagerOut(Schema):
    page: int
    pageSize: int  # noqa: N815
    total: int
    pageCount: int  # noqa: N815


class DataValueOut(Schema):
    dataElement: str  # noqa: N815
    period: str
    orgUnit: str  # noqa: N815
    categoryOptionCombo: str | None = None  # noqa: N815
    value: str
    comment: str | None = None


class DataValueSetOut(Schema):
    pager: PagerOut
    dataValues: list[DataValueOut]  # noqa: N815


class ErrorOut(Schema):
    code: str
    message: str


def _bad(param: str, message: str) -> HttpError:
    """A 400 whose message starts with the parameter, as the analytics API's do."""
    return HttpError(400, f"{param}: {message}")


def _value_filters(q: ValuesIn) -> dict[str, Any]:
    """`dataElement`, `period` and `dataSet` checked against the metadata (a 400 naming the parameter)."""
    from bilim.metadata import periods as pe
    from bilim.metadata.models import DataElement, DataSet

    elements = _items(q.dataElement, "dataElement")
    if elements:
        known = set(DataElement.objects.filter(code__in=elements).values_list("code", flat=True))
        if unknown := [c for c in elements if c not in known]:
            raise _bad("dataElement", _("unknown data element(s): %(codes)s") % {"codes": ", ".join(unknown)})
    codes: list[str] = []
    for text in _items(q.period, "period"):
        try:
            codes.append(pe.parse(text).code)
        except pe.PeriodError as e:
            raise _bad("period", str(e)) from None
    form: DataSet | None = None
    if forms := _items(q.dataSet, "dataSet"):
        if len(forms) > 1:
            raise _bad("dataSet", _("one data set at a time"))
        form = DataSet.objects.filter(code=forms[0]).first()
        if form is None:
            raise _bad("dataSet", _("unknown data set %(code)s") % {"code": forms[0]})
        own = set(form.data_elements.values_list("code", flat=True))
        if outside := [c for c in elements if c not in own]:
            raise _bad("dataElement", _("not collected by data set %(form)s: %(codes)s")
                       % {"form": form.code, "codes": ", ".join(outside)})
    return {"data_element": elements or None, "period": list(dict.fromkeys(codes)) or None, "data_set": form}


def _value_units(user, q: ValuesIn) -> dict[str, Any]:
    """The units of `orgUnit`, parsed by the one selection parser and checked as `bilim export --ou`:
    every unit named must exist (400) and be in the caller's scope (403); a scoped caller who names
    none gets their scope unit and its subtree, like the CLI."""
    from bilim.accounts.permissions import can_read_unit, scoped_unit_ids
    from bilim.analytics.query import parse_selection
    from bilim.registry.models import OrgUnit
    from bilim.registry.selectors import selection_ids

    sel = parse_selection(q.orgUnit, param="orgUnit", default=None)
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=sel.named)}
    if unknown := [c for c in sel.named if c not in units]:
        raise _bad("orgUnit", _("no org unit with code(s) %(codes)s") % {"codes": ", ".join(unknown)})
    name = getattr(user, "username", "")
    for code in sel.named:
        if not can_read_unit(user, units[code]):
            raise PermissionDenied(_("%(unit)s is outside the scope of user %(user)s.") % {"unit": code, "user": name})
    root = None
    if scoped_unit_ids(user) is not None and not sel.codes and not sel.children:
        if user.scope_id is None:
            raise PermissionDenied(_("User %(user)s has a limited scope: name an org unit in it with %(option)s.")
                                   % {"user": name, "option": "orgUnit"})
        root = user.scope.code
    if not sel:
        return {"org_unit": root}  # everything, or the scope's subtree
    codes = list(sel.codes) or ([root] if root else [])  # a bare LEVEL- is taken within the scope
    return {"unit_ids": selection_ids(codes, sel.levels, sel.children, subtree=q.children)}


def _page_link(request, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


VALUES_DESCRIPTION = """The stored data values, as `bilim export` writes them: in the import layouts (DHIS2
dataValueSets JSON with idScheme=code, CSV, ADX), so a page can be sent back unchanged to
`POST /api/v1/exchange/import`.

You receive only what your role, your scope (today's subtree) and the approval rule let you read: a
region sees a school's values once the district has approved the form, the ministry once the region
has. Naming a unit outside your scope is a 403.

Paged in the stable order of the export (data element, period, org unit, categories): `page` from 1,
`pageSize` from 1 to 10,000 (default 1,000). JSON carries a DHIS2 `pager` {page, pageSize, total,
pageCount}; every format answers the headers `X-Total-Count` and `Link` (`rel="next"`,
`rel="prev"`). A page past the last is empty.

400 names the parameter: an unknown data element, data set or org unit, a malformed period, a
control character, `page` or `pageSize` out of range, an unknown `format`."""


@router.get("/values", response={200: DataValueSetOut, 400: ErrorOut, 403: ErrorOut},
            summary="Stored data values (DHIS2 dataValueSets JSON, CSV or ADX), paged",
            description=VALUES_DESCRIPTION,
            openapi_extra={"responses": {200: {"content": {
                "text/csv": {"schema": {"type": "string"}}, "application/xml": {"schema": {"type": "string"}}}}}})
def data_values(request, q: Query[ValuesIn]):
    """The API twin of `bilim export`: one query (`services.value_rows`), one access rule
    (`permissions.value_rows_reader` through `jobs.read_filter`, as the import and the CLI use it) and
    the export's writers, so the API, the CLI and the import can never disagree on what a user may
    read or on the layout. The named units are checked up front only to answer a 403 rather than
    an empty page; the reader decides value by value."""
    user = getattr(request, "auth", None) or request.user
    choice_field("format", q.format, list(VALUE_FORMATS))
    if q.page < 1:
        raise _bad("page", _("must be 1 or more, not %(value)s") % {"value": q.page})
    if not 1 <= q.pageSize <= MAX_PAGE_SIZE:
        raise _bad("pageSize", _("must be between 1 and %(max)s, not %(value)s")
                   % {"max": MAX_PAGE_SIZE, "value": q.pageSize})
    selection = {**_value_filters(q), **_value_units(user, q)}
    result = export_values_page(q.page, q.pageSize, format=VALUE_FORMATS[q.format], readable=jobs.read_filter(user),
                                **selection)
    resp = HttpResponse(result.content, content_type=VALUE_TYPES[q.format])
    if q.format != "json":
        ext = "csv" if q.format == "csv" else "xml"
        resp["Content-Disposition"] = f'inline; filename="bilim-values-{q.page}.{ext}"'
    resp["X-Total-Count"] = str(result.total)
    links = []
    if result.has_next:
        links.append(f'<{_page_link(request, q.page + 1)}>; rel="next"')
    if q.page > 1 and result.page_count:
        links.append(f'<{_page_link(request, min(q.page - 1, result.page_count))}>; rel="prev"')
    if links:
        resp["Link"] = ", ".join(links)
    return resp
