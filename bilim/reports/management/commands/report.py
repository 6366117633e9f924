"""`bilim report KIND CODE --lang LANG -o FILE.pdf`: a printed report as PDF."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError

from bilim.accounts.cli import UserCommand
from bilim.reports import kinds, render


class Command(UserCommand):
    help = ("Write a PDF report. KIND: passport CODE (republic, region, district or school), comparison INDICATOR "
            "(regions on one indicator, with the composite index), equity REGION, protocol MEETING, control BODY "
            "(the republic's code: every body), projects REGION (or the republic). CODE 'all-regions' with passport "
            "writes one PDF per region into the directory given by -o.")

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("kind", choices=kinds.KINDS)
        parser.add_argument("code")
        parser.add_argument("--lang", choices=["kk", "ru", "en"], default="kk")
        parser.add_argument("--mode", choices=["current", "historical"], default="current")
        parser.add_argument("--as-of", dest="as_of", help="date YYYY-MM-DD (default today)")
        parser.add_argument("-o", "--output", required=True, help="the PDF file (a directory for all-regions)")
        parser.add_argument("--html", action="store_true", help="write the HTML the PDF is made from instead")

    def handle(self, *args, **opts) -> None:
        as_of = None
        if opts["as_of"]:
            try:
                as_of = dt.date.fromisoformat(opts["as_of"])
            except ValueError as e:
                raise CommandError(f"--as-of: {opts['as_of']!r} is not a date YYYY-MM-DD") from e
        user = self.access.user
        base = {"lang": opts["lang"], "mode": opts["mode"], "as_of": as_of, "user": user}
        out = Path(opts["output"])
        if opts["code"] == "all-regions":
            if opts["kind"] != "passport":
                raise CommandError("all-regions is for passport reports only")
            from bilim.registry import selectors
            from bilim.registry.models import Kind

            out.mkdir(parents=True, exist_ok=True)
            day = as_of or dt.date.today()
            reqs = [kinds.Request("passport", u.code, **base) for u in selectors.units_on(day, Kind.REGION).order_by("code")]
        else:
            reqs = [kinds.Request(opts["kind"], opts["code"], **base)]
        started = time.perf_counter()
        try:
            for req in reqs:
                target = out / req.file_name() if opts["code"] == "all-regions" else out
                data = render.html(req).encode() if opts["html"] else render.pdf(req)
                target.write_bytes(data)
                self.stdout.write(f"{target} ({len(data):,} bytes)")
        except kinds.ReportError as e:
            raise CommandError(str(e)) from e
        except PermissionDenied as e:
            raise CommandError(str(e)) from e
        if len(reqs) > 1:
            self.stdout.write(f"{len(reqs)} reports in {time.perf_counter() - started:.1f} s")
