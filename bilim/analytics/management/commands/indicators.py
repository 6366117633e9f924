"""`bilim indicators` — indicator values from the warehouse, as a table, CSV or JSON.

A thin caller of :mod:`bilim.analytics.query`: the options become one `IndicatorQuery` and
`permissions.decide_access` decides on it, as for the API. Every output says its mode (table footer, a CSV
column, a JSON field): a regional figure for 2020 means different things under the 2020 map and
under today's.

With `--user USERNAME` (or BILIM_USER; `bilim.accounts.cli`) the command is decided like
`GET /api/v1/analytics`: the role needs `analytics` read, every unit in `--ou`/`--within` must be in
the user's scope (a scoped user who names none gets their scope unit, which also bounds `--level`),
and the public may not ask for organizations (`--level organization`, `--explain`). Without a
user: the operator.
"""

import datetime as dt
import json
import math
from dataclasses import replace

import pandas as pd
from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError, CommandParser

from bilim.accounts.cli import UserCommand
from bilim.accounts.permissions import AccessDecision, decide_access
from bilim.analytics import query as q
from bilim.analytics import service
from bilim.exchange import safecell

LEVEL_CHOICES = ("republic", "region", "district", "organization")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as e:
        raise CommandError(f"--as-of must be a date YYYY-MM-DD, not {text!r}") from e


def mode_note(mode: str, as_of: dt.date | None) -> str:
    if mode == "historical":
        return "Mode: historical (each period aggregated through the hierarchy valid on its reference date)"
    return f"Mode: current (every period restated onto the hierarchy of {(as_of or dt.date.today()).isoformat()})"


def _jsonable(records: list[dict]) -> list[dict]:
    for row in records:
        for k, v in row.items():
            if isinstance(v, float) and math.isnan(v):
                row[k] = None
    return records


class Command(UserCommand):
    help = ("Indicator values by org unit and period, e.g. `bilim indicators --indicator GER_ISCED1,PTR_ISCED1 "
            "--level region --period 2020S,2024S --mode historical`. With --user: only org units in that "
            "user's scope.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--indicator", required=True, help="Indicator code(s), comma-separated")
        parser.add_argument("--ou", help="Org unit code(s), comma-separated (default KZ, or the scope of --user; "
                                         "with --level: ignored, use --within)")
        parser.add_argument("--level", choices=LEVEL_CHOICES, help="Every unit of this kind (per period)")
        parser.add_argument("--within", help="With --level: only units under this one (default: the scope of "
                                             "--user)")
        parser.add_argument("--period", help="Period(s), comma-separated (default: latest school year)")
        parser.add_argument("--by", choices=("SEX", "AREA"), type=str.upper, help="Disaggregate")
        parser.add_argument("--mode", choices=service.MODES, default="current",
                            help="historical: the hierarchy of each period; current (default): today's")
        parser.add_argument("--as-of", dest="as_of", help="current mode: hierarchy date (default today)")
        parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
        parser.add_argument("--explain", action="store_true",
                            help="Also list the units and periods behind each numerator and denominator")

    def handle(self, *args, **opts) -> None:
        self.access.require("analytics")
        if opts["within"] and not opts["level"]:
            raise CommandError("--within needs --level")
        as_of = _date(opts["as_of"]) if opts["as_of"] else None
        # the selection as the API spells it; a scoped user who names no unit gets their scope unit
        # (with --level: its boundary)
        root = self.access.scope_root or ""
        if opts["level"]:
            ou = ";".join(filter(None, [opts["within"] or root, f"LEVEL-{opts['level']}"]))
        else:
            ou = opts["ou"] or root
        try:
            # one IndicatorQuery and one access decision, as GET /api/v1/analytics (explain: `detail`)
            query = q.parse_query(opts["indicator"], opts["period"], ou, by=opts["by"], mode=opts["mode"],
                                  as_of=as_of, detail=opts["explain"])
            decision = decide_access(query, self.access.user)
            res = q.answer(decision)
            explained = self._explain(decision, res) if opts["explain"] else None
        except PermissionDenied as e:
            raise CommandError(str(e)) from e
        except service.WarehouseMissing as e:
            raise CommandError(str(e)) from e
        except ValueError as e:
            raise CommandError(str(e)) from e
        self._write(res, explained, opts["format"], query.mode, as_of)

    def _explain(self, decision: AccessDecision, res: pd.DataFrame) -> pd.DataFrame:
        frames = []
        by = decision.query.by
        group_col = by.lower() if by else None
        for _, row in res.iterrows():
            group = row[group_col] if group_col else None
            cell = replace(decision, query=replace(decision.query, indicators=(row["indicator"],),
                                                   periods=(row["period"],),
                                                   selection=q.Selection(codes=(row["ou_code"],))))
            ex = q.explain(cell, group=group)
            ex.insert(0, "cell", f"{row['indicator']} {row['ou_code']} {row['period']}"
                                 + (f" {group}" if group else ""))
            frames.append(ex)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def _write(self, res: pd.DataFrame, explained: pd.DataFrame | None, fmt: str, mode: str,
               as_of: dt.date | None) -> None:
        day = (as_of or dt.date.today()).isoformat() if mode == "current" else None
        if fmt == "json":
            body = {"mode": mode, "as_of": day, "rows": _jsonable(res.to_dict(orient="records"))}
            if explained is not None:
                body["explain"] = _jsonable(explained.to_dict(orient="records"))
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2, default=str))
            return
        if fmt == "csv":
            out = res.copy()
            out["as_of"] = day or ""
            self.stdout.write(safecell.frame(out).to_csv(index=False), ending="")
            if explained is not None:
                ex = explained.copy()
                ex["mode"] = mode
                self.stdout.write("\n" + safecell.frame(ex).to_csv(index=False), ending="")
            return
        if res.empty:
            self.stdout.write("No values for this selection.")
        else:
            shown = res.drop(columns="mode")
            self.stdout.write(shown.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
        if explained is not None and not explained.empty:
            self.stdout.write("\nContributions (numerator/denominator rows sum to the values above):")
            self.stdout.write(explained.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
        self.stdout.write(mode_note(mode, as_of))
