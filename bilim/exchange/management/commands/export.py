"""`bilim export [--data-element X] [--period P] [--ou CODE] [--format F] [--orgunits] -o FILE`.

Indicators as SDMX: `bilim export --sdmx-ml|--sdmx-json --indicator A,B --period 2024S --ou KZ,LEVEL-region
-o FILE`; `--sdmx-structure -o dsd.xml` writes the data structure definition (with `--ou`, its
area codelist holds exactly the areas the data message for that selection can hold).

`--user USERNAME` (or BILIM_USER; `bilim.accounts.cli`): values need the role's `data` read and keep
only what the user may read (scope, and the approval rule); org units need `registry` read and keep
the scope; SDMX needs `data` read, like `GET /api/v1/exchange/sdmx`. Every unit named in `--ou` must
be in the scope; a scoped user who names none gets their scope unit. Without a user: the operator.
"""

from __future__ import annotations

import datetime as dt
import sys

from django.core.management.base import CommandError, CommandParser

from bilim.accounts.cli import UserCommand
from bilim.exchange.services import VALUE_EXPORT_FORMATS, export_orgunits, export_values
from bilim.registry.models import OrgUnit


class Command(UserCommand):
    help = ("Export data values (CSV, XLSX, DHIS2 JSON, ADX) or org units (CSV, XLSX) in the import layouts. "
            "With --user: only the units and values that user may see.")
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data-element", action="append", default=None,
                            help="Data element code (repeatable; default: all)")
        parser.add_argument("--period", action="append", default=None, help="Period, e.g. 2024S (repeatable)")
        parser.add_argument("--ou", default=None, help="Org unit code: exports its whole subtree")
        parser.add_argument("--as-of", default=None, help="Date for the hierarchy (YYYY-MM-DD, default today)")
        parser.add_argument("--format", choices=VALUE_EXPORT_FORMATS, default=None,
                            help="Format (default: from the extension of -o, else csv)")
        parser.add_argument("--orgunits", action="store_true", help="Export org units instead of values")
        parser.add_argument("--history", action="store_true",
                            help="With --orgunits: the whole registry with its history (every unit, closed ones "
                                 "too, both dated relations, names, restructuring events, legal acts) as JSON, "
                                 "which `bilim import` restores into an empty install")
        parser.add_argument("-o", "--output", default="-", help="Output file ('-' = standard output)")
        sdmx = parser.add_argument_group("SDMX (indicator values from the analytics warehouse)")
        kind = sdmx.add_mutually_exclusive_group()
        kind.add_argument("--sdmx-ml", action="store_true", help="SDMX-ML 2.1 structure-specific data message")
        kind.add_argument("--sdmx-json", action="store_true", help="SDMX-JSON 1.0 data message")
        kind.add_argument("--sdmx-structure", action="store_true",
                          help="SDMX-ML 2.1 structure message (DSD_EDU and its codelists)")
        sdmx.add_argument("--indicator", action="append", default=None,
                          help="Indicator codes, comma-separated or repeated (e.g. GER_ISCED1,PTR_ISCED1)")
        sdmx.add_argument("--by", default=None,
                          help="Disaggregations besides the total: SEX, LOCATION, both (default) or none")
        sdmx.add_argument("--mode", choices=("current", "historical"), default="current",
                          help="Hierarchy used to aggregate (default current)")
        sdmx.add_argument("--time-format", choices=("uis", "range"), default="uis",
                          help="TIME_PERIOD as the UIS reference year (2024S -> 2025, default) or an ISO range")

    def handle(self, *args, **opts) -> None:
        if opts["sdmx_ml"] or opts["sdmx_json"] or opts["sdmx_structure"]:
            return self.handle_sdmx(opts)
        as_of = None
        if opts["as_of"]:
            try:
                as_of = dt.date.fromisoformat(opts["as_of"])
            except ValueError as e:
                raise CommandError(f"--as-of: '{opts['as_of']}' is not a date (YYYY-MM-DD)") from e
        family = "registry" if opts["orgunits"] else "data"
        access = self.access
        if opts["history"]:
            return self.handle_history(opts)
        root = (access.units([opts["ou"] or ""], family=family) or [None])[0]
        if root and not OrgUnit.objects.filter(code=root).exists():
            raise CommandError(f"No org unit with code {root}")
        out = opts["output"]
        fmt = opts["format"]
        if fmt is None:
            ext = out.rsplit(".", 1)[-1].lower() if "." in out else ""
            fmt = {"xlsx": "xlsx", "json": "dhis2", "xml": "adx", "adx": "adx"}.get(ext, "csv")
        if fmt == "xlsx" and out == "-":
            raise CommandError("XLSX needs an output file: -o FILE.xlsx")
        target = sys.stdout if out == "-" else out
        try:
            if opts["orgunits"]:
                if fmt not in ("csv", "xlsx"):
                    raise CommandError("Org units export as csv or xlsx")
                n = export_orgunits(target, as_of=as_of, root=root, format=fmt,
                                    unit_allowed=access.unit_filter())
                what = "org units"
            else:
                n = export_values(target, data_element=opts["data_element"], period=opts["period"],
                                  org_unit=root, as_of=as_of, format=fmt, readable=access.values_filter())
                what = "values"
        except ValueError as e:
            raise CommandError(str(e)) from e
        if out != "-":
            self.stderr.write(f"{n!s} {what} written to {out}")

    def handle_history(self, opts) -> None:
        from django.utils.translation import gettext as _

        from bilim.exchange.registry_io import export_registry

        if not opts["orgunits"]:
            raise CommandError(_("--history goes with --orgunits (the registry with its history)."))
        if opts["ou"] or opts["as_of"] or opts["format"]:
            raise CommandError(_("--history exports the whole registry as JSON: --ou, --as-of and --format do not "
                                 "apply."))
        self.access.require("registry")
        if self.access.scoped or self.access.public:
            raise CommandError(_("User %(user)s sees part of the registry; only a user with national scope may "
                                 "export it whole with its history.") % {"user": self.access.user.username})
        out = opts["output"]
        n = export_registry(sys.stdout if out == "-" else out)
        if out != "-":
            self.stderr.write(_("%(n)s org units with their history written to %(file)s") % {"n": n, "file": out})

    def handle_sdmx(self, opts) -> None:
        from bilim.exchange import sdmx

        def items(values: list[str] | None) -> list[str]:
            return [i.strip() for v in values or [] for i in v.replace(";", ",").split(",") if i.strip()]

        codes, periods = items(opts["indicator"]), items(opts["period"])
        # like GET /api/v1/exchange/sdmx: data read, then the one access decision on the query
        # (`sdmx.select`); a scoped user who names no unit gets their scope unit
        self.access.require("data")
        ou = opts["ou"] or self.access.scope_root or ""
        from django.core.exceptions import PermissionDenied

        try:
            if opts["sdmx_structure"]:
                # CL_REF_AREA: the areas the data message for the same --ou (--period, --mode) can
                # hold, resolved as the data export resolves them; no --ou: the whole registry
                areas = None
                if ou:
                    from bilim.analytics.service import WarehouseMissing

                    try:
                        areas = sdmx.selection_areas(ou, periods, opts["mode"], indicators=codes or None,
                                                     user=self.access.user)
                    except (WarehouseMissing, PermissionDenied) as e:
                        raise CommandError(str(e)) from e
                text = sdmx.structure_xml(codes or None, areas)
                n, what = len(codes) if codes else len(sdmx.indicator_info()), "indicators described"
            else:
                from bilim.analytics.service import WarehouseMissing

                try:
                    df = sdmx.select(codes, periods, ou, sdmx.parse_by(opts["by"]), mode=opts["mode"],
                                     user=self.access.user)
                except (WarehouseMissing, PermissionDenied) as e:
                    raise CommandError(str(e)) from e
                writer = sdmx.data_xml if opts["sdmx_ml"] else sdmx.data_json
                text = writer(df, time_format=opts["time_format"])
                n, what = len(sdmx.observations(df, opts["time_format"])), "observations"
        except ValueError as e:
            raise CommandError(str(e)) from e
        if opts["output"] == "-":
            self.stdout.write(text, ending="")
        else:
            with open(opts["output"], "w", encoding="utf-8") as f:
                f.write(text)
            self.stderr.write(f"{n} {what} written to {opts['output']}")
