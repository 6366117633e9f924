"""Exchange endpoints (`/api/v1/exchange/...`): SDMX output, file import, form templates.

* `GET /sdmx?dx=GER_ISCED1;PTR_ISCED1&pe=2024S&ou=KZ;LEVEL-region&by=SEX,LOCATION&format=xml|json`
  — indicator values as an SDMX-ML 2.1 structure-specific data message or SDMX-JSON 1.0;
* `GET /sdmx/structure[?dx=...&ou=...&pe=...&mode=...]` — the SDMX-ML 2.1 structure message (DSD_EDU,
  codelists); its CL_REF_AREA holds the areas `/sdmx` gives for the same selection;
* `POST /import` (multipart: `file`, `dry_run`) — the all-or-nothing import; the report lists every
  error with its line, field and reason (200 when imported, 422 when rejected);
* `GET /template?data_set=SCHOOL_CENSUS&org_unit=...&period=2024S` — a per-form XLSX template.

Thin: the documents come from `bilim.exchange.sdmx`, the import from `services.import_file`.
"""

import functools
from collections.abc import Callable

from django.http import HttpResponse, JsonResponse
from ninja import File, Form, Router
from ninja.files import UploadedFile

from . import jobs, sdmx
from .services import import_file
from .templates import TemplateError, build_template, template_name

PREFIX = "/exchange"
router = Router(tags=["exchange"])

XML = "application/xml; charset=utf-8"
SDMX_JSON = "application/vnd.sdmx.data+json; version=1.0; charset=utf-8"


def _items(text: str | None, param: str = "dx") -> list[str]:
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
